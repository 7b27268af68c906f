package dev.opencode.tuner.blocked;

import java.util.regex.Pattern;

/**
 * The rule for opencode instance names, shared with the NixOS module ({@code nix/lib/names.nix}): a name must work as
 * part of the user and group name {@code opencode-<name>} (NixOS refuses user and group names over 31 characters), a
 * systemd unit name and an nftables log prefix.
 */
public final class InstanceName {
    /** Starts with a lowercase letter; lowercase letters, digits and hyphens; no trailing hyphen; at most 22 characters. */
    public static final Pattern PATTERN = Pattern.compile("[a-z]([a-z0-9-]{0,20}[a-z0-9])?"); // as nix/lib/names.nix
    /** {@code "opencode-"} (9 characters) plus 22 makes 31, the longest user and group name NixOS accepts. */
    public static final int MAX_LENGTH = 22;
    public static final String RULE =
            "a lowercase letter, then lowercase letters, digits or '-', not ending in '-', at most 22 characters";

    private InstanceName() {
    }

    public static boolean isValid(CharSequence name) {
        int n = name.length();
        if (n == 0 || n > MAX_LENGTH) {
            return false;
        }
        char first = name.charAt(0);
        if (first < 'a' || first > 'z') {
            return false;
        }
        for (int i = 1; i < n; i++) {
            char c = name.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
            if (!ok) {
                return false;
            }
        }
        return name.charAt(n - 1) != '-';
    }

    /** Throws with a message naming the value and the rule when {@code name} is not a valid instance name. */
    public static String require(String name) {
        if (name == null || !isValid(name)) {
            throw new IllegalArgumentException("invalid instance name '" + name + "': expected " + RULE);
        }
        return name;
    }
}
