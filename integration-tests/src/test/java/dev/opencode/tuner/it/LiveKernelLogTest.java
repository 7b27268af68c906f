package dev.opencode.tuner.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opencode.tuner.blocked.BlockedLine;
import dev.opencode.tuner.blocked.BlockedLineParser;
import dev.opencode.tuner.blocked.ParseResult;
import dev.opencode.tuner.cli.Tuner;
import dev.opencode.tuner.journal.Journal;
import dev.opencode.tuner.stack.Stack;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The real thing: nftables in a test network namespace drops and logs an unprivileged uid's connections, the kernel
 * writes the lines, a real journald stores them, and they are read back through the JNA binding and
 * {@code tuner suggest --journal}. A userspace process logging the same text must not count. Needs root.
 */
class LiveKernelLogTest {
    /** Another local user: kernel lines it causes carry the instance prefix but not the instance user's uid. */
    private static final int OTHER_UID = 4243;
    private static int uid;
    private static final String SUFFIX = Integer.toString(ThreadLocalRandom.current().nextInt(1000, 9999));
    /** Unique per run, so lines of earlier runs in the same journal never count. */
    private static final String INSTANCE = "live" + SUFFIX;
    private static final String CLIENT = "tuner-c" + SUFFIX;
    private static final String PEER = "tuner-p" + SUFFIX;
    private static final String PEER4 = "10.251.7.2";
    private static final String PEER6 = "fd00:251:7::2";
    private static final String SPOOFED_DST = "203.0.113.9";
    private static final String OTHER_USERS_DST = "10.251.7.3";

    private static KernelLogging logging;
    private static NetnsPair net;
    private static Instant start;

