package dev.opencode.tuner.cli.review;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opencode.tuner.cli.CliException;
import dev.opencode.tuner.stack.PartStatus;
import dev.opencode.tuner.stack.Stack;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.function.Function;

/**
 * The policy service's HTTP API as the CLI uses it: JDK HttpClient, HTTP Basic, Jackson. It acts as
 * {@code TUNER_USER}/{@code TUNER_PASSWORD} when both are set, otherwise as the local admin that {@code ./tuner up}
 * created (its password file in the stack's state). The service is the one {@code ./tuner up} runs, or
 * {@code TUNER_POLICY_URL}. Errors become one-line {@link CliException}s: 400 and 422 (a bad flag value the service
 * named) exit 2, everything else 1.
 */
public final class PolicyClient {
    /** The environment; replaceable so tests can run the CLI in-process against a real service. */
    private static volatile Function<String, String> environment = System::getenv;

    /** For tests that run the CLI in-process: where TUNER_USER, TUNER_PASSWORD and TUNER_POLICY_URL come from. */
    public static void useEnvironment(Function<String, String> lookup) {
        environment = lookup == null ? System::getenv : lookup;
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final String base;
    private final String user;
    private final String authorization;

    PolicyClient(String base, String user, String password) {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.user = user;
        this.authorization = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password)
                .getBytes(StandardCharsets.UTF_8));
    }

    /** Finds the service and the credentials. */
    public static PolicyClient connect(Path state) {
        String url = environment.apply("TUNER_POLICY_URL");
        if (url == null || url.isBlank()) {
            PartStatus policy = Stack.status(state).parts().stream().filter(p -> p.part().equals("policy"))
                    .findFirst().filter(PartStatus::healthy)
                    .orElseThrow(() -> CliException.input("the policy service is not running (state in " + state
                            + "): start it with ./tuner up, or set TUNER_POLICY_URL", null));
            url = policy.address();
        }
        String user = environment.apply("TUNER_USER");
        String password = environment.apply("TUNER_PASSWORD");
        if (user != null && !user.isBlank() && password != null && !password.isEmpty()) {
            return new PolicyClient(url, user, password);
        }
        Path file = Stack.policyStateDirectory(state).resolve("initial-admin-password");
        try {
            return new PolicyClient(url, "admin", Files.readString(file).strip());
        } catch (IOException e) {
            throw CliException.input("cannot read the local admin password from " + file + " (" + e.getMessage()
                    + "): set TUNER_USER and TUNER_PASSWORD", e);
        }
    }

    public JsonNode get(String path) {
        return parse(send("GET", path, null, "application/json"));
    }

    public String getText(String path, String accept) {
        return send("GET", path, null, accept);
    }

    public JsonNode post(String path, Object body) {
        return parse(send("POST", path, body, "application/json"));
    }

    public JsonNode put(String path, Object body) {
        return parse(send("PUT", path, body, "application/json"));
    }

    public JsonNode delete(String path) {
        return parse(send("DELETE", path, null, "application/json"));
    }

    private String send(String method, String path, Object body, String accept) {
        String url = base + path;
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body));
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                    .header("Authorization", authorization).header("Accept", accept)
                    .method(method, publisher);
            if (body != null) {
                request.header("Content-Type", "application/json");
            }
            HttpResponse<String> r = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            int status = r.statusCode();
            if (status >= 200 && status < 300) {
                return r.body();
            }
            if (status == 401 || status == 403) {
                throw CliException.input("the policy service refused the account '" + user + "' (" + status
                        + (status == 403 ? ": its role does not allow this" : ": wrong name or password")
                        + "): set TUNER_USER and TUNER_PASSWORD", null);
            }
            String message = errorOf(r.body());
            if (status == 400 || status == 422) {
                throw CliException.usage(message);
            }
            throw CliException.input(message + (status == 409 ? " (conflict)" : "") + (status >= 500
                    ? " (the policy service answered " + status + "; see ./tuner logs policy)" : ""), null);
        } catch (IOException e) {
            throw CliException.input("cannot reach the policy service at " + base + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CliException.input("interrupted", e);
        }
    }

    private static String errorOf(String body) {
        try {
            JsonNode error = JSON.readTree(body);
            if (error != null && error.hasNonNull("error")) {
                return error.get("error").asText();
            }
        } catch (IOException e) {
            // not JSON: show the text as it is
        }
        return body == null || body.isBlank() ? "no answer" : body.strip();
    }

    private static JsonNode parse(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw CliException.input("the policy service answered something that is not JSON: " + e.getMessage(), e);
        }
    }
}
