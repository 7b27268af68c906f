package dev.opencode.tuner.policy.app.ingest;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import dev.opencode.tuner.kafka.HostTopics;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.jboss.logging.Logger;

/**
 * The poll loop: reads a batch of blocked-event records, applies the valid ones to the database in one transaction,
 * writes the others to the dead-letter topic, and only then commits the batch's offsets. Everything it knows is in
 * the database and in the committed offsets, so it may be stopped at any point, and any number of them may share a
 * consumer group: a batch applied but not committed (crash, rebalance) is delivered again and counts nothing twice.
 *
 * <p>The plain Kafka client is used, not SmallRye Reactive Messaging: the commit must follow the database commit of
 * exactly the records applied, a failed batch must be re-read from its first offset (a seek), and records arrive as
 * bytes so that no deserializer can throw inside {@code poll} and stall the partition on a poison record.
 *
 * <p>Runs on the thread that calls {@link #run}; {@link #stop} may be called from any thread.
 */
public final class BlockedEventConsumer implements Runnable {
    private static final Logger LOG = Logger.getLogger(BlockedEventConsumer.class);

    /** What the consumer needs to know; built from {@code tuner.policy.kafka.*}. */
    public record Settings(KafkaConnection kafka, String topic, String deadLetterTopic, boolean createDeadLetterTopic,
                           String groupId, String clientId, int maxBatch, Duration pollTimeout, Duration retryBackoff,
                           Duration maxRetryBackoff, Duration topicDiscoveryInterval) {
    }

    private final Settings settings;
    private final AggregateWriter writer;
    private final IngestMetrics metrics;
    private final RecordDecoder decoder;
    private final Object sleepLock = new Object();
    private volatile boolean running = true;
    private volatile KafkaConsumer<byte[], byte[]> consumer;
    private volatile String problem;
    private final Set<TopicPartition> assignment = ConcurrentHashMap.newKeySet();
    /** The partitions of the batch that failed and is being retried; empty while batches succeed. */
    private final Set<TopicPartition> failing = ConcurrentHashMap.newKeySet();
    private final AtomicLong batches = new AtomicLong();
    private Duration backoff;

    public BlockedEventConsumer(Settings settings, AggregateWriter writer, IngestMetrics metrics) {
        this.settings = settings;
        this.writer = writer;
        this.metrics = metrics;
        this.backoff = settings.retryBackoff();
        this.decoder = new RecordDecoder(settings.topic());
    }

    @Override
    public void run() {
        if (settings.createDeadLetterTopic()) {
            ensureDeadLetterTopic();
        }
        if (!running) {
            return;
        }
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(consumerProperties(), new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
             DeadLetters deadLetters = new DeadLetters(settings.kafka(), settings.deadLetterTopic(),
                     settings.clientId() + "-dlq")) {
            consumer = c;
            // Every host's topic, those created later included (found within metadata.max.age.ms).
            c.subscribe(HostTopics.pattern(settings.topic()), new Rebalance());
            while (running) {
                ConsumerRecords<byte[], byte[]> records;
                try {
                    records = c.poll(settings.pollTimeout());
                } catch (WakeupException e) {
                    continue; // stop() was called: the loop condition decides
                } catch (KafkaException e) {
                    problem = "polling " + settings.topic() + ".* failed: " + e;
                    LOG.errorf("%s; retrying in %d ms", problem, backoff.toMillis());
                    sleep(backoff);
                    backoff = next(backoff);
                    continue;
                }
                if (!records.isEmpty()) {
                    process(c, deadLetters, records);
                }
            }
        } finally {
            consumer = null;
        }
        LOG.infof("consumer %s stopped", settings.clientId());
    }

    /** Stops the loop; the batch in progress is finished or abandoned uncommitted (it will be delivered again). */
    public void stop() {
        running = false;
        KafkaConsumer<byte[], byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        synchronized (sleepLock) {
            sleepLock.notifyAll();
        }
    }

    /** Null while batches succeed; otherwise why the last one failed (it is being retried). */
    public String problem() {
        return problem;
    }

    /** How many partitions this consumer owns now. */
    public int assignedPartitions() {
        return assignment.size();
    }

    /** Batches applied and committed (or handed over to a new owner) so far. */
    public long batches() {
        return batches.get();
    }

