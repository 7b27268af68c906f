package dev.opencode.tuner.export;

import dev.opencode.tuner.blocked.InstanceName;
import dev.opencode.tuner.suggest.Cidrs;
import java.time.Instant;

/**
 * An entry the host enforces from the operator's own (hand-written) files whose counter has not moved for the
 * configured time: the pull request lists it for manual removal; the exporter never touches it.
 */
public record UnusedHandWrittenEntry(String instance, String cidr, long packets, Instant unusedSince) {
    public UnusedHandWrittenEntry {
        InstanceName.require(instance);
        cidr = Cidrs.format(Cidrs.parse(cidr));
    }
}
