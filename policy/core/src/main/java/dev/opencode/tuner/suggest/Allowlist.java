package dev.opencode.tuner.suggest;

import inet.ipaddr.IPAddress;
import java.util.ArrayList;
import java.util.List;

/** What an instance may already reach: suggestions never repeat it. */
public final class Allowlist {
    private static final Allowlist EMPTY = new Allowlist(List.of());
    private final List<IPAddress> blocks;

    private Allowlist(List<IPAddress> blocks) {
        this.blocks = List.copyOf(blocks);
    }

    public static Allowlist empty() {
        return EMPTY;
    }

    /** From CIDR strings; each must be a valid CIDR ({@link Cidrs#parse}). */
    public static Allowlist of(List<String> cidrs) {
        List<IPAddress> blocks = new ArrayList<>();
        for (String cidr : cidrs) {
            blocks.add(Cidrs.parse(cidr));
        }
        return new Allowlist(blocks);
    }

    public List<IPAddress> blocks() {
        return blocks;
    }

    public boolean covers(IPAddress address) {
        for (IPAddress block : blocks) {
            if (block.getIPVersion() == address.getIPVersion() && block.contains(address)) {
                return true;
            }
        }
        return false;
    }

    /** The parts of {@code block} this allowlist does not cover yet, as prefix blocks. */
    public List<IPAddress> uncoveredParts(IPAddress block) {
        List<IPAddress> remaining = new ArrayList<>(List.of(block));
        for (IPAddress allowed : blocks) {
            if (allowed.getIPVersion() != block.getIPVersion()) {
                continue;
            }
            List<IPAddress> next = new ArrayList<>();
            for (IPAddress part : remaining) {
                if (!part.overlaps(allowed)) {
                    next.add(part);
                    continue;
                }
                IPAddress[] rest = part.subtract(allowed);
                if (rest != null) {
                    for (IPAddress r : rest) {
                        for (IPAddress b : r.spanWithPrefixBlocks()) {
                            next.add(b);
                        }
                    }
                }
            }
            remaining = next;
        }
        return remaining;
    }
}
