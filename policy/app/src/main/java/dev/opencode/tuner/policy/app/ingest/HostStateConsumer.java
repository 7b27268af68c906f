package dev.opencode.tuner.policy.app.ingest;

import dev.opencode.tuner.hoststate.HostState;
import dev.opencode.tuner.hoststate.HostStateJson;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import dev.opencode.tuner.kafka.HostTopics;
import dev.opencode.tuner.blocked.Untrusted;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.jboss.logging.Logger;

/**
 * Consumes the hosts' nftables states ({@code opencode.egress.host-state}) into PostgreSQL through the
 * {@link HostStateWriter}. At-least-once like the blocked-event consumer: offsets are committed after the database
 * transaction; a failed transaction seeks back and retries after a back-off; an invalid record is dead-lettered with
 * the reason and the records behind it go on. Reports are snapshots, so a redelivery changes nothing.
 */
public final class HostStateConsumer implements Runnable {
    private static final Logger LOG = Logger.getLogger(HostStateConsumer.class);

    /** From {@code tuner.policy.host-state.*} and {@code tuner.policy.kafka.*}. */
    public record Settings(KafkaConnection kafka, String topic, String deadLetterTopic, String groupId,
                           String clientId, Duration pollTimeout, Duration retryBackoff, Duration maxRetryBackoff,
                           Duration topicDiscoveryInterval) {
    }

    private final Settings settings;
    private final HostStateWriter writer;
    private final Counter applied;
    private final Counter deployed;
    private final Counter deadLettered;
    private final Counter databaseErrors;
    private final Counter hostNotProven;
    private volatile boolean running = true;
    private volatile KafkaConsumer<byte[], byte[]> consumer;
    private volatile String problem;

    public HostStateConsumer(Settings settings, HostStateWriter writer, MeterRegistry registry) {
        this.settings = settings;
        this.writer = writer;
        this.applied = Counter.builder("tuner.policy.host.states.applied")
                .description("Host nftables states applied (newer than the last one of the host)").register(registry);
        this.deployed = Counter.builder("tuner.policy.suggestions.deployed")
                .description("Exported or merged suggestions a host reported as in force").register(registry);
        this.deadLettered = Counter.builder("tuner.policy.host.states.dead.lettered")
                .description("Host-state records that were not valid, sent to the dead-letter topic")
                .register(registry);
        this.hostNotProven = Counter.builder("tuner.policy.host.states.host.not.proven")
                .description("Host states claiming a host other than the one whose topic they were written to:"
                        + " dead-lettered, never applied").register(registry);
        this.databaseErrors = Counter.builder("tuner.policy.host.states.database.errors")
                .description("Failed transactions applying host states (retried)").register(registry);
    }

