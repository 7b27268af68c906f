package dev.opencode.tuner.policy.app;

import dev.opencode.tuner.service.StateDirectory;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * {@code tuner.policy.state-directory} as the service uses it: the configured directory, or, while the default does
 * not exist and the default of earlier releases does, that one (warned about once), see {@link StateDirectory}.
 */
public final class PolicyStateDirectory {
    private static final Logger LOG = Logger.getLogger(PolicyStateDirectory.class);
    private static final AtomicBoolean WARNED = new AtomicBoolean();

    private PolicyStateDirectory() {
    }

    /** The directory to use for this configured value (null or blank: the default). */
    public static Path of(String configured) {
        return of(Path.of(configured == null || configured.isBlank() ? StateDirectory.POLICY : configured.strip()));
    }

    /** The directory to use for this configured directory. */
    public static Path of(Path configured) {
        return StateDirectory.resolve("tuner.policy.state-directory", configured, Path.of(StateDirectory.POLICY),
                Path.of(StateDirectory.FORMER_POLICY), warning -> {
                    if (WARNED.compareAndSet(false, true)) {
                        LOG.warn(warning);
                    }
                });
    }
}
