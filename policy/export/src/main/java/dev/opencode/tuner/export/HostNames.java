package dev.opencode.tuner.export;

import dev.opencode.tuner.blocked.Untrusted;
import java.util.Locale;
import java.util.regex.Pattern;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.Repository;

/**
 * The host names the exporter accepts: they become a path segment ({@code hosts/<host>/...}) and a branch name
 * ({@code opencode-egress/<host>}), so only DNS-label characters and dots, never {@code ..}, a slash or a leading dot,
 * and never a name git refuses as a ref ({@code git check-ref-format}: a component ending in {@code .lock} above all,
 * which git also takes for its own lock file).
 */
public final class HostNames {
    private static final Pattern PATTERN = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9_.-]{0,251}[A-Za-z0-9])?");

    private HostNames() {
    }

    public static boolean isValid(String host) {
        return host != null && PATTERN.matcher(host).matches() && !host.contains("..")
                // Any case: on a case-insensitive file system HOST.LOCK is the lock file of HOST as well.
                && !host.toLowerCase(Locale.ROOT).endsWith(".lock")
                && Repository.isValidRefName(Constants.R_HEADS + GitExporter.BRANCH_PREFIX + host);
    }

    /** Throws with a message naming the value and the rule when {@code host} cannot be exported. */
    public static String require(String host) {
        if (!isValid(host)) {
            throw new IllegalArgumentException(requireMessage(host));
        }
        return host;
    }

    /** The message of {@link #require} for an invalid host. */
    public static String requireMessage(String host) {
        return "host " + (host == null ? "null" : Untrusted.quote(host))
                + " cannot be exported: a host name is letters, digits, '.', '-' or '_', starts and ends with a "
                + "letter or digit, has no '..', does not end in '.lock' (git refuses such a branch name), and has at"
                + " most 253 characters";
    }
}
