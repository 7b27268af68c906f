package dev.opencode.tuner.export;

import dev.opencode.tuner.blocked.Untrusted;
import java.util.regex.Pattern;

/**
 * The host names the exporter accepts: they become a path segment ({@code hosts/<host>/...}) and a branch name
 * ({@code opencode-egress/<host>}), so only DNS-label characters and dots, never {@code ..}, a slash or a leading dot.
 */
public final class HostNames {
    private static final Pattern PATTERN = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9_.-]{0,251}[A-Za-z0-9])?");

    private HostNames() {
    }

    public static boolean isValid(String host) {
        return host != null && PATTERN.matcher(host).matches() && !host.contains("..");
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
                + "letter or digit, has no '..', and has at most 253 characters";
    }
}
