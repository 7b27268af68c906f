package dev.opencode.tuner.export;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * git's smart HTTP over TLS on loopback: Debian's {@code git http-backend} run as a CGI program for each request,
 * behind the JDK's HTTPS server, which accepts one user and token through HTTP Basic (otherwise 401 with a Basic
 * challenge).
 * The certificate is made by {@link #certificate} with the JDK's keytool.
 */
final class GitHttpsServer implements AutoCloseable {
    static final String STORE_PASSWORD = "test-store";

    private final HttpsServer server;
    private final ExecutorService executor;
    private final Path projectRoot;
    private final String expectedAuthorization;
    private final String user;
    private final List<String> requests = new ArrayList<>();
    private final StringBuffer backendErrors = new StringBuffer();

    /** A self-signed certificate for IP 127.0.0.1: {@code keystore} (PKCS#12) and the certificate in PEM. */
    record Certificate(Path keystore, Path pem) {
    }

    static Certificate certificate(Path dir, String name) throws IOException, InterruptedException {
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Path keystore = dir.resolve(name + ".p12");
        Path pem = dir.resolve(name + ".pem");
        OpenSshServer.run(keytool, "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=" + name, "-ext", "san=ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", keystore.toString(), "-storepass", STORE_PASSWORD);
        OpenSshServer.run(keytool, "-exportcert", "-rfc", "-alias", "server", "-keystore", keystore.toString(),
                "-storepass", STORE_PASSWORD, "-file", pem.toString());
        return new Certificate(keystore, pem);
    }

    private GitHttpsServer(HttpsServer server, ExecutorService executor, Path projectRoot, String user,
            String token) {
        this.server = server;
        this.executor = executor;
        this.projectRoot = projectRoot;
        this.user = user;
        this.expectedAuthorization = "Basic " + Base64.getEncoder()
                .encodeToString((user + ":" + token).getBytes(StandardCharsets.UTF_8));
    }

    /** Serves the repositories under {@code projectRoot} to {@code user} with {@code token}. */
    static GitHttpsServer start(Path projectRoot, Certificate certificate, String user, String token)
            throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = java.nio.file.Files.newInputStream(certificate.keystore())) {
            store.load(in, STORE_PASSWORD.toCharArray());
        }
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, STORE_PASSWORD.toCharArray());
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(keys.getKeyManagers(), null, null);
        HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.setHttpsConfigurator(new HttpsConfigurator(tls));
        ExecutorService executor = Executors.newFixedThreadPool(4);
        server.setExecutor(executor);
        GitHttpsServer git = new GitHttpsServer(server, executor, projectRoot, user, token);
        server.createContext("/", git::handle);
        server.start();
        return git;
    }

    /** {@code https://127.0.0.1:PORT/NAME}. */
    String url(String repository) {
        return "https://127.0.0.1:" + server.getAddress().getPort() + "/" + repository;
    }

    /** One line per request: method, path and query, and the status answered. */
    List<String> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    /** What git http-backend wrote on its standard error. */
    String backendErrors() {
        return backendErrors.toString();
    }

    private void handle(HttpExchange exchange) throws IOException {
        String line = exchange.getRequestMethod() + " " + exchange.getRequestURI();
        try (exchange) {
            if (!expectedAuthorization.equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                exchange.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"git\"");
                exchange.sendResponseHeaders(401, -1);
                record(line + " 401");
                return;
            }
            cgi(exchange, line);
        } catch (IOException | RuntimeException e) {
            record(line + " failed: " + e);
            throw e;
        }
    }

    private void record(String line) {
        synchronized (requests) {
            requests.add(line);
        }
    }

    /** Runs git http-backend with the CGI/1.1 environment of the request (RFC 3875) and relays its answer. */
    private void cgi(HttpExchange exchange, String line) throws IOException {
        ProcessBuilder builder = new ProcessBuilder("git", "http-backend");
        Map<String, String> env = builder.environment();
        env.put("GATEWAY_INTERFACE", "CGI/1.1");
        env.put("SERVER_PROTOCOL", "HTTP/1.1");
        env.put("REQUEST_METHOD", exchange.getRequestMethod());
        env.put("PATH_INFO", exchange.getRequestURI().getPath());
        env.put("QUERY_STRING", exchange.getRequestURI().getRawQuery() == null ? ""
                : exchange.getRequestURI().getRawQuery());
        env.put("REMOTE_ADDR", exchange.getRemoteAddress().getAddress().getHostAddress());
        env.put("REMOTE_USER", user);
        env.put("AUTH_TYPE", "Basic");
        env.put("GIT_PROJECT_ROOT", projectRoot.toString());
        env.put("GIT_HTTP_EXPORT_ALL", "1");
        copyHeader(exchange, "Content-Type", env, "CONTENT_TYPE");
        copyHeader(exchange, "Content-Length", env, "CONTENT_LENGTH");
        copyHeader(exchange, "Content-Encoding", env, "HTTP_CONTENT_ENCODING");
        copyHeader(exchange, "Git-Protocol", env, "GIT_PROTOCOL");
        Process process = builder.start();
        Thread body = new Thread(() -> {
            try (OutputStream in = process.getOutputStream(); InputStream request = exchange.getRequestBody()) {
                request.transferTo(in);
            } catch (IOException e) {
                backendErrors.append("request body: ").append(e).append('\n');
            }
        }, "http-backend-stdin");
        Thread errors = new Thread(() -> {
            try (InputStream err = process.getErrorStream()) {
                backendErrors.append(new String(err.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                backendErrors.append("stderr: ").append(e).append('\n');
            }
        }, "http-backend-stderr");
        body.start();
        errors.start();
        InputStream out = process.getInputStream();
        int status = 200;
        for (String header; !(header = headerLine(out)).isEmpty(); ) {
            int colon = header.indexOf(':');
            String name = header.substring(0, colon).trim();
            String value = header.substring(colon + 1).trim();
            if (name.equalsIgnoreCase("Status")) {
                status = Integer.parseInt(value.split(" ")[0]);
            } else {
                exchange.getResponseHeaders().add(name, value);
            }
        }
        exchange.sendResponseHeaders(status, 0);
        record(line + " " + status); // before the body ends, which is when the client may look
        try (OutputStream response = exchange.getResponseBody()) {
            out.transferTo(response);
        }
        try {
            process.waitFor();
            body.join();
            errors.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while git http-backend ran");
        }
    }

    private static void copyHeader(HttpExchange exchange, String header, Map<String, String> env, String variable) {
        String value = exchange.getRequestHeaders().getFirst(header);
        if (value != null) {
            env.put(variable, value);
        }
    }

    /** One CGI header line without its CR LF (or LF); empty at the blank line or the end of the output. */
    private static String headerLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b; (b = in.read()) != -1 && b != '\n'; ) {
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
