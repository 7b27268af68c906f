package dev.opencode.tuner.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opencode.tuner.blocked.BlockedEvent;
import dev.opencode.tuner.blocked.BlockedEventJson;
import dev.opencode.tuner.blocked.EventId;
import dev.opencode.tuner.journal.JournalFixture;
import dev.opencode.tuner.stack.KafkaAccounts;
import dev.opencode.tuner.stack.KafkaServer;
import dev.opencode.tuner.stack.TunerTopics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The collector application against a real Kafka broker (KRaft, Apache Kafka's own jars, started natively by the
 * stack module): every blocked event arrives, spoofed lines never do, and faults (SIGKILL of the collector in the
 * middle of a burst, a broker restart in the middle of a burst, a journal vacuumed while the collector was down)
 * lose nothing. Duplicates are allowed (at-least-once); every event id must be there.
 */
class CollectorPipelineTest {
    private static final AtomicInteger TOPICS = new AtomicInteger();
    /** The {@code _HOSTNAME} of the fixture's entries: the host the collector speaks for. */
    private static final String HOST = "web-1";
    private static Path root;
    private static Path kafkaState;
    private static KafkaServer kafka;

    @BeforeAll
    static void startKafka() throws Exception {
        root = Files.createTempDirectory(Path.of("/tmp"), "collector-it");
        kafkaState = root.resolve("kafka-state");
        kafka = KafkaServer.start(kafkaState);
    }

    @AfterAll
    static void stopKafka() {
        if (kafka != null) {
            kafka.close();
        }
    }

    /** One test's journal, state, topics and the collector account of {@link #HOST} that may write them. */
    private static final class Run implements AutoCloseable {
        final String base = "blocked-" + TOPICS.incrementAndGet();
        final String malformedBase = base + "-malformed";
        final String topic = base + "." + HOST;
        final String malformedTopic = malformedBase + "." + HOST;
        final KafkaAccounts.Login login;
        final Path journal;
        final Path journalFile;
        final Path state;
        final Path log;
        final Set<String> expectedIds = new HashSet<>();
        long clock = JournalFixture.T0_USEC;
        int next = 1;
        CollectorProcess collector;

        Run(String name) throws Exception {
            Path dir = Files.createDirectories(root.resolve(name));
            journal = Files.createDirectories(dir.resolve("journal"));
            journalFile = journal.resolve("system.journal");
            state = dir.resolve("state");
            log = dir.resolve("collector.log");
            // The host's topics of this run (blocked: 3 partitions, malformed: 1) and its collector's right to them.
            TunerTopics defaults = TunerTopics.defaults();
            login = kafka.accounts().collector(HOST, new TunerTopics(base, malformedBase, base + "-host-state",
                    defaults.blockedDeadLetter(), defaults.hostStateDeadLetter(), defaults.policyGroupPrefix()));
        }

        CollectorProcess startCollector() throws Exception {
            collector = new CollectorProcess(journal, state, kafka.bootstrapServers(), HOST, login, base,
                    malformedBase, log).start();
            return collector;
        }

        /** Appends {@code count} blocked kernel lines (and remembers their event ids). */
        void appendBlocked(int count) throws Exception {
            JournalFixture fx = new JournalFixture().at(clock);
            for (int i = 0; i < count; i++) {
                int n = next++;
                fx.kernel(JournalFixture.tcpLine("agent-" + (n % 5), "10.0.0.2",
                        "198.51." + (n / 250 % 250) + "." + (n % 250), 443, 990));
            }
            for (JournalFixture.Entry e : fx.entries()) {
                byte[] message = e.fields().get("MESSAGE");
                expectedIds.add(new EventId().forJournalEntry(e.bootId(), e.monotonicUsec(), e.realtimeUsec(),
                        message, 0, message.length));
            }
            clock = fx.entries().get(fx.entries().size() - 1).realtimeUsec() + 1_000;
            fx.writeJournal(journalFile);
        }

        @Override
        public void close() throws Exception {
            if (collector != null) {
                collector.close();
            }
        }
    }

