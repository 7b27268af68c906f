package dev.opencode.tuner.policy.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.opencode.tuner.blocked.BlockedEvent;
import dev.opencode.tuner.blocked.BlockedEventJson;
import dev.opencode.tuner.policy.app.ingest.AggregateWriter;
import dev.opencode.tuner.policy.app.ingest.BlockedEventConsumer;
import dev.opencode.tuner.policy.app.ingest.IngestService;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;

/**
 * The consumer against the real broker and database: each event counts once (duplicates, redelivery after a restart,
 * two consumers in one group), poison and invalid records are dead-lettered with their reason while consumption goes
 * on, and the suggestions served are those the core engine makes from the same events.
 */
@QuarkusTest
@WithTestResource(value = PolicyStack.class, scope = TestResourceScope.MATCHING_RESOURCES)
class IngestTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Inject
    IngestService ingest;
    @Inject
    PolicyConfig config;
    @Inject
    DataSource dataSource;

    @Test
    void destinationsBeyondTheCapAreCountedNotAggregatedAndKeptOnesStillCount() throws Exception {
        AggregateWriter writer = new AggregateWriter(dataSource, config.dedupe().retention(), null, 3);
        String host = "vm-capped";
        List<BlockedEvent> first = new ArrayList<>();
        for (int i = 1; i <= 2; i++) {
            first.add(TestEvents.tcp(host, "web", "198.51.100." + i, 443, i));
        }
        List<BlockedEvent> second = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            second.add(TestEvents.tcp(host, "web", "198.51.100." + i, 443, 10 + i));
        }
        second.add(TestEvents.tcp(host, "docs", "198.51.100.9", 443, 20));

        AggregateWriter.Result a = writer.apply(first);
        AggregateWriter.Result b = writer.apply(second);
        AggregateWriter.Result again = writer.apply(second);

        assertThat(a.overflow()).isZero();
        assertThat(b.applied()).as("198.51.100.1-3 of web, and docs").isEqualTo(4);
        assertThat(b.overflow()).as("198.51.100.4 and .5 of web").isEqualTo(2);
        assertThat(again.overflow()).as("a redelivery counts nothing twice").isZero();
        assertThat(again.duplicates()).isEqualTo(6);
        try (var c = dataSource.getConnection(); var s = c.prepareStatement(
                "SELECT destination, events FROM destination_aggregate WHERE host = ? AND instance = 'web'"
                        + " ORDER BY destination")) {
            s.setString(1, host);
            List<String> rows = new ArrayList<>();
            try (var r = s.executeQuery()) {
                while (r.next()) {
                    rows.add(r.getString(1) + "=" + r.getLong(2));
                }
            }
            assertThat(rows).containsExactly("198.51.100.1=2", "198.51.100.2=2", "198.51.100.3=1");
        }
    }

    @Test
    void theAggregationCountsTheEventsOfItsOwnDayWhateverTheCalendarSays() throws Exception {
        // Ten years on, as if CI ran then: events of that day count, and today's fixtures are past the retention.
        // A fixture written at a fixed instant would be in the second group on some day; relative ones never are.
        Clock later = Clock.offset(Clock.systemUTC(), Duration.ofDays(3653));
        AggregateWriter writer = new AggregateWriter(dataSource, config.dedupe().retention(), later);
        String host = "vm-future";
        Instant then = later.instant().minus(2, ChronoUnit.HOURS);
        List<BlockedEvent> ofThatDay = List.of(
                TestEvents.event(host, "web", "203.0.113.70", "tcp", 443, "10.0.0.2", then),
                TestEvents.event(host, "web", "203.0.113.71", "tcp", 443, "10.0.0.2", then.plusSeconds(1)),
                TestEvents.event(host, "web", "203.0.113.71", "tcp", 443, "10.0.0.2", then.plusSeconds(2)));
        AggregateWriter.Result counted = writer.apply(ofThatDay);
        assertThat(counted.applied()).as("events of the clock's own day").isEqualTo(3);
        assertThat(counted.expired()).isZero();

        AggregateWriter.Result today = writer.apply(List.of(TestEvents.tcp(host, "web", "203.0.113.72", 443, 0)));
        assertThat(today.expired()).as("an event of today, seen ten years on").isEqualTo(1);
        assertThat(today.applied()).isZero();
        Eventually.await("the API counts the three events", WAIT, () -> Api.events(host) == 3,
                () -> "(counted " + Api.events(host) + ")");
    }

    @Test
    void countsEachEventOnceAndSuggestsWhatTheCoreSuggests() {
        String host = "vm-once";
        List<BlockedEvent> events = new ArrayList<>();
        for (int i = 0; i < 6; i++) { // four addresses in one /24: suggested as the /24
            events.add(TestEvents.tcp(host, "web", "140.82.112." + (3 + i % 4), 443, i));
        }
        events.add(TestEvents.tcp(host, "web", "151.101.0.223", 443, 10));
        events.add(TestEvents.tcp(host, "web", "151.101.0.223", 80, 11));
        events.add(TestEvents.tcp(host, "web", "2606:50c0:8000::154", 443, 12));
        events.add(TestEvents.tcp(host, "web", "169.254.169.254", 80, 13)); // refused: cloud metadata
        events.add(TestEvents.event(host, "web", "151.101.0.223", null, null, "10.211.0.9",
                TestEvents.T0.plusSeconds(14))); // no protocol printed: 'unknown'
        for (int i = 0; i < 8; i++) { // more than five sources: only the first five are kept, in order
            events.add(TestEvents.event(host, "docs", "9.9.9.9", "udp", 53, "10.211.1." + (i + 1),
                    TestEvents.T0.plusSeconds(20 + i)));
        }
        List<BlockedEvent> delivered = new ArrayList<>(events);
        delivered.add(events.get(0)); // the same event produced twice (a producer retry, a collector re-read)
        delivered.add(events.get(events.size() - 1));
        BlockedEvent old = TestEvents.event(host, "web", "192.0.2.99", "tcp", 22, "10.211.0.2",
                TestEvents.T0.minus(40, ChronoUnit.DAYS)); // older than the 30-day retention: never counted
        delivered.add(old);

        double duplicatesBefore = Api.metric("tuner_policy_events_duplicates_total");
        double expiredBefore = Api.metric("tuner_policy_events_expired_total");
        try (TestEvents producer = new TestEvents()) {
            // Two batches at least: the second merges into rows the first wrote (ports, protocols, sources).
            List<BlockedEvent> first = new ArrayList<>(delivered.subList(0, 9));
            first.addAll(delivered.subList(11, 14)); // three of docs' eight sources
            producer.send(first);
            Eventually.await("the first part is counted", WAIT, () -> Api.events(host) == first.size());
            List<BlockedEvent> rest = new ArrayList<>(delivered.subList(9, 11));
            rest.addAll(delivered.subList(14, delivered.size()));
            producer.send(rest);
            producer.send(List.of(events.get(3), events.get(7))); // and duplicates in a batch of their own
        }
        Eventually.await("all of " + host + "'s events are counted", WAIT,
                () -> Api.events(host) == events.size() && Api.metric("tuner_policy_events_duplicates_total")
                        >= duplicatesBefore + 4, () -> "(counted " + Api.events(host) + ")");

        assertThat(Api.suggestions(host)).isEqualTo(Api.expected(host, events));
        // At least: a batch handed over in a rebalance of another test may be redelivered meanwhile.
        assertThat(Api.metric("tuner_policy_events_duplicates_total")).isGreaterThanOrEqualTo(duplicatesBefore + 4);
        // The counters move once the batch is committed, a moment after its rows are visible.
        Eventually.await("the old event is counted as expired", WAIT,
                () -> Api.metric("tuner_policy_events_expired_total") >= expiredBefore + 1);
        assertThat(Api.metric("tuner_policy_events_expired_total")).isEqualTo(expiredBefore + 1);

        JsonNode docs = Api.get("/api/v1/suggestions?host=" + host + "&instance=docs").get("instances");
        assertThat(docs).hasSize(1);
        JsonNode nine = docs.get(0).get("suggestions").get(0).get("addresses").get(0);
        assertThat(nine.get("sampleSources").toString())
                .isEqualTo("[\"10.211.1.1\",\"10.211.1.2\",\"10.211.1.3\",\"10.211.1.4\",\"10.211.1.5\"]");
        assertThat(nine.get("firstSeen").asText()).isEqualTo(TestEvents.T0.plusSeconds(20).toString());
        assertThat(nine.get("firstSeen").asText()).contains(".123456Z"); // microseconds survive the database
    }

    @Test
    void servesTheShapeOfTunerSuggestJsonWithAStableIdPerSuggestion() {
        String host = "vm-shape";
        List<BlockedEvent> events = List.of(TestEvents.tcp(host, "web", "203.0.113.7", 443, 0),
                TestEvents.tcp(host, "web", "169.254.169.254", 80, 1));
        try (TestEvents producer = new TestEvents()) {
            producer.send(events);
        }
        Eventually.await(host + "'s events are counted", WAIT, () -> Api.events(host) == 2);

        JsonNode instance = Api.get("/api/v1/suggestions?state=pending,held&host=" + host).get("instances").get(0);
        // The instances[] of `tuner suggest --format json` (docs/cli.md), field for field and in order, plus "id".
        assertThat(fieldNames(instance)).containsExactly("host", "instance", "events", "destinations", "suggestions",
                "refused", "alreadyAllowed");
        JsonNode suggestion = instance.get("suggestions").get(0);
        // ... and then the review's fields.
        assertThat(fieldNames(suggestion)).containsExactly("id", "cidr", "addresses", "opens", "ports", "protocols",
                "services", "events", "firstSeen", "lastSeen", "state", "stable", "acceptedCidr", "snoozedUntil",
                "supersededBy", "approvedBy", "earlierRejection", "kind");
        assertThat(fieldNames(suggestion.get("addresses").get(0))).containsExactly("address", "events", "ports",
                "protocols", "firstSeen", "lastSeen", "sampleSources", "uids");
        assertThat(fieldNames(instance.get("refused").get(0))).containsExactly("address", "reason", "deniedBy",
                "events");
        assertThat(suggestion.get("cidr").asText()).isEqualTo("203.0.113.7/32");
        assertThat(suggestion.get("opens").asLong()).isEqualTo(1);
        assertThat(suggestion.get("id").asText()).matches("[0-9a-f]{32}");
        assertThat(Api.suggestions(host).get("instances").get(0).get("suggestions").get(0).get("id"))
                .isEqualTo(suggestion.get("id"));

        JsonNode summary = null;
        for (JsonNode i : Api.get("/api/v1/instances").get("instances")) {
            if (i.get("host").asText().equals(host)) {
                summary = i;
            }
        }
        assertThat(summary).isNotNull();
        assertThat(fieldNames(summary)).containsExactly("host", "instance", "events", "destinations", "firstSeen",
                "lastSeen");
        assertThat(summary.get("destinations").asLong()).isEqualTo(2);
        assertThat(summary.get("lastSeen").asText()).isEqualTo(TestEvents.T0.plusSeconds(1).toString());
    }

    @Test
    void deadLettersPoisonAndInvalidRecordsWithTheReasonAndKeepsConsuming() throws Exception {
        String host = "vm-poison";
        String key = TestEvents.key(host, "web"); // one key: every record below is in one partition, in this order
        BlockedEvent before = TestEvents.tcp(host, "web", "198.51.100.1", 443, 0);
        BlockedEvent after = TestEvents.tcp(host, "web", "198.51.100.2", 443, 1);
        String valid = BlockedEventJson.write(before);
        double deadBefore = Api.metric("tuner_policy_records_dead_lettered_total");
        Map<String, String> expectedField = new TreeMap<>();
        try (TestEvents producer = new TestEvents()) {
            producer.send(List.of(before));
            producer.sendRaw(key, new byte[] {(byte) 0xff, (byte) 0xfe, 0x00, 0x41});
            expectedField.put("not UTF-8", "$");
            producer.sendRaw(key, "{\"schemaVersion\": 1, \"id\": ".getBytes(StandardCharsets.UTF_8));
            expectedField.put("not JSON", "$");
            producer.sendRaw(key, valid.replace("\"198.51.100.1\"", "\"198.51.100.300\"").replace(before.id(),
                    TestEvents.newId()).getBytes(StandardCharsets.UTF_8));
            expectedField.put("is not an IPv4 address", "destination");
            producer.sendRaw(key, valid.replace("\"schemaVersion\":1", "\"schemaVersion\":2")
                    .getBytes(StandardCharsets.UTF_8));
            expectedField.put("expected 1, got 2", "schemaVersion");
            producer.sendRaw(key, valid.replace("\"kernel\"", "\"unknown\"").replace(before.id(), TestEvents.newId())
                    .getBytes(StandardCharsets.UTF_8));
            expectedField.put("only events read from the kernel transport", "transport");
            producer.sendRaw(key, null);
            expectedField.put("tombstone", "$");
            producer.send(List.of(after));
        }
        Eventually.await("the event behind the poison records is counted", WAIT, () -> Api.events(host) == 2);
        // The counter moves once the batch is committed, a moment after its rows are visible.
        Eventually.await("the six dead letters are counted", WAIT,
                () -> Api.metric("tuner_policy_records_dead_lettered_total") >= deadBefore + 6,
                () -> "(counter at " + Api.metric("tuner_policy_records_dead_lettered_total") + ", was " + deadBefore
                        + ")");

        Map<Long, Map<String, String>> letters = deadLetters(key, expectedField.size());
        assertThat(letters).hasSize(expectedField.size());
        for (var e : expectedField.entrySet()) {
            assertThat(letters.values()).as("a dead letter whose reason says '%s'", e.getKey())
                    .anySatisfy(h -> {
                        assertThat(h.get("dead-letter-reason")).contains(e.getKey());
                        assertThat(h.get("dead-letter-field")).isEqualTo(e.getValue());
                        assertThat(h.get("dead-letter-topic")).isEqualTo(PolicyStack.topic(host));
                    });
        }
    }

    @Test
    void aRecordClaimingAnotherHostIsDeadLetteredAndCountsForNoHost() throws Exception {
        String writer = "vm-claims";
        String victim = "vm-victim";
        BlockedEvent own = TestEvents.tcp(writer, "web", "198.51.100.21", 443, 0);
        BlockedEvent forged = TestEvents.tcp(victim, "web", "203.0.113.66", 443, 1);
        BlockedEvent after = TestEvents.tcp(writer, "web", "198.51.100.22", 443, 2);
        double notProvenBefore = Api.metric("tuner_policy_records_host_not_proven_total");
        String key = TestEvents.key(writer, "web");
        try (TestEvents producer = new TestEvents()) {
            producer.send(List.of(own));
            // Host vm-claims' collector writes, to its own topic (the only one its account may write), an event
            // that claims to be vm-victim's, transport "kernel" and all.
            producer.sendRaw(key, BlockedEventJson.write(forged).getBytes(StandardCharsets.UTF_8));
            producer.send(List.of(after));
        }
        Eventually.await("the events behind the forged record are counted", WAIT, () -> Api.events(writer) == 2);
        Eventually.await("the forged record is counted as not proven", WAIT,
                () -> Api.metric("tuner_policy_records_host_not_proven_total") >= notProvenBefore + 1);
        assertThat(Api.metric("tuner_policy_records_host_not_proven_total")).isEqualTo(notProvenBefore + 1);
        assertThat(Api.events(victim)).isZero();
        assertThat(Api.suggestions(writer).toString()).doesNotContain("203.0.113.66");
        Map<Long, Map<String, String>> letters = deadLetters(key, 1);
        assertThat(letters.values()).singleElement().satisfies(h -> {
            assertThat(h.get("dead-letter-field")).isEqualTo("host");
            assertThat(h.get("dead-letter-reason")).contains("not proven").contains("'vm-victim'")
                    .contains(PolicyStack.topic(writer));
        });
    }

    @Test
    void deadLettersWhatTheDatabaseRefusesAndCountsTheRestOfTheBatch() throws Exception {
        String host = "vm-refused";
        List<BlockedEvent> events = List.of(TestEvents.tcp(host, "web", "198.51.100.10", 443, 0),
                TestEvents.tcp(host, "web", "198.51.100.66", 443, 1),
                TestEvents.tcp(host, "web", "198.51.100.11", 443, 2));
        // A record that passes every check of the service but that the database refuses (here through a constraint
        // added for the test) must not stall the partition: it is found, dead-lettered, and the rest is counted.
        sql("ALTER TABLE destination_aggregate ADD CONSTRAINT test_refuses CHECK (destination <> '198.51.100.66')");
        try (TestEvents producer = new TestEvents()) {
            producer.send(events);
            Eventually.await("the events the database accepts are counted", WAIT, () -> Api.events(host) == 2);
        } finally {
            sql("ALTER TABLE destination_aggregate DROP CONSTRAINT test_refuses");
        }
        Map<Long, Map<String, String>> letters = deadLetters(TestEvents.key(host, "web"), 1);
        assertThat(letters).hasSize(1);
        assertThat(letters.values().iterator().next().get("dead-letter-reason"))
                .contains("the database refused it: SQLState 23514");
        assertThat(Api.suggestions(host)).isEqualTo(Api.expected(host, List.of(events.get(0), events.get(2))));
    }

    @Test
    void holdsEventsWhileTheDatabaseIsDownAndCountsThemOnceWhenItIsBack() {
        String host = "vm-db-down";
        List<BlockedEvent> events = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            events.add(TestEvents.tcp(host, "web", "192.0.2." + (100 + i % 3), 443, i));
        }
        double errorsBefore = Api.metric("tuner_policy_database_errors_total");
        PolicyStack.withPostgresDown(() -> {
            try (TestEvents producer = new TestEvents()) {
                producer.send(events);
            }
            Eventually.await("the failing batch is reported", WAIT,
                    () -> Api.metric("tuner_policy_database_errors_total") > errorsBefore);
            String ready = Api.management().get("/q/health/ready").then().statusCode(503)
                    .extract().asString();
            assertThat(ready).contains("the database transaction failed");
        });
        Eventually.await("the held events are counted once the database is back", WAIT,
                () -> Api.events(host) == events.size(), () -> "(counted " + Api.events(host) + ")");
        assertThat(Api.suggestions(host)).isEqualTo(Api.expected(host, events));
        // Every consumer that failed a batch meanwhile reports ready after its next successful retry (back-off ≤ 1 s).
        Eventually.await("ready again", WAIT,
                () -> Api.management().get("/q/health/ready").statusCode() == 200);
    }

    @Test
    void countsEventsPerDestinationAndUtcDayOnceAndPrunesOldDays() throws Exception {
        String host = "vm-days";
        Instant midnight = TestEvents.T0.truncatedTo(ChronoUnit.DAYS);
        List<BlockedEvent> events = new ArrayList<>();
        // Two on each side of a UTC midnight for one destination, one for another, in separate batches and redelivered.
        for (Instant time : List.of(midnight.minusSeconds(2), midnight.minusSeconds(1), midnight,
                midnight.plusSeconds(1))) {
            events.add(TestEvents.event(host, "web", "192.0.2.7", "tcp", 443, "10.211.0.9", time));
        }
        events.add(TestEvents.event(host, "web", "198.51.100.3", "udp", 53, "10.211.0.9", midnight.plusSeconds(5)));
        try (TestEvents producer = new TestEvents()) {
            producer.send(events.subList(0, 3));
            producer.send(events.subList(2, events.size())); // events.get(2) a second time
        }
        Eventually.await(host + "'s events are counted", WAIT, () -> Api.events(host) == events.size());
        String day = "SELECT coalesce(sum(events), 0) FROM destination_day WHERE host = '" + host + "' AND ";
        assertThat(count(day + "destination = '192.0.2.7' AND day = date '" + midnight.minusSeconds(1)
                .toString().substring(0, 10) + "'")).isEqualTo(2);
        assertThat(count(day + "destination = '192.0.2.7' AND day = date '" + midnight.toString().substring(0, 10)
                + "'")).isEqualTo(2);
        assertThat(count(day + "destination = '198.51.100.3'")).isEqualTo(1);
        assertThat(count("SELECT count(*) FROM instance_aggregate WHERE host = '" + host
                + "' AND updated_at > now() - interval '10 minutes'")).isEqualTo(1);

        sql("INSERT INTO destination_day VALUES ('" + host + "', 'web', '192.0.2.8', current_date - 91, 3), ('"
                + host + "', 'web', '192.0.2.8', current_date - 89, 4)");
        assertThat(ingest.writer().pruneDays(java.time.Duration.ofDays(90))).isGreaterThanOrEqualTo(1);
        assertThat(count(day + "destination = '192.0.2.8'")).isEqualTo(4);
    }

    @Test
    void prunesOnlyEventIdsOlderThanTheRetentionAndADay() throws Exception {
        String old = TestEvents.newId();
        String young = TestEvents.newId();
        sql("INSERT INTO seen_event VALUES ('" + old + "', now() - interval '32 days'), ('" + young
                + "', now() - interval '30 days' + interval '1 hour')");
        assertThat(ingest.writer().prune()).isGreaterThanOrEqualTo(1);
        assertThat(count("SELECT count(*) FROM seen_event WHERE event_id = '" + old + "'")).isZero();
        assertThat(count("SELECT count(*) FROM seen_event WHERE event_id = '" + young + "'")).isEqualTo(1);
    }

    @Test
    void redeliveryAfterARestartCountsNothingTwice() throws Exception {
        String host = "vm-restart";
        List<BlockedEvent> events = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            events.add(TestEvents.tcp(host, "app-" + (i % 5), "192.0.2." + (i % 9), 443 + i % 2, i));
        }
        try (TestEvents producer = new TestEvents()) {
            producer.send(events);
        }
        Eventually.await(host + "'s events are counted", WAIT, () -> Api.events(host) == events.size());
        JsonNode before = Api.suggestions(host);
        assertThat(before).isEqualTo(Api.expected(host, events));
        double duplicatesBefore = Api.metric("tuner_policy_events_duplicates_total");

        // Stop the consumer, rewind the group to the start of the topic (as if every batch had been applied but
        // never committed: a crash between the two), and start it again: everything is delivered a second time.
        ingest.stop();
        try (Admin admin = admin()) {
            Map<TopicPartition, OffsetAndMetadata> start = new HashMap<>();
            for (int p = 0; p < PolicyStack.PARTITIONS; p++) {
                start.put(new TopicPartition(PolicyStack.topic(host), p), new OffsetAndMetadata(0));
            }
            Eventually.await("the group is empty and rewound", WAIT, () -> {
                try {
                    admin.alterConsumerGroupOffsets(config.kafka().groupId(), start).all().get(10, TimeUnit.SECONDS);
                    return true;
                } catch (Exception e) { // the group still has the stopped member for a moment
                    return false;
                }
            });
            ingest.start();
            Eventually.await("the whole topic is consumed again", WAIT, () -> caughtUp(admin));
        }
        assertThat(Api.suggestions(host)).isEqualTo(before);
        assertThat(Api.events(host)).isEqualTo(events.size());
        Eventually.await("every redelivered event is counted as a duplicate", WAIT,
                () -> Api.metric("tuner_policy_events_duplicates_total") >= duplicatesBefore + events.size());
    }

    @Test
    void twoConsumersInOneGroupGiveTheSameAnswersAsOne() throws Exception {
        String host = "vm-scale";
        // Instances whose keys fall in every partition, so that both consumers get work.
        List<String> instances = new ArrayList<>();
        for (int i = 0; instances.size() < 6; i++) {
            String name = "inst-" + i;
            int partition = partitionOf(host, name);
            if (instances.stream().filter(n -> partitionOf(host, n) == partition).count() < 2) {
                instances.add(name);
            }
        }
        BlockedEventConsumer second = new BlockedEventConsumer(IngestService.settings(config, "policy-test-second"),
                new AggregateWriter(dataSource, config.dedupe().retention()), ingest.metrics());
        Thread thread = Thread.ofPlatform().name("second-consumer").start(second);
        List<BlockedEvent> events = new ArrayList<>();
        try (TestEvents producer = new TestEvents(); Admin admin = admin()) {
            // The application's own consumers (tuner.policy.kafka.consumers) and this second instance's one.
            int members = config.kafka().consumers() + 1;
            Eventually.await("the group has " + members + " members sharing the partitions", WAIT,
                    () -> members(admin) == members && second.assignedPartitions() > 0);
            long firstBatches = ingest.batches();
            for (int round = 0; round < 3; round++) {
                List<BlockedEvent> batch = new ArrayList<>();
                for (String instance : instances) {
                    for (int i = 0; i < 5; i++) {
                        batch.add(TestEvents.tcp(host, instance, "203.0.113." + (round * 5 + i), 443,
                                round * 100 + i));
                    }
                }
                events.addAll(batch);
                producer.send(batch);
            }
            Eventually.await("both consumers counted their partitions' events", WAIT,
                    () -> Api.events(host) == events.size(), () -> "(counted " + Api.events(host) + ")");
            assertThat(second.batches()).as("batches of the second consumer").isPositive();
            assertThat(ingest.batches()).as("batches of the application's consumer").isGreaterThan(firstBatches);

            // The second one leaves (a rebalance); events and redeliveries go on.
            second.stop();
            thread.join(30_000);
            List<BlockedEvent> more = new ArrayList<>();
            for (String instance : instances) {
                more.add(TestEvents.tcp(host, instance, "203.0.113.200", 8443, 500));
            }
            more.addAll(events.subList(0, 10));
            producer.send(more);
            events.addAll(more.subList(0, instances.size()));
        } finally {
            second.stop();
            thread.join(30_000);
        }
        Eventually.await("the remaining consumer counted the rest", WAIT,
                () -> Api.events(host) == events.size(), () -> "(counted " + Api.events(host) + ")");
        assertThat(Api.suggestions(host)).isEqualTo(Api.expected(host, events));
    }

    private void sql(String statement) throws Exception {
        try (var connection = dataSource.getConnection(); var s = connection.createStatement()) {
            s.execute(statement);
        }
    }

    private long count(String query) throws Exception {
        try (var connection = dataSource.getConnection(); var s = connection.createStatement();
             var r = s.executeQuery(query)) {
            r.next();
            return r.getLong(1);
        }
    }

    private static int partitionOf(String host, String instance) {
        return Utils.toPositive(Utils.murmur2(TestEvents.key(host, instance).getBytes(StandardCharsets.UTF_8)))
                % PolicyStack.PARTITIONS;
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        Iterator<String> it = node.fieldNames();
        it.forEachRemaining(names::add);
        return names;
    }

    private static Admin admin() {
        Properties p = new Properties();
        p.putAll(PolicyStack.adminLogin());
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, PolicyStack.bootstrapServers());
        return Admin.create(p);
    }

    private int members(Admin admin) {
        try {
            ConsumerGroupDescription group = admin.describeConsumerGroups(List.of(config.kafka().groupId()))
                    .all().get(10, TimeUnit.SECONDS).get(config.kafka().groupId());
            return group.groupState() == GroupState.STABLE ? group.members().size() : -1;
        } catch (Exception e) {
            throw new AssertionError("cannot describe the consumer group", e);
        }
    }

    /** Whether the group's committed offsets reached the end of every partition. */
    private boolean caughtUp(Admin admin) {
        try {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(
                    config.kafka().groupId()).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            java.util.regex.Pattern hostTopics = dev.opencode.tuner.kafka.HostTopics.pattern(PolicyStack.TOPIC);
            for (String topic : admin.listTopics().names().get(10, TimeUnit.SECONDS)) {
                if (hostTopics.matcher(topic).matches()) {
                    for (int p = 0; p < PolicyStack.PARTITIONS; p++) {
                        latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
                    }
                }
            }
            var ends = admin.listOffsets(latest).all().get(10, TimeUnit.SECONDS);
            for (var e : ends.entrySet()) {
                OffsetAndMetadata c = committed.get(e.getKey());
                if (e.getValue().offset() > 0 && (c == null || c.offset() < e.getValue().offset())) {
                    return false;
                }
            }
            return true;
        } catch (Exception e) {
            throw new AssertionError("cannot read the group's offsets", e);
        }
    }

    /** The dead letters of one key, by original offset (a redelivered batch may write one twice), with headers. */
    private static Map<Long, Map<String, String>> deadLetters(String key, int expected) {
        Properties p = new Properties();
        p.putAll(PolicyStack.adminLogin());
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, PolicyStack.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "dead-letter-reader-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        Map<Long, Map<String, String>> letters = new TreeMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(PolicyStack.DEAD_LETTER_TOPIC));
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (letters.size() < expected && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (r.key() == null || !key.equals(new String(r.key(), StandardCharsets.UTF_8))) {
                        continue;
                    }
                    Map<String, String> headers = new HashMap<>();
                    for (Header h : r.headers()) {
                        headers.put(h.key(), new String(h.value(), StandardCharsets.UTF_8));
                    }
                    letters.put(Long.parseLong(headers.get("dead-letter-offset")), headers);
                }
            }
        }
        return letters;
    }
}
