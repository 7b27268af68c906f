package dev.opencode.tuner.suggest;

/**
 * How destinations become CIDRs: one host prefix per destination, or the enclosing group prefix when at least
 * {@code minAddresses} distinct destinations fall inside it.
 *
 * @param minAddresses distinct destinations inside one group prefix that make the group suggested (default 4)
 * @param prefix4      IPv4 group prefix length (default 24)
 * @param prefix6      IPv6 group prefix length (default 64)
 * @param denylist     never suggested
 */
public record SuggestionPolicy(int minAddresses, int prefix4, int prefix6, Denylist denylist) {
    public static final int DEFAULT_MIN_ADDRESSES = 4;
    public static final int DEFAULT_PREFIX4 = 24;
    public static final int DEFAULT_PREFIX6 = 64;
    /** Broadest group prefixes accepted: wider groups would open too much on thin evidence. */
    public static final int BROADEST_PREFIX4 = 16;
    public static final int BROADEST_PREFIX6 = 48;

    public SuggestionPolicy {
        if (minAddresses < 2) {
            throw new IllegalArgumentException("min-addresses must be at least 2, got " + minAddresses);
        }
        if (prefix4 < BROADEST_PREFIX4 || prefix4 > 32) {
            throw new IllegalArgumentException("IPv4 group prefix must be in " + BROADEST_PREFIX4 + "..32, got "
                    + prefix4);
        }
        if (prefix6 < BROADEST_PREFIX6 || prefix6 > 128) {
            throw new IllegalArgumentException("IPv6 group prefix must be in " + BROADEST_PREFIX6 + "..128, got "
                    + prefix6);
        }
        if (denylist == null) {
            throw new IllegalArgumentException("denylist is required");
        }
    }

    public static SuggestionPolicy defaults() {
        return new SuggestionPolicy(DEFAULT_MIN_ADDRESSES, DEFAULT_PREFIX4, DEFAULT_PREFIX6, Denylist.defaults());
    }

    public int groupPrefix(int ipVersion) {
        return ipVersion == 4 ? prefix4 : prefix6;
    }
}