    @BeforeAll
    static void setUp() throws Exception {
        assertThat(Sh.isRoot()).as("the live kernel-log test needs root (network namespaces, nftables, journald)")
                .isTrue();
        start = Instant.now().minusSeconds(1);
        logging = KernelLogging.start();
        // The instance user, as the NixOS module creates it: lines of the local journal must carry its uid.
        Sh.ok("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "opencode-" + INSTANCE);
        uid = Integer.parseInt(Sh.ok("id", "-u", "opencode-" + INSTANCE).strip());
        net = new NetnsPair(CLIENT, PEER, "tv" + SUFFIX, "tp" + SUFFIX, List.of("10.251.7.1/24", "fd00:251:7::1/64"),
                List.of(PEER4 + "/24", OTHER_USERS_DST + "/24", PEER6 + "/64"));
        Sh.okWithInput("""
                table inet tunerlive {
                  chain output {
                    type filter hook output priority 0; policy accept;
                    meta skuid %d oifname "lo" accept
                    meta skuid %d log prefix "opencode-%s-blocked: " flags skuid drop
                    meta skuid %d log prefix "opencode-%s-blocked: " flags skuid drop
                  }
                }
                """.formatted(uid, uid, INSTANCE, OTHER_UID, INSTANCE), "ip", "netns", "exec", CLIENT, "nft", "-f", "-");
    }

    @AfterAll
    static void tearDown() throws Exception {
        Sh.quietly("userdel", "opencode-" + INSTANCE);
        if (net != null) {
            net.close();
        }
        if (logging != null) {
            logging.close();
        }
    }

    @Test
    void kernelLinesOfRealDroppedConnectionsBecomeSuggestionsAndSpoofsDoNot() throws Exception {
        // Real traffic as the unprivileged uid: TCP to IPv4 and IPv6, UDP to IPv4; all dropped and logged.
        connectAs(uid, 443, true);
        connectAsOtherUser();
        // Userspace imitating the kernel line, through journald's native and syslog transports.
        String fake = "opencode-" + INSTANCE + "-blocked: IN= OUT=eth0 SRC=10.251.7.1 DST=" + SPOOFED_DST
                + " LEN=60 PROTO=TCP SPT=1234 DPT=4444 UID=0 GID=0 ";
        Sh.okWithInput(fake + "\n", "systemd-cat", "-t", "fake-kernel");
        Sh.ok("logger", "--socket", "/run/systemd/journal/dev-log", "-t", "kernel", fake);

        List<BlockedLine> lines = awaitKernelLines(4, Duration.ofSeconds(15));
        assertThat(lines).extracting(BlockedLine::destination)
                .containsExactlyInAnyOrder(PEER4, PEER6, PEER4, OTHER_USERS_DST)
                .doesNotContain(SPOOFED_DST);
        assertThat(lines).allSatisfy(l -> {
            assertThat(l.instance()).isEqualTo(INSTANCE);
            assertThat(l.outInterface()).isEqualTo("tv" + SUFFIX);
        });
        assertThat(lines).extracting(BlockedLine::uid).containsExactlyInAnyOrder((long) uid, (long) uid, (long) uid,
                (long) OTHER_UID);
        assertThat(lines).extracting(BlockedLine::protocol).containsExactlyInAnyOrder("tcp", "tcp", "udp", "tcp");

        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Tuner.run(new PrintWriter(out), new PrintWriter(err), "suggest", "--journal", "--instance",
                INSTANCE, "--since", start.toString(), "--format", "json");
        assertThat(code).as(err.toString()).isZero();
        JsonNode root = new ObjectMapper().readTree(out.toString());
        assertThat(root.at("/input/transport").asText()).isEqualTo("kernel");
        JsonNode instance = root.at("/instances/0");
        assertThat(instance.get("instance").asText()).isEqualTo(INSTANCE);
        List<String> cidrs = new ArrayList<>();
        instance.get("suggestions").forEach(s -> cidrs.add(s.get("cidr").asText()));
        assertThat(cidrs).containsExactly(PEER4 + "/32", PEER6 + "/128");
        assertThat(instance.get("events").asLong()).isEqualTo(3);
        assertThat(root.at("/skipped/spoofed").asLong()).isEqualTo(2);
        assertThat(root.at("/skipped/uidMismatch").asLong()).isEqualTo(1);
        assertThat(out.toString()).doesNotContain(SPOOFED_DST).doesNotContain(OTHER_USERS_DST);
    }

    @Test
    void theRunningPipelineTurnsRealDroppedConnectionsIntoSuggestionsAndNeverForgedOnes() throws Exception {
        Path root = Files.createTempDirectory(Path.of("/tmp"), "live-pipeline");
        Files.setPosixFilePermissions(root, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        String state = root.resolve("state").toString();
        try {
            // No --journal-dir: the collector follows this machine's journal, as in production.
            Run up = cli("up", "--state-dir", state);
            assertThat(up.code()).as(up.err()).isZero();
            // The journal may hold forgeries of earlier runs: count from where the collector settled after them.
            String collector = Stack.status(Path.of(state)).part("collector").orElseThrow().address();
            double spoofedBefore = ServiceMetrics.settled(collector, "tuner_collector_spoofed_total",
                    Duration.ofSeconds(2), Duration.ofSeconds(60));
            double mismatchedBefore = ServiceMetrics.settled(collector, "tuner_collector_uid_mismatch_total",
                    Duration.ofSeconds(2), Duration.ofSeconds(60));
            connectAs(uid, 8443, false);
            connectAsOtherUser();
            Sh.okWithInput("opencode-" + INSTANCE + "-blocked: IN= OUT=eth0 SRC=10.251.7.1 DST=" + SPOOFED_DST
                    + " LEN=60 PROTO=TCP SPT=1234 DPT=4444 UID=" + uid + " GID=" + uid + " \n",
                    "systemd-cat", "-t", "fake-kernel");
            // Both forgeries were seen and refused before anything is asserted about the suggestions.
            ServiceMetrics.awaitAbove(collector, "tuner_collector_spoofed_total", spoofedBefore, Duration.ofSeconds(60));
            ServiceMetrics.awaitAbove(collector, "tuner_collector_uid_mismatch_total", mismatchedBefore,
                    Duration.ofSeconds(60));

            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            Run suggestions;
            do {
                Thread.sleep(500);
                suggestions = cli("suggestions", "--state-dir", state, "--instance", INSTANCE, "--format", "json");
            } while (!(suggestions.out().contains(PEER4 + "/32") && suggestions.out().contains(PEER6 + "/128"))
                    && System.nanoTime() < deadline);
            assertThat(suggestions.code()).as(suggestions.err()).isZero();
            assertThat(suggestions.out()).contains("\"cidr\":\"" + PEER4 + "/32\"")
                    .contains("\"cidr\":\"" + PEER6 + "/128\"")
                    .doesNotContain(SPOOFED_DST) // userspace: never read as an event
                    .doesNotContain(OTHER_USERS_DST); // a kernel line, but not the instance user's socket
        } finally {
            cli("down", "--state-dir", state);
        }
    }

    /** Real traffic as {@code user} in the client namespace: TCP to the peer's IPv4 and IPv6, optionally UDP/53. */
    private static void connectAs(int user, int tcpPort, boolean udp) {
        String python = """
                import socket
                for fam, addr in ((socket.AF_INET, ("%s", %d)), (socket.AF_INET6, ("%s", %d))):
                    s = socket.socket(fam, socket.SOCK_STREAM); s.settimeout(0.3)
                    try: s.connect(addr)
                    except OSError: pass
                """.formatted(PEER4, tcpPort, PEER6, tcpPort);
        if (udp) {
            python += """
                    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    try: u.sendto(b"x", ("%s", 53))
                    except OSError: pass
                    """.formatted(PEER4);
        }
        net.pythonAs(user, python);
    }

    /** Another user's connection, logged by the kernel with the instance's prefix: a forged kernel line. */
    private static void connectAsOtherUser() {
        net.pythonAs(OTHER_UID, """
                import socket
                s = socket.socket(); s.settimeout(0.3)
                try: s.connect(("%s", 4444))
                except OSError: pass
                """.formatted(OTHER_USERS_DST));
    }

    record Run(int code, String out, String err) {
    }

    private static Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Tuner.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Run(code, out.toString(), err.toString());
    }

    /** Reads the journal through the JNA binding until {@code count} blocked lines of this test arrived. */
    private static List<BlockedLine> awaitKernelLines(int count, Duration timeout) throws InterruptedException {
        BlockedLineParser parser = new BlockedLineParser();
        long deadline = System.nanoTime() + timeout.toNanos();
        List<BlockedLine> found = new ArrayList<>();
        while (System.nanoTime() < deadline) {
            found.clear();
            try (Journal journal = Journal.openLocalSystem()) {
                journal.addMatch("_TRANSPORT=kernel");
                journal.seekRealtime(start);
                while (journal.next()) {
                    String message = journal.fieldText(Journal.MESSAGE);
                    if (message != null && message.startsWith("opencode-" + INSTANCE + "-blocked:")
                            && message.contains("OUT=tv" + SUFFIX + " ")) {
                        ParseResult r = parser.parse(message);
                        assertThat(r).as(message).isInstanceOf(BlockedLine.class);
                        found.add((BlockedLine) r);
                    }
                }
            }
            if (found.size() >= count) {
                return found;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("only " + found.size() + " of " + count + " kernel lines arrived in " + timeout);
    }
}
