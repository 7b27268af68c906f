package dev.opencode.tuner.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Keeps the kernel's blocked lines flowing into the journal for the length of a run: a journald runs (a standalone
 * one is started when none does, as the live tests do on machines whose PID 1 is not systemd) and the kernel logs
 * packets of other network namespaces ({@code net.netfilter.nf_log_all_netns=1}). Other tests on the same machine
 * start and stop journald and restore that setting, so a daemon thread checks both every half second and puts them
 * back; each repair is counted. Close it to stop the journald it started and restore the setting it found.
 */
final class KernelLogGuard implements AutoCloseable {
    private static final Path SOCKET = Path.of("/run/systemd/journal/socket");
    private static final Path LOG_ALL_NETNS = Path.of("/proc/sys/net/netfilter/nf_log_all_netns");

    private final String oldLogAllNetns;
    private final Thread watcher;
    private volatile boolean closed;
    private Process journald;
    private int journaldStarts;
    private int settingRepairs;

    private KernelLogGuard() throws IOException {
        oldLogAllNetns = Files.readString(LOG_ALL_NETNS).strip();
        watcher = Thread.ofPlatform().daemon().name("kernel-log-guard").unstarted(this::watch);
    }

    /** Starts journald if needed, turns on logging from other namespaces and starts watching both. */
    static KernelLogGuard start() throws IOException, InterruptedException {
        KernelLogGuard guard = new KernelLogGuard();
        guard.repair();
        guard.watcher.start();
        return guard;
    }

    /** How often journald had to be started and the setting put back (both 0 on a quiet machine). */
    synchronized String repairs() {
        return journaldStarts + " journald start(s), " + settingRepairs + " repair(s) of nf_log_all_netns";
    }

    private void watch() {
        while (!closed) {
            try {
                Thread.sleep(500);
                repair();
            } catch (InterruptedException e) {
                return;
            } catch (IOException | RuntimeException e) {
                System.err.println("chaos: cannot keep the kernel log flowing: " + e.getMessage());
            }
        }
    }

    private synchronized void repair() throws IOException, InterruptedException {
        if (closed) {
            return;
        }
        if (!"1".equals(Files.readString(LOG_ALL_NETNS).strip())) {
            Files.writeString(LOG_ALL_NETNS, "1");
            settingRepairs++;
        }
        boolean running = ProcessHandle.allProcesses()
                .anyMatch(p -> p.isAlive() && p.info().command().orElse("").endsWith("/systemd-journald"));
        if (running) {
            return;
        }
        // A stale socket left by an earlier journald would make clients fail: wait for the new one to own it.
        Files.deleteIfExists(SOCKET);
        journald = new ProcessBuilder("/lib/systemd/systemd-journald").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        journaldStarts++;
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!Files.exists(SOCKET) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        if (!Files.exists(SOCKET)) {
            throw new IllegalStateException("the standalone systemd-journald did not create " + SOCKET
                    + " within 10 s; is systemd installed (apt-get install systemd)?");
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        closed = true;
        watcher.interrupt();
        watcher.join();
        synchronized (this) {
            Files.writeString(LOG_ALL_NETNS, oldLogAllNetns);
            if (journald != null && journald.isAlive()) {
                journald.destroy();
                journald.waitFor();
            }
        }
    }
}
