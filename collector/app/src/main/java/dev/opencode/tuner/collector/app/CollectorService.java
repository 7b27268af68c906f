package dev.opencode.tuner.collector.app;

import dev.opencode.tuner.collector.CursorStore;
import dev.opencode.tuner.collector.FollowerConfig;
import dev.opencode.tuner.collector.JournalFollower;
import dev.opencode.tuner.collector.SpoofWatcher;
import dev.opencode.tuner.journal.InstanceUsers;
import dev.opencode.tuner.journal.Journal;
import dev.opencode.tuner.service.StateDirectory;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/** Wires the follower to Kafka and runs it on its own platform thread for the life of the application. */
@ApplicationScoped
public class CollectorService {
    private static final Logger LOG = Logger.getLogger(CollectorService.class);

    private final CollectorConfig config;
    private final MeterRegistry registry;
    private JournalFollower follower;
    private Thread thread;
    private SpoofWatcher spoofWatcher;
    private HostStateReporter hostState;
    private java.util.concurrent.ScheduledExecutorService hostStateTimer;
    private KafkaEventSink sink;
    private volatile Throwable failure;

    CollectorService(CollectorConfig config, MeterRegistry registry) {
        this.config = config;
        this.registry = registry;
    }

    void start(@Observes StartupEvent event) {
        CollectorConfig.Journal j = config.journal();
        Instant since = null;
        if (j.start() == FollowerConfig.Start.SINCE) {
            String text = j.since().orElseThrow(() -> new IllegalArgumentException(
                    "tuner.collector.journal.since is required when tuner.collector.journal.start=SINCE"));
            try {
                since = Instant.parse(text);
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("tuner.collector.journal.since '" + text
                        + "' is not an ISO-8601 instant such as 2026-11-25T00:00:00Z", e);
            }
        }
        FollowerConfig followerConfig = new FollowerConfig(j.start(), since, j.batchSize(), j.maxInFlight(),
                j.pollTimeout(), j.commitInterval(), j.reopenEntries());
        Supplier<Journal> opener = j.directory().<Supplier<Journal>>map(d -> () -> Journal.openDirectory(d))
                .orElse(Journal::openLocalSystem);
        Path stateDirectory = StateDirectory.resolve("tuner.collector.state-directory", config.stateDirectory(),
                Path.of(StateDirectory.COLLECTOR), Path.of(StateDirectory.FORMER_COLLECTOR), LOG::warn);
        CursorStore cursors;
        try {
            cursors = new CursorStore(stateDirectory);
        } catch (IOException e) {
            throw new UncheckedIOException("tuner.collector.state-directory " + stateDirectory
                    + " cannot be created", e);
        }
        String host = config.host().orElseGet(HostStateReporter::kernelHostname);
        sink = new KafkaEventSink(config.kafka(), host, io.micrometer.core.instrument.Counter
                .builder("tuner.collector.foreign.host.entries")
                .description("Blocked entries whose _HOSTNAME is not this collector's host, routed aside as malformed")
                .register(registry));
        CollectorMetrics metrics = new CollectorMetrics(registry);
        // This machine's own journal: check the instance user's uid (a journal directory may come from elsewhere).
        follower = new JournalFollower(opener, cursors, sink, followerConfig, metrics, Clock.systemUTC(),
                j.directory().isEmpty() ? new InstanceUsers() : null);
        // Userspace imitations are never read by the follower (kernel transport only); count them on the side.
        spoofWatcher = new SpoofWatcher(opener, metrics, j.pollTimeout(), j.reopenEntries());
        Thread.ofPlatform().name("spoof-watcher").daemon(true).start(spoofWatcher);
        registry.gauge("tuner.collector.in.flight", follower, JournalFollower::inFlight);
        // The sd_journal handle is confined to this one platform thread (never a virtual thread).
        thread = Thread.ofPlatform().name("journal-follower").daemon(false).unstarted(() -> {
            try {
                follower.run();
            } catch (RuntimeException | Error e) {
                failure = e;
                LOG.errorf(e, "the journal follower stopped: %s", e.getMessage());
            }
        });
        thread.start();
        if (config.hostState().enabled()) {
            hostState = new HostStateReporter(config.hostState(), sink, registry, Clock.systemUTC());
            hostStateTimer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
                    Thread.ofPlatform().name("host-state").daemon(true).factory());
            long every = config.hostState().interval().toMillis();
            hostStateTimer.scheduleWithFixedDelay(hostState::report, 0, every,
                    java.util.concurrent.TimeUnit.MILLISECONDS);
            LOG.infof("publishing the nftables state of host %s every %s to %s", hostState.host(),
                    config.hostState().interval(), config.hostState().topic() + "." + host);
        }
        LOG.infof("following %s, producing to %s on %s", j.directory().map(Object::toString)
                .orElse("the local system journal"), sink.topic(), config.kafka().bootstrapServers());
    }

    void stop(@Observes ShutdownEvent event) throws InterruptedException {
        if (hostStateTimer != null) {
            hostStateTimer.shutdownNow();
            hostStateTimer.awaitTermination(25, java.util.concurrent.TimeUnit.SECONDS);
        }
        if (spoofWatcher != null) {
            spoofWatcher.stop();
        }
        if (follower != null) {
            follower.stop();
            thread.join(35_000);
        }
        if (sink != null) {
            sink.close();
        }
    }

    /** Null while the follower runs; otherwise why it stopped. */
    public String problem() {
        if (failure != null) {
            return failure.getMessage();
        }
        if (thread != null && !thread.isAlive()) {
            return "the journal follower is not running";
        }
        return null;
    }
}
