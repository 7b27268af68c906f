package dev.opencode.tuner.policy.app;

import dev.opencode.tuner.kafka.HostTopics;
import dev.opencode.tuner.service.StateDirectory;
import dev.opencode.tuner.suggest.Aggregator;
import dev.opencode.tuner.suggest.SuggestionPolicy;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The policy service's configuration, under {@code tuner.policy}. Validated at start-up: a bad value stops the
 * service with a message that names the key. Defaults are documented in docs/configuration.md.
 */
@ConfigMapping(prefix = "tuner.policy")
public interface PolicyConfig {
    /** Where the accounts file and the initial admin password live (the NixOS module sets its StateDirectory). */
    @WithDefault(StateDirectory.POLICY)
    Path stateDirectory();

    Kafka kafka();

    Database database();

    Dedupe dedupe();

    Aggregation aggregation();

    Auth auth();

    Suggest suggest();

    Review review();

    /** Removal suggestions for entries of the generated file that the host reports unused. */
    Removal removal();

    /** Where blocked events come from, and where unreadable ones go. */
    interface Kafka {
        @WithDefault("localhost:9092")
        @NotBlank
        String bootstrapServers();

        /**
         * Base name of the per-host topics: every {@code <topic>.<host>} is read, and a record counts only for the
         * host its topic names (the broker lets only that host's collector write there).
         */
        @WithDefault(HostTopics.BLOCKED)
        @NotBlank
        String topic();

        /** How soon the topic of a host added later is found and read ({@code metadata.max.age.ms}). */
        @WithDefault("10s")
        Duration topicDiscoveryInterval();

        /** The SCRAM-SHA-512 account of the service (./tuner up and the NixOS module create it). */
        @WithDefault("tuner-policy")
        String username();

        /** The file holding the account's password (0600 or 0400); never the password itself in configuration. */
        java.util.Optional<java.nio.file.Path> passwordFile();

        /**
         * Records that cannot be read or validated, with the reason in the {@code dead-letter-reason} header. Not
         * under {@code <topic>.}: the service never reads its own dead letters.
         */
        @WithDefault(HostTopics.BLOCKED_DEAD_LETTER)
        @NotBlank
        String deadLetterTopic();

        /** Create the dead-letter topic at start when it is missing (brokers here do not auto-create topics). */
        @WithDefault("true")
        boolean createDeadLetterTopic();

        /** Every policy instance of one deployment uses the same group: partitions are shared out among them. */
        @WithDefault("opencode-egress-policy")
        @NotBlank
        String groupId();

        /**
         * Consumers of the group in this process, each on its own thread with its own database transactions (at
         * most one per partition does work). Two use both cores of a small machine while PostgreSQL works.
         */
        @WithDefault("2")
        @Min(1)
        @Max(64)
        int consumers();

        /** Records per batch ({@code max.poll.records}); one database transaction per batch. */
        @WithDefault("2000")
        @Min(1)
        @Max(50_000)
        int maxBatch();

        @WithDefault("500ms")
        Duration pollTimeout();

        /** First wait after a failed batch (database or dead-letter topic unavailable); doubled up to the maximum. */
        @WithDefault("1s")
        Duration retryBackoff();

        @WithDefault("30s")
        Duration maxRetryBackoff();
    }

    /**
     * The PostgreSQL database. {@code credentials-file} (a properties file with {@code url}, {@code user} and
     * {@code password}, as {@code ./tuner up} writes it) overrides the defaults of the three keys below it; explicit
     * system properties or environment variables override the file.
     */
    interface Database {
        Optional<Path> credentialsFile();

        @Pattern(regexp = "jdbc:postgresql:.+", message = "must be a PostgreSQL JDBC URL (jdbc:postgresql://host:port/db)")
        String url();

        @NotBlank
        String user();

        /** Empty for a server that needs none (peer or trust authentication). */
        Optional<String> password();
    }

    /** {@code tuner.policy.aggregation.*}: bounds on what one instance's blocked events may occupy. */
    interface Aggregation {
        /**
         * Distinct destinations kept per instance: suggestions are computed in memory from all of them, and an agent
         * can make up any number. Events to further destinations are counted in
         * {@code tuner_policy_events_overflow_total}, not aggregated.
         */
        @WithDefault("" + Aggregator.DEFAULT_MAX_DESTINATIONS)
        @Min(1)
        int maxDestinationsPerInstance();
    }

    /** How long event ids are remembered, so that a redelivered event counts once. */
    interface Dedupe {
        /**
         * Event ids are kept this long after the event's time; an event older than this is not counted at all (it
         * could no longer be told apart from a redelivery). Longer than Kafka's retention and the journal's age.
         */
        @WithDefault("30d")
        Duration retention();

        /** How often expired event ids are deleted. */
        @WithDefault("1h")
        Duration pruneInterval();
    }

    /** The hosts' nftables states, published by the collectors. */
    HostStates hostState();

    /** {@code tuner.policy.host-state.*}: what the hosts report of their egress tables. */
    interface HostStates {
        /** Consume the host states (the allowlist in force, its counters, exact blocked counts). */
        @WithDefault("true")
        boolean enabled();

        /** Base name of the per-host topics {@code <topic>.<host>}, as for blocked events. */
        @WithDefault(HostTopics.HOST_STATE)
        @NotBlank
        String topic();

        /** Records that are not valid host states go here, with the reason in a header. */
        @WithDefault(HostTopics.HOST_STATE_DEAD_LETTER)
        @NotBlank
        String deadLetterTopic();
    }

    /** How long the per-day event counts (destination_day) are kept: charts and impact previews look back this far. */
    History history();

    /** The per-day history of blocked events. */
    interface History {
        /** Days older than this are deleted at each prune interval; at least the longest impact window. */
        @WithDefault("90d")
        Duration retention();
    }

