package dev.opencode.tuner.hoststate;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What one host's nftables egress table holds at one moment: per instance, the allowlist really in force with a
 * packet counter per entry, and the destinations blocked recently with exact counts (the dynamic sets the rules
 * update for every dropped packet, unlike the rate-limited log). Problems (a missing table, a set of an unexpected
 * shape) are reported in {@link #problems}, never thrown.
 *
 * @param host      the host's name ({@code _HOSTNAME} of its journal entries)
 * @param time      when the table was read
 * @param problems  what could not be read, each naming the object and why; empty when everything was understood
 * @param instances the instances found in the table, sorted by name
 */
public record HostState(String host, Instant time, List<String> problems, List<InstanceState> instances) {
    public HostState {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(time, "time");
        problems = List.copyOf(problems);
        instances = List.copyOf(instances);
    }

    /**
     * One instance's sets.
     *
     * @param instance the instance name (from the set names {@code allow4_<name>} etc.)
     * @param allow    the allowlist entries (IPv4 then IPv6, in the table's order) with their counters
     * @param blocked  the destinations in the dynamic blocked sets with their counters
     */
    public record InstanceState(String instance, List<AllowCounter> allow, List<BlockedDestination> blocked) {
        public InstanceState {
            Objects.requireNonNull(instance, "instance");
            allow = List.copyOf(allow);
            blocked = List.copyOf(blocked);
        }
    }

    /** An allowlist entry in force: a canonical CIDR and the packets and bytes that matched it. */
    public record AllowCounter(String cidr, long packets, long bytes) {
    }

    /**
     * A destination the rules dropped packets to.
     *
     * @param expiresSeconds seconds until the kernel forgets it (the set's timeout restarts with every packet)
     */
    public record BlockedDestination(String address, long packets, long bytes, long expiresSeconds) {
    }
}
