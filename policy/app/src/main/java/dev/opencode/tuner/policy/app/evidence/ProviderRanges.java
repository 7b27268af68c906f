package dev.opencode.tuner.policy.app.evidence;

import inet.ipaddr.IPAddress;
import inet.ipaddr.format.util.AssociativeAddressTrie;
import inet.ipaddr.ipv4.IPv4AddressAssociativeTrie;
import inet.ipaddr.ipv6.IPv6AddressAssociativeTrie;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Published provider ranges, indexed in the ipaddress library's tries: {@link #containing} walks from the root to
 * the longest matching prefix, O(prefix length) whatever the number of ranges. Immutable once built.
 */
public final class ProviderRanges {
    public static final ProviderRanges EMPTY = new ProviderRanges(List.of());

    private final IPv4AddressAssociativeTrie<List<ProviderRange>> trie4 = new IPv4AddressAssociativeTrie<>();
    private final IPv6AddressAssociativeTrie<List<ProviderRange>> trie6 = new IPv6AddressAssociativeTrie<>();
    private final int size;

    private ProviderRanges(Collection<Parsed> ranges) {
        Map<IPAddress, List<ProviderRange>> byBlock = new LinkedHashMap<>();
        for (Parsed parsed : ranges) {
            byBlock.computeIfAbsent(parsed.block(), k -> new ArrayList<>()).add(parsed.range());
        }
        byBlock.forEach((block, list) -> {
            if (block.isIPv4()) {
                trie4.put(block.toIPv4(), List.copyOf(list));
            } else {
                trie6.put(block.toIPv6(), List.copyOf(list));
            }
        });
        this.size = ranges.size();
    }

    /** A range with its parsed block. */
    record Parsed(IPAddress block, ProviderRange range) {
    }

    static ProviderRanges of(Collection<Parsed> ranges) {
        return new ProviderRanges(ranges);
    }

    /** Every range that holds the address, the most specific first (AWS lists a block under AMAZON and EC2). */
    public List<ProviderRange> containing(IPAddress address) {
        AssociativeAddressTrie.AssociativeTrieNode<?, List<ProviderRange>> node = address.isIPv4()
                ? trie4.elementsContaining(address.toIPv4().withoutPrefixLength())
                : trie6.elementsContaining(address.toIPv6().withoutPrefixLength());
        // The list runs from the root to the longest match, each node's next one being its only added sub-node.
        List<List<ProviderRange>> rootFirst = new ArrayList<>();
        while (node != null) {
            if (node.isAdded()) {
                rootFirst.add(node.getValue());
            }
            AssociativeAddressTrie.AssociativeTrieNode<?, List<ProviderRange>> lower = node.getLowerSubNode();
            node = lower != null ? lower : node.getUpperSubNode();
        }
        List<ProviderRange> result = new ArrayList<>();
        for (int i = rootFirst.size() - 1; i >= 0; i--) {
            result.addAll(rootFirst.get(i));
        }
        return result;
    }

    /** Ranges held. */
    public int size() {
        return size;
    }
}
