package dev.opencode.tuner.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opencode.tuner.journal.JournalFixture;
import dev.opencode.tuner.stack.PartStatus;
import dev.opencode.tuner.stack.Stack;
import dev.opencode.tuner.stack.StackOptions;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The whole loop as {@code ./tuner up} runs it (journal → collector → Kafka → policy service → PostgreSQL) under
 * faults: after each fault every blocked event of the journal is counted by the policy service exactly once (events
 * and distinct destinations per host, each event having its own destination), and the API's security holds for every
 * endpoint the service documents.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WholeLoopFaultTest {
    private static final Duration WAIT = Duration.ofMinutes(3);
    private static final ObjectMapper JSON = new ObjectMapper();

    private Path root;
    private Path state;
    private Path journalFile;
    private StackOptions options;
    private String api;
    private String adminPassword;
    private long clock = JournalFixture.T0_USEC;
    private int next = 1;
    private final Map<String, Integer> expected = new HashMap<>();
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    void startTheStack() throws Exception {
        root = Files.createTempDirectory(Path.of("/tmp"), "whole-loop");
        // PostgreSQL runs as its own OS user, which must be able to traverse the state directory's parents.
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        state = root.resolve("state");
        Path journal = Files.createDirectories(root.resolve("journal"));
        journalFile = journal.resolve("system.journal");
        appendBlocked("loop-start", 5);
        options = StackOptions.defaults().withCollectorJournal(journal);
        Stack.up(state, options);
        api = part("policy").address();
        adminPassword = Files.readString(Stack.policyStateDirectory(state).resolve("initial-admin-password")).strip();
        awaitExactlyOnce("loop-start");
    }

    @AfterAll
    void stopTheStack() {
        if (state != null) {
            Stack.down(state);
        }
    }

    @Test
    void aCollectorKilledInTheMiddleOfABurstLosesNothingAndCountsNothingTwice() throws Exception {
        String host = "loop-sigkill";
        appendBlocked(host, 300);
        for (int chunk = 0; chunk < 6; chunk++) {
            appendBlocked(host, 200);
            if (chunk == 2) {
                signal("collector", "KILL"); // records in flight, the cursor behind what Kafka already has
            }
        }
        Stack.up(state, options); // as a supervisor would: the collector resumes from its cursor
        appendBlocked(host, 100);
        awaitExactlyOnce(host);
    }

    @Test
    void aKafkaRestartInTheMiddleOfABurstLosesNothingAndCountsNothingTwice() throws Exception {
        String host = "loop-kafka";
        appendBlocked(host, 200);
        signal("kafka", "TERM");
        for (int chunk = 0; chunk < 4; chunk++) {
            appendBlocked(host, 150); // the collector stops reading meanwhile; the policy service waits
            Thread.sleep(200);
        }
        Stack.up(state, options);
        appendBlocked(host, 100);
        awaitExactlyOnce(host);
    }

    @Test
    void aPostgresRestartInTheMiddleOfABurstLosesNothingAndCountsNothingTwice() throws Exception {
        String host = "loop-postgres";
        appendBlocked(host, 200);
        signal("postgres", "INT"); // PostgreSQL's fast shutdown: open transactions are rolled back
        for (int chunk = 0; chunk < 4; chunk++) {
            appendBlocked(host, 150); // the policy service retries its batch, never skips it
            Thread.sleep(200);
        }
        Stack.up(state, options);
        appendBlocked(host, 100);
        awaitExactlyOnce(host);
    }

    @Test
    void aPoisonRecordIsDeadLetteredAndTheEventsBehindItAreCounted() throws Exception {
        String host = "loop-poison";
        String bootstrap = part("kafka").address();
        byte[] poison = ("{\"schemaVersion\":1,\"poison\":\"" + System.nanoTime() + "\"")
                .getBytes(StandardCharsets.UTF_8);
        Properties producer = new Properties();
        producer.put("bootstrap.servers", bootstrap);
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(producer, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            for (int partition = 0; partition < 3; partition++) { // in front of whatever the collector produces
                p.send(new ProducerRecord<>("opencode.egress.blocked", partition, null, poison)).get();
            }
        }
        appendBlocked(host, 50);
        awaitExactlyOnce(host);

        Properties consumer = new Properties();
        consumer.put("bootstrap.servers", bootstrap);
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(consumer, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            TopicPartition dlq = new TopicPartition("opencode.egress.blocked.dlq", 0);
            c.assign(List.of(dlq));
            c.seekToBeginning(List.of(dlq));
            List<ConsumerRecord<byte[], byte[]>> letters = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (letters.size() < 3 && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    if (java.util.Arrays.equals(r.value(), poison)) {
                        letters.add(r);
                    }
                }
            }
            assertThat(letters).as("the three poison records on the dead-letter topic").hasSize(3);
            List<String> headers = new ArrayList<>();
            for (Header h : letters.get(0).headers()) {
                headers.add(h.key() + "=" + new String(h.value(), StandardCharsets.UTF_8));
            }
            assertThat(String.join("\n", headers)).as("the reason, in a header").contains("not JSON");
        }
    }

    @Test
    void spoofedUserspaceLinesAreNeverCounted() throws Exception {
        String host = "loop-spoof";
        JournalFixture fx = new JournalFixture().host(host).at(clock);
        for (String transport : List.of("stdout", "syslog", "journal")) { // an agent printing a kernel-like line
            fx.entry(transport, JournalFixture.tcpLine("web", "10.0.0.2", "203.0.113.66", 4444, 990));
        }
        write(fx);
        appendBlocked(host, 3);
        awaitExactlyOnce(host);
        JsonNode suggestions = get("/api/v1/suggestions?host=" + host, adminPassword);
        assertThat(suggestions.toString()).doesNotContain("203.0.113.66");
    }

    @Test
    void everyApiEndpointAnswers401WithoutCredentialsAnd403WithoutARoleAndLogsNoPassword() throws Exception {
        Path accounts = Stack.policyStateDirectory(state).resolve("accounts");
        String nobodyPassword = "nobody-" + System.nanoTime();
        String hash = at.favre.lib.crypto.bcrypt.BCrypt.withDefaults().hashToString(4, nobodyPassword.toCharArray());
        Files.writeString(accounts, "nobody:" + hash + ":\n", java.nio.file.StandardOpenOption.APPEND);

        JsonNode openapi = JSON.readTree(send(HttpRequest.newBuilder(URI.create(api + "/q/openapi?format=json"))
                .header("Authorization", basic("admin", adminPassword)).GET()).body());
        List<String> operations = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> paths = openapi.get("paths").fields(); paths.hasNext(); ) {
            Map.Entry<String, JsonNode> path = paths.next();
            if (!path.getKey().startsWith("/api/")) {
                continue;
            }
            String concrete = path.getKey().replaceAll("\\{[^}]+}", "00000000-0000-0000-0000-000000000000");
            for (Iterator<String> methods = path.getValue().fieldNames(); methods.hasNext(); ) {
                String method = methods.next().toUpperCase(java.util.Locale.ROOT);
                if (List.of("GET", "POST", "PUT", "PATCH", "DELETE").contains(method)) {
                    operations.add(method + " " + concrete);
                }
            }
        }
        assertThat(operations).as("the documented API").contains("GET /api/v1/instances", "GET /api/v1/suggestions");
        String wrongPassword = "wrong-" + System.nanoTime();
        for (String operation : operations) {
            String method = operation.substring(0, operation.indexOf(' '));
            URI uri = URI.create(api + operation.substring(operation.indexOf(' ') + 1));
            HttpRequest.BodyPublisher body = HttpRequest.BodyPublishers.ofString("{}");
            assertThat(send(HttpRequest.newBuilder(uri).method(method, body)
                    .header("Content-Type", "application/json")).statusCode()).as(operation + " anonymous")
                    .isEqualTo(401);
            assertThat(send(HttpRequest.newBuilder(uri).method(method, body).header("Content-Type", "application/json")
                    .header("Authorization", basic("admin", wrongPassword))).statusCode())
                    .as(operation + " wrong password").isEqualTo(401);
            assertThat(send(HttpRequest.newBuilder(uri).method(method, body).header("Content-Type", "application/json")
                    .header("Authorization", basic("nobody", nobodyPassword))).statusCode())
                    .as(operation + " without a role").isEqualTo(403);
        }
        String log = Files.readString(state.resolve("logs/policy.log"));
        assertThat(log).contains("wrong password for account 'admin'").doesNotContain(wrongPassword)
                .doesNotContain(adminPassword).doesNotContain(nobodyPassword);
    }

    // --- the journal, written as the kernel would ---

    private void appendBlocked(String host, int count) throws Exception {
        JournalFixture fx = new JournalFixture().host(host).at(clock);
        for (int i = 0; i < count; i++) {
            int n = next++; // every event its own destination: a lost and a doubled event cannot cancel out
            fx.kernel(JournalFixture.tcpLine("agent-" + (n % 4), "10.0.0.2",
                    "198.18." + (n / 250 % 250) + "." + (n % 250 + 1), 443, 990));
        }
        expected.merge(host, count, Integer::sum);
        write(fx);
    }

    private void write(JournalFixture fx) throws Exception {
        List<JournalFixture.Entry> entries = fx.entries();
        clock = entries.get(entries.size() - 1).realtimeUsec() + 1_000;
        fx.writeJournal(journalFile);
    }

    // --- what the policy service counted ---

    private void awaitExactlyOnce(String host) throws Exception {
        int want = expected.get(host);
        long deadline = System.nanoTime() + WAIT.toNanos();
        long[] counted = counted(host);
        while ((counted[0] < want || counted[1] < want) && System.nanoTime() < deadline) {
            Thread.sleep(500);
            counted = counted(host);
        }
        assertThat(counted).as(host + ": events and distinct destinations counted (see " + state.resolve("logs")
                + ")").containsExactly(want, want);
        Thread.sleep(3_000); // redeliveries still on their way would show up now
        assertThat(counted(host)).as(host + ": nothing counted twice").containsExactly(want, want);
    }

    private long[] counted(String host) throws Exception {
        long events = 0;
        long destinations = 0;
        JsonNode instances = get("/api/v1/instances", adminPassword).get("instances");
        for (JsonNode instance : instances) {
            if (instance.get("host").asText().equals(host)) {
                events += instance.get("events").asLong();
                destinations += instance.get("destinations").asLong();
            }
        }
        return new long[] {events, destinations};
    }

    private JsonNode get(String path, String password) throws Exception {
        HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(api + path))
                .header("Authorization", basic("admin", password)).GET());
        assertThat(response.statusCode()).as("GET " + path + ": " + response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    // --- faults ---

    private PartStatus part(String name) {
        return Stack.status(state).parts().stream().filter(p -> p.part().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError(name + " is not part of the stack in " + state));
    }

    /** Sends the signal to the part's process and waits until it is gone. */
    private void signal(String name, String signal) throws Exception {
        long pid = part(name).pid();
        assertThat(new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start().waitFor())
                .isZero();
        await(name + " (pid " + pid + ") exits after SIG" + signal, Duration.ofSeconds(60),
                () -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
    }

    private static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting until " + what);
            }
            Thread.sleep(200);
        }
    }
}
