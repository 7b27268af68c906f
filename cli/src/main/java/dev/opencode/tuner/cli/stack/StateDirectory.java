package dev.opencode.tuner.cli.stack;

import java.nio.file.Path;

/** Where {@code ./tuner up} keeps its state: {@code --state-dir}, {@code $TUNER_STATE_DIR}, then a default. */
public final class StateDirectory {
    private StateDirectory() {
    }

    /**
     * As root {@code /var/lib/opencode-egress-tuner} (PostgreSQL runs as its own system user, which cannot traverse
     * {@code /root}); otherwise {@code $XDG_STATE_HOME/opencode-egress-tuner} or
     * {@code ~/.local/state/opencode-egress-tuner}.
     */
    public static Path resolve(Path option) {
        if (option != null) {
            return option.toAbsolutePath().normalize();
        }
        String env = System.getenv("TUNER_STATE_DIR");
        if (env != null && !env.isBlank()) {
            return Path.of(env).toAbsolutePath().normalize();
        }
        if ("root".equals(System.getProperty("user.name"))) {
            return Path.of("/var/lib/opencode-egress-tuner");
        }
        String xdg = System.getenv("XDG_STATE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg)
                : Path.of(System.getProperty("user.home"), ".local", "state");
        return base.resolve("opencode-egress-tuner");
    }
}