    @Override
    public void run() {
        Duration backoff = settings.retryBackoff();
        while (running) {
            // The hosts' topics are created with their collectors' accounts; only the dead-letter topic is ours.
            java.util.Optional<String> error = DeadLetters.ensureTopic(settings.kafka(), settings.deadLetterTopic());
            if (error.isEmpty()) {
                break;
            }
            problem = "cannot create the host-state dead-letter topic: " + error.get();
            sleep(backoff);
            backoff = next(backoff);
        }
        Properties p = settings.kafka().properties();
        p.put(ConsumerConfig.GROUP_ID_CONFIG, settings.groupId());
        p.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, (int) settings.topicDiscoveryInterval().toMillis());
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, settings.clientId());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 100);
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
             DeadLetters deadLetters = new DeadLetters(settings.kafka(), settings.deadLetterTopic(),
                     settings.clientId() + "-dlq")) {
            consumer = c;
            c.subscribe(HostTopics.pattern(settings.topic()));
            backoff = settings.retryBackoff();
            while (running) {
                ConsumerRecords<byte[], byte[]> records;
                try {
                    records = c.poll(settings.pollTimeout());
                } catch (WakeupException e) {
                    continue;
                } catch (KafkaException e) {
                    problem = "polling " + settings.topic() + ".* failed: " + e;
                    sleep(backoff);
                    backoff = next(backoff);
                    continue;
                }
                if (records.isEmpty()) {
                    continue;
                }
                try {
                    process(c, deadLetters, records);
                    problem = null;
                    backoff = settings.retryBackoff();
                } catch (SQLException | DeadLetters.DeliveryException | RuntimeException e) {
                    if (e instanceof WakeupException) {
                        continue;
                    }
                    if (e instanceof SQLException) {
                        databaseErrors.increment();
                    }
                    problem = "applying host states failed: " + e.getMessage();
                    LOG.warnf("%s; retrying in %d ms", problem, backoff.toMillis());
                    for (TopicPartition partition : records.partitions()) {
                        c.seek(partition, records.records(partition).get(0).offset());
                    }
                    sleep(backoff);
                    backoff = next(backoff);
                }
            }
        } finally {
            consumer = null;
        }
    }

    private void process(KafkaConsumer<byte[], byte[]> c, DeadLetters deadLetters,
                         ConsumerRecords<byte[], byte[]> records) throws SQLException, DeadLetters.DeliveryException {
        List<RecordDecoder.Rejected> rejected = new ArrayList<>();
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> record : records) {
            HostState state = null;
            try {
                state = HostStateJson.read(record.value() == null ? "" : new String(record.value(),
                        StandardCharsets.UTF_8));
            } catch (HostStateJson.InvalidHostStateException e) {
                String message = e.getMessage();
                int colon = message.indexOf(':');
                rejected.add(new RecordDecoder.Rejected(record, colon > 0 ? message.substring(0, colon) : "$",
                        message));
            }
            java.util.Optional<String> proven = HostTopics.hostOf(settings.topic(), record.topic());
            if (state != null && (proven.isEmpty() || !proven.get().equals(state.host()))) {
                // As for blocked events: only the host's collector may write its topic, so the topic proves the host.
                rejected.add(new RecordDecoder.Rejected(record, RecordDecoder.HOST_NOT_PROVEN, "host: not proven: the"
                        + " state claims host " + Untrusted.quote(state.host()) + " but was written to "
                        + Untrusted.quote(record.topic()) + "; it is not applied to any host"));
                hostNotProven.increment();
                state = null;
            }
            if (state != null) {
                HostStateWriter.Result result = writer.apply(state);
                if (result.applied()) {
                    applied.increment();
                    deployed.increment(result.deployed());
                    if (result.deployed() > 0) {
                        LOG.infof("host %s enforces %d exported suggestion%s: deployed", state.host(),
                                result.deployed(), result.deployed() == 1 ? "" : "s");
                    }
                }
            }
            offsets.put(new TopicPartition(record.topic(), record.partition()),
                    new OffsetAndMetadata(record.offset() + 1));
        }
        if (!rejected.isEmpty()) {
            deadLetters.send(rejected);
            deadLettered.increment(rejected.size());
            rejected.forEach(r -> LOG.warnf("dead-lettered host state %s-%d@%d to %s: %s", r.record().topic(),
                    r.record().partition(), r.record().offset(), settings.deadLetterTopic(), r.reason()));
        }
        try {
            c.commitSync(offsets);
        } catch (KafkaException e) {
            LOG.warnf("committing host-state offsets failed (%s): a redelivery changes nothing", e.toString());
        }
    }

    public void stop() {
        running = false;
        KafkaConsumer<byte[], byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
    }

    /** Null while host states are applied; otherwise why the last attempt failed. */
    public String problem() {
        return problem;
    }

    private Duration next(Duration backoff) {
        Duration doubled = backoff.multipliedBy(2);
        return doubled.compareTo(settings.maxRetryBackoff()) > 0 ? settings.maxRetryBackoff() : doubled;
    }

    private void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }
}
