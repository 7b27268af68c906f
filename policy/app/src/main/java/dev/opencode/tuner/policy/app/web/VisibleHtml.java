package dev.opencode.tuner.policy.app.web;

import dev.opencode.tuner.blocked.Untrusted;
import io.quarkus.qute.EngineBuilder;
import io.quarkus.qute.Expression;
import io.quarkus.qute.HtmlEscaper;
import io.quarkus.qute.ResultMapper;
import io.quarkus.qute.TemplateNode;
import io.quarkus.qute.WithPriority;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.util.List;

/**
 * The escaping of every text a page shows: {@link Untrusted#visible} (bidi overrides, zero-width and other invisible
 * characters become their escapes, U+202E as a backslash, {@code u} and {@code 202E}), then Qute's own HTML escaping.
 * Registered ahead of Qute's escaper, so no template expression can skip it.
 */
@Singleton
final class VisibleHtml implements ResultMapper {
    private static final HtmlEscaper HTML = new HtmlEscaper(List.of("text/html"));

    void register(@Observes EngineBuilder builder) {
        builder.addResultMapper(this);
    }

    /** {@code value} as a page shows it, escaped for HTML text and double-quoted attributes. */
    static String escape(String value) {
        return value == null ? "" : HTML.map(Untrusted.visible(value), null);
    }

    @Override
    public int getPriority() {
        return WithPriority.DEFAULT_PRIORITY + 10;
    }

    @Override
    public boolean appliesTo(TemplateNode.Origin origin, Object result) {
        return result instanceof CharSequence && HTML.appliesTo(origin, result);
    }

    @Override
    public String map(Object result, Expression expression) {
        return escape(result.toString());
    }
}
