package dev.opencode.tuner.blocked;

/** How a log line reached us. Only {@link #KERNEL} lines are trusted to come from nftables. */
public enum Transport {
    /** Journal entry with {@code _TRANSPORT=kernel}: written by the kernel, cannot be forged from userspace. */
    KERNEL("kernel"),
    /** Plain-text input (dmesg, kern.log): the origin of a line cannot be checked. */
    UNKNOWN("unknown");

    private final String json;

    Transport(String json) {
        this.json = json;
    }

    public String json() {
        return json;
    }

    public static Transport fromJson(String value) {
        for (Transport t : values()) {
            if (t.json.equals(value)) {
                return t;
            }
        }
        throw new IllegalArgumentException("transport must be 'kernel' or 'unknown', got " + Untrusted.quote(value));
    }
}
