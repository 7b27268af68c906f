package dev.opencode.tuner.cli.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opencode.tuner.cli.CliException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

/** The policy service's API with one account (HTTP Basic), for the CLI's export commands. */
final class PolicyClient {
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

    JsonNode get(String path) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET(), path);
    }

    JsonNode post(String path, JsonNode body) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())), path);
    }

    private JsonNode send(HttpRequest.Builder request, String path) {
        // An export (fetch, push, forge calls) can take a while: generous timeout.
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            HttpResponse<String> r = http.send(request.header("Authorization", authorization)
                    .timeout(Duration.ofMinutes(5)).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 401) {
                throw CliException.input("the policy service refused the account '" + user
                        + "' (401): check --user and --password-file", null);
            }
            if (r.statusCode() == 403) {
                throw CliException.input("the account '" + user + "' may not do this (403): exporting needs the "
                        + "reviewer role", null);
            }
            JsonNode body;
            try {
                body = JSON.readTree(r.body());
            } catch (IOException e) {
                throw CliException.input("the policy service answered " + r.statusCode() + " with something that is "
                        + "not JSON", null);
            }
            if (r.statusCode() != 200) {
                throw CliException.input("the policy service answered " + r.statusCode() + " to " + path + ": "
                        + body.path("error").asText(r.body()), null);
            }
            return body;
        } catch (IOException e) {
            throw CliException.input("cannot reach the policy service at " + base + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CliException.input("interrupted", e);
        }
    }

    static ObjectMapper json() {
        return JSON;
    }
}
