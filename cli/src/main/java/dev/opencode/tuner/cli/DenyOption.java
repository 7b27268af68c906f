package dev.opencode.tuner.cli;

import dev.opencode.tuner.suggest.Denylist;
import java.util.List;

/** The {@code --deny CIDR} flags of {@code suggest} and {@code check}: added to the built-in denylist. */
public final class DenyOption {
    private DenyOption() {
    }

    /** The built-in denylist and {@code deny} (null when the flag was not given); a usage error names the flag. */
    public static Denylist denylist(List<String> deny) {
        try {
            return Denylist.defaultsPlus(deny == null ? List.of() : deny, "on the --deny list");
        } catch (IllegalArgumentException e) {
            throw CliException.usage("--deny: " + e.getMessage());
        }
    }
}
