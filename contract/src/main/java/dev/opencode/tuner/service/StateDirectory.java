package dev.opencode.tuner.service;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * A service's default state directory, named as its NixOS unit is ({@code /var/lib/opencode-egress-tuner-<service>}),
 * and the way over from the directory earlier releases used by default ({@code /var/lib/opencode-egress-<service>}):
 * while the configured directory is the default, does not exist yet and the former one does, the service keeps
 * using the former one and says how to move it, so that an upgrade never strands accounts or a journal cursor.
 */
public final class StateDirectory {
    private StateDirectory() {
    }

    /** The collector's default state directory (its journal cursor). */
    public static final String COLLECTOR = "/var/lib/opencode-egress-tuner-collector";
    /** The policy service's default state directory (accounts, session key, export cache). */
    public static final String POLICY = "/var/lib/opencode-egress-tuner-policy";
    /** The collector's default in earlier releases. */
    public static final String FORMER_COLLECTOR = "/var/lib/opencode-egress-collector";
    /** The policy service's default in earlier releases. */
    public static final String FORMER_POLICY = "/var/lib/opencode-egress-policy";

    /**
     * The directory to use: {@code configured}, unless it is {@code defaultDir}, does not exist, and
     * {@code formerDir} is a directory; then {@code formerDir}, with a warning (what to do) given to {@code warn}.
     *
     * @param key the configuration key, named in the warning
     */
    public static Path resolve(String key, Path configured, Path defaultDir, Path formerDir, Consumer<String> warn) {
        if (configured.equals(defaultDir) && !Files.exists(configured) && Files.isDirectory(formerDir)) {
            warn.accept(key + ": using " + formerDir + ", the default of earlier releases, because " + defaultDir
                    + " does not exist; move it there (mv " + formerDir + " " + defaultDir + ") or set " + key + "="
                    + formerDir);
            return formerDir;
        }
        return configured;
    }
}
