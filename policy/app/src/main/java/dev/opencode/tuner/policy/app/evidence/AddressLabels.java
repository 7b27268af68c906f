package dev.opencode.tuner.policy.app.evidence;

import dev.opencode.tuner.suggest.Cidrs;
import inet.ipaddr.IPAddress;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * Labels of a destination address for reviewers: its reverse DNS name and the provider ranges it falls in.
 * {@link #labels} returns at once and never does I/O on the caller's thread: a reverse name not known yet is looked
 * up in the background and shows as pending until a later request.
 */
@ApplicationScoped
public class AddressLabels {
    private static final Logger LOG = Logger.getLogger(AddressLabels.class);

    /**
     * The labels of one address. {@code reverseDns} is the name, or null; {@code reverseName} says why there is none
     * (pending, NXDOMAIN, timeout, ...). {@code providers} are the most specific first.
     */
    public record Labels(String reverseDns, ReverseName reverseName, List<ProviderRange> providers) {
    }

    private final ReverseDns reverseDns;
    private final ProviderRangeLoader ranges;

    AddressLabels(EvidenceConfig config, ProviderRangeLoader ranges, MeterRegistry registry) {
        this.ranges = ranges;
        EvidenceConfig.Dns dns = config.dns();
        if (!dns.enabled()) {
            this.reverseDns = null;
            LOG.info("reverse DNS is off (tuner.policy.evidence.dns.enabled=false)");
            return;
        }
        Map<ReverseName.Status, Counter> counters = new EnumMap<>(ReverseName.Status.class);
        for (ReverseName.Status status : ReverseName.Status.values()) {
            counters.put(status, Counter.builder("tuner.policy.evidence.dns.lookups")
                    .description("Reverse DNS lookups finished, by result")
                    .tag("result", status.text())
                    .register(registry));
        }
        this.reverseDns = new ReverseDns(dns.server().map(ReverseDns::parseServer).orElse(null), dns.timeout(),
                dns.cacheSize(), dns.cacheTtl(), dns.failureTtl(), dns.maxInFlight(),
                status -> counters.get(status).increment());
        LOG.infof("reverse DNS through %s (timeout %s, cache %d addresses)", reverseDns.server(), dns.timeout(),
                dns.cacheSize());
    }

    /** The labels of an address (e.g. {@code 203.0.113.7}); never blocks. */
    public Labels labels(String address) {
        IPAddress parsed;
        try {
            parsed = Cidrs.address(address);
        } catch (IllegalArgumentException e) {
            ReverseName none = ReverseName.of(ReverseName.Status.NOT_AN_ADDRESS, null);
            return new Labels(null, none, List.of());
        }
        ReverseName name = reverseDns == null ? ReverseName.DISABLED : reverseDns.lookup(parsed);
        return new Labels(name.name(), name, ranges.ranges().containing(parsed));
    }
}
