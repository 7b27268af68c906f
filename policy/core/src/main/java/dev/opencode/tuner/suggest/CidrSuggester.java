package dev.opencode.tuner.suggest;

import inet.ipaddr.Address;
import inet.ipaddr.IPAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
        List<DestinationStats> allowed = new ArrayList<>();
        List<DestinationStats> candidates = new ArrayList<>();
        for (DestinationStats d : aggregate.destinations()) {
            Optional<Denylist.Entry> denied = policy.denylist().containing(d.ip());
            if (denied.isPresent()) {
                refused.add(new Refusal(d.address(), denied.get().reason(), denied.get().cidr(), d.events()));
            } else if (allowlist.covers(d.ip())) {
                allowed.add(d);
            } else {
                candidates.add(d);
            }
        }
        Comparator<DestinationStats> byAddress = Comparator.comparing(DestinationStats::ip, BY_LOW_VALUE);
        candidates.sort(byAddress);
        allowed.sort(byAddress);
        refused.sort(Comparator.comparing(r -> Cidrs.address(r.address()), BY_LOW_VALUE));

        List<Suggestion> suggestions = new ArrayList<>();
        suggestions.addAll(suggestFamily(candidates, IPAddress.IPVersion.IPV4, allowlist));
        suggestions.addAll(suggestFamily(candidates, IPAddress.IPVersion.IPV6, allowlist));
        return new InstanceSuggestions(aggregate.host(), aggregate.instance(), aggregate.events(),
                aggregate.destinations().size(), suggestions, refused, allowed);
    }

    private List<Suggestion> suggestFamily(List<DestinationStats> sortedCandidates, IPAddress.IPVersion version,
                                           Allowlist allowlist) {
        List<DestinationStats> members = new ArrayList<>();
        for (DestinationStats d : sortedCandidates) {
            if (d.ip().getIPVersion() == version) {
                members.add(d);
            }
        }
        if (members.isEmpty()) {
            return List.of();
        }
        int groupPrefix = policy.groupPrefix(version == IPAddress.IPVersion.IPV4 ? 4 : 6);
        Map<IPAddress, List<DestinationStats>> groups = new LinkedHashMap<>();
        for (DestinationStats d : members) {
            groups.computeIfAbsent(d.ip().toPrefixBlock(groupPrefix), g -> new ArrayList<>()).add(d);
        }
        List<IPAddress> blocks = new ArrayList<>(members.size());
        for (Map.Entry<IPAddress, List<DestinationStats>> group : groups.entrySet()) {
            IPAddress block = group.getKey();
            if (group.getValue().size() >= policy.minAddresses()
                    && policy.denylist().overlapping(block).isEmpty()) {
                blocks.addAll(allowlist.uncoveredParts(block));
            } else {
                for (DestinationStats d : group.getValue()) {
                    blocks.add(Cidrs.hostBlock(d.ip()));
                }
            }
        }
        IPAddress first = blocks.get(0);
        IPAddress[] merged = first.mergeToPrefixBlocks(blocks.subList(1, blocks.size()).toArray(new IPAddress[0]));
        List<IPAddress> sortedBlocks = new ArrayList<>(List.of(merged));
        sortedBlocks.sort(BY_LOW_VALUE);

        // Blocks are disjoint and sorted, members sorted: one sweep assigns each member to its block.
        List<Suggestion> suggestions = new ArrayList<>(sortedBlocks.size());
        int m = 0;
        for (IPAddress block : sortedBlocks) {
            List<DestinationStats> covered = new ArrayList<>();
            while (m < members.size() && BY_LOW_VALUE.compare(members.get(m).ip(), block.getLower()) < 0) {
                m++; // cannot happen for a correct merge; kept so a bad block never loops forever
            }
            while (m < members.size() && block.contains(members.get(m).ip())) {
                covered.add(members.get(m++));
            }
            suggestions.add(toSuggestion(block, covered));
        }
        return suggestions;
    }

    private static Suggestion toSuggestion(IPAddress block, List<DestinationStats> covered) {
        long events = 0;
        SortedSet<Integer> ports = new TreeSet<>();
        SortedSet<String> protocols = new TreeSet<>();
        SortedSet<String> services = new TreeSet<>();
        Instant first = null;
        Instant last = null;
        for (DestinationStats d : covered) {
            events += d.events();
            ports.addAll(d.ports());
            protocols.addAll(d.protocols());
            services.addAll(d.services());
            if (first == null || d.firstSeen().isBefore(first)) {
                first = d.firstSeen();
            }
            if (last == null || d.lastSeen().isAfter(last)) {
                last = d.lastSeen();
            }
        }
        return new Suggestion(Cidrs.format(block), List.copyOf(covered), events, ports, protocols, services,
                first, last, block.getCount());
    }
}
