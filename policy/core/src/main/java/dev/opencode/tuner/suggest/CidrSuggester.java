package dev.opencode.tuner.suggest;

import inet.ipaddr.Address;
import inet.ipaddr.IPAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Turns one instance's blocked destinations into the minimal set of CIDRs that covers every destination which is
 * neither on the denylist nor already allowed, widening to the group prefix only when enough distinct destinations
 * share it and the group touches no denied address. All address arithmetic is done by the ipaddress library.
 */
public final class CidrSuggester {
    private static final Comparator<Address> BY_LOW_VALUE = Address.ADDRESS_LOW_VALUE_COMPARATOR::compare;
    private final SuggestionPolicy policy;

    public CidrSuggester(SuggestionPolicy policy) {
        this.policy = policy;
    }

    public InstanceSuggestions suggest(InstanceAggregate aggregate, Allowlist allowlist) {
        List<Refusal> refused = new ArrayList<>();
        List<DestinationAggregate> allowed = new ArrayList<>();
        List<DestinationAggregate> candidates = new ArrayList<>();
        for (DestinationAggregate d : aggregate.destinations()) {
            boolean v4 = d.ipv4Value() >= 0;
            Denylist.Entry denied = v4 ? policy.denylist().containingIpv4(d.ipv4Value())
                    : policy.denylist().containing(d.ip()).orElse(null);
            if (denied != null) {
                refused.add(new Refusal(d.address(), denied.reason(), denied.cidr(), d.events()));
            } else if (v4 ? allowlist.coversIpv4(d.ipv4Value()) : allowlist.covers(d.ip())) {
                allowed.add(d);
            } else {
                candidates.add(d);
            }
        }
        sortByAddress(candidates);
        sortByAddress(allowed);
        refused.sort(Comparator.comparing(r -> Cidrs.address(r.address()), BY_LOW_VALUE));

        List<Suggestion> suggestions = new ArrayList<>();
        suggestions.addAll(suggestFamily(candidates, IPAddress.IPVersion.IPV4, allowlist));
        suggestions.addAll(suggestFamily(candidates, IPAddress.IPVersion.IPV6, allowlist));
        return new InstanceSuggestions(aggregate.host(), aggregate.instance(), aggregate.events(),
                aggregate.destinations().size(), suggestions, refused, allowed);
    }

    /**
     * Sorts by address. IPv4-only lists (the bulk on large inputs) are sorted as packed primitive keys, which is
     * several times faster than comparing objects; anything else falls back to the comparator.
     */
    static void sortByAddress(List<DestinationAggregate> list) {
        int n = list.size();
        boolean allIpv4 = n < (1 << 24);
        for (int i = 0; i < n && allIpv4; i++) {
            allIpv4 = list.get(i).ipv4Value() >= 0;
        }
        if (!allIpv4) {
            list.sort(DestinationAggregate::compareByAddress);
            return;
        }
        long[] keys = new long[n];
        for (int i = 0; i < n; i++) {
            keys[i] = (list.get(i).ipv4Value() << 24) | i; // 32-bit value, 24-bit position: fits in 56 bits
        }
        java.util.Arrays.sort(keys);
        DestinationAggregate[] sorted = new DestinationAggregate[n];
        for (int i = 0; i < n; i++) {
            sorted[i] = list.get((int) (keys[i] & 0xFF_FFFF));
        }
        for (int i = 0; i < n; i++) {
            list.set(i, sorted[i]);
        }
    }

    private List<Suggestion> suggestFamily(List<DestinationAggregate> sortedCandidates, IPAddress.IPVersion version,
                                           Allowlist allowlist) {
        List<DestinationAggregate> members = new ArrayList<>();
        for (DestinationAggregate d : sortedCandidates) {
            if (d.ip().getIPVersion() == version) {
                members.add(d);
            }
        }
        if (members.isEmpty()) {
            return List.of();
        }
        int groupPrefix = policy.groupPrefix(version == IPAddress.IPVersion.IPV4 ? 4 : 6);
        // Members are sorted, so each group prefix is one run of consecutive members.
        List<IPAddress> blocks = new ArrayList<>(members.size());
        int start = 0;
        while (start < members.size()) {
            IPAddress group = members.get(start).ip().toPrefixBlock(groupPrefix);
            int end = start + 1;
            if (version == IPAddress.IPVersion.IPV4) {
                long upper = group.toIPv4().getUpper().longValue();
                while (end < members.size() && members.get(end).ipv4Value() <= upper) {
                    end++;
                }
            } else {
                while (end < members.size() && group.contains(members.get(end).ip())) {
                    end++;
                }
            }
            if (end - start >= policy.minAddresses() && policy.denylist().overlapping(group).isEmpty()) {
                blocks.addAll(allowlist.uncoveredParts(group));
            } else {
                for (int i = start; i < end; i++) {
                    blocks.add(members.get(i).ip()); // a single address: merged as its host block
                }
            }
            start = end;
        }
        IPAddress first = blocks.get(0);
        IPAddress[] merged = first.mergeToPrefixBlocks(blocks.subList(1, blocks.size()).toArray(new IPAddress[0]));
        List<IPAddress> sortedBlocks = new ArrayList<>(List.of(merged));
        sortedBlocks.sort(BY_LOW_VALUE);

        // Blocks are disjoint and sorted, members sorted: one sweep assigns each member to its block.
        List<Suggestion> suggestions = new ArrayList<>(sortedBlocks.size());
        int m = 0;
        for (IPAddress block : sortedBlocks) {
            List<DestinationAggregate> covered = new ArrayList<>();
            while (m < members.size() && BY_LOW_VALUE.compare(members.get(m).ip(), block.getLower()) < 0) {
                m++; // cannot happen for a correct merge; kept so a bad block never loops forever
            }
            if (version == IPAddress.IPVersion.IPV4) {
                long upper = block.toIPv4().getUpper().longValue();
                while (m < members.size() && members.get(m).ipv4Value() <= upper) {
                    covered.add(members.get(m++));
                }
            } else {
                while (m < members.size() && block.contains(members.get(m).ip())) {
                    covered.add(members.get(m++));
                }
            }
            suggestions.add(toSuggestion(block, covered));
        }
        return suggestions;
    }

    /** Union without an iterator for the common one-element case. */
    private static <T> void addAll(SortedSet<T> into, SortedSet<T> from) {
        if (from.size() == 1) {
            into.add(from.first());
        } else {
            into.addAll(from);
        }
    }

    private static Suggestion toSuggestion(IPAddress block, List<DestinationAggregate> covered) {
        if (covered.size() == 1) {
            DestinationAggregate d = covered.get(0);
            return new Suggestion(Cidrs.format(block), List.of(d), d.events(), d.ports(), d.protocols(),
                    d.services(), d.firstSeen(), d.lastSeen(), block.getCount());
        }
        long events = 0;
        SortedSet<Integer> ports = new TreeSet<>();
        SortedSet<String> protocols = new TreeSet<>();
        SortedSet<String> services = new TreeSet<>();
        Instant first = null;
        Instant last = null;
        for (DestinationAggregate d : covered) {
            events += d.events();
            addAll(ports, d.ports());
            addAll(protocols, d.protocols());
            addAll(services, d.services());
            if (d.firstSeen() != null && (first == null || d.firstSeen().isBefore(first))) {
                first = d.firstSeen();
            }
            if (d.lastSeen() != null && (last == null || d.lastSeen().isAfter(last))) {
                last = d.lastSeen();
            }
        }
        return new Suggestion(Cidrs.format(block), List.copyOf(covered), events, ports, protocols, services,
                first, last, block.getCount());
    }
}
