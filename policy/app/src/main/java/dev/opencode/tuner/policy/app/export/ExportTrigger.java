package dev.opencode.tuner.policy.app.export;

import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.SQLException;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Exports automatically: once the newest decision is newer than what the last run saw and has been quiet for
 * {@code tuner.policy.export.debounce} (several decisions in a row make one commit); otherwise, for hosts whose pull
 * request is open, a run that only reads the forge (closed or merged?) and writes nothing when nothing changed, and
 * for hosts with an announced removal whose notice period is over, a run that drops the entry.
 */
@ApplicationScoped
public class ExportTrigger {
    private static final Logger LOG = Logger.getLogger(ExportTrigger.class);

    @Inject
    ExportService exports;

    @Inject
    ExportStore store;

    @Inject
    ExportConfig config;

    @Scheduled(every = "${tuner.policy.export.poll-interval:1m}", delayed = "${tuner.policy.export.poll-interval:1m}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void poll() {
        if (!exports.enabled() || !config.auto()) {
            return;
        }
        try {
            Optional<long[]> newest = store.newestDecision();
            long seen = store.lastSeenDecision();
            if (newest.isPresent() && newest.get()[0] > seen) {
                long quietFor = System.currentTimeMillis() - newest.get()[1];
                if (quietFor >= config.debounce().toMillis()) {
                    exports.run(Optional.empty(), false);
                }
                return;
            }
            java.util.Set<String> hosts = new java.util.TreeSet<>(store.hostsWithOpenPullRequests());
            hosts.addAll(store.hostsWithDueRemovals()); // a notice period ended: no decision announces that
            for (String host : hosts) {
                exports.run(Optional.of(host), false);
            }
        } catch (SQLException | RuntimeException e) {
            LOG.warnf("automatic export failed: %s", e.getMessage());
        }
    }
}
