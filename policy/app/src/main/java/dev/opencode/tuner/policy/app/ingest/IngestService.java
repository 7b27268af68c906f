package dev.opencode.tuner.policy.app.ingest;

import dev.opencode.tuner.policy.app.PolicyConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.lang.management.ManagementFactory;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/** Runs one {@link BlockedEventConsumer} on its own platform thread for the life of the application. */
@ApplicationScoped
public class IngestService {
    private static final Logger LOG = Logger.getLogger(IngestService.class);

    private final PolicyConfig config;
    private final AggregateWriter writer;
    private final IngestMetrics metrics;
    private volatile BlockedEventConsumer consumer;
    private Thread thread;
    private volatile Throwable failure;

    IngestService(PolicyConfig config, DataSource dataSource, MeterRegistry registry) {
        this.config = config;
        this.writer = new AggregateWriter(dataSource, config.dedupe().retention());
        this.metrics = new IngestMetrics(registry);
    }

    void onStart(@Observes StartupEvent event) {
        start();
    }

    void onStop(@Observes ShutdownEvent event) throws InterruptedException {
        stop();
    }

    /** Starts the consumer (at application start; tests call it again after {@link #stop}, as a restart). */
    public synchronized void start() {
        if (thread != null && thread.isAlive()) {
            throw new IllegalStateException("the consumer is already running");
        }
        failure = null;
        consumer = new BlockedEventConsumer(settings(config, clientId()), writer, metrics);
        thread = Thread.ofPlatform().name("blocked-event-consumer").daemon(false).unstarted(() -> {
            try {
                consumer.run();
            } catch (RuntimeException | Error e) {
                failure = e;
                LOG.errorf(e, "the blocked-event consumer stopped: %s", e.getMessage());
            }
        });
        thread.start();
        PolicyConfig.Kafka k = config.kafka();
        LOG.infof("consuming %s on %s as group %s (dead letters to %s)", k.topic(), k.bootstrapServers(), k.groupId(),
                k.deadLetterTopic());
    }

    /** Stops the consumer and waits for it; a batch not committed yet is delivered again to whoever reads next. */
    public synchronized void stop() throws InterruptedException {
        if (consumer != null) {
            consumer.stop();
            thread.join(60_000);
        }
    }

    /** The settings of a consumer of this application's group; a second one needs its own client id. */
    public static BlockedEventConsumer.Settings settings(PolicyConfig config, String clientId) {
        PolicyConfig.Kafka k = config.kafka();
        return new BlockedEventConsumer.Settings(k.bootstrapServers(), k.topic(), k.deadLetterTopic(),
                k.createDeadLetterTopic(), k.groupId(), clientId, k.maxBatch(), k.pollTimeout(), k.retryBackoff(),
                k.maxRetryBackoff());
    }

    /** Batches the current consumer has applied. */
    public long batches() {
        BlockedEventConsumer c = consumer;
        return c == null ? 0 : c.batches();
    }

    public AggregateWriter writer() {
        return writer;
    }

    public IngestMetrics metrics() {
        return metrics;
    }

    /** Null while the consumer runs and its batches succeed; otherwise what is wrong. */
    public String problem() {
        if (failure != null) {
            return "the consumer stopped: " + failure;
        }
        if (thread == null || !thread.isAlive()) {
            return "the consumer is not running";
        }
        return consumer.problem();
    }

    /** Whether the consumer thread runs (it retries failed batches by itself; only a bug ends it). */
    public boolean alive() {
        return failure == null && thread != null && thread.isAlive();
    }

    /**
     * Deletes the ids of events older than the retention (plus a day's margin). Several policy instances may prune
     * at once: the deletes are idempotent.
     */
    @Scheduled(every = "${tuner.policy.dedupe.prune-interval}", delayed = "1m",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void prune() {
        try {
            long deleted = writer.prune();
            metrics.pruned(deleted);
            if (deleted > 0) {
                LOG.infof("pruned %d event ids older than %s", deleted, config.dedupe().retention());
            }
            long days = writer.pruneDays(config.history().retention());
            if (days > 0) {
                LOG.infof("pruned %d per-day counts older than %s", days, config.history().retention());
            }
        } catch (SQLException e) {
            metrics.databaseError();
            LOG.errorf("pruning expired event ids or per-day counts failed (retried at the next interval): %s", e.getMessage());
        }
    }

    private static String clientId() {
        // Host and pid: several policy instances of one group are told apart in the broker's logs and tools.
        return "opencode-egress-policy-" + ManagementFactory.getRuntimeMXBean().getName();
    }
}
