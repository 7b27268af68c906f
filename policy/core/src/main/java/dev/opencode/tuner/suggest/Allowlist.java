package dev.opencode.tuner.suggest;

import inet.ipaddr.IPAddress;
import inet.ipaddr.ipv4.IPv4AddressTrie;
import inet.ipaddr.ipv6.IPv6AddressTrie;
import java.util.ArrayList;
import java.util.List;

/** What an instance may already reach: suggestions never repeat it. */
public final class Allowlist {
    private static final Allowlist EMPTY = new Allowlist(List.of());
    private final List<IPAddress> blocks;
    private final IPv4AddressTrie trie4 = new IPv4AddressTrie();
    private final IPv6AddressTrie trie6 = new IPv6AddressTrie();

    // IPv4 coverage as disjoint sorted [lower, upper] intervals, for a binary search without allocation.
    private final long[] lower4;
    private final long[] upper4;

    private Allowlist(List<IPAddress> blocks) {
        this.blocks = List.copyOf(blocks);
        List<long[]> intervals = new ArrayList<>();
        for (IPAddress b : this.blocks) {
            if (b.isIPv4()) {
                intervals.add(new long[] {b.toIPv4().getLower().longValue(), b.toIPv4().getUpper().longValue()});
            }
        }
        intervals.sort((x, y) -> Long.compare(x[0], y[0]));
        List<long[]> merged = new ArrayList<>();
        for (long[] i : intervals) {
            if (!merged.isEmpty() && i[0] <= merged.get(merged.size() - 1)[1] + 1) {
                long[] last = merged.get(merged.size() - 1);
                last[1] = Math.max(last[1], i[1]);
            } else {
                merged.add(i.clone());
            }
        }
        lower4 = new long[merged.size()];
        upper4 = new long[merged.size()];
        for (int k = 0; k < merged.size(); k++) {
            lower4[k] = merged.get(k)[0];
            upper4[k] = merged.get(k)[1];
        }
        for (IPAddress b : this.blocks) {
            if (b.isIPv4()) {
                trie4.add(b.toIPv4());
            } else {
                trie6.add(b.toIPv6());
            }
        }
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

    /** Whether the IPv4 address with this unsigned value is allowed. */
    public boolean coversIpv4(long value) {
        int lo = 0;
        int hi = lower4.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (value < lower4[mid]) {
                hi = mid - 1;
            } else if (value > upper4[mid]) {
                lo = mid + 1;
            } else {
                return true;
            }
        }
        return false;
    }

    public boolean covers(IPAddress address) {
        if (address.isIPv4() && address.getNetworkPrefixLength() == null) {
            return coversIpv4(address.toIPv4().longValue());
        }
        return address.isIPv4() ? trie4.elementContains(address.toIPv4()) : trie6.elementContains(address.toIPv6());
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
