package dev.opencode.tuner.suggest;

import java.math.BigInteger;
import java.time.Instant;
import java.util.List;
import java.util.SortedSet;

/**
 * One CIDR to add to an instance's allowlist, with its evidence.
 *
 * @param cidr      canonical CIDR
 * @param addresses the observed destinations it covers, sorted
 * @param opens     how many addresses the CIDR opens (observed or not)
 */
public record Suggestion(
        String cidr,
        List<DestinationAggregate> addresses,
        long events,
        SortedSet<Integer> ports,
        SortedSet<String> protocols,
        SortedSet<String> services,
        Instant firstSeen,
        Instant lastSeen,
        BigInteger opens) {
}
