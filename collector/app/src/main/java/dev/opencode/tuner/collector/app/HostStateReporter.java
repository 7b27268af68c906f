package dev.opencode.tuner.collector.app;

import dev.opencode.tuner.collector.EventSink;
import dev.opencode.tuner.hoststate.HostState;
import dev.opencode.tuner.hoststate.HostStateJson;
import dev.opencode.tuner.hoststate.NftTableReader;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Reads the host's nftables egress table ({@code nft -j list table inet opencode-egress}) and publishes it as a
 * {@link HostState}: every read is published, a failed or odd one with its problems, so the policy service always
 * knows whether a host's table was seen. Never throws out of {@link #report}.
 */
final class HostStateReporter {
    private static final Logger LOG = Logger.getLogger(HostStateReporter.class);
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(20);
    private static final int MAX_OUTPUT = 64 << 20;

    private final CollectorConfig.HostState config;
    private final KafkaEventSink sink;
    private final String host;
    private final Clock clock;
    private final Counter published;
    private final Counter problems;
    private final Counter failures;

    HostStateReporter(CollectorConfig.HostState config, KafkaEventSink sink, MeterRegistry registry, Clock clock) {
        this.config = config;
        this.sink = sink;
        this.clock = clock;
        this.host = sink.host();
        this.published = Counter.builder("tuner.collector.host.state.published")
                .description("Host states published (reads of the nftables egress table)").register(registry);
        this.problems = Counter.builder("tuner.collector.host.state.problems")
                .description("Host states published with problems (table missing, nft failed, odd shapes)")
                .register(registry);
        this.failures = Counter.builder("tuner.collector.host.state.produce.errors")
                .description("Host states Kafka did not acknowledge").register(registry);
    }

    /** Reads the table once and publishes what was read (or why nothing could be). */
    void report() {
        HostState state = read();
        if (!state.problems().isEmpty()) {
            problems.increment();
            LOG.warnf("host state of %s: %s", host, String.join("; ", state.problems()));
        }
        sink.hostState(config.topic(), HostStateJson.write(state), new EventSink.Completion() {
            @Override
            public void acknowledged() {
                published.increment();
            }

            @Override
            public void failed(Throwable error) {
                failures.increment();
                LOG.warnf("host state of %s not published (next try in %s): %s", host, config.interval(),
                        error.getMessage());
            }
        });
    }

    HostState read() {
        List<String> command = List.of(config.command().strip().split("\\s+"));
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            return NftTableReader.unreadable(host, clock.instant(), "cannot run " + command.get(0) + ": "
                    + e.getMessage());
        }
        try {
            process.getOutputStream().close();
            CompletableFuture<byte[]> output = CompletableFuture.supplyAsync(() -> {
                try {
                    return process.getInputStream().readNBytes(MAX_OUTPUT);
                } catch (IOException e) {
                    return new byte[0];
                }
            });
            if (!process.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return NftTableReader.unreadable(host, clock.instant(), "'" + config.command() + "' did not finish"
                        + " within " + COMMAND_TIMEOUT.toSeconds() + " s");
            }
            String text = new String(output.get(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS),
                    StandardCharsets.UTF_8);
            if (process.exitValue() != 0) {
                return NftTableReader.unreadable(host, clock.instant(), "'" + config.command() + "' exited with "
                        + process.exitValue() + ": " + dev.opencode.tuner.blocked.Untrusted.quote(text.strip(), 300));
            }
            return NftTableReader.read(host, clock.instant(), text);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            return NftTableReader.unreadable(host, clock.instant(), "interrupted");
        } catch (Exception e) {
            process.destroyForcibly();
            return NftTableReader.unreadable(host, clock.instant(), "reading the output of '" + config.command()
                    + "' failed: " + e);
        }
    }

    String host() {
        return host;
    }

    static String kernelHostname() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
