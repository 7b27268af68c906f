package dev.opencode.tuner.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Real blocked egress at a steady rate, as a host under the NixOS module produces it: an instance user
 * {@code opencode-<instance>} sends from a client network namespace whose nftables drop and log its packets with the
 * instance's prefix and {@code flags skuid}; the kernel writes the lines and journald stores them. The destinations
 * are addresses of a peer namespace (the packets never leave the client). The instance name is unique per run (the
 * clock), and so are the IPv6 destinations; the IPv4 ones are a random /24 of 10.248.0.0/16. Needs root; close it to
 * remove the user and the namespaces.
 */
final class BlockedTraffic implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One UDP datagram per event, every fourth event a TCP SYN instead (a non-blocking connect, closed at once). */
    private static final String SENDER = """
            import json, socket, sys, time
            dests = sys.argv[3].split(",")
            rate, seconds = float(sys.argv[1]), float(sys.argv[2])
            sent = dict((d, 0) for d in dests)
            failed = 0
            start = time.monotonic()
            n = 0
            while True:
                due = start + n / rate
                now = time.monotonic()
                if due - start >= seconds:
                    break
                if due > now:
                    time.sleep(due - now)
                d = dests[n % len(dests)]
                fam = socket.AF_INET6 if ":" in d else socket.AF_INET
                tcp = n % 4 == 3
                s = socket.socket(fam, socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM)
                try:
                    if tcp:
                        s.setblocking(False)
                        err = s.connect_ex((d, 443))
                        ok = err in (0, 1, 115)  # EPERM (dropped) or EINPROGRESS: the SYN met the rule
                    else:
                        s.sendto(b"x", (d, 443))
                        ok = True
                except PermissionError:
                    ok = True  # EPERM: dropped by the rule, after it logged the packet
                except OSError:
                    ok = False
                finally:
                    s.close()
                if ok:
                    sent[d] += 1
                else:
                    failed += 1
                n += 1
            print(json.dumps({"sent": sent, "failed": failed}))
            """;

    /** Unique per run, so lines of earlier runs in the same journal never count. */
    final String instance;
    final List<String> destinations;
    private final String suffix;
    private final String client;
    private final String peer;
    private final int uid;
    private Process sender;
    private Path senderOutput;

    private BlockedTraffic(String suffix, String instance, List<String> destinations, int uid) {
        this.suffix = suffix;
        this.instance = instance;
        this.destinations = destinations;
        this.client = "tuner-cc" + suffix;
        this.peer = "tuner-cp" + suffix;
        this.uid = uid;
    }

    /**
     * Creates the instance user, the two namespaces joined by a veth pair and the client's nftables rules; {@code
     * count} destinations, about one in ten IPv6.
     */
    static BlockedTraffic create(int count) {
        if (count < 1 || count > 200) {
            throw new IllegalArgumentException("--destinations must be 1..200, got " + count);
        }
        requireRoot();
        long second = System.currentTimeMillis() / 1000;
        String suffix = Long.toString(second, 36); // 6 characters, new every second
        String instance = "chaos" + suffix;
        int subnet = ThreadLocalRandom.current().nextInt(256);
        String hex = String.format(Locale.ROOT, "%08x", second);
        String v6 = "fd00:248:" + hex.substring(0, 4) + ":" + hex.substring(4) + "::";
        List<String> destinations = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            destinations.add(i % 10 == 9 ? v6 + (10 + i) : "10.248." + subnet + "." + (10 + i));
        }
        String user = "opencode-" + instance;
        run("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", user);
        BlockedTraffic traffic;
        try {
            traffic = new BlockedTraffic(suffix, instance, destinations,
                    Integer.parseInt(run("id", "-u", user).strip()));
        } catch (RuntimeException e) {
            quietly("userdel", user);
            throw e;
        }
        try {
            traffic.createNamespaces(subnet, v6);
        } catch (RuntimeException e) {
            traffic.close();
            throw e;
        }
        return traffic;
    }

    private void createNamespaces(int subnet, String v6) {
        run("ip", "netns", "add", client);
        run("ip", "netns", "add", peer);
        run("ip", "link", "add", "cv" + suffix, "netns", client, "type", "veth", "peer", "name", "cp" + suffix,
                "netns", peer);
        run("ip", "-n", client, "addr", "add", "10.248." + subnet + ".1/24", "dev", "cv" + suffix);
        run("ip", "-n", client, "-6", "addr", "add", v6 + "1/64", "dev", "cv" + suffix, "nodad");
        for (String d : destinations) {
            run("ip", "-n", peer, "addr", "add", d + (d.contains(":") ? "/64" : "/24"), "dev", "cp" + suffix,
                    "nodad");
        }
        for (String[] ns : new String[][] {{client, "cv" + suffix}, {peer, "cp" + suffix}}) {
            run("ip", "-n", ns[0], "link", "set", ns[1], "up");
            run("ip", "-n", ns[0], "link", "set", "lo", "up");
        }
        runWithInput("""
                table inet tunerchaos {
                  chain output {
                    type filter hook output priority 0; policy accept;
                    meta skuid %d oifname "lo" accept
                    meta skuid %d log prefix "opencode-%s-blocked: " flags skuid drop
                  }
                }
                """.formatted(uid, uid, instance), "ip", "netns", "exec", client, "nft", "-f", "-");
    }

    int uid() {
        return uid;
    }

    /** Starts sending: {@code rate} events per second over the destinations in turn, for {@code duration}. */
    void start(double rate, Duration duration) {
        if (sender != null) {
            throw new IllegalStateException("the traffic was already started");
        }
        try {
            senderOutput = Files.createTempFile("chaos-sender", ".json");
            sender = new ProcessBuilder("ip", "netns", "exec", client, "setpriv", "--reuid=" + uid, "--regid=" + uid,
                    "--clear-groups", "/usr/bin/python3", "-c", SENDER, String.format(Locale.ROOT, "%.3f", rate),
                    String.format(Locale.ROOT, "%.3f", duration.toMillis() / 1000.0), String.join(",", destinations))
                    .redirectErrorStream(true).redirectOutput(senderOutput.toFile()).start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the traffic sender (python3 in " + client + "): "
                    + e.getMessage(), e);
        }
    }

    /** Waits for the sender to finish; the events it sent per destination (packets that met the logging rule). */
    Map<String, Long> awaitSent(Duration timeout) throws InterruptedException {
        if (!sender.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            sender.destroyForcibly();
            throw new IllegalStateException("the traffic sender did not finish within " + timeout);
        }
        try {
            String output = Files.readString(senderOutput);
            if (sender.exitValue() != 0) {
                throw new IllegalStateException("the traffic sender failed (exit " + sender.exitValue() + "):\n"
                        + output);
            }
            JsonNode result = JSON.readTree(output);
            Map<String, Long> sent = new LinkedHashMap<>();
            result.get("sent").fields().forEachRemaining(e -> sent.put(e.getKey(), e.getValue().asLong()));
            if (result.get("failed").asLong() > 0) {
                System.err.println("chaos: " + result.get("failed").asLong() + " sends failed before the rule"
                        + " (not logged, not counted as sent)");
            }
            return sent;
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the traffic sender's output " + senderOutput + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (sender != null && sender.isAlive()) {
            sender.destroyForcibly();
        }
        quietly("ip", "netns", "del", client);
        quietly("ip", "netns", "del", peer);
        quietly("userdel", "opencode-" + instance);
        if (senderOutput != null) {
            try {
                Files.deleteIfExists(senderOutput);
            } catch (IOException e) {
                System.err.println("chaos: cannot delete " + senderOutput + ": " + e.getMessage());
            }
        }
    }

    static void requireRoot() {
        if (!"0".equals(run("id", "-u").strip())) {
            throw new IllegalStateException("the chaos run needs root (network namespaces, nftables, users,"
                    + " journald): run it as root");
        }
    }

    static String run(String... command) {
        return runWithInput(null, command);
    }

    private static String runWithInput(String input, String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            if (input != null) {
                p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
            }
            p.getOutputStream().close();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("command failed: " + String.join(" ", command) + "\n" + output);
            }
            return output;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + String.join(" ", command) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + String.join(" ", command), e);
        }
    }

    private static void quietly(String... command) {
        try {
            run(command);
        } catch (IllegalStateException e) {
            System.err.println("chaos: cleanup step failed (continuing): " + e.getMessage().strip());
        }
    }
}
