package dev.opencode.tuner.policy.app.evidence;

import dev.opencode.tuner.suggest.Cidrs;
import inet.ipaddr.IPAddress;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.EnumMap;
import java.util.EnumSet;
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
    /** The statuses a lookup finishes with: the values of the lookups metric's {@code result} tag. */
    private static final EnumSet<ReverseName.Status> OUTCOMES = EnumSet.of(ReverseName.Status.FOUND,
            ReverseName.Status.FOUND_UNCONFIRMED, ReverseName.Status.NXDOMAIN, ReverseName.Status.NO_NAME,
            ReverseName.Status.TIMEOUT, ReverseName.Status.FAILED);

    /**
     * The labels of one address: {@code reverseName} is the reverse DNS name or why there is none (pending,
     * unverified, NXDOMAIN, rate-limited, ...); {@code providers} are the most specific first.
     */
    public record Labels(ReverseName reverseName, List<ProviderRange> providers) {
        /** The forward-confirmed name, or null: the only name to show or store without a warning. */
        public String reverseDns() {
            return reverseName.status() == ReverseName.Status.FOUND ? reverseName.name() : null;
        }

        /** A name that did not forward-confirm (shown only marked "unverified"), or null. */
        public String unverifiedReverseDns() {
            return reverseName.status() == ReverseName.Status.FOUND_UNCONFIRMED ? reverseName.name() : null;
        }
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
        Map<ReverseName.Status, Counter> outcomes = new EnumMap<>(ReverseName.Status.class);
        for (ReverseName.Status status : OUTCOMES) {
            outcomes.put(status, Counter.builder("tuner.policy.evidence.dns.lookups")
                    .description("Reverse DNS lookups finished, by result")
                    .tag("result", status.text())
                    .register(registry));
        }
        Map<ReverseDns.Skip, Counter> skipped = new EnumMap<>(ReverseDns.Skip.class);
        for (ReverseDns.Skip reason : ReverseDns.Skip.values()) {
            skipped.put(reason, Counter.builder("tuner.policy.evidence.dns.skipped")
                    .description("Reverse DNS lookups asked for and not made, by reason")
                    .tag("reason", reason.text())
                    .register(registry));
        }
        ReverseDns.Limits limits = new ReverseDns.Limits(dns.timeout(), dns.cacheSize(), dns.cacheTtl(),
                dns.failureTtl(), dns.maxInFlight(), dns.maxLookupsPerMinute());
        this.reverseDns = new ReverseDns(dns.server().map(ReverseDns::parseServer).orElse(null), limits,
                status -> outcomes.get(status).increment(), reason -> skipped.get(reason).increment());
        LOG.infof("reverse DNS through %s (at most %d lookups a minute, timeout %s, cache %d addresses)",
                reverseDns.server(), dns.maxLookupsPerMinute(), dns.timeout(), dns.cacheSize());
    }

    /** The labels of an address (e.g. {@code 203.0.113.7}); never blocks. */
    public Labels labels(String address) {
        IPAddress parsed;
        try {
            parsed = Cidrs.address(address);
        } catch (IllegalArgumentException e) {
            return new Labels(ReverseName.of(ReverseName.Status.NOT_AN_ADDRESS, null), List.of());
        }
        ReverseName name = reverseDns == null ? ReverseName.DISABLED : reverseDns.lookup(parsed);
        return new Labels(name, ranges.ranges().containing(parsed));
    }
}
