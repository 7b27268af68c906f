package dev.opencode.tuner.policy.app.evidence;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Evidence enrichment, under {@code tuner.policy.evidence}: reverse DNS and published provider IP ranges. Validated
 * at start-up; a bad value stops the service with a message naming the key. Defaults are in docs/configuration.md.
 */
@ConfigMapping(prefix = "tuner.policy.evidence")
public interface EvidenceConfig {
    Dns dns();

    Providers providers();

    /**
     * Reverse DNS (PTR) of destination addresses, looked up off the request thread and cached. The addresses are
     * chosen by the confined agents, and every PTR query reaches the operator of the address's reverse zone: which
     * addresses are looked up ({@link #scope}) and how many ({@link #maxLookupsPerMinute}) are bounded.
     */
    interface Dns {
        /** Which addresses are looked up without being asked for one by one. */
        enum Scope {
            /**
             * The observed addresses of a pending, stable suggestion when a reviewer's page or the API shows it, and
             * addresses a reviewer asks for. Never the blocked destinations as such, nor addresses of decided or
             * held-back suggestions.
             */
            SUGGESTIONS,
            /** Only the addresses a reviewer asks for (the "Look up reverse DNS" button, the API's POST). */
            ON_REQUEST,
            /** None: every address shows "reverse DNS off", like {@code enabled=false}. */
            OFF
        }

        /** Off: no lookup is ever made, every address shows "reverse DNS off" (whatever {@link #scope} says). */
        @WithDefault("true")
        boolean enabled();

        /** {@code suggestions}, {@code on-request} or {@code off}: see {@link Scope}. */
        @WithDefault("suggestions")
        Scope scope();

        /**
         * Lookups started in any window of one minute, at most; beyond, an address shows "not looked up: rate limit"
         * until a later request within the limit (counted in {@code tuner_policy_evidence_dns_skipped_total}).
         */
        @WithDefault("60")
        @Min(1)
        @Max(100_000)
        int maxLookupsPerMinute();

        /**
         * The resolver, {@code address:port} ({@code 127.0.0.1:53}, {@code [::1]:53}); an IP literal, never a name.
         * Default: the first name server of the system configuration (/etc/resolv.conf).
         */
        Optional<String> server();

        /** How long one query may take before it counts as a timeout (a lookup is a PTR query, then an A or AAAA). */
        @WithDefault("2s")
        Duration timeout();

        /** Addresses whose answer is kept (least recently used ones are dropped beyond). */
        @WithDefault("10000")
        @Min(1)
        @Max(10_000_000)
        int cacheSize();

        /** How long an answer (a name, NXDOMAIN, no PTR record) is kept before it is asked again. */
        @WithDefault("1h")
        Duration cacheTtl();

        /** How long a timeout or a server failure is kept before the address is asked again. */
        @WithDefault("5m")
        Duration failureTtl();

        /** Lookups in flight at once; beyond, an address stays pending and is asked for on a later request. */
        @WithDefault("64")
        @Min(1)
        @Max(10_000)
        int maxInFlight();
    }

    /**
     * Published IP-range files of cloud and SaaS providers, read at start and again when they change. Labels only:
     * a suggestion is never widened to a provider range.
     */
    interface Providers {
        /** AWS {@code ip-ranges.json} (prefixes / ipv6_prefixes with region and service). */
        Optional<Path> aws();

        /** Google {@code cloud.json} (or {@code goog.json}): prefixes with ipv4Prefix / ipv6Prefix, service, scope. */
        Optional<Path> google();

        /** GitHub's meta API answer ({@code GET /meta}): hooks, web, api, git, actions, ... arrays of CIDRs. */
        Optional<Path> github();

        /** How often the files are checked for changes (size or modification time). */
        @WithDefault("1m")
        Duration reloadInterval();
    }
}
