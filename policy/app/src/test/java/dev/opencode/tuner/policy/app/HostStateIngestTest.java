package dev.opencode.tuner.policy.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.opencode.tuner.hoststate.HostState;
import dev.opencode.tuner.hoststate.HostStateJson;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Properties;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** The hosts' nftables states, as the collector publishes them, consumed into PostgreSQL and served by the API. */
@QuarkusTest
@WithTestResource(value = PolicyStack.class, scope = TestResourceScope.MATCHING_RESOURCES)
class HostStateIngestTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    // Whole milliseconds: PostgreSQL keeps microseconds, and the assertions compare times as text.
    private static final Instant T = Instant.now().minusSeconds(600).truncatedTo(ChronoUnit.MILLIS);

    @Inject
    DataSource dataSource;

    private static HostState state(String host, Instant time, long webPackets, List<String> problems) {
        return new HostState(host, time, problems, problems.isEmpty() ? List.of(new HostState.InstanceState("web",
                List.of(new HostState.AllowCounter("10.0.0.0/8", webPackets, webPackets * 60),
                        new HostState.AllowCounter("151.101.0.223/32", 0, 0)),
                List.of(new HostState.BlockedDestination("192.0.2.5", 7, 420, 600)))) : List.of());
    }

    /** Publishes as {@code host}'s collector, to its host-state topic. */
    private static void publish(String host, String value) throws Exception {
        Properties p = PolicyStack.collectorProperties(host);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(),
                new StringSerializer())) {
            producer.send(new ProducerRecord<>(PolicyStack.hostStateTopic(host), host, value)).get();
        }
    }

    @Test
    void aHostsReportReplacesItsAllowlistKeepsCountersAndMarksExportedSuggestionsDeployed() throws Exception {
        String host = "hs-" + TestEvents.newId().substring(0, 8);
        sql("INSERT INTO allowlist_entry VALUES ('" + host + "', 'web', '203.0.113.0/24')"); // gone from the table
        sql("INSERT INTO suggestion (id, host, instance, cidr, state, stable, events, ports, protocols, services,"
                + " evidence, accepted_cidr) VALUES (gen_random_uuid(), '" + host + "', 'web', '151.101.0.223/32',"
                + " 'exported', true, 3, '{443}', '{tcp}', '{tcp/443}', '[]', '151.101.0.223/32')");
        publish(host, HostStateJson.write(state(host, T, 0, List.of())));
        Eventually.await("the first report is applied", WAIT, () -> count("SELECT count(*) FROM host_state WHERE"
                + " host = '" + host + "'") == 1);

        assertThat(count("SELECT count(*) FROM allowlist_entry WHERE host = '" + host + "'")).isEqualTo(2);
        assertThat(count("SELECT count(*) FROM allowlist_entry WHERE host = '" + host + "' AND cidr ="
                + " '203.0.113.0/24'")).isZero();
        assertThat(count("SELECT count(*) FROM suggestion WHERE host = '" + host + "' AND state = 'deployed'"))
                .isEqualTo(1);
        assertThat(count("SELECT count(*) FROM host_allow_counter WHERE host = '" + host + "' AND last_used IS NULL"))
                .as("no counter has moved yet").isEqualTo(2);

        // The counter of 10.0.0.0/8 moves; an older report arriving late changes nothing; a report with problems
        // is recorded but keeps what is known.
        publish(host, HostStateJson.write(state(host, T.plusSeconds(60), 5, List.of())));
        publish(host, HostStateJson.write(state(host, T.plusSeconds(30), 99, List.of())));
        publish(host, HostStateJson.write(state(host, T.plusSeconds(120), 0, List.of("nft exited with 1"))));
        Eventually.await("the report with problems is recorded", WAIT, () -> count("SELECT count(*) FROM host_state"
                + " WHERE host = '" + host + "' AND problems::text LIKE '%exited%'") == 1);
        assertThat(count("SELECT packets FROM host_allow_counter WHERE host = '" + host + "' AND cidr = '10.0.0.0/8'"))
                .isEqualTo(5);
        assertThat(count("SELECT count(*) FROM host_allow_counter WHERE host = '" + host + "' AND cidr = '10.0.0.0/8'"
                + " AND last_used = '" + T.plusSeconds(60) + "'")).isEqualTo(1);
        assertThat(count("SELECT count(*) FROM allowlist_entry WHERE host = '" + host + "'")).isEqualTo(2);

        JsonNode hosts = Api.get("/api/v1/host-states").get("hosts");
        JsonNode mine = null;
        for (JsonNode h : hosts) {
            if (h.get("host").asText().equals(host)) {
                mine = h;
            }
        }
        assertThat(mine).isNotNull();
        assertThat(mine.get("problems").toString()).contains("nft exited with 1");
        assertThat(mine.get("allow").toString()).contains("\"cidr\":\"10.0.0.0/8\"").contains("\"packets\":5");
        assertThat(mine.get("blocked").get(0).get("destination").asText()).isEqualTo("192.0.2.5");
        assertThat(mine.get("blocked").get(0).get("packets").asLong()).isEqualTo(7);
    }

    @Test
    void anInvalidHostStateIsDeadLetteredWithTheReasonAndTheNextOneApplied() throws Exception {
        String host = "hs-" + TestEvents.newId().substring(0, 8);
        String poison = HostStateJson.write(state(host, T, 1, List.of())).replace("\"web\"", "\"Web Bad\"");
        publish(host, poison);
        publish(host, HostStateJson.write(state(host, T.plusSeconds(1), 1, List.of())));
        Eventually.await("the valid report behind the poison is applied", WAIT,
                () -> count("SELECT count(*) FROM host_state WHERE host = '" + host + "'") == 1);
        Properties p = PolicyStack.adminProperties();
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p, new StringDeserializer(),
                new StringDeserializer())) {
            TopicPartition dlq = new TopicPartition("opencode.egress.dead-letter.host-state", 0);
            c.assign(List.of(dlq));
            c.seekToBeginning(List.of(dlq));
            String reason = null;
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (reason == null && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500))) {
                    if (poison.equals(r.value())) {
                        reason = new String(r.headers().lastHeader("dead-letter-reason").value(),
                                StandardCharsets.UTF_8);
                    }
                }
            }
            assertThat(reason).startsWith("instances[0].instance: 'Web Bad' is not");
        }
    }

    private void sql(String statement) throws Exception {
        try (var connection = dataSource.getConnection(); var s = connection.createStatement()) {
            s.execute(statement);
        }
    }

    private long count(String query) {
        try (var connection = dataSource.getConnection(); var s = connection.createStatement();
             var r = s.executeQuery(query)) {
            r.next();
            return r.getLong(1);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