    private static List<ConsumerRecord<String, String>> consumeUntil(String topic, Set<String> ids, Duration timeout) {
        Properties p = new Properties();
        p.putAll(kafka.accounts().broker().clientProperties()); // the broker's super user reads every topic
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        List<ConsumerRecord<String, String>> all = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p, new StringDeserializer(),
                new StringDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            c.partitionsFor(topic).forEach(i -> partitions.add(new TopicPartition(topic, i.partition())));
            c.assign(partitions);
            c.seekToBeginning(partitions);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline && !seen.containsAll(ids)) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
                    all.add(r);
                    seen.add(r.headers().lastHeader("event-id") == null ? "?"
                            : new String(r.headers().lastHeader("event-id").value(), StandardCharsets.US_ASCII));
                }
            }
        }
        return all;
    }

    private static Set<String> ids(List<ConsumerRecord<String, String>> records) throws Exception {
        Set<String> ids = new HashSet<>();
        for (ConsumerRecord<String, String> r : records) {
            BlockedEvent e = BlockedEventJson.read(r.value());
            assertThat(r.key()).isEqualTo(e.host() + "/" + e.instance());
            ids.add(e.id());
        }
        return ids;
    }

    @Test
    void everyBlockedEventArrivesOnceKeyedByHostAndInstanceAndSpoofsNever() throws Exception {
        try (Run run = new Run("basic")) {
            run.appendBlocked(50);
            CollectorProcess collector = run.startCollector();
            // Imitations appended while it runs: a forged MESSAGE_ID through the native protocol, and stdout.
            Map<String, byte[]> forged = new LinkedHashMap<>();
            forged.put("_TRANSPORT", "journal".getBytes(StandardCharsets.UTF_8));
            forged.put("_HOSTNAME", HOST.getBytes(StandardCharsets.UTF_8));
            forged.put("MESSAGE_ID", "e9bf28e6e834481bb6f48f548ad13606".getBytes(StandardCharsets.UTF_8));
            forged.put("MESSAGE", JournalFixture.tcpLine("agent-1", "10.0.0.2", "203.0.113.66", 4444, 0)
                    .getBytes(StandardCharsets.UTF_8));
            Thread.sleep(1000);
            new JournalFixture().at(run.clock).add(forged)
                    .entry("stdout", JournalFixture.tcpLine("agent-1", "10.0.0.2", "203.0.113.67", 4444, 0))
                    .kernel("opencode-agent-1-blocked: IN= OUT=eth0 SRC=10.0.0.2 DST=999.1.1.1 PROTO=TCP ")
                    .writeJournal(run.journalFile);
            run.clock += 10_000;
            List<ConsumerRecord<String, String>> records = consumeUntil(run.topic, run.expectedIds,
                    Duration.ofSeconds(60));
            assertThat(ids(records)).isEqualTo(run.expectedIds);
            assertThat(records).hasSize(50); // no failure, no replay: exactly once here
            assertThat(records.toString()).doesNotContain("203.0.113.66").doesNotContain("203.0.113.67");
            List<ConsumerRecord<String, String>> malformed = consumeUntil(run.malformedTopic, Set.of("?"),
                    Duration.ofSeconds(20));
            assertThat(malformed).singleElement().satisfies(r -> assertThat(r.value()).contains("DST="));
            awaitMetric(collector, "tuner_collector_spoofed_total", 2);
            assertThat(collector.metric("tuner_collector_blocked_produced_total")).isEqualTo(50);
        }
    }

    @Test
    void aCollectorKilledInTheMiddleOfABurstLosesNothing() throws Exception {
        try (Run run = new Run("sigkill")) {
            run.appendBlocked(200);
            CollectorProcess collector = run.startCollector();
            for (int chunk = 0; chunk < 10; chunk++) {
                run.appendBlocked(300);
                if (chunk == 4) {
                    collector.kill(); // mid-burst, records in flight, cursor possibly behind
                }
                if (chunk == 6) {
                    collector = run.startCollector();
                }
            }
            List<ConsumerRecord<String, String>> records = consumeUntil(run.topic, run.expectedIds,
                    Duration.ofSeconds(90));
            assertThat(ids(records)).isEqualTo(run.expectedIds); // every event, duplicates allowed
            assertThat(records.size()).isGreaterThanOrEqualTo(run.expectedIds.size());
        }
    }

    @Test
    void aBrokerRestartInTheMiddleOfABurstLosesNothing() throws Exception {
        try (Run run = new Run("broker")) {
            run.appendBlocked(100);
            run.startCollector();
            run.appendBlocked(300);
            kafka.close();
            for (int chunk = 0; chunk < 4; chunk++) {
                run.appendBlocked(250); // the collector must stop reading and keep memory bounded meanwhile
                Thread.sleep(250);
            }
            kafka = KafkaServer.start(kafkaState);
            run.appendBlocked(200);
            List<ConsumerRecord<String, String>> records = consumeUntil(run.topic, run.expectedIds,
                    Duration.ofSeconds(120));
            assertThat(ids(records)).isEqualTo(run.expectedIds);
        }
    }

    @Test
    void aJournalVacuumedWhileTheCollectorWasDownIsCountedAsAGap() throws Exception {
        try (Run run = new Run("vacuum")) {
            run.appendBlocked(20);
            CollectorProcess collector = run.startCollector();
            consumeUntil(run.topic, Set.copyOf(run.expectedIds), Duration.ofSeconds(60));
            collector.close();
            // Vacuum + rotation: the old file (with the saved cursor's entry) is gone, later entries remain.
            Files.delete(run.journalFile);
            run.expectedIds.clear();
            run.clock += 3_600_000_000L;
            run.appendBlocked(30);
            collector = run.startCollector();
            List<ConsumerRecord<String, String>> records = consumeUntil(run.topic, run.expectedIds,
                    Duration.ofSeconds(60));
            assertThat(ids(records)).containsAll(run.expectedIds);
            awaitMetric(collector, "tuner_collector_gap_cursor_gone_total", 1);
        }
    }

    private static void awaitMetric(CollectorProcess collector, String name, double value) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        double last = -1;
        while (System.nanoTime() < deadline) {
            last = collector.metric(name);
            if (last == value) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError(name + " is " + last + ", expected " + value);
    }
}
