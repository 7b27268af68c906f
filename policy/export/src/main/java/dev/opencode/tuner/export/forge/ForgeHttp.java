package dev.opencode.tuner.export.forge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.opencode.tuner.export.ExportException;
import dev.opencode.tuner.export.Secret;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * JSON over the JDK's HTTP client with the forge's auth header. Every message it builds is redacted with the token;
 * the token itself goes only into the header. Not a general client: just what the three forges need.
 */
final class ForgeHttp {
    private static final System.Logger LOG = System.getLogger(ForgeHttp.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final int MAX_ERROR_BODY = 300;

    private final ForgeKind kind;
    private final String base;
    private final Secret token;
    private final HttpClient client;

    ForgeHttp(ForgeKind kind, URI apiBase, Secret token) {
        this.kind = kind;
        this.token = Objects.requireNonNull(token, "a forge needs a token");
        if (apiBase == null || apiBase.getScheme() == null || apiBase.getHost() == null) {
            throw new IllegalArgumentException("forge URL " + apiBase + " is not an absolute http(s) URL");
        }
        String scheme = apiBase.getScheme().toLowerCase(Locale.ROOT);
        boolean loopback = apiBase.getHost().equals("127.0.0.1") || apiBase.getHost().equals("localhost")
                || apiBase.getHost().equals("[::1]");
        if (!scheme.equals("https") && !(scheme.equals("http") && loopback)) {
            throw new IllegalArgumentException("forge URL " + apiBase
                    + " must be https (plain http only on loopback): the token travels in a header");
        }
        if (apiBase.getRawUserInfo() != null) {
            throw new IllegalArgumentException("forge URL carries user information: remove it, the token comes from "
                    + "the token file");
        }
        String text = apiBase.toString();
        this.base = text.endsWith("/") ? text.substring(0, text.length() - 1) : text;
        this.client = HttpClient.newBuilder().connectTimeout(TIMEOUT).followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    ForgeKind kind() {
        return kind;
    }

    ObjectNode object() {
        return JSON.createObjectNode();
    }

    /** {@code path} is appended to the API base; it must be URL-encoded already. */
    JsonNode call(String method, String path, JsonNode body, int... expected) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(TIMEOUT)
                .header("Accept", kind == ForgeKind.GITHUB ? "application/vnd.github+json" : "application/json")
                .header("User-Agent", "opencode-egress-tuner");
        switch (kind) {
            // GitHub: "Authorization: Bearer <token>" (docs.github.com/rest/authentication); API version pinned.
            case GITHUB -> request.header("Authorization", "Bearer " + token.reveal())
                    .header("X-GitHub-Api-Version", "2022-11-28");
            // GitLab: personal/project access tokens in the PRIVATE-TOKEN header (docs.gitlab.com/api/rest).
            case GITLAB -> request.header("PRIVATE-TOKEN", token.reveal());
            // Gitea/Forgejo: "Authorization: token <token>" (docs.gitea.com/development/api-usage).
            case GITEA -> request.header("Authorization", "token " + token.reveal());
        }
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json");
            request.method(method, HttpRequest.BodyPublishers.ofString(body.toString()));
        }
        String what = kind.label() + " " + method + " " + redact(base + path);
        HttpResponse<String> response;
        try {
            response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new ExportException(what + " failed: " + e.getClass().getSimpleName() + ": " + redact(e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ExportException(what + " interrupted");
        }
        LOG.log(System.Logger.Level.DEBUG, "{0} -> {1}", what, response.statusCode());
        if (java.util.Arrays.stream(expected).noneMatch(code -> code == response.statusCode())) {
            String text = response.body() == null ? "" : response.body();
            if (text.length() > MAX_ERROR_BODY) {
                text = text.substring(0, MAX_ERROR_BODY) + "...";
            }
            String hint = switch (response.statusCode()) {
                case 401 -> ": the token was refused; check the token file";
                case 403 -> ": the token lacks a permission (pull requests: write, contents: read)";
                case 404 -> ": no such repository or API path; check the forge URL and repository";
                default -> "";
            };
            throw new ExportException(what + " answered HTTP " + response.statusCode() + hint + ": " + redact(text));
        }
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new ExportException(what + " answered something that is not JSON");
        }
    }

    private String redact(String text) {
        return token.redact(text == null ? "" : text);
    }

    static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }
}