    private void process(KafkaConsumer<byte[], byte[]> c, DeadLetters deadLetters,
                         ConsumerRecords<byte[], byte[]> records) {
        long t0 = System.nanoTime();
        metrics.consumed(records.count());
        RecordDecoder.Decoded decoded = decoder.decode(records);
        AggregateWriter.Result result;
        List<RecordDecoder.Rejected> rejected = new ArrayList<>(decoded.rejected());
        try {
            result = writer.apply(decoded.events());
        } catch (SQLException e) {
            metrics.databaseError();
            if (!AggregateWriter.isDataError(e)) {
                retryLater(c, records, "the database transaction failed: " + describe(e), e);
                return;
            }
            // The database refused the data itself, so this batch would fail forever: find the records it refuses,
            // dead-letter them, and apply the others.
            LOG.warnf("the database refused a batch of %d events (%s): applying them one by one to find the records"
                    + " it refuses", decoded.accepted().size(), describe(e));
            try {
                result = applyOneByOne(decoded.accepted(), rejected);
            } catch (SQLException | RuntimeException again) {
                retryLater(c, records, "the database transaction failed: " + describe(again), again);
                return;
            }
        } catch (RuntimeException e) {
            metrics.databaseError();
            retryLater(c, records, "the database transaction failed: " + describe(e), e);
            return;
        }
        try {
            deadLetters.send(rejected);
        } catch (DeadLetters.DeliveryException e) {
            metrics.deadLetterError();
            retryLater(c, records, e.getMessage(), e);
            return;
        }
        for (RecordDecoder.Rejected r : rejected) {
            LOG.warnf("dead-lettered %s-%d@%d to %s: %s", r.record().topic(), r.record().partition(),
                    r.record().offset(), settings.deadLetterTopic(), r.reason());
        }
        if (result.expired() > 0) {
            LOG.warnf("not counted: %d blocked event%s older than tuner.policy.dedupe.retention (an old journal read"
                    + " again?)", result.expired(), result.expired() == 1 ? "" : "s");
        }
        if (result.overflow() > 0) {
            LOG.warnf("not aggregated: %d blocked event%s to destinations beyond"
                    + " tuner.policy.aggregation.max-destinations-per-instance (a scan, or an agent making addresses"
                    + " up?); counted in tuner_policy_events_overflow_total", result.overflow(),
                    result.overflow() == 1 ? "" : "s");
        }
        try {
            c.commitSync(nextOffsets(records));
        } catch (CommitFailedException | RebalanceInProgressException e) {
            // The partitions moved to another consumer before the commit: it reads the batch again, and the event
            // ids already in the database make that a no-op. Nothing is lost or counted twice.
            metrics.commitFailed();
            LOG.infof("offsets of an applied batch were not committed (%s): the new owner of the partitions reads it"
                    + " again and counts nothing twice", e.getClass().getSimpleName());
        } catch (WakeupException e) {
            // stop() during the commit: the batch is delivered again after the restart, and counted once.
            return;
        } catch (KafkaException e) {
            // Coordinator unavailable, timeout: the next successful commit covers these offsets too (commits are
            // positions); a crash before it means one more redelivery, which counts nothing twice.
            metrics.commitFailed();
            LOG.warnf("committing offsets failed (%s); a later commit covers them", e.toString());
        }
        metrics.batch(result, rejected.size(), System.nanoTime() - t0);
        metrics.hostNotProven(decoded.hostNotProven());
        batches.incrementAndGet();
        problem = null;
        failing.clear();
        backoff = settings.retryBackoff();
    }

    /** Applies each event in its own transaction; those the database refuses as data join the dead letters. */
    private AggregateWriter.Result applyOneByOne(List<RecordDecoder.Accepted> accepted,
                                                 List<RecordDecoder.Rejected> rejected) throws SQLException {
        AggregateWriter.Result total = AggregateWriter.Result.EMPTY;
        for (RecordDecoder.Accepted a : accepted) {
            try {
                total = total.plus(writer.apply(List.of(a.event())));
            } catch (SQLException e) {
                if (!AggregateWriter.isDataError(e)) {
                    throw e;
                }
                rejected.add(new RecordDecoder.Rejected(a.record(), "$", "$: the database refused it: "
                        + describe(e)));
            }
        }
        return total;
    }

