package dev.opencode.tuner.it;

import dev.opencode.tuner.stack.KafkaAccounts;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The packaged collector application (collector/app's quarkus-app) run as a real process, as in production. */
final class CollectorProcess implements AutoCloseable {
    private final List<String> command;
    private final Path log;
    private final int httpPort;
    private Process process;

    /**
     * @param host the host the collector speaks for ({@code tuner.collector.host})
     * @param login that host's collector account; only the path of its password file is an argument
     * @param topic base name: blocked events go to {@code <topic>.<host>}
     * @param malformedTopic base name: malformed lines go to {@code <malformedTopic>.<host>}
     */
    CollectorProcess(Path journalDir, Path stateDir, String bootstrap, String host, KafkaAccounts.Login login,
                     String topic, String malformedTopic, Path log) throws IOException {
        Path root = Path.of(System.getProperty("tuner.root", "..")).toAbsolutePath().normalize();
        Path jar = root.resolve("collector/app/target/quarkus-app/quarkus-run.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: build collector/app first (mvn package)");
        }
        try (ServerSocket s = new ServerSocket(0)) {
            httpPort = s.getLocalPort();
        }
        this.log = log;
        command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-Xmx256m", "--enable-native-access=ALL-UNNAMED",
                "-Dquarkus.http.port=" + httpPort,
                "-Dtuner.collector.journal.directory=" + journalDir,
                "-Dtuner.collector.state-directory=" + stateDir,
                "-Dtuner.collector.host=" + host,
                "-Dtuner.collector.kafka.bootstrap-servers=" + bootstrap,
                "-Dtuner.collector.kafka.username=" + login.username(),
                "-Dtuner.collector.kafka.password-file=" + login.passwordFile(),
                "-Dtuner.collector.kafka.topic=" + topic,
                "-Dtuner.collector.kafka.malformed-topic=" + malformedTopic,
                "-Dtuner.collector.kafka.delivery-timeout=20s",
                "-Dtuner.collector.journal.poll-timeout=100ms",
                "-Dtuner.collector.journal.commit-interval=200ms",
                "-Dtuner.collector.host-state.enabled=false", // a test journal: not this host's nftables
                "-jar", jar.toString()));
    }

    /** Sets a system property of the collector (after the defaults above, so it wins). */
    CollectorProcess withProperty(String key, String value) {
        command.add(command.indexOf("-jar"), "-D" + key + "=" + value);
        return this;
    }

    CollectorProcess start() throws Exception {
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("the collector exited with " + process.exitValue() + ":\n"
                        + Files.readString(log));
            }
            try {
                if (get("/q/health/live").statusCode() == 200) {
                    return this;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the collector did not become live in 60 s:\n" + Files.readString(log));
    }

    /** SIGKILL: no shutdown hook, no final commit; the next start resumes from the last saved cursor. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    /** The value of a Prometheus counter or gauge without labels, or -1 when absent. */
    double metric(String name) throws IOException, InterruptedException {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(?:\\{[^}]*\\})? ([0-9.eE+-]+)$")
                .matcher(get("/q/metrics").body());
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(40, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }
}
