package dev.opencode.tuner.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Real blocked egress for end-to-end tests, set up as LiveKernelLogTest does: a journald (standalone when none runs),
 * an instance user {@code opencode-<instance>}, and nftables in a client network namespace that drops and logs that
 * user's connections with the instance's prefix and {@code flags skuid}. Needs root. Close it to remove everything.
 */
final class LiveTraffic implements AutoCloseable {
    private final String suffix = Integer.toString(ThreadLocalRandom.current().nextInt(1000, 9999));
    /** Unique per run, so lines of earlier runs in the same journal never count. */
    final String instance;
    private final String client = "tuner-mc" + suffix;
    private final String peer = "tuner-mp" + suffix;
    /** The peer's addresses: the blocked destinations. */
    final List<String> destinations4 = List.of("10.252.7.2", "10.252.7.3", "10.252.7.4", "10.252.7.5");
    final String destination6 = "fd00:252:7::2";
    private final int uid;
    private Process journald;
    private final String oldLogAllNetns;

    LiveTraffic(String instancePrefix) throws Exception {
        assertThat(Sh.isRoot()).as("live traffic needs root (network namespaces, nftables, journald)").isTrue();
        instance = instancePrefix + suffix;
        boolean running = ProcessHandle.allProcesses()
                .anyMatch(p -> p.info().command().orElse("").endsWith("/systemd-journald"));
        if (!running) {
            Files.deleteIfExists(Path.of("/run/systemd/journal/socket"));
            journald = new ProcessBuilder("/lib/systemd/systemd-journald")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!Files.exists(Path.of("/run/systemd/journal/socket")) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(Path.of("/run/systemd/journal/socket")).as("journald socket").exists();
        }
        Sh.ok("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "opencode-" + instance);
        uid = Integer.parseInt(Sh.ok("id", "-u", "opencode-" + instance).strip());
        oldLogAllNetns = Files.readString(Path.of("/proc/sys/net/netfilter/nf_log_all_netns")).strip();
        Sh.ok("sysctl", "-qw", "net.netfilter.nf_log_all_netns=1");
        Sh.ok("ip", "netns", "add", client);
        Sh.ok("ip", "netns", "add", peer);
        Sh.ok("ip", "link", "add", "mv" + suffix, "netns", client, "type", "veth", "peer", "name", "mp" + suffix,
                "netns", peer);
        Sh.ok("ip", "-n", client, "addr", "add", "10.252.7.1/24", "dev", "mv" + suffix);
        for (String d : destinations4) {
            Sh.ok("ip", "-n", peer, "addr", "add", d + "/24", "dev", "mp" + suffix);
        }
        Sh.ok("ip", "-n", client, "-6", "addr", "add", "fd00:252:7::1/64", "dev", "mv" + suffix, "nodad");
        Sh.ok("ip", "-n", peer, "-6", "addr", "add", destination6 + "/64", "dev", "mp" + suffix, "nodad");
        Sh.ok("ip", "-n", client, "link", "set", "mv" + suffix, "up");
        Sh.ok("ip", "-n", peer, "link", "set", "mp" + suffix, "up");
        Sh.ok("ip", "-n", client, "link", "set", "lo", "up");
        Sh.okWithInput("""
                table inet tunermon {
                  chain output {
                    type filter hook output priority 0; policy accept;
                    meta skuid %d oifname "lo" accept
                    meta skuid %d log prefix "opencode-%s-blocked: " flags skuid drop
                  }
                }
                """.formatted(uid, uid, instance), "ip", "netns", "exec", client, "nft", "-f", "-");
    }

    /** The instance user connects (TCP) to every destination on {@code port}; each is dropped and logged. */
    void connectToEveryDestination(int port) {
        StringBuilder targets = new StringBuilder();
        for (String d : destinations4) {
            targets.append("(socket.AF_INET, (\"").append(d).append("\", ").append(port).append(")),");
        }
        targets.append("(socket.AF_INET6, (\"").append(destination6).append("\", ").append(port).append(")),");
        String python = """
                import socket
                for fam, addr in (%s):
                    s = socket.socket(fam, socket.SOCK_STREAM); s.settimeout(0.3)
                    try: s.connect(addr)
                    except OSError: pass
                """.formatted(targets);
        Sh.ok("ip", "netns", "exec", client, "setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups",
                "/usr/bin/python3", "-c", python);
    }

    /**
     * The instance user connects (TCP) to {@code count} further addresses of the client's on-link /24 (10.252.7.10
     * upwards): each is a new blocked destination (dropped before it leaves, so no peer needs to answer).
     */
    void connectToNewDestinations(int count) {
        if (count < 1 || count > 200) {
            throw new IllegalArgumentException("count must be 1..200, got " + count);
        }
        String python = """
                import socket
                for i in range(10, 10 + %d):
                    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM); s.settimeout(0.05)
                    try: s.connect(("10.252.7.%%d" %% i, 443))
                    except OSError: pass
                """.formatted(count);
        Sh.ok("ip", "netns", "exec", client, "setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups",
                "/usr/bin/python3", "-c", python);
    }

    @Override
    public void close() throws Exception {
        Sh.quietly("userdel", "opencode-" + instance);
        Sh.quietly("ip", "netns", "del", client);
        Sh.quietly("ip", "netns", "del", peer);
        if (oldLogAllNetns != null) {
            Sh.quietly("sysctl", "-qw", "net.netfilter.nf_log_all_netns=" + oldLogAllNetns);
        }
        if (journald != null) {
            journald.destroy();
            journald.waitFor();
        }
    }
}
