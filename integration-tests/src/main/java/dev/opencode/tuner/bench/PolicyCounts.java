package dev.opencode.tuner.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the policy service counted for one instance, read through its API as the stack's admin: the events of
 * {@code GET /api/v1/instances}, and per destination the evidence of {@code GET /api/v1/suggestions} (every observed
 * address of the current suggestions, the refused and the already allowed ones, each with its event count).
 */
final class PolicyCounts implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String api;
    private final String authorization;
    private final String instance;

    PolicyCounts(String api, String adminPassword, String instance) {
        this.api = api;
        this.authorization = "Basic " + Base64.getEncoder().encodeToString(("admin:" + adminPassword)
                .getBytes(StandardCharsets.UTF_8));
        this.instance = instance;
    }

    /** The events counted for the instance (every host), or -1 while the service does not answer. */
    long totalOrUnknown() {
        try {
            return total();
        } catch (IOException e) {
            return -1;
        }
    }

    /** The events counted for the instance, summed over hosts. */
    long total() throws IOException {
        long events = 0;
        for (JsonNode i : get("/api/v1/instances").get("instances")) {
            if (i.get("instance").asText().equals(instance)) {
                events += i.get("events").asLong();
            }
        }
        return events;
    }

    /**
     * Events per destination. Fails when these do not add up to {@link #total()}: a destination the per-destination
     * view left out would otherwise pass for a lost event.
     */
    Map<String, Long> perDestination() throws IOException {
        Map<String, Long> counts = new TreeMap<>();
        long listed = 0;
        JsonNode list = get("/api/v1/suggestions?state=pending,held&instance="
                + URLEncoder.encode(instance, StandardCharsets.UTF_8));
        for (JsonNode i : list.get("instances")) {
            listed += i.get("events").asLong();
            for (JsonNode suggestion : i.get("suggestions")) {
                add(counts, suggestion.get("addresses"));
            }
            add(counts, i.get("refused"));
            add(counts, i.get("alreadyAllowed"));
        }
        long sum = counts.values().stream().mapToLong(Long::longValue).sum();
        long total = total();
        if (sum != total || listed != total) {
            throw new IOException("the policy service's per-destination evidence adds up to " + sum + " events (its"
                    + " suggestion run says " + listed + "), but /api/v1/instances counts " + total + " for "
                    + instance + "; the suggestions may not have been recomputed yet: ask again");
        }
        return counts;
    }

    private static void add(Map<String, Long> counts, JsonNode destinations) {
        if (destinations == null || destinations.isNull()) {
            return;
        }
        for (JsonNode d : destinations) {
            counts.merge(d.get("address").asText(), d.get("events").asLong(), Long::sum);
        }
    }

    /**
     * One request on a client of its own, bounded by a deadline enforced here: the policy service is killed and
     * restarted on the same port, and the JDK client's own request timeout was seen not to fire on a pooled
     * connection to the dead process.
     */
    private JsonNode get(String path) throws IOException {
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            java.util.concurrent.CompletableFuture<HttpResponse<String>> pending = http.sendAsync(
                    HttpRequest.newBuilder(URI.create(api + path)).header("Authorization", authorization)
                            .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> response;
            try {
                response = pending.get(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                pending.cancel(true);
                http.shutdownNow();
                throw new IOException("GET " + path + ": no answer within 30 s", e);
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IOException("GET " + path + ": " + e.getCause(), e.getCause());
            }
            if (response.statusCode() != 200) {
                throw new IOException("GET " + path + " answered " + response.statusCode() + ": " + response.body());
            }
            return JSON.readTree(response.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: GET " + path, e);
        }
    }

    @Override
    public void close() {
        // Nothing to release: every request has a client of its own.
    }
}
