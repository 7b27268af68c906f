package dev.opencode.tuner.suggest;

import dev.opencode.tuner.blocked.BlockedEvent;
import dev.opencode.tuner.blocked.BlockedLine;
import inet.ipaddr.IPAddress;
import java.time.Instant;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/** The evidence for one blocked destination of one instance: counts, ports, protocols, first and last seen. */
public final class DestinationAggregate {
    /** How many distinct source addresses are kept as samples. */
    public static final int SAMPLE_SOURCES = 5;

    private final String address;
    private final IPAddress ip;
    private long events;
    private final SortedSet<Integer> ports = new TreeSet<>();
    private final SortedSet<String> protocols = new TreeSet<>();
    private final SortedSet<String> services = new TreeSet<>();
    private final Set<String> sampleSources = new LinkedHashSet<>();
    private final SortedSet<Long> uids = new TreeSet<>();
    private Instant firstSeen;
    private Instant lastSeen;

    /** Numeric order of IPv4 addresses (unsigned value); -1 for IPv6, which is ordered by its BigInteger value. */
    private final long ipv4Value;

    DestinationAggregate(String address) {
        this.address = address;
        this.ip = Cidrs.address(address);
        this.ipv4Value = ip.isIPv4() ? ip.toIPv4().longValue() : -1;
    }

    /**
     * Rebuilds the evidence for one destination from stored aggregates (the policy service keeps them in its
     * database), as if the events behind them had been {@linkplain InstanceAggregate#add added} one by one.
     *
     * @param address       canonical address, as in {@link dev.opencode.tuner.blocked.BlockedLine#destination()}
     * @param sampleSources in the order first seen; only the first {@value #SAMPLE_SOURCES} distinct ones are kept
     * @param firstSeen     null only together with {@code lastSeen} (no event had a time)
     * @throws IllegalArgumentException naming the value when the address is not one, or the counts are inconsistent
     */
    public static DestinationAggregate restore(String address, long events, Collection<Integer> ports,
                                           Collection<String> protocols, Collection<String> services,
                                           Collection<String> sampleSources, Collection<Long> uids,
                                           Instant firstSeen, Instant lastSeen) {
        if (events < 1) {
            throw new IllegalArgumentException("a destination has at least one event, got " + events + " for "
                    + address);
        }
        if ((firstSeen == null) != (lastSeen == null) || (firstSeen != null && firstSeen.isAfter(lastSeen))) {
            throw new IllegalArgumentException("first seen " + firstSeen + " and last seen " + lastSeen + " of "
                    + address + " do not form an interval");
        }
        DestinationAggregate d = new DestinationAggregate(address);
        d.events = events;
        d.ports.addAll(ports);
        d.protocols.addAll(protocols);
        d.services.addAll(services);
        for (String source : sampleSources) {
            if (d.sampleSources.size() < SAMPLE_SOURCES) {
                d.sampleSources.add(source);
            }
        }
        d.uids.addAll(uids);
        d.firstSeen = firstSeen;
        d.lastSeen = lastSeen;
        return d;
    }

    /** The unsigned IPv4 value (from the ipaddress library), or -1 for an IPv6 destination. */
    public long ipv4Value() {
        return ipv4Value;
    }

    /** Orders destinations by address: IPv4 before IPv6, then numerically. */
    public static int compareByAddress(DestinationAggregate a, DestinationAggregate b) {
        if (a.ipv4Value >= 0 && b.ipv4Value >= 0) {
            return Long.compare(a.ipv4Value, b.ipv4Value);
        }
        if (a.ipv4Value >= 0 || b.ipv4Value >= 0) {
            return a.ipv4Value >= 0 ? -1 : 1;
        }
        return a.ip.getValue().compareTo(b.ip.getValue());
    }

    void add(BlockedEvent event) {
        BlockedLine line = event.line();
        events++;
        String protocol = line.protocol() == null ? "unknown" : line.protocol();
        protocols.add(protocol);
        if (line.destinationPort() != null) {
            ports.add(line.destinationPort());
            services.add(protocol + "/" + line.destinationPort());
        } else {
            services.add(protocol);
        }
        if (sampleSources.size() < SAMPLE_SOURCES) {
            sampleSources.add(line.source());
        }
        if (line.uid() != null) {
            uids.add(line.uid());
        }
        Instant t = event.time();
        if (t == null) {
            return; // plain text without a wall clock: counted, but it says nothing about when
        }
        if (firstSeen == null || t.isBefore(firstSeen)) {
            firstSeen = t;
        }
        if (lastSeen == null || t.isAfter(lastSeen)) {
            lastSeen = t;
        }
    }

    public String address() {
        return address;
    }

    public IPAddress ip() {
        return ip;
    }

    public long events() {
        return events;
    }

    public SortedSet<Integer> ports() {
        return Collections.unmodifiableSortedSet(ports);
    }

    public SortedSet<String> protocols() {
        return Collections.unmodifiableSortedSet(protocols);
    }

    /** {@code protocol/port} pairs, or the protocol alone when it has no ports ({@code tcp/443}, {@code icmp}). */
    public SortedSet<String> services() {
        return Collections.unmodifiableSortedSet(services);
    }

    public Set<String> sampleSources() {
        return Collections.unmodifiableSet(sampleSources);
    }

    public SortedSet<Long> uids() {
        return Collections.unmodifiableSortedSet(uids);
    }

    /** Earliest event time, or null when no event had a time. */
    public Instant firstSeen() {
        return firstSeen;
    }

    public Instant lastSeen() {
        return lastSeen;
    }
}
