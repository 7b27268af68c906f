package dev.opencode.tuner.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Real blocked egress for end-to-end tests: a journald (standalone when none runs) with kernel logging from every
 * namespace, an instance user {@code opencode-<instance>}, and nftables in a client network namespace that drops and
 * logs that user's connections with the instance's prefix and {@code flags skuid}. Needs root. Close it to remove
 * everything.
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
    private final KernelLogging logging;
    private final NetnsPair net;

    LiveTraffic(String instancePrefix) throws Exception {
        assertThat(Sh.isRoot()).as("live traffic needs root (network namespaces, nftables, journald)").isTrue();
        instance = instancePrefix + suffix;
        logging = KernelLogging.start();
        Sh.ok("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "opencode-" + instance);
        uid = Integer.parseInt(Sh.ok("id", "-u", "opencode-" + instance).strip());
        List<String> peerAddresses = new ArrayList<>();
        destinations4.forEach(d -> peerAddresses.add(d + "/24"));
        peerAddresses.add(destination6 + "/64");
        net = new NetnsPair(client, peer, "mv" + suffix, "mp" + suffix, List.of("10.252.7.1/24", "fd00:252:7::1/64"),
                peerAddresses);
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
        net.pythonAs(uid, python);
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
        net.pythonAs(uid, python);
    }

    @Override
    public void close() throws Exception {
        Sh.quietly("userdel", "opencode-" + instance);
        net.close();
        logging.close();
    }
}
