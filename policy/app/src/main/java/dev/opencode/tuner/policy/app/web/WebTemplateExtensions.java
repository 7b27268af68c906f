package dev.opencode.tuner.policy.app.web;

import io.quarkus.qute.TemplateExtension;

/** Template helpers: {@code {host.urlPath}} encodes a host or instance name as one URL path segment. */
@TemplateExtension
final class WebTemplateExtensions {
    private WebTemplateExtensions() {
    }

    static String urlPath(String segment) {
        return WebText.path(segment);
    }
}
