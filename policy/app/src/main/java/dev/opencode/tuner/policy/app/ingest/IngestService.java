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
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * Runs {@code tuner.policy.kafka.consumers} {@link BlockedEventConsumer}s of one group, each on its own platform
 * thread, for the life of the application: Kafka shares the partitions among them, and their transactions run in
 * parallel in PostgreSQL (one backend each), which is where a batch spends most of its time.
 */
@ApplicationScoped
public class IngestService {
    private static final Logger LOG = Logger.getLogger(IngestService.class);

    /** One consumer and the thread that runs it. */
    private static final class Worker {
        final BlockedEventConsumer consumer;
        final Thread thread;
        volatile Throwable failure;

        Worker(BlockedEventConsumer consumer, String name) {
            this.consumer = consumer;
            this.thread = Thread.ofPlatform().name(name).daemon(false).unstarted(() -> {
                try {
                    consumer.run();
                } catch (RuntimeException | Error e) {
                    failure = e;
                    LOG.errorf(e, "the blocked-event consumer %s stopped: %s", name, e.getMessage());
                }
            });
        }
    }

    private final PolicyConfig config;
    private final AggregateWriter writer;
    private final IngestMetrics metrics;
    private volatile List<Worker> workers = List.of();
    private final HostStateWriter hostStateWriter;
    private final MeterRegistry registry;
    private HostStateConsumer hostStates;
    private Thread hostStateThread;

    IngestService(PolicyConfig config, DataSource dataSource, MeterRegistry registry) {
        this.config = config;
        this.writer = new AggregateWriter(dataSource, config.dedupe().retention(), null,
                config.aggregation().maxDestinationsPerInstance());
        this.metrics = new IngestMetrics(registry);
        this.hostStateWriter = new HostStateWriter(dataSource);
        this.registry = registry;
    }

    void onStart(@Observes StartupEvent event) {
        start();
    }

    void onStop(@Observes ShutdownEvent event) throws InterruptedException {
        stop();
    }

    /** Starts the consumers (at application start; tests call it again after {@link #stop}, as a restart). */
    public synchronized void start() {
        for (Worker w : workers) {
            if (w.thread.isAlive()) {
                throw new IllegalStateException("the consumers are already running");
            }
        }
        requireOutsideHostTopics("tuner.policy.kafka.dead-letter-topic", config.kafka().deadLetterTopic(),
                config.kafka().topic());
        requireOutsideHostTopics("tuner.policy.host-state.dead-letter-topic", config.hostState().deadLetterTopic(),
                config.hostState().topic());
        int count = config.kafka().consumers();
        List<Worker> started = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String suffix = count == 1 ? "" : "-" + (i + 1);
            started.add(new Worker(new BlockedEventConsumer(settings(config, clientId() + suffix), writer, metrics),
                    "blocked-event-consumer" + suffix));
        }
        workers = List.copyOf(started);
        started.forEach(w -> w.thread.start());
        if (config.hostState().enabled() && hostStates == null) {
            PolicyConfig.Kafka k = config.kafka();
            hostStates = new HostStateConsumer(new HostStateConsumer.Settings(KafkaConnection.of(k),
                    config.hostState().topic(), config.hostState().deadLetterTopic(), k.groupId() + "-host-state",
                    clientId() + "-host-state", k.pollTimeout(), k.retryBackoff(), k.maxRetryBackoff(),
                    k.topicDiscoveryInterval()),
                    hostStateWriter, registry);
            hostStateThread = Thread.ofPlatform().name("host-state-consumer").daemon(true).start(hostStates);
        }
        PolicyConfig.Kafka k = config.kafka();
        LOG.infof("consuming %s.<host> on %s as group %s with %d consumer%s (dead letters to %s)", k.topic(),
                k.bootstrapServers(), k.groupId(), count, count == 1 ? "" : "s", k.deadLetterTopic());
    }

    /** The service must never read its own dead letters as a host's records. */
    private static void requireOutsideHostTopics(String key, String deadLetterTopic, String base) {
        if (dev.opencode.tuner.kafka.HostTopics.pattern(base).matcher(deadLetterTopic).matches()) {
            throw new IllegalStateException(key + " '" + deadLetterTopic + "' is the name of a host's topic ("
                    + base + ".<host>): the service would read its own dead letters. Choose a name outside " + base
                    + ".*, e.g. opencode.egress.dead-letter.blocked");
        }
    }

    /** Stops the consumers and waits for them; a batch not committed yet is delivered again to whoever reads next. */
    public synchronized void stop() throws InterruptedException {
        workers.forEach(w -> w.consumer.stop());
        if (hostStates != null) {
            hostStates.stop();
            hostStateThread.join(30_000);
            hostStates = null;
        }
        for (Worker w : workers) {
            w.thread.join(60_000);
        }
    }

    /** The settings of a consumer of this application's group; a second one needs its own client id. */
    public static BlockedEventConsumer.Settings settings(PolicyConfig config, String clientId) {
        PolicyConfig.Kafka k = config.kafka();
        return new BlockedEventConsumer.Settings(KafkaConnection.of(k), k.topic(), k.deadLetterTopic(),
                k.createDeadLetterTopic(), k.groupId(), clientId, k.maxBatch(), k.pollTimeout(), k.retryBackoff(),
                k.maxRetryBackoff(), k.topicDiscoveryInterval());
    }

    /** Batches the application's consumers have applied. */
    public long batches() {
        return workers.stream().mapToLong(w -> w.consumer.batches()).sum();
    }

    public AggregateWriter writer() {
        return writer;
    }

    public HostStateWriter hostStateWriter() {
        return hostStateWriter;
    }

    public IngestMetrics metrics() {
        return metrics;
    }

    /** Null while every consumer runs and its batches succeed; otherwise what is wrong (the first problem). */
    public String problem() {
        List<Worker> current = workers;
        if (current.isEmpty()) {
            return "the consumers are not running";
        }
        for (Worker w : current) {
            if (w.failure != null) {
                return "a consumer stopped: " + w.failure;
            }
            if (!w.thread.isAlive()) {
                return "a consumer is not running";
            }
            String problem = w.consumer.problem();
            if (problem != null) {
                return problem;
            }
        }
        return null;
    }

    /** Whether every consumer thread runs (they retry failed batches by themselves; only a bug ends one). */
    public boolean alive() {
        List<Worker> current = workers;
        return !current.isEmpty() && current.stream().allMatch(w -> w.failure == null && w.thread.isAlive());
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
