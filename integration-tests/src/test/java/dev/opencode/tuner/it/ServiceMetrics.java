package dev.opencode.tuner.it;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a service's Prometheus metrics ({@code /q/metrics}) the way Prometheus would, for fault assertions. The base
 * URL is {@link dev.opencode.tuner.stack.PartStatus#managementAddress()}: the policy service serves its metrics on its
 * loopback management interface, not on its API port.
 */
final class ServiceMetrics {
    private static final Duration TIMEOUT = Duration.ofSeconds(15);

    private ServiceMetrics() {
    }

    /**
     * The sum of all series of {@code name} at {@code baseUrl/q/metrics} (0 when the service has none yet).
     *
     * @param authorization an {@code Authorization} header value, or null
     * @throws AssertionError when the service does not answer (a dead part is a test failure here)
     */
    static double sum(String baseUrl, String name, String authorization) {
        return sum(scrape(baseUrl, authorization), name);
    }

    /** The text of {@code baseUrl/q/metrics}: several values read from one scrape are from one instant. */
    static String scrape(String baseUrl, String authorization) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + "/q/metrics"))
                .timeout(Duration.ofSeconds(10)).GET();
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        HttpResponse<String> response = Bounded.send(request.build(), TIMEOUT, "metrics of " + baseUrl);
        if (response.statusCode() != 200) {
            throw new AssertionError("metrics of " + baseUrl + ": HTTP " + response.statusCode());
        }
        return response.body();
    }

    /**
     * Scrapes one part again and again over one kept-alive HTTP/1.1 connection: a scrape every few milliseconds, where
     * {@link #scrape} (a client and a connection per request) takes tens to hundreds. For a state that lasts that
     * little, such as the records in flight while the collector sends a burst. Only while the part stays up: after a
     * kill, {@link #scrape} (a kept connection to a dead process is what {@link Bounded} avoids).
     */
    static final class Poller implements AutoCloseable {
        private final String baseUrl;
        private final HttpRequest request;
        private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();

        Poller(String baseUrl) {
            this.baseUrl = baseUrl;
            this.request = HttpRequest.newBuilder(URI.create(baseUrl + "/q/metrics")).timeout(TIMEOUT).GET().build();
        }

        /** The text of {@code /q/metrics}, as {@link ServiceMetrics#scrape}. */
        String scrape() {
            CompletableFuture<HttpResponse<String>> response = http.sendAsync(request,
                    HttpResponse.BodyHandlers.ofString());
            try {
                HttpResponse<String> r = response.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                if (r.statusCode() != 200) {
                    throw new AssertionError("metrics of " + baseUrl + ": HTTP " + r.statusCode());
                }
                return r.body();
            } catch (TimeoutException e) {
                response.cancel(true);
                throw new AssertionError("metrics of " + baseUrl + ": no answer within " + TIMEOUT, e);
            } catch (ExecutionException e) {
                throw new AssertionError("metrics of " + baseUrl + ": " + e.getCause(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("metrics of " + baseUrl + ": interrupted", e);
            }
        }

        @Override
        public void close() {
            http.shutdownNow();
        }
    }

    /** The sum of all series of {@code name} in a scrape's text (0 when there are none). */
    static double sum(String scrape, String name) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(?:\\{[^}]*\\})? ([0-9.eE+-]+|NaN)$")
                .matcher(scrape);
        double sum = 0;
        while (m.find()) {
            sum += m.group(1).equals("NaN") ? 0 : Double.parseDouble(m.group(1));
        }
        return sum;
    }

    /** The value once it stopped changing for {@code quiet} (a service catching up on old entries settles first). */
    static double settled(String baseUrl, String name, Duration quiet, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        double value = sum(baseUrl, name, null);
        long since = System.nanoTime();
        while (System.nanoTime() - since < quiet.toNanos()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(name + " of " + baseUrl + " kept changing for " + timeout);
            }
            Thread.sleep(250);
            double now = sum(baseUrl, name, null);
            if (now != value) {
                value = now;
                since = System.nanoTime();
            }
        }
        return value;
    }

    /**
     * Waits until the metric exceeds {@code floor}; returns its value. A scrape that gets no answer in time (a JVM
     * starved of CPU on a loaded machine) is asked again until the deadline: only the deadline fails the test.
     */
    static double awaitAbove(String baseUrl, String name, double floor, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        double value = Double.NaN;
        String unanswered = null;
        while (true) {
            try {
                value = sum(baseUrl, name, null);
                unanswered = null;
                if (value > floor) {
                    return value;
                }
            } catch (AssertionError e) {
                unanswered = e.getMessage();
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(name + " of " + baseUrl + " stayed at " + value + " (expected more than "
                        + floor + ") for " + timeout + (unanswered == null ? "" : "; last scrape: " + unanswered));
            }
            Thread.sleep(200);
        }
    }
}
