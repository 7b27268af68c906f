package dev.opencode.tuner.review;

import dev.opencode.tuner.suggest.Cidrs;
import inet.ipaddr.IPAddress;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The evidence of a decided CIDR: what the suggestion's observed destinations inside it add up to. A reviewer who
 * narrows {@code 140.82.112.0/24} to {@code 140.82.112.3/32} decides on the events of that one address, and that is
 * what the decision records, the generated file comments and the pull request shows; widening keeps every observed
 * destination (they all lie inside). The same rule as {@link Opening}'s count of observed addresses.
 *
 * @param cidr      the decided CIDR, canonical
 * @param events    blocked events of the destinations inside it
 * @param addresses those destinations, in the suggestion's order
 * @param opens     how many addresses the CIDR opens
 */
public record DecidedEvidence(String cidr, long events, SortedSet<Integer> ports, SortedSet<String> protocols,
                              SortedSet<String> services, List<String> addresses, BigInteger opens,
                              Instant firstSeen, Instant lastSeen) {

    /** One observed destination of a suggestion, as its stored evidence holds it. */
    public record Destination(String address, long events, Set<Integer> ports, Set<String> protocols,
                              Instant firstSeen, Instant lastSeen) {
    }

    /**
     * The evidence of {@code cidr} for a suggestion with these observed destinations and services. A destination's
     * evidence holds its ports and protocols but not their pairs, so a service ({@code tcp/443}, or {@code icmp}
     * without a port) of the suggestion counts when some destination inside has both its protocol and its port:
     * exact when each destination used one protocol.
     */
    public static DecidedEvidence within(String cidr, List<Destination> destinations,
                                         Collection<String> suggestionServices) {
        IPAddress block = Cidrs.parse(cidr);
        long events = 0;
        SortedSet<Integer> ports = new TreeSet<>();
        SortedSet<String> protocols = new TreeSet<>();
        SortedSet<String> services = new TreeSet<>();
        List<String> inside = new ArrayList<>();
        Instant first = null;
        Instant last = null;
        for (Destination d : destinations) {
            if (!block.contains(Cidrs.address(d.address()))) {
                continue;
            }
            inside.add(d.address());
            events += d.events();
            ports.addAll(d.ports());
            protocols.addAll(d.protocols());
            for (String service : suggestionServices) {
                if (uses(d, service)) {
                    services.add(service);
                }
            }
            if (d.firstSeen() != null && (first == null || d.firstSeen().isBefore(first))) {
                first = d.firstSeen();
            }
            if (d.lastSeen() != null && (last == null || d.lastSeen().isAfter(last))) {
                last = d.lastSeen();
            }
        }
        return new DecidedEvidence(Cidrs.format(block), events, ports, protocols, services, List.copyOf(inside),
                block.getCount(), first, last);
    }

    private static boolean uses(Destination d, String service) {
        int slash = service.indexOf('/');
        if (slash < 0) {
            return d.protocols().contains(service);
        }
        if (!d.protocols().contains(service.substring(0, slash))) {
            return false;
        }
        try {
            return d.ports().contains(Integer.parseInt(service.substring(slash + 1)));
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
