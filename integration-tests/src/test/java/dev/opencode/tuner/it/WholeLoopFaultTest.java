package dev.opencode.tuner.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opencode.tuner.journal.JournalFixture;
import dev.opencode.tuner.kafka.HostTopics;
import dev.opencode.tuner.stack.PartStatus;
import dev.opencode.tuner.stack.Stack;
import dev.opencode.tuner.stack.StackOptions;
import dev.opencode.tuner.stack.TunerTopics;
import java.io.IOException;
import java.net.URI;
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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The whole loop as {@code ./tuner up} runs it (journal → collector → Kafka → policy service → PostgreSQL) under
 * faults: after each fault every blocked event of the journal is counted by the policy service exactly once (events
 * and distinct destinations per scenario, each event having its own destination), and the API's security holds for
 * every endpoint the service documents. The journal is one host's ({@value #HOST}, the host the stack's collector
 * speaks for: entries of another host would be set aside as malformed); each test's events are of its own instances,
 * {@code <scenario>-0} to {@code <scenario>-3}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WholeLoopFaultTest {
    private static final Duration WAIT = Duration.ofMinutes(3);
    /**
     * With this system property set, every fault is left out: each fault test must then fail, which shows that its
     * assertions prove the fault happened ({@code ./mvnw -pl integration-tests -am verify -Dtest=WholeLoopFaultTest
     * -Dtuner.test.without-faults=true}).
     */
    static final String WITHOUT_FAULTS_PROPERTY = "tuner.test.without-faults";
    private static final boolean WITHOUT_FAULTS = Boolean.getBoolean(WITHOUT_FAULTS_PROPERTY);
    /** A burst the collector needs a second or more for: long enough to kill a part in its middle. */
    private static final int BURST = 12_000;
    /** The collector's producer delivery timeout, shortened so that an outage can outlast it. */
    private static final Duration DELIVERY_TIMEOUT = Duration.ofSeconds(6);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The {@code _HOSTNAME} of every journal entry here (JournalFixture's), and the collector's host. */
    private static final String HOST = "web-1";
    /** The host's blocked-event topic, which only its collector's account may write. */
    private static final String TOPIC = HostTopics.topic(TunerTopics.defaults().blocked(), HOST);
    /**
     * Instances per scenario: {@code <scenario>-0} to {@code <scenario>-7}. Every event has its own destination and
     * the policy service aggregates at most 10,000 destinations per instance (more are counted as overflow), so a
     * scenario may write up to 80,000 events: the policy kill's four bursts of 12,000 need more than four instances.
     */
    private static final int INSTANCES = 8;

    private Path root;
    private Path state;
    private Path journalFile;
    private StackOptions options;
    private String api;
    private String adminPassword;
    private long clock = JournalFixture.T0_USEC;
    private int next = 1;
    private final Map<String, Integer> expected = new HashMap<>();

    @BeforeAll
    void startTheStack() throws Exception {
        root = Files.createTempDirectory(Path.of("/tmp"), "whole-loop");
        // PostgreSQL runs as its own OS user, which must be able to traverse the state directory's parents.
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        state = root.resolve("state");
        Path journal = Files.createDirectories(root.resolve("journal"));
        journalFile = journal.resolve("system.journal");
        appendBlocked("loop-start", 5);
        options = StackOptions.defaults().withCollectorJournal(journal).withCollectorHost(HOST)
                .withServiceSetting("collector", "tuner.collector.kafka.delivery-timeout",
                        DELIVERY_TIMEOUT.toSeconds() + "s")
                // Cursor saves at most every 5 s: a kill in a burst surely lands between a save and the next.
                .withServiceSetting("collector", "tuner.collector.journal.commit-interval", "5s");
        Stack.up(state, options);
        api = part("policy").address();
        adminPassword = Files.readString(Stack.policyStateDirectory(state).resolve("initial-admin-password")).strip();
        awaitExactlyOnce("loop-start");
    }

    /** A test that failed between a kill and the heal must not fail the next ones: start whatever is down. */
    @BeforeEach
    void healTheStack() {
        Stack.up(state, options);
    }

    @AfterAll
    void stopTheStack() {
        if (state != null) {
            Stack.down(state);
        }
    }

    @Test
    void aCollectorKilledWithRecordsInFlightRereadsFromItsCursorAndCountsEachEventOnce() throws Exception {
        String scenario = "loop-collector-kill";
        double producedBefore = metric("collector", "tuner_collector_blocked_produced_total");
        double duplicatesBefore = metric("policy", "tuner_policy_events_duplicates_total");
        // Kill it while it produces: records sent and not yet acknowledged, the cursor behind what Kafka has. Left to
        // scheduling, records are in flight only for moments that polls on a loaded machine were seen to miss for
        // minutes, and an idle machine acknowledges a whole burst before one poll sees it begin. So the burst comes in
        // two parts: once the first is acknowledged, the broker is paused (SIGSTOP); the second is then read and sent
        // but cannot be acknowledged (for up to the 6 s delivery timeout); the kill lands on records surely in flight,
        // and the broker goes on (SIGCONT) once the collector is dead. Without faults, neither pause nor kill happens.
        int first = BURST / 10;
        long broker = part("kafka").pid();
        long pid = part("collector").pid();
        double[] atKill;
        try (ServiceMetrics.Poller collector = new ServiceMetrics.Poller(part("collector").managementAddress())) {
            appendBlocked(scenario, first);
            await("the first " + first + " records are acknowledged", WAIT, () -> ServiceMetrics.sum(
                    collector.scrape(), "tuner_collector_blocked_produced_total") - producedBefore >= first);
            boolean paused = false;
            try {
                if (!WITHOUT_FAULTS) {
                    sendSignal(broker, "STOP");
                    paused = true;
                }
                appendBlocked(scenario, BURST - first);
                double[][] seen = new double[1][];
                await("records of the second part in flight", WAIT, () -> {
                    String scrape = collector.scrape(); // both values of one instant
                    double inFlight = ServiceMetrics.sum(scrape, "tuner_collector_in_flight");
                    double produced = ServiceMetrics.sum(scrape, "tuner_collector_blocked_produced_total")
                            - producedBefore;
                    seen[0] = new double[] {inFlight, produced};
                    return inFlight > 0;
                });
                atKill = seen[0];
                killHard("collector", pid);
            } finally {
                if (paused) {
                    sendSignal(broker, "CONT");
                }
            }
        }
        Stack.up(state, options); // as a supervisor would: the collector resumes after its saved cursor
        assertThat(atKill[1]).as("killed in the middle of the burst").isLessThan(BURST);
        appendBlocked(scenario, 100);
        awaitExactlyOnce(scenario);

        long records = kafkaRecords(scenario);
        int events = expected.get(scenario);
        // The new process counts from zero: it produced every entry after its saved cursor, which is never past what
        // was acknowledged at the kill. The broker may have dropped the in-flight records with the dead connection
        // (then only the entries between the cursor and the acknowledged position are in Kafka twice) or kept them
        // (then they are in Kafka twice too); either way the entries not acknowledged were read again.
        double producedAfter = metric("collector", "tuner_collector_blocked_produced_total");
        System.out.printf("[fault] collector SIGKILL: %.0f records in flight, %.0f of %d acknowledged at the kill;"
                + " the new process produced %.0f; Kafka holds %d records for %d events%n", atKill[0], atKill[1],
                BURST, producedAfter, records, events);
        assertThat(part("collector").pid()).as("a new collector process after the kill").isNotEqualTo(pid);
        assertThat(producedAfter).as("records the new collector produced: at least every entry not acknowledged at"
                + " the kill (" + (int) atKill[0] + " were in flight), read again from its saved cursor")
                .isGreaterThanOrEqualTo(BURST - atKill[1] + 100);
        assertThat(records).as("records of " + scenario + " in Kafka").isGreaterThanOrEqualTo(events);
        // The counter moves when a batch is committed, a moment after its rows are visible.
        await("the policy service counts the " + (records - events) + " redeliveries", Duration.ofSeconds(30),
                () -> metric("policy", "tuner_policy_events_duplicates_total") - duplicatesBefore >= records - events);
    }

    @Test
    void aKafkaBrokerKilledHardInTheMiddleOfABurstLosesNothingAndCountsNothingTwice() throws Exception {
        String scenario = "loop-kafka-kill";
        double producedBefore = metric("collector", "tuner_collector_blocked_produced_total");
        awaitThenKill(scenario, "kafka", () -> metric("collector", "tuner_collector_blocked_produced_total")
                > producedBefore ? new double[0] : null);
        appendBlocked(scenario, 2_000); // read while the broker is dead: produced, never acknowledged
        await("the collector holds records Kafka has not acknowledged", Duration.ofSeconds(30),
                () -> metric("collector", "tuner_collector_in_flight") > 0);
        long logBefore = Files.size(state.resolve("logs/kafka.log"));
        Stack.up(state, options);
        assertThat(tailFrom(state.resolve("logs/kafka.log"), logBefore))
                .as("the broker was not shut down cleanly: it recovers its logs at the restart")
                .contains("since no clean shutdown file was found");
        appendBlocked(scenario, 100);
        awaitExactlyOnce(scenario);
    }

    @Test
    void aBrokerOutageLongerThanTheDeliveryTimeoutFailsSendsRewindsAndLosesNothing() throws Exception {
        String scenario = "loop-kafka-outage";
        appendBlocked(scenario, 200);
        awaitExactlyOnce(scenario);
        double errorsBefore = metric("collector", "tuner_collector_produce_errors_total");
        double rewindsBefore = metric("collector", "tuner_collector_rewinds_total");
        signal("kafka", "TERM");
        appendBlocked(scenario, 600); // the collector sends them; the broker is gone
        await("sends fail after the delivery timeout (" + DELIVERY_TIMEOUT + ")", DELIVERY_TIMEOUT.multipliedBy(6),
                () -> metric("collector", "tuner_collector_produce_errors_total") > errorsBefore
                        && metric("collector", "tuner_collector_rewinds_total") > rewindsBefore);
        Thread.sleep(DELIVERY_TIMEOUT.toMillis()); // and fail again: the outage outlasts several timeouts
        appendBlocked(scenario, 300);
        Stack.up(state, options);
        appendBlocked(scenario, 100);
        awaitExactlyOnce(scenario);
        assertThat(Files.readString(state.resolve("logs/collector.log")))
                .contains("delivery failed, will re-read from the saved cursor");
    }

    @Test
    void aPostgresRestartInTheMiddleOfABurstLosesNothingAndCountsNothingTwice() throws Exception {
        String scenario = "loop-postgres";
        appendBlocked(scenario, 200);
        signal("postgres", "INT"); // PostgreSQL's fast shutdown: open transactions are rolled back
        for (int chunk = 0; chunk < 4; chunk++) {
            appendBlocked(scenario, 150); // the policy service retries its batch, never skips it
            Thread.sleep(200);
        }
        Stack.up(state, options);
        appendBlocked(scenario, 100);
        awaitExactlyOnce(scenario);
    }

    @Test
    void aPostgresKilledHardInTheMiddleOfABurstRecoversAndCountsEachEventOnce() throws Exception {
        String scenario = "loop-postgres-kill";
        Path log = state.resolve("logs/postgres.log");
        double errorsBefore = metric("policy", "tuner_policy_database_errors_total");
        // The postmaster, SIGKILL.
        awaitThenKill(scenario, "postgres", () -> counted(scenario)[0] > 0 ? new double[0] : null);
        appendBlocked(scenario, 500);
        await("the policy service's batch fails and is retried", Duration.ofSeconds(60),
                () -> metric("policy", "tuner_policy_database_errors_total") > errorsBefore);
        long logBefore = Files.size(log);
        Stack.up(state, options);
        assertThat(tailFrom(log, logBefore)).as("PostgreSQL's crash recovery at the restart")
                .contains("automatic recovery in progress");
        appendBlocked(scenario, 100);
        awaitExactlyOnce(scenario);
    }

    @Test
    void aPolicyServiceKilledHardMidTransactionCountsEachEventOnceAfterTheRestart() throws Exception {
        String scenario = "loop-policy-kill";
        Path log = state.resolve("logs/postgres.log");
        // A kill between two transactions proves less: repeat until PostgreSQL saw the client die inside one.
        boolean midTransaction = false;
        long lagAtKill = 0;
        int rounds = 0;
        // A round counts only when both happened at its kill: an open transaction died (the service has others than
        // the ingest's: recomputation, metrics) and records were read but not committed (the ingest was mid-batch).
        boolean proven = false;
        for (int round = 1; round <= 4 && !proven; round++) {
            rounds = round;
            long logBefore = Files.size(log);
            // Killed as soon as its first batch of the burst is committed, seen on its own counter over one kept
            // connection: the API's counts were seen to arrive only after an idle machine had consumed the whole burst.
            double appliedBefore = metric("policy", "tuner_policy_events_applied_total");
            try (ServiceMetrics.Poller policy = new ServiceMetrics.Poller(part("policy").managementAddress())) {
                awaitThenKill(scenario, "policy", () -> ServiceMetrics.sum(policy.scrape(),
                        "tuner_policy_events_applied_total") > appliedBefore ? new double[0] : null);
            }
            long lag = uncommittedRecords();
            boolean died = false;
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (!died && System.nanoTime() < deadline) {
                died = tailFrom(log, logBefore).contains("unexpected EOF on client connection with an open"
                        + " transaction");
                Thread.sleep(100);
            }
            midTransaction = midTransaction || died;
            lagAtKill = Math.max(lagAtKill, lag);
            proven = died && lag > 0;
            Stack.up(state, options);
        }
        System.out.printf("[fault] policy SIGKILL: inside a transaction %s after %d round(s); %d records beyond the"
                + " committed offsets%n", midTransaction, rounds, lagAtKill);
        assertThat(midTransaction).as("a kill landed inside a database transaction of the policy service").isTrue();
        assertThat(lagAtKill).as("records read but not committed at the kill: delivered again").isPositive();
        assertThat(proven).as("one kill landed inside a transaction while the ingest had records read and not"
                + " committed").isTrue();
        appendBlocked(scenario, 100);
        awaitExactlyOnce(scenario);
    }

    @Test
    void aPoisonRecordIsDeadLetteredAndTheEventsBehindItAreCounted() throws Exception {
        String scenario = "loop-poison";
        String bootstrap = part("kafka").address();
        byte[] poison = ("{\"schemaVersion\":1,\"poison\":\"" + System.nanoTime() + "\"")
                .getBytes(StandardCharsets.UTF_8);
        // Written as the host's collector to the host's topic: the only writer the broker lets in.
        Properties producer = KafkaLogins.client(KafkaLogins.collector(state, HOST), bootstrap);
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(producer, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            for (int partition = 0; partition < partitions(); partition++) { // in front of what the collector sends
                p.send(new ProducerRecord<>(TOPIC, partition, null, poison)).get();
            }
        }
        appendBlocked(scenario, 50);
        awaitExactlyOnce(scenario);

        Properties consumer = KafkaLogins.client(KafkaLogins.broker(state), bootstrap);
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(consumer, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            TopicPartition dlq = new TopicPartition(TunerTopics.defaults().blockedDeadLetter(), 0);
            c.assign(List.of(dlq));
            c.seekToBeginning(List.of(dlq));
            List<ConsumerRecord<byte[], byte[]>> letters = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (letters.size() < partitions() && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    if (java.util.Arrays.equals(r.value(), poison)) {
                        letters.add(r);
                    }
                }
            }
            assertThat(letters).as("the poison records on the dead-letter topic").hasSize(partitions());
            List<String> headers = new ArrayList<>();
            for (Header h : letters.get(0).headers()) {
                headers.add(h.key() + "=" + new String(h.value(), StandardCharsets.UTF_8));
            }
            assertThat(String.join("\n", headers)).as("the reason, in a header").contains("not JSON");
        }
    }

    @Test
    void spoofedUserspaceLinesAreNeverCounted() throws Exception {
        String scenario = "loop-spoof";
        JournalFixture fx = new JournalFixture().at(clock);
        for (String transport : List.of("stdout", "syslog", "journal")) { // an agent printing a kernel-like line
            fx.entry(transport, JournalFixture.tcpLine(instance(scenario, 0), "10.0.0.2", "203.0.113.66", 4444, 990));
        }
        write(fx);
        appendBlocked(scenario, 3);
        awaitExactlyOnce(scenario);
        JsonNode suggestions = get("/api/v1/suggestions?host=" + HOST + "&instance=" + instance(scenario, 0),
                adminPassword);
        assertThat(suggestions.toString()).doesNotContain("203.0.113.66");
    }

    @Test
    void everyApiEndpointAnswers401WithoutCredentialsAnd403WithoutARoleAndLogsNoPassword() throws Exception {
        Path accounts = Stack.policyStateDirectory(state).resolve("accounts");
        String nobodyPassword = "nobody-" + System.nanoTime();
        String hash = at.favre.lib.crypto.bcrypt.BCrypt.withDefaults().hashToString(4, nobodyPassword.toCharArray());
        Files.writeString(accounts, "nobody:" + hash + ":\n", java.nio.file.StandardOpenOption.APPEND);

        JsonNode openapi = JSON.readTree(send(HttpRequest.newBuilder(URI.create(part("policy").managementAddress()
                + "/q/openapi?format=json")).GET()).body());
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

    private void appendBlocked(String scenario, int count) throws Exception {
        JournalFixture fx = new JournalFixture().at(clock); // of HOST
        for (int i = 0; i < count; i++) {
            int n = next++; // every event its own destination: a lost and a doubled event cannot cancel out
            fx.kernel(JournalFixture.tcpLine(instance(scenario, n % INSTANCES), "10.0.0.2", destination(n), 443, 990));
        }
        expected.merge(scenario, count, Integer::sum);
        write(fx);
    }

    /** The i-th instance of a scenario: its events are told apart from the other tests' by their instances. */
    private static String instance(String scenario, int i) {
        return scenario + "-" + i;
    }

    /** Whether an instance name is one of the scenario's. */
    private static boolean isOf(String scenario, String instance) {
        return instance.matches(java.util.regex.Pattern.quote(scenario) + "-[0-9]+");
    }

    /** The n-th of 128,000 distinct addresses in 198.18.0.0/15. */
    private static String destination(int n) {
        if (n >= 128_000) {
            throw new IllegalStateException("more events than distinct destinations: make the bursts smaller");
        }
        return "198." + (18 + n / 64_000) + "." + (n / 250 % 256) + "." + (n % 250 + 1);
    }

    private void write(JournalFixture fx) throws Exception {
        List<JournalFixture.Entry> entries = fx.entries();
        clock = entries.get(entries.size() - 1).realtimeUsec() + 1_000;
        fx.writeJournal(journalFile);
    }

    // --- what the policy service counted ---

    /**
     * Waits until the policy service counted every event of {@code scenario} and checks that nothing more arrives: as
     * each event has its own destination, events = destinations = the number written means each destination was
     * counted exactly once (a lost event and a doubled one cannot cancel out).
     */
    private void awaitExactlyOnce(String scenario) throws Exception {
        int want = expected.get(scenario);
        long deadline = System.nanoTime() + WAIT.toNanos();
        long[] counted = counted(scenario);
        while ((counted[0] < want || counted[1] < want) && System.nanoTime() < deadline) {
            Thread.sleep(500);
            counted = counted(scenario);
        }
        assertThat(counted).as(scenario + ": events and distinct destinations counted (see " + state.resolve("logs")
                + ")").containsExactly(want, want);
        Thread.sleep(3_000); // redeliveries still on their way would show up now
        assertThat(counted(scenario)).as(scenario + ": nothing counted twice").containsExactly(want, want);
    }

    private long[] counted(String scenario) throws Exception {
        long events = 0;
        long destinations = 0;
        JsonNode instances = get("/api/v1/instances", adminPassword).get("instances");
        for (JsonNode instance : instances) {
            if (instance.get("host").asText().equals(HOST) && isOf(scenario, instance.get("instance").asText())) {
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
        HttpRequest built = request.timeout(Duration.ofSeconds(30)).build();
        return Bounded.send(built, Duration.ofSeconds(40), built.method() + " " + built.uri());
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    // --- faults ---

    private PartStatus part(String name) {
        return Stack.status(state).parts().stream().filter(p -> p.part().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError(name + " is not part of the stack in " + state));
    }

    /**
     * Appends a burst of {@link #BURST} events of {@code scenario} to the journal and, while they are written and
     * followed, polls {@code moment} until it returns a value (the state that makes the kill bite); then sends SIGKILL
     * to the part, waits until its process is gone and the burst is written, and returns that value.
     */
    private double[] awaitThenKill(String scenario, String name, ThrowingSupplier<double[]> moment) throws Exception {
        long pid = part(name).pid();
        java.util.concurrent.CompletableFuture<Void> burst = java.util.concurrent.CompletableFuture.runAsync(() -> {
            try {
                appendBlocked(scenario, BURST);
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
        long deadline = System.nanoTime() + WAIT.toNanos();
        double[] seen;
        String unanswered = null;
        while (true) {
            try {
                seen = moment.get();
            } catch (AssertionError e) { // a scrape without an answer in time, on a loaded machine: ask again
                seen = null;
                unanswered = e.getMessage();
            }
            if (seen != null) {
                break;
            }
            if (System.nanoTime() > deadline) {
                burst.join();
                throw new AssertionError("timed out waiting for the moment to kill " + name
                        + (unanswered == null ? "" : " (last unanswered scrape: " + unanswered + ")"));
            }
            Thread.sleep(2);
        }
        killHard(name, pid);
        burst.join();
        return seen;
    }

    /** SIGKILL of a part's process, waited for until it is gone; left out without faults. */
    private static void killHard(String name, long pid) throws Exception {
        if (WITHOUT_FAULTS) {
            System.out.println("[fault] SIGKILL of " + name + " left out (-D" + WITHOUT_FAULTS_PROPERTY + ")");
            return;
        }
        sendSignal(pid, "KILL");
        await(name + " (pid " + pid + ") is gone after SIGKILL", Duration.ofSeconds(30),
                () -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
    }

    /** Sends a signal to a process and returns at once (SIGSTOP, SIGCONT, and SIGKILL for {@link #killHard}). */
    private static void sendSignal(long pid, String signal) throws Exception {
        assertThat(new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).start().waitFor())
                .as("kill -%s %d", signal, pid).isZero();
    }

    /** A check that may throw (HTTP, files). */
    @FunctionalInterface
    private interface ThrowingSupplier<T> {
        T get() throws Exception;
    }

    /** The sum of a metric's series on a part's {@code /q/metrics} (management interface), or 0 when it has none. */
    private double metric(String part, String name) {
        return ServiceMetrics.sum(part(part).managementAddress(), name, null);
    }

    /** The records of {@code scenario} on the host's blocked-event topic, duplicates included. */
    private long kafkaRecords(String scenario) {
        Properties consumer = KafkaLogins.client(KafkaLogins.broker(state), part("kafka").address());
        String prefix = HOST + "/";
        long count = 0;
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(consumer, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = c.partitionsFor(TOPIC).stream()
                    .map(i -> new TopicPartition(i.topic(), i.partition())).toList();
            c.assign(partitions);
            c.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = c.endOffsets(partitions);
            while (partitions.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    String key = r.key() == null ? "" : new String(r.key(), StandardCharsets.UTF_8);
                    if (key.startsWith(prefix) && isOf(scenario, key.substring(prefix.length()))) {
                        count++;
                    }
                }
            }
        }
        return count;
    }

    /** Records on the host's blocked-event topic beyond the policy service's committed offsets. */
    private long uncommittedRecords() throws Exception {
        Properties admin = KafkaLogins.client(KafkaLogins.broker(state), part("kafka").address());
        try (org.apache.kafka.clients.admin.Admin a = org.apache.kafka.clients.admin.Admin.create(admin)) {
            Map<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> committed = a
                    .listConsumerGroupOffsets("opencode-egress-policy").partitionsToOffsetAndMetadata()
                    .get(30, java.util.concurrent.TimeUnit.SECONDS);
            Map<TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> latest = new HashMap<>();
            for (int p = 0; p < partitions(); p++) {
                latest.put(new TopicPartition(TOPIC, p),
                        org.apache.kafka.clients.admin.OffsetSpec.latest());
            }
            long lag = 0;
            for (var e : a.listOffsets(latest).all().get(30, java.util.concurrent.TimeUnit.SECONDS).entrySet()) {
                var c = committed.get(e.getKey());
                lag += e.getValue().offset() - (c == null ? 0 : c.offset());
            }
            return lag;
        }
    }

    /** The partitions of the host's blocked-event topic, as the stack creates it. */
    private static int partitions() {
        return TunerTopics.defaults().forHost(HOST).get(TOPIC);
    }

    /** What was appended to a log file after it had {@code from} bytes. */
    private static String tailFrom(Path log, long from) throws IOException {
        byte[] all = Files.readAllBytes(log);
        return new String(all, (int) Math.min(from, all.length), (int) Math.max(0, all.length - from),
                StandardCharsets.UTF_8);
    }

    /** Sends the signal to the part's process and waits until it is gone. */
    private void signal(String name, String signal) throws Exception {
        long pid = part(name).pid();
        if (WITHOUT_FAULTS) {
            System.out.println("[fault] SIG" + signal + " of " + name + " left out (-D" + WITHOUT_FAULTS_PROPERTY + ")");
            return;
        }
        assertThat(new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start().waitFor())
                .isZero();
        await(name + " (pid " + pid + ") exits after SIG" + signal, Duration.ofSeconds(60),
                () -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
    }

    private static void await(String what, Duration timeout, ThrowingSupplier<Boolean> condition)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.get()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting until " + what);
            }
            Thread.sleep(200);
        }
    }
}
