package dev.opencode.tuner.cli.policy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opencode.tuner.cli.CliException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;

/**
 * The policy service's HTTP API as every CLI command uses it: one account (HTTP Basic), JSON through Jackson, and one
 * mapping of failures to messages and exit codes (README: 0 done, 2 a bad flag or a value the service refused, 1
 * anything else):
 * <ul>
 *   <li>401: the account is named, with what to fix where it came from (flags, environment, ./tuner up's admin);
 *   <li>403: the role the call needs;
 *   <li>400 and 422: the service's message, which names the field (exit 2);
 *   <li>no connection: the address, where it came from, and the {@code ./tuner up} / {@code --policy-url} hint;
 *   <li>anything else (404, 409, 429, 5xx, an answer that is not JSON): the service's message (exit 1).
 * </ul>
 * No message holds the password. One instance keeps one HTTP client: close it.
 */
public final class PolicyApi implements AutoCloseable {
    /** How long a call may take by default; an export (fetch, push, forge calls) is given longer by its command. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** At most this much of an error body goes into a message (an HTML error page of a proxy, say). */
    private static final int MAX_ERROR_CHARS = 500;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The least role a call needs, as the service's {@code @RolesAllowed} say: named when it answers 403. */
    public enum Role {
        VIEWER("a role: viewer, reviewer or admin"),
        REVIEWER("the reviewer role (or admin)"),
        ADMIN("the admin role");

        private final String needs;

        Role(String needs) {
            this.needs = needs;
        }
    }

    private final String base;
    private final Origin baseOrigin;
    private final Credentials credentials;
    private final Duration timeout;
    private final HttpClient http;

    /**
     * @param base the service's address, {@code http(s)://host:port[/prefix]}
     * @param baseOrigin where the address came from, for the message when it cannot be reached
     */
    public PolicyApi(String base, Origin baseOrigin, Credentials credentials, Duration timeout) {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.baseOrigin = baseOrigin;
        this.credentials = credentials;
        this.timeout = timeout;
        // HTTP/1.1: no h2c upgrade dance with a service on this machine or behind a proxy.
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(CONNECT_TIMEOUT)
                .build();
    }

    public PolicyApi(String base, Origin baseOrigin, Credentials credentials) {
        this(base, baseOrigin, credentials, DEFAULT_TIMEOUT);
    }

    /** The Jackson mapper the CLI reads and writes the API's JSON with. */
    public static ObjectMapper json() {
        return JSON;
    }

    /** The service's address, without a final slash. */
    public String base() {
        return base;
    }

    /** The account calls are made as. */
    public Credentials credentials() {
        return credentials;
    }

    public JsonNode get(String path, Role role) {
        return parse(send("GET", path, null, "application/json", role), "GET", path);
    }

    /** A GET whose answer is not JSON ({@code text/plain} for the allowlist's Nix file). */
    public String getText(String path, String accept, Role role) {
        return send("GET", path, null, accept, role);
    }

    public JsonNode post(String path, Object body, Role role) {
        return parse(send("POST", path, body, "application/json", role), "POST", path);
    }

    public JsonNode put(String path, Object body, Role role) {
        return parse(send("PUT", path, body, "application/json", role), "PUT", path);
    }

    public JsonNode delete(String path, Role role) {
        return parse(send("DELETE", path, null, "application/json", role), "DELETE", path);
    }

    @Override
    public void close() {
        http.close();
    }

    private String send(String method, String path, Object body, String accept, Role role) {
        HttpRequest.BodyPublisher publisher;
        try {
            publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the request body of " + method + " " + path, e);
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout)
                .header("Authorization", credentials.authorization()).header("Accept", accept)
                .method(method, publisher);
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        HttpResponse<String> r;
        try {
            r = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw unreachable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CliException.input("interrupted while waiting for the policy service at " + base, e);
        }
        int status = r.statusCode();
        if (status >= 200 && status < 300) {
            return r.body();
        }
        throw failure(status, method, path, r.body(), role).withHttpStatus(status);
    }

    private CliException failure(int status, String method, String path, String body, Role role) {
        String call = method + " " + pathOnly(path);
        if (status == 401) {
            return CliException.input("the policy service at " + base + " refused the account '"
                    + credentials.user() + "' (401: no such account, or a wrong password): "
                    + credentials.fixForRefusal(), null);
        }
        if (status == 403) {
            return CliException.input("the policy service refused the account '" + credentials.user() + "' (403): "
                    + call + " needs " + role.needs + "; act as an account that has it (--user NAME --password-file"
                    + " F, or TUNER_USER and TUNER_PASSWORD)", null);
        }
        String message = errorOf(body);
        if (status == 400 || status == 422) {
            return CliException.usage(message == null ? "the policy service refused " + call + " (" + status + ")"
                    : message);
        }
        if (message == null) {
            message = "the policy service answered " + status + " to " + call
                    + (status == 404 ? " (is " + base + " a policy service of this version?)" : "");
        }
        if (status == 409) {
            return CliException.input(message + " (conflict)", null);
        }
        if (status >= 500) {
            return CliException.input(message + " (the policy service answered " + status + "; see "
                    + (baseOrigin == Origin.LOCAL_STACK ? "./tuner logs policy" : "its log") + ")", null);
        }
        return CliException.input(message, null);
    }

    /** The service's {@code error} (prefixed with its {@code field} when it does not start with it), else its text. */
    private static String errorOf(String body) {
        if (body == null || body.isBlank()) {
            return null;
        }
        try {
            JsonNode error = JSON.readTree(body);
            if (error != null && error.hasNonNull("error")) {
                String text = error.get("error").asText();
                String field = error.path("field").asText("");
                return field.isEmpty() || text.startsWith(field) ? text : field + ": " + text;
            }
        } catch (JsonProcessingException e) {
            // not JSON (a proxy's page, say): its text, shortened
        }
        String text = body.strip();
        return text.length() <= MAX_ERROR_CHARS ? text : text.substring(0, MAX_ERROR_CHARS) + "…";
    }

    private CliException unreachable(IOException e) {
        String why;
        if (e instanceof HttpConnectTimeoutException) {
            why = "no connection within " + CONNECT_TIMEOUT.toSeconds() + " s";
        } else if (e instanceof HttpTimeoutException) {
            why = "no answer within " + timeout.toSeconds() + " s";
        } else if (e instanceof ConnectException) {
            why = "connection refused"; // the JDK's message is often empty here
        } else {
            why = e.getMessage() == null ? e.getClass().getSimpleName()
                    : e.getClass().getSimpleName() + ": " + e.getMessage();
        }
        String from = switch (baseOrigin) {
            case FLAGS -> " (from --policy-url)";
            case ENVIRONMENT -> " (from TUNER_POLICY_URL)";
            case LOCAL_STACK -> " (./tuner up's)";
        };
        return CliException.input("cannot reach the policy service at " + base + from + ": " + why + "; start the"
                + " local one with ./tuner up (./tuner status shows it), or point --policy-url (or TUNER_POLICY_URL)"
                + " at a running one", e);
    }

    private static JsonNode parse(String body, String method, String path) {
        try {
            return JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw CliException.input("the policy service answered " + method + " " + pathOnly(path)
                    + " with something that is not JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static String pathOnly(String path) {
        int query = path.indexOf('?');
        return query < 0 ? path : path.substring(0, query);
    }
}
