package dev.opencode.tuner.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opencode.tuner.blocked.BlockedEvent;
import dev.opencode.tuner.blocked.BlockedEventJson;
import dev.opencode.tuner.blocked.BlockedLine;
import dev.opencode.tuner.blocked.BlockedLineParser;
import dev.opencode.tuner.blocked.Transport;
import dev.opencode.tuner.journal.JournalFixture;
import dev.opencode.tuner.kafka.HostTopics;
import dev.opencode.tuner.stack.KafkaAccounts;
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
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The trust boundary between hosts, end to end with the real stack ({@link Stack#up}: Kafka with SCRAM and ACLs, the
 * policy service, PostgreSQL, the collector following a journal of host {@value #HOST_A}): evidence counts for a host
 * only when that host's collector wrote it to that host's topic. A client without an account writes nothing; host
 * {@value #HOST_A}'s account cannot make an event count for host {@value #HOST_B}, neither by claiming it on its own
 * topic (dead-lettered as not proven) nor by writing {@value #HOST_B}'s topic (refused by the broker); and a journal
 * entry of another {@code _HOSTNAME} is set aside by the collector as malformed. Every check first proves that the
 * attempt really happened (acknowledged by the broker, refused by it, or read by the service), then that nothing was
 * counted, after an event written the right way behind it was.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostTrustBoundaryTest {
    /** The host the stack's collector speaks for: JournalFixture's {@code _HOSTNAME}. */
    static final String HOST_A = "web-1";
    /** Another host, with its own topics, whose collector is not running here. */
    static final String HOST_B = "db-2";
    private static final TunerTopics TOPICS = TunerTopics.defaults();
    private static final Duration WAIT = Duration.ofMinutes(2);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();

    private Path root;
    private Path state;
    private Path journalFile;
    private String api;
    private String adminAuth;
    private long clock = JournalFixture.T0_USEC;
    private int next = 1;

    @BeforeAll
    void startTheStack() throws Exception {
        root = Files.createTempDirectory(Path.of("/tmp"), "trust-boundary");
        // PostgreSQL runs as its own OS user, which must be able to traverse the state directory's parents.
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        state = root.resolve("state");
        journalFile = Files.createDirectories(root.resolve("journal")).resolve("system.journal");
        append(new JournalFixture().at(clock).kernel(line("start", destination())));
        Stack.up(state, StackOptions.defaults().withCollectorJournal(journalFile.getParent()).withCollectorHost(HOST_A)
                // Host B's topic, created below, is read within a second instead of ten.
                .withServiceSetting("policy", "tuner.policy.kafka.topic-discovery-interval", "1s"));
        api = part("policy").address();
        adminAuth = "Basic " + Base64.getEncoder().encodeToString(("admin:" + Files.readString(
                Stack.policyStateDirectory(state).resolve("initial-admin-password")).strip())
                .getBytes(StandardCharsets.UTF_8));
        // Host B's topics exist, as when B's collector is provisioned: a write refused there is refused by the ACLs,
        // not for want of a topic, and the policy service reads it like every host's topic.
        try (Admin admin = Admin.create(KafkaLogins.client(KafkaLogins.broker(state), bootstrap()))) {
            List<NewTopic> topics = new ArrayList<>();
            TOPICS.forHost(HOST_B).forEach((name, partitions) -> topics.add(new NewTopic(name, partitions, (short) 1)));
            admin.createTopics(topics).all().get(30, TimeUnit.SECONDS);
        }
        awaitCounted(HOST_A, "start", 1);
    }

    @AfterAll
    void stopTheStack() {
        if (state != null) {
            Stack.down(state);
        }
    }

    @Test
    void aProducerWithoutAnAccountIsRefusedAndNothingIsCounted() throws Exception {
        String topic = blockedTopic(HOST_A);
        long offsetBefore = endOffset(topic);
        long logBefore = Files.size(state.resolve("logs/kafka.log"));
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap()); // no security settings: PLAINTEXT, no login
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 4_000);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 5_000);
        BlockedEvent event = event(HOST_A, "anonymous", destination());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(),
                new StringSerializer())) {
            assertThatThrownBy(() -> producer.send(record(topic, event)).get(30, TimeUnit.SECONDS))
                    .as("a send without an account").hasRootCauseInstanceOf(
                            org.apache.kafka.common.errors.TimeoutException.class);
        }
        // Refused by the broker, not lost on the way: it saw the client skip the SASL handshake and hung up.
        assertThat(tail(state.resolve("logs/kafka.log"), logBefore)).as("the broker's log since the attempt")
                .containsPattern("Unexpected error from /127\\.0\\.0\\.1 .*closing connection")
                .containsPattern("Unexpected Kafka request of type \\w+ during SASL handshake");
        assertThat(endOffset(topic)).as("records on " + topic).isEqualTo(offsetBefore);

        // An event written the right way behind it is counted; the refused one never is.
        append(new JournalFixture().at(clock).kernel(line("anonymous-control", destination())));
        awaitCounted(HOST_A, "anonymous-control", 1);
        assertThat(instances()).as("instances counted").noneMatch(i -> i.get("instance").asText().equals("anonymous"));
        assertThat(suggestions(HOST_A)).doesNotContain(event.line().destination());
    }

    @Test
    void aHostsCollectorAccountCannotMakeEvidenceCountForAnotherHost() throws Exception {
        KafkaAccounts.Login collectorOfA = KafkaLogins.collector(state, HOST_A);
        BlockedEvent forged = event(HOST_B, "forged", destination());
        double notProvenBefore = policyMetric("tuner_policy_records_host_not_proven_total");
        long offsetOfB = endOffset(blockedTopic(HOST_B));

        // On A's own topic, claiming B: the broker accepts the write (A may write there) ...
        RecordMetadata onA;
        try (KafkaProducer<String, String> producer = producer(collectorOfA)) {
            onA = producer.send(record(blockedTopic(HOST_A), forged)).get(30, TimeUnit.SECONDS);
        }
        assertThat(onA.hasOffset()).as("acknowledged by the broker on " + blockedTopic(HOST_A)).isTrue();
        // ... and on B's topic it refuses it: A's account may not write there.
        try (KafkaProducer<String, String> producer = producer(collectorOfA)) {
            assertThatThrownBy(() -> producer.send(record(blockedTopic(HOST_B), forged)).get(30, TimeUnit.SECONDS))
                    .as("A's collector writing B's topic").hasRootCauseInstanceOf(TopicAuthorizationException.class);
        }
        assertThat(endOffset(blockedTopic(HOST_B))).as("records on " + blockedTopic(HOST_B)).isEqualTo(offsetOfB);

        // The policy service read the record on A's topic and dead-lettered it: its host is not proven.
        ServiceMetrics.awaitAbove(part("policy").managementAddress(), "tuner_policy_records_host_not_proven_total",
                notProvenBefore, WAIT);
        ConsumerRecord<String, String> letter = awaitRecord(TOPICS.blockedDeadLetter(), 0,
                r -> r.value().contains(forged.id()));
        assertThat(header(letter, "dead-letter-field")).isEqualTo("host");
        assertThat(header(letter, "dead-letter-reason")).contains("not proven").contains(HOST_B);
        assertThat(header(letter, "dead-letter-topic")).isEqualTo(blockedTopic(HOST_A));
        assertThat(header(letter, "dead-letter-offset")).isEqualTo(Long.toString(onA.offset()));

        // Counted for nobody: B has no evidence at all, and A none of the forged instance.
        append(new JournalFixture().at(clock).kernel(line("forged-control", destination())));
        awaitCounted(HOST_A, "forged-control", 1);
        assertThat(instances()).as("instances counted").noneMatch(i -> i.get("host").asText().equals(HOST_B)
                || i.get("instance").asText().equals("forged"));
        assertThat(suggestions(HOST_B)).doesNotContain(forged.line().destination());
    }

    @Test
    void aJournalEntryOfAnotherHostIsSetAsideAsMalformedAndNeverCounted() throws Exception {
        String collector = part("collector").managementAddress();
        double foreignBefore = ServiceMetrics.sum(collector, "tuner_collector_foreign_host_entries_total", null);
        String malformedTopic = HostTopics.topic(TOPICS.malformed(), HOST_A);
        long malformedBefore = endOffset(malformedTopic);
        String destination = destination();
        // A journal directory gathered from two machines: A's collector reads B's entry, then one of its own.
        append(new JournalFixture().at(clock).host(HOST_B).kernel(line("foreign", destination)));
        append(new JournalFixture().at(clock).kernel(line("foreign-control", destination())));

        awaitCounted(HOST_A, "foreign-control", 1);
        ServiceMetrics.awaitAbove(collector, "tuner_collector_foreign_host_entries_total", foreignBefore, WAIT);
        // It reached the broker, as a malformed line on A's own malformed topic, saying why.
        ConsumerRecord<String, String> malformed = awaitRecord(malformedTopic, malformedBefore,
                r -> r.key().equals(HOST_B + "/foreign"));
        assertThat(malformed.value()).contains("_HOSTNAME").contains(HOST_B).contains(destination);
        assertThat(instances()).as("instances counted").noneMatch(i -> i.get("host").asText().equals(HOST_B)
                || i.get("instance").asText().equals("foreign"));
        assertThat(suggestions(HOST_A)).doesNotContain(destination);
    }

    // --- the journal and the events ---

    private static String line(String instance, String destination) {
        return JournalFixture.tcpLine(instance, "10.0.0.2", destination, 443, 990);
    }

    /** A destination no other event of the run has. */
    private String destination() {
        int n = next++;
        return "198.18." + (n / 250) + "." + (n % 250 + 1);
    }

    private void append(JournalFixture fx) throws Exception {
        List<JournalFixture.Entry> entries = fx.entries();
        clock = entries.get(entries.size() - 1).realtimeUsec() + 1_000;
        fx.writeJournal(journalFile);
    }

    /** A blocked event of the kernel transport as a collector would produce it, claiming {@code host}. */
    private BlockedEvent event(String host, String instance, String destination) {
        BlockedLine line = (BlockedLine) new BlockedLineParser().parse(line(instance, destination));
        byte[] id = new byte[16];
        RANDOM.nextBytes(id);
        return new BlockedEvent(HexFormat.of().formatHex(id), host, Instant.now(), Transport.KERNEL, line);
    }

    private static ProducerRecord<String, String> record(String topic, BlockedEvent event) {
        return new ProducerRecord<>(topic, event.host() + "/" + event.instance(), BlockedEventJson.write(event));
    }

    private static String blockedTopic(String host) {
        return HostTopics.topic(TOPICS.blocked(), host);
    }

    // --- Kafka, with the stack's accounts ---

    private String bootstrap() {
        return part("kafka").address();
    }

    private KafkaProducer<String, String> producer(KafkaAccounts.Login login) {
        Properties p = KafkaLogins.client(login, bootstrap());
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 15_000);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 15_000);
        return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
    }

    private KafkaConsumer<String, String> consumer() {
        return new KafkaConsumer<>(KafkaLogins.client(KafkaLogins.broker(state), bootstrap()), new StringDeserializer(),
                new StringDeserializer());
    }

    /** The records of every partition of {@code topic}, as the broker's super user counts them. */
    private long endOffset(String topic) {
        try (KafkaConsumer<String, String> c = consumer()) {
            List<TopicPartition> partitions = c.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            return c.endOffsets(partitions, Duration.ofSeconds(30)).values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /** The first record at or after {@code from} of the topic's single partition that matches. */
    private ConsumerRecord<String, String> awaitRecord(String topic, long from,
                                                       Predicate<ConsumerRecord<String, String>> match) {
        try (KafkaConsumer<String, String> c = consumer()) {
            TopicPartition partition = new TopicPartition(topic, 0);
            c.assign(List.of(partition));
            c.seek(partition, from);
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500))) {
                    if (r.value() != null && r.key() != null && match.test(r)) {
                        return r;
                    }
                }
            }
        }
        throw new AssertionError("no such record on " + topic + " from offset " + from + " within " + WAIT);
    }

    private static String header(ConsumerRecord<String, String> record, String name) {
        Header h = record.headers().lastHeader(name);
        assertThat(h).as("header " + name + " of " + record).isNotNull();
        return new String(h.value(), StandardCharsets.UTF_8);
    }

    // --- what the policy service counted ---

    private List<JsonNode> instances() throws Exception {
        List<JsonNode> all = new ArrayList<>();
        get("/api/v1/instances").get("instances").forEach(all::add);
        return all;
    }

    private String suggestions(String host) throws Exception {
        return get("/api/v1/suggestions?host=" + host).toString();
    }

    /** Waits until the policy service counted {@code events} events of the host's instance. */
    private void awaitCounted(String host, String instance, long events) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        long counted = 0;
        while (System.nanoTime() < deadline) {
            counted = 0;
            for (JsonNode i : instances()) {
                if (i.get("host").asText().equals(host) && i.get("instance").asText().equals(instance)) {
                    counted += i.get("events").asLong();
                }
            }
            if (counted >= events) {
                assertThat(counted).as(host + " / " + instance + ": events counted").isEqualTo(events);
                return;
            }
            Thread.sleep(300);
        }
        throw new AssertionError(host + " / " + instance + ": " + counted + " of " + events + " events counted within "
                + WAIT + " (see " + state.resolve("logs") + ")");
    }

    /** A metric of the policy service, from its management interface. */
    private double policyMetric(String name) {
        return ServiceMetrics.sum(part("policy").managementAddress(), name, null);
    }

    private JsonNode get(String path) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(api + path)).header("Authorization", adminAuth)
                .timeout(Duration.ofSeconds(30)).GET().build();
        HttpResponse<String> response = Bounded.send(request, Duration.ofSeconds(40), "GET " + path);
        assertThat(response.statusCode()).as("GET " + path + ": " + response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private PartStatus part(String name) {
        return Stack.status(state).parts().stream().filter(p -> p.part().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError(name + " is not part of the stack in " + state));
    }

    /** What was appended to a log file after it had {@code from} bytes. */
    private static String tail(Path log, long from) throws IOException {
        byte[] all = Files.readAllBytes(log);
        return new String(all, (int) Math.min(from, all.length), (int) Math.max(0, all.length - from),
                StandardCharsets.UTF_8);
    }
}
