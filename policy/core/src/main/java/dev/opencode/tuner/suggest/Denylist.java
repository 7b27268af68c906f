package dev.opencode.tuner.suggest;

import inet.ipaddr.IPAddress;
import inet.ipaddr.format.util.AddressTrie;
import inet.ipaddr.format.util.AssociativeAddressTrie;
import inet.ipaddr.ipv4.IPv4Address;
import inet.ipaddr.ipv4.IPv4AddressAssociativeTrie;
import inet.ipaddr.ipv6.IPv6Address;
import inet.ipaddr.ipv6.IPv6AddressAssociativeTrie;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Destinations never suggested, whatever the evidence: each entry with the reason shown to the operator. */
public final class Denylist {
    /** One denied block. */
    public record Entry(IPAddress block, String cidr, String reason) {
    }

    private final List<Entry> entries;
    // Tries of the ipaddress library: containment and overlap lookups in O(prefix length), not O(entries).
    private final IPv4AddressAssociativeTrie<Entry> trie4 = new IPv4AddressAssociativeTrie<>();
    private final IPv6AddressAssociativeTrie<Entry> trie6 = new IPv6AddressAssociativeTrie<>();

    // IPv4 entries as [lower, upper] values for a scan without allocation: the hot path on large inputs.
    private final long[] lower4;
    private final long[] upper4;
    private final Entry[] entries4;

    private Denylist(List<Entry> entries) {
        this.entries = List.copyOf(entries);
        List<Entry> v4 = this.entries.stream().filter(e -> e.block().isIPv4()).toList();
        lower4 = new long[v4.size()];
        upper4 = new long[v4.size()];
        entries4 = v4.toArray(new Entry[0]);
        for (int i = 0; i < entries4.length; i++) {
            lower4[i] = entries4[i].block().toIPv4().getLower().longValue();
            upper4[i] = entries4[i].block().toIPv4().getUpper().longValue();
        }
        for (Entry e : this.entries) {
            // The first entry for a block keeps its reason.
            if (e.block().isIPv4() && !trie4.contains(e.block().toIPv4())) {
                trie4.put(e.block().toIPv4(), e);
            } else if (e.block().isIPv6() && !trie6.contains(e.block().toIPv6())) {
                trie6.put(e.block().toIPv6(), e);
            }
        }
    }

    /** Link-local and cloud metadata, loopback, "this network", multicast, broadcast and their IPv6 twins. */
    public static Denylist defaults() {
        return new Denylist(builtIn());
    }

    /**
     * The built-in entries and the operator's {@code cidrs} (any spelling {@link Cidrs#parse} takes, kept canonical),
     * each of those with {@code reason}.
     *
     * @throws IllegalArgumentException with the parser's message for the first of {@code cidrs} that is not a CIDR;
     *         the caller adds the flag or key it came from
     */
    public static Denylist defaultsPlus(List<String> cidrs, String reason) {
        List<Entry> e = builtIn();
        for (String cidr : cidrs) {
            add(e, Cidrs.format(Cidrs.parse(cidr)), reason);
        }
        return new Denylist(e);
    }

    private static List<Entry> builtIn() {
        List<Entry> e = new ArrayList<>();
        add(e, "0.0.0.0/8", "'this network' (0.0.0.0/8) is not a destination");
        add(e, "127.0.0.0/8", "loopback: the egress policy always accepts it, never list it");
        add(e, "169.254.0.0/16", "link-local, home of cloud instance metadata (169.254.169.254)");
        add(e, "224.0.0.0/4", "multicast");
        add(e, "255.255.255.255/32", "limited broadcast");
        add(e, "168.63.129.16/32", "Azure platform endpoint (WireServer/metadata)");
        add(e, "100.100.100.200/32", "Alibaba Cloud instance metadata");
        add(e, "::/128", "unspecified address");
        add(e, "::1/128", "loopback: the egress policy always accepts it, never list it");
        add(e, "::ffff:0:0/96", "IPv4-mapped IPv6: allow the IPv4 address instead");
        add(e, "fe80::/10", "IPv6 link-local");
        add(e, "fd00:ec2::254/128", "AWS instance metadata (IPv6)");
        add(e, "ff00::/8", "IPv6 multicast");
        return e;
    }

    public static Denylist empty() {
        return new Denylist(List.of());
    }

    /** A copy with one more entry; {@code cidr} must be a canonical CIDR. */
    public Denylist plus(String cidr, String reason) {
        List<Entry> e = new ArrayList<>(entries);
        add(e, cidr, reason);
        return new Denylist(e);
    }

    private static void add(List<Entry> entries, String cidr, String reason) {
        IPAddress block = Cidrs.parse(cidr);
        entries.add(new Entry(block, Cidrs.format(block), reason));
    }

    public List<Entry> entries() {
        return entries;
    }

    /** The entry that contains the IPv4 address with this unsigned value, or null (no allocation). */
    public Entry containingIpv4(long value) {
        Entry found = null;
        long foundSize = Long.MAX_VALUE;
        for (int i = 0; i < lower4.length; i++) {
            if (value >= lower4[i] && value <= upper4[i] && upper4[i] - lower4[i] < foundSize) {
                found = entries4[i]; // the smallest (most specific) containing entry wins, as in the trie
                foundSize = upper4[i] - lower4[i];
            }
        }
        return found;
    }

    /** The most specific entry that contains {@code address}. */
    public Optional<Entry> containing(IPAddress address) {
        if (address.isIPv4() && address.getNetworkPrefixLength() == null) {
            return Optional.ofNullable(containingIpv4(address.toIPv4().longValue()));
        }
        AddressTrie.TrieNode<?> node = address.isIPv4()
                ? trie4.longestPrefixMatchNode(address.toIPv4())
                : trie6.longestPrefixMatchNode(address.toIPv6());
        return node == null ? Optional.empty() : Optional.of(value(node));
    }

    /** An entry that shares at least one address with {@code block} (one containing it, else one inside it). */
    public Optional<Entry> overlapping(IPAddress block) {
        AddressTrie.TrieNode<?> node;
        if (block.isIPv4()) {
            IPv4Address b = block.toIPv4();
            node = trie4.longestPrefixMatchNode(b);
            if (node == null) {
                node = firstAdded(trie4.elementsContainedBy(b));
            }
        } else {
            IPv6Address b = block.toIPv6();
            node = trie6.longestPrefixMatchNode(b);
            if (node == null) {
                node = firstAdded(trie6.elementsContainedBy(b));
            }
        }
        return node == null ? Optional.empty() : Optional.of(value(node));
    }

    private static AddressTrie.TrieNode<?> firstAdded(AddressTrie.TrieNode<?> subtrie) {
        if (subtrie == null) {
            return null;
        }
        var it = subtrie.nodeIterator(true); // added nodes only, lowest first
        return it.hasNext() ? it.next() : null;
    }

    @SuppressWarnings("unchecked")
    private static Entry value(AddressTrie.TrieNode<?> node) {
        return ((AssociativeAddressTrie.AssociativeTrieNode<?, Entry>) node).getValue();
    }
}