    /** Local accounts for the API (HTTP Basic). */
    interface Auth {
        /** Default: {@code <state-directory>/accounts}. Created with one admin account at first start. */
        Optional<Path> accountsFile();

        /**
         * How long a password that verified is remembered (as an HMAC under a per-process key, with the bcrypt hash
         * it matched), so that scripts polling with HTTP Basic do not pay bcrypt on every request. A changed or
         * removed account, or another password, is checked with bcrypt again at once. {@code 0s} turns it off.
         */
        @WithDefault("5m")
        Duration verifiedPasswordTtl();

        /** bcrypt cost of the generated admin password (each API request verifies one hash: 12 takes ~0.25 s). */
        @WithDefault("12")
        @Min(4)
        @Max(31)
        int bcryptCost();

        /** Backoff after failed logins, and the bound on password checks running at once. */
        Throttle throttle();

        /** UI sessions: the key of the session cookie. */
        Session session();

        /** {@code tuner.policy.auth.throttle.*}: see {@code LoginThrottle}. */
        interface Throttle {
            /** Off: unlimited attempts and checks (tests of other features only). */
            @WithDefault("true")
            boolean enabled();

            /** Failed logins of one account (from anywhere) before its backoff starts. */
            @WithDefault("5")
            @Min(1)
            int accountFailures();

            /** Failed logins from one client address (IPv6: one /64) before its backoff starts. */
            @WithDefault("20")
            @Min(1)
            int addressFailures();

            /** The first backoff; doubled with each further failure. */
            @WithDefault("1s")
            Duration initialBackoff();

            /** The longest backoff. */
            @WithDefault("5m")
            Duration maxBackoff();

            /** Failures are forgotten this long after the last one. */
            @WithDefault("15m")
            Duration forgetAfter();

            /** An address that logged into an account is exempt from that account's backoff for this long. */
            @WithDefault("30d")
            Duration trustedAddressTtl();

            /** bcrypt verifications running at once (one core each); more wait check-wait, then get a 503. */
            @WithDefault("2")
            @Min(1)
            @Max(256)
            int concurrentChecks();

            /** How long an attempt waits for a free check slot before its 503. */
            @WithDefault("200ms")
            Duration checkWait();

            /** Accounts, addresses and trusted pairs remembered, each (the oldest are forgotten first). */
            @WithDefault("10000")
            @Min(100)
            int maxTracked();
        }

        /** {@code tuner.policy.auth.session.*}. */
        interface Session {
            /**
             * The file holding the key that encrypts the UI's session cookies (base64 of 32 random bytes). Default:
             * {@code <state-directory>/session-key}, created 0600 at first start and reused afterwards; under NixOS,
             * a systemd credential. Whoever reads it can make session cookies for any account.
             */
            Optional<Path> keyFile();
        }
    }

    /** How suggestions are made: the same knobs as {@code ./tuner suggest}. */
    interface Suggest {
        @WithDefault("" + SuggestionPolicy.DEFAULT_MIN_ADDRESSES)
        @Min(2)
        int minAddresses();

        @WithDefault("" + SuggestionPolicy.DEFAULT_PREFIX4)
        @Min(16)
        @Max(32)
        int prefix4();

        @WithDefault("" + SuggestionPolicy.DEFAULT_PREFIX6)
        @Min(48)
        @Max(128)
        int prefix6();

        /** CIDRs added to the built-in denylist. */
        Optional<List<String>> deny();
    }

    /** The review of suggestions: lifecycle rules, guardrails of edits, four-eyes, recomputation. */
    interface Review {
        /** A suggestion with at least this many events is stable (shown in the pending list). */
        @WithDefault("2")
        @Min(1)
        long stableEvents();

        /** ... or one whose events span at least this long. */
        @WithDefault("10m")
        Duration stableSpan();

        /** A rejection older than this no longer holds a destination back (new evidence reopens it). */
        @WithDefault("90d")
        Duration reopenAfter();

        /** The broadest IPv4 prefix length an edited accept may reach. */
        @WithDefault("" + SuggestionPolicy.BROADEST_PREFIX4)
        @Min(1)
        @Max(32)
        int broadestPrefix4();

        /** The broadest IPv6 prefix length an edited accept may reach. */
        @WithDefault("" + SuggestionPolicy.BROADEST_PREFIX6)
        @Min(1)
        @Max(128)
        int broadestPrefix6();

        /** Four-eyes: with 2, an accept takes effect only when a second, different reviewer approves it. */
        @WithDefault("1")
        @Min(1)
        @Max(2)
        int approvalsRequired();

        /** How often instances with new events get their suggestions recomputed (they also are on request). */
        @WithDefault("10s")
        Duration recomputeInterval();

        /** Days of blocked events the impact preview looks back over, by default. */
        @WithDefault("14")
        @Min(1)
        @Max(366)
        int impactDays();
    }

    /**
     * {@code tuner.policy.removal.*}: an accepted entry in force whose counter has not moved for {@code unused-after}
     * becomes a removal suggestion; an accepted removal is announced in the host's pull request for
     * {@code notice-period} before the generated file drops it. Both must be positive (checked at start by
     * {@code Removals}, naming the key).
     */
    interface Removal {
        /** Suggest removing a generated entry whose counter has not moved for this long (never used: since first reported). */
        @WithDefault("30d")
        Duration unusedAfter();

        /** How long an accepted removal is announced in the pull request before the generated file drops the entry. */
        @WithDefault("7d")
        Duration noticePeriod();

        /** How often the removal suggestions are brought up to date (each export does it too, for its host). */
        @WithDefault("10m")
        Duration checkInterval();
    }
}
