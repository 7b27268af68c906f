package dev.opencode.tuner.collector.app;

import dev.opencode.tuner.kafka.HostTopics;
import dev.opencode.tuner.service.StateDirectory;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** The collector's configuration, under {@code tuner.collector}. A bad value stops start-up naming the key. */
@ConfigMapping(prefix = "tuner.collector")
public interface CollectorConfig {
    /** Where the journal cursor is kept (the NixOS module sets it to the service's StateDirectory). */
    @WithDefault(StateDirectory.COLLECTOR)
    Path stateDirectory();

    /**
     * The host this collector speaks for (default: the kernel's hostname, as journald records it in
     * {@code _HOSTNAME}). Its records go to that host's topics, which only this host's Kafka account may write;
     * journal entries of another host are routed aside as malformed.
     */
    Optional<String> host();

    Journal journal();

    Kafka kafka();

    HostState hostState();

    /**
     * The host's nftables egress table, read periodically and published for the policy service: the allowlist in
     * force with a counter per entry, and the exactly counted blocked destinations.
     */
    interface HostState {
        /** Off where the collector may not list nftables (it needs CAP_NET_ADMIN) or reads another machine's journal. */
        @WithDefault("true")
        boolean enabled();

        /** How often the table is read. */
        @WithDefault("60s")
        Duration interval();

        /** The command that prints the table as JSON. */
        @WithDefault("nft -j list table inet opencode-egress")
        String command();

        /** Base name: the state goes to {@code <topic>.<host>}. */
        @WithDefault(HostTopics.HOST_STATE)
        @NotBlank
        String topic();
    }

    /** Which journal to read. */
    interface Journal {
        /** A journal directory to read instead of the local system journal (tests, containers, remote journals). */
        Optional<Path> directory();

        /** First-start position when no cursor is saved: HEAD (all retained entries), TAIL (new ones), SINCE. */
        @WithDefault("HEAD")
        dev.opencode.tuner.collector.FollowerConfig.Start start();

        /** For start=SINCE: an ISO-8601 instant, e.g. 2026-11-25T00:00:00Z. */
        Optional<String> since();

        @WithDefault("1000")
        @Min(1)
        @Max(100_000)
        int batchSize();

        /** Records produced but not acknowledged before reading pauses: the memory bound when Kafka is down. */
        @WithDefault("10000")
        @Min(1)
        @Max(1_000_000)
        int maxInFlight();

        @WithDefault("250ms")
        Duration pollTimeout();

        /**
         * The journal is closed and opened again at the last entry read after this many entries (0: never), which
         * drops the file windows libsystemd keeps mapped for the life of a handle and so bounds the collector's RSS.
         */
        @WithDefault("20000")
        @Min(0)
        int reopenEntries();

        @WithDefault("1s")
        Duration commitInterval();
    }

    /** Where blocked events go. */
    interface Kafka {
        @WithDefault("localhost:9092")
        @NotBlank
        String bootstrapServers();

        /** Base name: blocked events go to {@code <topic>.<host>}. */
        @WithDefault(HostTopics.BLOCKED)
        @NotBlank
        String topic();

        /** Base name: malformed lines go to {@code <malformed-topic>.<host>}. */
        @WithDefault(HostTopics.MALFORMED)
        @NotBlank
        String malformedTopic();

        /** The SCRAM-SHA-512 account (default {@code collector-<host>}, as ./tuner up and the NixOS module create it). */
        Optional<String> username();

        /** The file holding the account's password (0600 or 0400; never the password itself in configuration). */
        Optional<Path> passwordFile();

        /** How long a record may take to be acknowledged, retries included, before its delivery counts as failed. */
        @WithDefault("2m")
        Duration deliveryTimeout();
    }
}
