package dev.opencode.tuner.it;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * HTTP requests to the parts of a stack that the tests kill and restart: each on a client of its own (no pooled
 * connection to a process that died and was replaced on the same port) and bounded by a deadline the test enforces
 * itself, because the JDK client's request timeout was seen not to fire on such a connection (a test hung for 10
 * minutes in {@code HttpClient.send}). HTTP/1.1 only: the client's default upgrade to cleartext HTTP/2 (h2c) sometimes
 * gets no answer from the services or fails with a framing error ("protocol error: Frame type(69) ..."), while the
 * same scrape over HTTP/1.1 answers in milliseconds (seen in WholeLoopFaultTest: the collector's scrapes timed out for
 * the whole of a burst that curl saw processed in three seconds).
 */
final class Bounded {
    private Bounded() {
    }

    /** The response, or an AssertionError naming {@code what} after {@code timeout} or on any I/O failure. */
    static HttpResponse<String> send(HttpRequest request, Duration timeout, String what) {
        try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build()) {
            CompletableFuture<HttpResponse<String>> response = http.sendAsync(request,
                    HttpResponse.BodyHandlers.ofString());
            try {
                return response.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                response.cancel(true);
                http.shutdownNow();
                throw new AssertionError(what + ": no answer within " + timeout, e);
            } catch (ExecutionException e) {
                throw new AssertionError(what + ": " + e.getCause(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                http.shutdownNow();
                throw new AssertionError(what + ": interrupted", e);
            }
        }
    }
}
