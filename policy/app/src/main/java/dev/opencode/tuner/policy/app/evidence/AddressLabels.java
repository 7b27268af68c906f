package dev.opencode.tuner.policy.app.evidence;

import dev.opencode.tuner.suggest.Cidrs;
import inet.ipaddr.IPAddress;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Labels of a destination address for reviewers: its reverse DNS name and the provider ranges it falls in. Every
 * method returns at once and never does I/O on the caller's thread: a reverse name not known yet is looked up in the
 * background and shows as pending until a later request. Which call may start a lookup is the caller's statement of
 * why it shows the address, held against {@code tuner.policy.evidence.dns.scope}: {@link #cached} never does,
 * {@link #ofPendingSuggestion} does in scope {@code suggestions}, {@link #requested} does unless lookups are off.
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
     * unverified, NXDOMAIN, not looked up, ...); {@code providers} are the most specific first.
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
    private final EvidenceConfig.Dns.Scope scope;
    private final Supplier<ProviderRanges> ranges;

    @Inject
    AddressLabels(EvidenceConfig config, ProviderRangeLoader ranges, MeterRegistry registry) {
        this(reverseDns(config.dns(), registry), config.dns().enabled() ? config.dns().scope()
                : EvidenceConfig.Dns.Scope.OFF, ranges::ranges);
    }

    /** With the resolver given (null when {@code scope} is off): for tests against their own dnsmasq. */
    AddressLabels(ReverseDns reverseDns, EvidenceConfig.Dns.Scope scope, Supplier<ProviderRanges> ranges) {
        this.reverseDns = scope == EvidenceConfig.Dns.Scope.OFF ? null : reverseDns;
        this.scope = scope;
        this.ranges = ranges;
        if (this.reverseDns == null) {
            LOG.info("reverse DNS is off (tuner.policy.evidence.dns.scope=off or enabled=false)");
        }
    }

    private static ReverseDns reverseDns(EvidenceConfig.Dns dns, MeterRegistry registry) {
        if (!dns.enabled() || dns.scope() == EvidenceConfig.Dns.Scope.OFF) {
            return null;
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
        ReverseDns reverseDns = new ReverseDns(dns.server().map(ReverseDns::parseServer).orElse(null), limits,
                status -> outcomes.get(status).increment(), reason -> skipped.get(reason).increment());
        LOG.infof("reverse DNS through %s for %s (at most %d lookups a minute, timeout %s, cache %d addresses)",
                reverseDns.server(), dns.scope() == EvidenceConfig.Dns.Scope.SUGGESTIONS
                        ? "the addresses of pending suggestions and on request" : "addresses asked for by reviewers",
                dns.maxLookupsPerMinute(), dns.timeout(), dns.cacheSize());
        return reverseDns;
    }

    /** Whether any provider range file is loaded (without one, "no provider" means "not known"). */
    public boolean providersLoaded() {
        return ranges.get().size() > 0;
    }

    /** The labels of an address as far as they are known; never starts a lookup (background copies, decided work). */
    public Labels cached(String address) {
        return labels(address, false);
    }

    /**
     * The labels of an observed address of a pending suggestion that a reviewer is shown; starts a lookup in scope
     * {@code suggestions}.
     */
    public Labels ofPendingSuggestion(String address) {
        return labels(address, scope == EvidenceConfig.Dns.Scope.SUGGESTIONS);
    }

    /** The labels of an address a reviewer asked to have looked up; starts a lookup unless lookups are off. */
    public Labels requested(String address) {
        return labels(address, true);
    }

    private Labels labels(String address, boolean lookUp) {
        IPAddress parsed;
        try {
            parsed = Cidrs.address(address);
        } catch (IllegalArgumentException e) {
            return new Labels(ReverseName.of(ReverseName.Status.NOT_AN_ADDRESS, null), List.of());
        }
        ReverseName name;
        if (reverseDns == null) {
            name = ReverseName.DISABLED;
        } else if (lookUp) {
            name = reverseDns.lookup(parsed);
        } else {
            ReverseName known = reverseDns.cached(parsed);
            name = known != null ? known : ReverseName.of(ReverseName.Status.NOT_LOOKED_UP,
                    scope == EvidenceConfig.Dns.Scope.ON_REQUEST ? "on request only" : "not a pending suggestion");
        }
        return new Labels(name, ranges.get().containing(parsed));
    }
}
