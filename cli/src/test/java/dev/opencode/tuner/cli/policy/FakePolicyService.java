package dev.opencode.tuner.cli.policy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A stand-in for the policy service on loopback (the JDK's HttpServer), for the CLI's tests: each {@code METHOD path}
 * is answered with a status and body as the real service gives them (policy/app: Quarkus' bare 401 with the Basic
 * challenge and bare 403, the review API's {@code {"error", "field"}}, the login throttle's 429), and every request is
 * recorded with the account it came as. An unknown path is a bare 404, as Quarkus answers one.
 */
final class FakePolicyService implements AutoCloseable {
    /** What the service was sent; {@code user} and {@code password} from the Basic header, null without one. */
    record Request(String method, String path, String query, String user, String password, String accept,
            String contentType, String body) {
    }

    private record Answer(int status, String contentType, String body, Map<String, String> headers) {
    }

    private final HttpServer server;
    private final Map<String, Answer> answers = new ConcurrentHashMap<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();

    FakePolicyService() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Answers {@code method path} (no query) with {@code status} and a JSON body (none when null). */
    FakePolicyService json(String method, String path, int status, String body) {
        answers.put(method + " " + path, new Answer(status, "application/json", body, Map.of()));
        return this;
    }

    FakePolicyService text(String method, String path, int status, String contentType, String body) {
        answers.put(method + " " + path, new Answer(status, contentType, body, Map.of()));
        return this;
    }

    /** The bare 401 of the real service (wrong name or password): no body, the Basic challenge. */
    FakePolicyService refusesLogin(String method, String path) {
        answers.put(method + " " + path, new Answer(401, null, null,
                Map.of("WWW-Authenticate", "Basic realm=\"opencode-egress-tuner\"")));
        return this;
    }

    /** The bare 403 of {@code @RolesAllowed}: no body. */
    FakePolicyService forbids(String method, String path) {
        answers.put(method + " " + path, new Answer(403, null, null, Map.of()));
        return this;
    }

    List<Request> requests() {
        return requests;
    }

    Request last() {
        return requests.getLast();
    }

    @Override
    public void close() {
        server.stop(0);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String user = null;
            String password = null;
            String authorization = exchange.getRequestHeaders().getFirst("Authorization");
            if (authorization != null && authorization.startsWith("Basic ")) {
                String pair = new String(Base64.getDecoder().decode(authorization.substring(6)), StandardCharsets.UTF_8);
                int colon = pair.indexOf(':');
                user = pair.substring(0, colon);
                password = pair.substring(colon + 1);
            }
            String path = exchange.getRequestURI().getRawPath();
            requests.add(new Request(exchange.getRequestMethod(), path, exchange.getRequestURI().getRawQuery(), user,
                    password, exchange.getRequestHeaders().getFirst("Accept"),
                    exchange.getRequestHeaders().getFirst("Content-Type"), body));
            Answer answer = answers.getOrDefault(exchange.getRequestMethod() + " " + path,
                    new Answer(404, null, null, Map.of()));
            answer.headers().forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
            if (answer.body() == null) {
                exchange.sendResponseHeaders(answer.status(), -1);
                return;
            }
            exchange.getResponseHeaders().add("Content-Type", answer.contentType());
            byte[] bytes = answer.body().getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(answer.status(), bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }
}
