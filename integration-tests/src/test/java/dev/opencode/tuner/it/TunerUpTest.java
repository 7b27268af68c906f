package dev.opencode.tuner.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opencode.tuner.cli.Tuner;
import dev.opencode.tuner.journal.JournalFixture;
import dev.opencode.tuner.stack.KafkaAccounts;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

/** {@code ./tuner up / status / logs / down} on one machine, through the CLI, with the real services. */
class TunerUpTest {
    /** The {@code _HOSTNAME} of the test's journal, and so the host its collector speaks for ({@code --host}). */
    private static final String HOST = "up-host";

    record Run(int code, String out, String err) {
    }

    static Run tuner(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Tuner.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Run(code, out.toString(), err.toString());
    }

    /** {@code ./tuner up} with the test's journal, its collector speaking for the journal's host. */
    static Run up(Path state, Path journal) {
        return tuner("up", "--state-dir", state.toString(), "--journal-dir", journal.toString(), "--host", HOST);
    }

    @Test
    void upStartsEveryPartOnceStatusReportsThemAndDownStopsExactlyThose() throws Exception {
        Path root = Files.createTempDirectory(Path.of("/tmp"), "tuner-up");
        // PostgreSQL runs as its own OS user, which must be able to traverse the state directory's parents.
        Files.setPosixFilePermissions(root, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Path state = root.resolve("state");
        Path journal = root.resolve("journal");
        new JournalFixture().host(HOST)
                .kernel(JournalFixture.tcpLine("web", "10.0.0.2", "192.0.2.10", 443, 990))
                .kernel(JournalFixture.tcpLine("web", "10.0.0.2", "192.0.2.12", 443, 990))
                .writeJournal(journal.resolve("system.journal"));
        try {
            Run up = up(state, journal);
            assertThat(up.code()).as(up.err()).isZero();
            assertThat(up.out()).contains("Running").containsPattern("kafka +RUNNING")
                    .containsPattern("postgres +RUNNING").containsPattern("policy +RUNNING")
                    .containsPattern("collector +RUNNING").contains("/api/v1/suggestions")
                    .contains(state.resolve("policy/state/initial-admin-password").toString());

            // Metrics, health and OpenAPI on the policy service's management interface, a loopback port of its own;
            // its API port has none of them.
            dev.opencode.tuner.stack.PartStatus policyPart = dev.opencode.tuner.stack.Stack.status(state)
                    .part("policy").orElseThrow();
            String management = policyPart.managementAddress();
            assertThat(management).startsWith("http://127.0.0.1:").isNotEqualTo(policyPart.address());
            assertThat(up.out()).contains("Management (this machine only): " + management + "/q/openapi");
            assertThat(httpStatus(management + "/q/metrics")).isEqualTo(200);
            assertThat(httpStatus(management + "/q/health/ready")).isEqualTo(200);
            assertThat(httpStatus(management + "/q/openapi")).isEqualTo(200);
            for (String path : List.of("/q/metrics", "/q/openapi", "/q/health")) {
                assertThat(httpStatus(policyPart.address() + path)).as(path + " on the API port").isEqualTo(404);
            }

            Run again = up(state, journal);
            assertThat(again.code()).isZero();
            assertThat(again.out()).startsWith("Already running");

            Run status = tuner("status", "--state-dir", state.toString());
            assertThat(status.code()).isZero();
            assertThat(status.out()).containsPattern("policy +RUNNING +" + Pattern.quote(policyPart.address())
                    + " +live; health and metrics at " + Pattern.quote(management));
            Matcher kafka = Pattern.compile("kafka +RUNNING +(127\\.0\\.0\\.1:\\d+)").matcher(status.out());
            assertThat(kafka.find()).as(status.out()).isTrue();

            // The host's own topic, read with the broker's login (a super user) from the state directory.
            assertThat(consume(kafka.group(1), KafkaLogins.broker(state), "opencode.egress.blocked." + HOST, 2))
                    .allSatisfy(r -> {
                        assertThat(r.key()).isEqualTo(HOST + "/web");
                        assertThat(r.value()).contains("\"destination\":\"192.0.2.1");
                    });

            // A part killed hard: status says it was found dead, and an operator's first reflex (up) heals the stack.
            long collectorPid = dev.opencode.tuner.stack.Stack.status(state).part("collector").orElseThrow().pid();
            ProcessHandle collector = ProcessHandle.of(collectorPid).orElseThrow();
            assertThat(collector.destroyForcibly()).isTrue();
            collector.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
            Run dead = tuner("status", "--state-dir", state.toString());
            assertThat(dead.code()).as(dead.out()).isEqualTo(3);
            assertThat(dead.out()).containsPattern("collector +DOWN").containsPattern("kafka +RUNNING")
                    .contains("Found dead: collector. Run ./tuner up to start it again");
            Run healed = up(state, journal);
            assertThat(healed.code()).as(healed.err()).isZero();
            assertThat(healed.out()).contains("Found dead and started again: collector (")
                    .containsPattern("collector +RUNNING").doesNotContain("Found dead and started again: kafka");
            assertThat(dev.opencode.tuner.stack.Stack.status(state).part("collector").orElseThrow().pid())
                    .isNotEqualTo(collectorPid);

            // The whole loop: journal -> collector -> Kafka -> policy -> PostgreSQL -> API, with the local credentials.
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            Run suggestions;
            do {
                Thread.sleep(300);
                suggestions = tuner("suggestions", "--state-dir", state.toString(), "--format", "json");
            } while (!suggestions.out().contains("192.0.2.12") && System.nanoTime() < deadline);
            assertThat(suggestions.code()).as(suggestions.err()).isZero();
            assertThat(suggestions.out()).contains("\"host\":\"up-host\"").contains("\"cidr\":\"192.0.2.10/32\"")
                    .contains("\"cidr\":\"192.0.2.12/32\"");
            Run text = tuner("suggestions", "--state-dir", state.toString(), "--host", "up-host", "--instance", "web");
            assertThat(text.code()).as(text.err()).isZero();
            assertThat(text.out()).contains("up-host / web: 2 blocked events to 2 destinations")
                    .containsPattern("[0-9a-f]{32}  allow 192\\.0\\.2\\.10/32")
                    // One event each: held back by the stabilisation rule, and counted apart as the review UI does.
                    .contains("(held back by the stabilisation rule)")
                    .contains("0 pending suggestions; 2 more held back by the stabilisation rule.");
            assertThat(tuner("suggestions", "--state-dir", state.toString(), "--instance", "Bad!").code())
                    .isEqualTo(2);
            assertThat(tuner("suggestions", "--state-dir", state.toString(), "--user", "admin", "--password-file",
                    journal.resolve("system.journal").toString()).code()).isEqualTo(1);

            // Logs name accounts, addresses and paths: 0640 at most, each part's file.
            try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(state.resolve("logs"))) {
                List<Path> logFiles = files.filter(java.nio.file.Files::isRegularFile).toList();
                assertThat(logFiles).extracting(f -> f.getFileName().toString())
                        .contains("kafka.log", "kafka.out", "postgres.log", "policy.log", "collector.log");
                for (Path f : logFiles) {
                    assertThat(java.nio.file.Files.getPosixFilePermissions(f)).as(f.toString())
                            .isSubsetOf(java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));
                }
            }
            // The UI's session key is a private file of the policy service's state, and never in its log.
            Path sessionKey = state.resolve("policy").resolve("state").resolve("session-key");
            assertThat(java.nio.file.Files.getPosixFilePermissions(sessionKey))
                    .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            assertThat(state.resolve("logs").resolve("policy.log")).content()
                    .doesNotContain(java.nio.file.Files.readString(sessionKey).strip()).doesNotContain("temporary key");

            // A UI session survives a restart of the policy service: the key is the state directory's, not per start.
            String password = Files.readString(state.resolve("policy/state/initial-admin-password")).strip();
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient(); // follows no redirect
            String policyAddress = dev.opencode.tuner.stack.Stack.status(state).part("policy").orElseThrow().address();
            java.net.http.HttpResponse<String> login = http.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(policyAddress + "/j_security_check"))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("j_username=admin&j_password="
                            + java.net.URLEncoder.encode(password, java.nio.charset.StandardCharsets.UTF_8))).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(login.statusCode()).isEqualTo(302);
            String session = login.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith("tuner-session="))
                    .map(c -> c.substring(0, c.indexOf(';'))).findFirst().orElseThrow();
            ProcessHandle policy = ProcessHandle.of(dev.opencode.tuner.stack.Stack.status(state).part("policy")
                    .orElseThrow().pid()).orElseThrow();
            assertThat(policy.destroyForcibly()).isTrue();
            policy.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
            Run restarted = up(state, journal);
            assertThat(restarted.code()).as(restarted.err()).isZero();
            assertThat(restarted.out()).contains("Found dead and started again: policy (");
            assertThat(dev.opencode.tuner.stack.Stack.status(state).part("policy").orElseThrow().managementAddress())
                    .as("the management port is chosen once, like the API port").isEqualTo(management);
            String restartedAddress = dev.opencode.tuner.stack.Stack.status(state).part("policy").orElseThrow()
                    .address();
            java.net.http.HttpResponse<String> page = http.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(restartedAddress + "/ui")).header("Cookie", session).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(page.statusCode()).as("the session cookie after a restart").isEqualTo(200);
            assertThat(state.resolve("logs").resolve("policy.log")).content()
                    .doesNotContain(Files.readString(sessionKey).strip()).doesNotContain("temporary key");

            Run logs = tuner("logs", "--state-dir", state.toString(), "collector", "-n", "200");
            assertThat(logs.code()).isZero();
            assertThat(logs.out()).contains("collector.log").contains("following " + journal);
            assertThat(tuner("logs", "--state-dir", state.toString(), "kafak").code()).isEqualTo(2);
            Run down = tuner("down", "--state-dir", state.toString());
            assertThat(down.code()).as(down.err()).isZero();
            assertThat(down.out()).containsPattern("collector +STOPPED").containsPattern("policy +STOPPED")
                    .containsPattern("kafka +STOPPED");
        } finally {
            tuner("down", "--state-dir", state.toString()); // a no-op after the down above; cleans up on failure
        }
        Run after = tuner("status", "--state-dir", state.toString());
        assertThat(after.code()).isEqualTo(3);
        assertThat(after.out()).doesNotContain("RUNNING");
    }

    private static int httpStatus(String url) throws Exception {
        try (java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient()) {
            return http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
                    .timeout(Duration.ofSeconds(10)).build(), java.net.http.HttpResponse.BodyHandlers.discarding())
                    .statusCode();
        }
    }

    private static List<ConsumerRecord<String, String>> consume(String bootstrap, KafkaAccounts.Login login,
                                                                String topic, int count) {
        Properties p = KafkaLogins.client(login, bootstrap);
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p, new StringDeserializer(),
                new StringDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            c.partitionsFor(topic).forEach(i -> partitions.add(new TopicPartition(topic, i.partition())));
            c.assign(partitions);
            c.seekToBeginning(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (records.size() < count && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        assertThat(records).hasSize(count);
        return records;
    }
}