    /** Rewinds every partition of the batch to its first record, and waits before the next poll delivers it again. */
    private void retryLater(KafkaConsumer<byte[], byte[]> c, ConsumerRecords<byte[], byte[]> records, String why,
                            Exception e) {
        problem = why;
        failing.addAll(records.partitions());
        LOG.errorf("%s; the batch of %d records is retried in %d ms", why, records.count(), backoff.toMillis());
        LOG.debug("batch failure", e);
        for (TopicPartition partition : records.partitions()) {
            List<ConsumerRecord<byte[], byte[]>> list = records.records(partition);
            c.seek(partition, list.get(0).offset());
        }
        sleep(backoff);
        backoff = next(backoff);
    }

    private Duration next(Duration wait) {
        Duration doubled = wait.multipliedBy(2);
        return doubled.compareTo(settings.maxRetryBackoff()) > 0 ? settings.maxRetryBackoff() : doubled;
    }

    private static Map<TopicPartition, OffsetAndMetadata> nextOffsets(ConsumerRecords<byte[], byte[]> records) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (TopicPartition partition : records.partitions()) {
            List<ConsumerRecord<byte[], byte[]>> list = records.records(partition);
            offsets.put(partition, new OffsetAndMetadata(list.get(list.size() - 1).offset() + 1));
        }
        return offsets;
    }

    private void ensureDeadLetterTopic() {
        Duration wait = settings.retryBackoff();
        while (running) {
            Optional<String> error = DeadLetters.ensureTopic(settings.kafka(), settings.deadLetterTopic());
            if (error.isEmpty()) {
                return;
            }
            problem = "cannot create the dead-letter topic " + settings.deadLetterTopic() + ": " + error.get();
            LOG.warnf("%s; retrying in %d ms", problem, wait.toMillis());
            sleep(wait);
            wait = next(wait);
        }
    }

    private void sleep(Duration duration) {
        long until = System.nanoTime() + duration.toNanos();
        synchronized (sleepLock) {
            long left;
            while (running && (left = until - System.nanoTime()) > 0) {
                try {
                    sleepLock.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    running = false;
                }
            }
        }
    }

    private Properties consumerProperties() {
        Properties p = settings.kafka().properties();
        p.put(ConsumerConfig.GROUP_ID_CONFIG, settings.groupId());
        p.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, (int) settings.topicDiscoveryInterval().toMillis());
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, settings.clientId());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, settings.maxBatch());
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        // Room for a whole batch per partition fetch (a blocked event is about 500 bytes of JSON).
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Math.max(1 << 20, settings.maxBatch() * 1024));
        // A retried batch waits at most max-retry-backoff between polls: far inside max.poll.interval.ms (5 min).
        return p;
    }

    private static String describe(Exception e) {
        String message = e.getMessage();
        if (e instanceof SQLException s && s.getSQLState() != null) {
            return "SQLState " + s.getSQLState() + ": " + message;
        }
        return e.getClass().getSimpleName() + ": " + message;
    }

    /**
     * A failed batch whose partitions moved to another consumer (a new host's topic makes the group rebalance) is that
     * consumer's to retry: this one no longer has a problem, and would otherwise report it until its next batch.
     */
    private void forget(Collection<TopicPartition> partitions) {
        if (!failing.isEmpty() && failing.removeAll(partitions) && failing.isEmpty()) {
            problem = null;
        }
    }

    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            // Batches are applied and committed inside poll's thread, one at a time: nothing is pending here.
            assignment.removeAll(partitions);
            forget(partitions);
            if (!partitions.isEmpty()) {
                LOG.debugf("consumer %s: partitions revoked %s", settings.clientId(), partitions);
            }
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            assignment.addAll(partitions);
            // One topic per host: name the hosts only at debug level, the counts always.
            LOG.infof("consumer %s: %d partitions of %d host topics assigned", settings.clientId(),
                    assignment.size(), assignment.stream().map(TopicPartition::topic).distinct().count());
            LOG.debugf("consumer %s: partitions assigned %s", settings.clientId(), partitions);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            assignment.removeAll(partitions);
            forget(partitions);
            LOG.warnf("consumer %s: partitions lost %s (their uncommitted batches are read again by the next owner)",
                    settings.clientId(), partitions);
        }
    }
}
