package dev.opencode.tuner.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * What a live test needs for the kernel's log lines of a test network namespace to reach a journal: a journald (the
 * real one, standalone, when none runs, as in a container or CI VM) and netfilter logging from every namespace
 * ({@code net.netfilter.nf_log_all_netns}). Needs root. Close it to stop that journald and restore the setting.
 */
final class KernelLogging implements AutoCloseable {
    private static final Path SOCKET = Path.of("/run/systemd/journal/socket");
    private static final Path LOG_ALL_NETNS = Path.of("/proc/sys/net/netfilter/nf_log_all_netns");

    private final Process journald;
    private final String oldLogAllNetns;

    private KernelLogging(Process journald, String oldLogAllNetns) {
        this.journald = journald;
        this.oldLogAllNetns = oldLogAllNetns;
    }

    static KernelLogging start() throws Exception {
        Process journald = null;
        boolean running = ProcessHandle.allProcesses()
                .anyMatch(p -> p.info().command().orElse("").endsWith("/systemd-journald"));
        if (!running) {
            // A stale socket left by an earlier one would make clients fail: wait for the new process to own it.
            Files.deleteIfExists(SOCKET);
            journald = new ProcessBuilder("/lib/systemd/systemd-journald")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!Files.exists(SOCKET) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(SOCKET).as("journald socket").exists();
        }
        KernelLogging logging = new KernelLogging(journald, Files.readString(LOG_ALL_NETNS).strip());
        try {
            Sh.ok("sysctl", "-qw", "net.netfilter.nf_log_all_netns=1");
        } catch (Throwable t) {
            logging.close();
            throw t;
        }
        return logging;
    }

    @Override
    public void close() throws Exception {
        Sh.quietly("sysctl", "-qw", "net.netfilter.nf_log_all_netns=" + oldLogAllNetns);
        if (journald != null) {
            journald.destroy();
            journald.waitFor();
        }
    }
}
