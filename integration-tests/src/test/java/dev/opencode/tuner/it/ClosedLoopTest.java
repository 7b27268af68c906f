package dev.opencode.tuner.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opencode.tuner.export.Remotes;
import dev.opencode.tuner.export.forge.FakeForge;
import dev.opencode.tuner.export.forge.ForgeKind;
import dev.opencode.tuner.stack.PartStatus;
import dev.opencode.tuner.stack.Stack;
import dev.opencode.tuner.stack.StackOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The closed loop with the real kernel: an unprivileged instance user in a network namespace, under the ruleset
 * {@code nix/lib} renders for its instance, connects to a test host and is dropped → kernel log line → journald → the
 * collector of {@code ./tuner up} → Kafka → policy service → suggestion → accepted through the API → exported as a
 * commit to a real bare repository and a pull request on a fake GitHub → the generated file evaluates with
 * {@code nix-instantiate} and is merged with the hand-written base list → the ruleset is rendered again with
 * {@code nix/lib} and loaded with {@code nft} → the same connection now succeeds → the collector reports the entry's
 * counter rising and the policy service marks the suggestion {@code deployed}. Then the counter stays flat for the
 * short removal window configured here ({@value #UNUSED_AFTER} instead of 30 days): the entry becomes a removal
 * suggestion, which is accepted and announced in the same pull request.
 */
class ClosedLoopTest {
    /**
     * Unique per run, as are the peer's addresses: the journal persists, and lines of an earlier run (same instance,
     * same destination) must never satisfy this one.
     */
    private static final String SUFFIX = Integer.toString(
            java.util.concurrent.ThreadLocalRandom.current().nextInt(10_000, 100_000));
    private static final String INSTANCE = "loop" + SUFFIX;
    /** tuner.policy.removal.unused-after for this test: long enough for the connection, short enough to wait for. */
    private static final String UNUSED_AFTER = "20s";
    private static final String USER = "opencode-" + INSTANCE;
    private static final String CLIENT = "tuner-loop-c" + SUFFIX;
    private static final String PEER = "tuner-loop-p" + SUFFIX;
    private static final String NET = "10.253." + (Integer.parseInt(SUFFIX) % 250 + 1);
    private static final String PEER4 = NET + ".2";
    private static final String BASE = "10.252.9.0/24"; // the operator's hand-written list: something else
    private static final String TOKEN = "ghp_closedLoopToken0123456789abcdefABCDEF";
    private static final Duration WAIT = Duration.ofMinutes(3);
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Path root;
    private static Path state;
    private static Path repo;
    private static KernelLogging logging;
    private static NetnsPair net;
    private static Process listener;
    private static FakeForge forge;
    private static Path bare;
    private static String host;
    private static String api;
    private static String auth;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void setUp() throws Exception {
        assertThat(Sh.isRoot()).as("namespaces, nftables and journald need root").isTrue();
        repo = Path.of(System.getProperty("tuner.root", "..")).toAbsolutePath().normalize();
        root = Files.createTempDirectory(Path.of("/tmp"), "closed-loop");
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        state = root.resolve("state");
        host = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip(); // journald's _HOSTNAME
        logging = KernelLogging.start();
        Sh.ok("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER);
        net = new NetnsPair(CLIENT, PEER, "lc" + SUFFIX, "lp" + SUFFIX, List.of(NET + ".1/24"), List.of(PEER4 + "/24"));
        listener = new ProcessBuilder("ip", "netns", "exec", PEER, "python3", "-m", "http.server", "8443", "--bind",
                PEER4).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        loadRuleset(List.of(BASE));

        // The operator's infrastructure repository and forge.
        bare = Remotes.bare(root, "main");
        forge = new FakeForge(ForgeKind.GITHUB, "ops/infra", TOKEN, bare);
        Path tokenFile = root.resolve("forge-token");
        Files.writeString(tokenFile, TOKEN + "\n");
        Path nftState = root.resolve("nft-state");
        Files.writeString(nftState, "#!/bin/sh\nexec ip netns exec " + CLIENT
                + " nft -j list table inet opencode-egress\n");
        Files.setPosixFilePermissions(nftState, PosixFilePermissions.fromString("rwxr-xr-x"));
        System.setProperty("tuner.stack.collector.jvm-options", "-Dtuner.collector.host-state.command=" + nftState
                + " -Dtuner.collector.host-state.interval=1s");
        System.setProperty("tuner.stack.policy.jvm-options", String.join(" ",
                "-Dtuner.policy.export.repository=" + bare,
                "-Dtuner.policy.export.cache-directory=" + root.resolve("export-cache"),
                "-Dtuner.policy.export.forge.kind=github",
                "-Dtuner.policy.export.forge.url=" + forge.apiBase(),
                "-Dtuner.policy.export.forge.repository=ops/infra",
                "-Dtuner.policy.export.forge.token-file=" + tokenFile,
                "-Dtuner.policy.export.auto=false",
                "-Dtuner.policy.review.stable-events=1",
                "-Dtuner.policy.removal.unused-after=" + UNUSED_AFTER,
                "-Dtuner.policy.removal.check-interval=1s"));
        try {
            Stack.up(state, StackOptions.defaults()); // the collector follows this machine's journal
        } finally {
            System.clearProperty("tuner.stack.collector.jvm-options");
            System.clearProperty("tuner.stack.policy.jvm-options");
        }
        api = Stack.status(state).parts().stream().filter(p -> p.part().equals("policy")).map(PartStatus::address)
                .findFirst().orElseThrow();
        auth = "Basic " + Base64.getEncoder().encodeToString(("admin:" + Files.readString(
                Stack.policyStateDirectory(state).resolve("initial-admin-password")).strip())
                .getBytes(StandardCharsets.UTF_8));
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (state != null) {
            Stack.down(state);
        }
        if (forge != null) {
            forge.close();
        }
        if (listener != null) {
            listener.destroy();
        }
        if (net != null) {
            net.close();
        }
        Sh.quietly("userdel", USER);
        if (logging != null) {
            logging.close();
        }
    }

    @Test
    void aBlockedConnectionBecomesAReviewedPullRequestAndThenAnAllowedConnectionReportedAsDeployed()
            throws Exception {
        long blockedAt = System.nanoTime();
        assertThat(connect()).as("blocked at first").isFalse();
        JsonNode suggestion = awaitJson("the suggestion for " + PEER4, () -> {
            for (JsonNode s : get("/api/v1/suggestions?host=" + host + "&instance=" + INSTANCE).at(
                    "/instances/0/suggestions")) {
                if (s.get("cidr").asText().equals(PEER4 + "/32")) {
                    return s;
                }
            }
            return null;
        });
        String id = suggestion.get("id").asText();
        long suggestedAt = System.nanoTime();

        HttpResponse<String> accepted = post("/api/v1/suggestions/" + id + "/accept",
                "{\"comment\": \"the agent's package mirror\"}");
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(200);
        HttpResponse<String> export = post("/api/v1/exports", "{\"host\": \"" + host + "\"}");
        assertThat(export.statusCode()).as(export.body()).isEqualTo(200);
        JsonNode run = JSON.readTree(export.body()).at("/runs/0");
        assertThat(run.get("result").asText()).as(export.body()).isEqualTo("committed");
        assertThat(run.at("/pullRequest/result").asText()).isEqualTo("opened");
        long pullRequestAt = System.nanoTime();
        assertThat(forge.pulls).hasSize(1);
        assertThat(forge.pulls.get(0).body).contains(PEER4 + "/32").contains("the agent's package mirror");

        // The operator's side: the generated file from the pull request's branch, merged with the base list.
        String path = "hosts/" + host + "/opencode-egress-allowlist.nix";
        String generated = Sh.ok("git", "--git-dir=" + bare, "show", "opencode-egress/" + host + ":" + path);
        Path file = Files.writeString(root.resolve("opencode-egress-allowlist.nix"), generated);
        String merged = Sh.stdout("nix-instantiate", "--eval", "--strict", "--json", "-E",
                "(import " + file + " { lib = {}; config = {}; pkgs = {}; }).services.opencode.instances.\"" + INSTANCE
                        + "\".networkIsolation.outboundAllowCidrs ++ [ \"" + BASE + "\" ]");
        List<String> cidrs = List.of(JSON.readValue(merged, String[].class));
        assertThat(cidrs).containsExactlyInAnyOrder(PEER4 + "/32", BASE);
        loadRuleset(cidrs);
        long deployedRulesetAt = System.nanoTime();

        assertThat(connect()).as("allowed after the merge").isTrue();
        JsonNode deployed = awaitJson("the suggestion is deployed", () -> {
            JsonNode detail = get("/api/v1/suggestions/" + id);
            return detail.at("/suggestion/state").asText().equals("deployed") ? detail : null;
        });
        assertThat(deployed.at("/suggestion/cidr").asText()).isEqualTo(PEER4 + "/32");
        long deployedAt = System.nanoTime();
        JsonNode counter = awaitJson("the entry's counter rising", () -> {
            for (JsonNode h : get("/api/v1/host-states").get("hosts")) {
                for (JsonNode a : h.get("allow")) {
                    if (h.get("host").asText().equals(host) && a.get("cidr").asText().equals(PEER4 + "/32")
                            && a.get("packets").asLong() > 0) {
                        return a;
                    }
                }
            }
            return null;
        });
        assertThat(counter.get("lastUsed").isNull()).isFalse();
        long usedAt = System.nanoTime();

        // The agent does not connect again: after UNUSED_AFTER of flat counters on the host, the entry is suggested
        // for removal with the counter the host reported; accepted, the next export announces it in the pull request.
        JsonNode removal = awaitJson("the removal suggestion after " + UNUSED_AFTER + " of flat counters", () -> {
            for (JsonNode s : get("/api/v1/suggestions?host=" + host + "&instance=" + INSTANCE).at(
                    "/instances/0/suggestions")) {
                if (s.path("kind").asText().equals("remove") && s.get("cidr").asText().equals(PEER4 + "/32")) {
                    return s;
                }
            }
            return null;
        });
        long removalAt = System.nanoTime();
        assertThat(removal.at("/removal/removes").asText()).isEqualTo(id);
        assertThat(removal.at("/removal/packets").asLong()).isPositive();
        assertThat(removal.at("/removal/lastUsed").isNull()).as(removal.toString()).isFalse();
        HttpResponse<String> acceptRemoval = post("/api/v1/suggestions/" + removal.get("id").asText() + "/accept",
                "{\"comment\": \"the agent stopped using the mirror\"}");
        assertThat(acceptRemoval.statusCode()).as(acceptRemoval.body()).isEqualTo(200);
        HttpResponse<String> announce = post("/api/v1/exports", "{\"host\": \"" + host + "\"}");
        assertThat(announce.statusCode()).as(announce.body()).isEqualTo(200);
        assertThat(JSON.readTree(announce.body()).at("/runs/0/result").asText()).as(announce.body())
                .isEqualTo("committed");
        assertThat(forge.pulls).as("the same pull request, updated").hasSize(1);
        assertThat(forge.pulls.get(0).body).contains("will be removed after").contains(PEER4 + "/32")
                .contains("the agent stopped using the mirror");
        assertThat(Sh.ok("git", "--git-dir=" + bare, "show", "opencode-egress/" + host + ":" + path))
                .contains("\"" + PEER4 + "/32\"").contains("to be removed after ");
        // Measurements of this live run, not assertions: the closed-loop table of docs/benchmarks.md comes from here.
        String table = String.join("\n",
                "| closed loop, live (ClosedLoopTest) | seconds |",
                "|---|---|",
                String.format(java.util.Locale.ROOT, "| first blocked packet -> suggestion visible in the API (includes the client's two dropped 2-s"
                        + " connection attempts) | %.1f |",
                        (suggestedAt - blockedAt) / 1e9),
                String.format(java.util.Locale.ROOT, "| accept -> pull request open (export asked at once; the"
                        + " automatic trigger adds its debounce, 2 min by default) | %.1f |",
                        (pullRequestAt - suggestedAt) / 1e9),
                String.format(java.util.Locale.ROOT, "| merged file deployed (nft loaded) -> deployed reported (host"
                        + " state read every 1 s here, 60 s by default) | %.1f |",
                        (deployedAt - deployedRulesetAt) / 1e9),
                String.format(java.util.Locale.ROOT, "| counter seen rising -> removal suggested (unused-after %s"
                        + " here, 30 days by default; removals checked every 1 s here, 10 min by default) | %.1f |",
                        UNUSED_AFTER, (removalAt - usedAt) / 1e9));
        System.out.println(table);
        Files.writeString(Path.of("target", "closed-loop-timings.md"), table + "\n");
        String logs = Files.readString(state.resolve("logs/policy.log"));
        assertThat(logs).doesNotContain(TOKEN);
    }

    // --- the host ---

    private static void loadRuleset(List<String> cidrs) {
        StringBuilder list = new StringBuilder();
        cidrs.forEach(c -> list.append('"').append(c).append("\" "));
        String json = Sh.stdout("nix-instantiate", "--eval", "--strict", "--json", "-E", "(import " + repo.resolve("nix/lib")
                + ").egressRuleset { " + INSTANCE + " = { user = \"" + USER + "\"; outboundAllowCidrs = [ " + list
                + "]; }; }");
        String ruleset;
        try {
            ruleset = JSON.readValue(json, String.class);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        Sh.okWithInput(ruleset, "ip", "netns", "exec", CLIENT, "nft", "-f", "-");
    }

    /** Whether the instance user's TCP connection to the test host is accepted (two tries: SYNs are logged). */
    private static boolean connect() {
        boolean ok = false;
        for (int i = 0; i < 2; i++) {
            ok = Sh.run(List.of("ip", "netns", "exec", CLIENT, "setpriv", "--reuid=" + USER, "--regid=" + USER,
                    "--init-groups", "timeout", "2", "bash", "-c", "echo > /dev/tcp/" + PEER4 + "/8443"), null,
                    Map.of(), 10).code() == 0;
        }
        return ok;
    }

    // --- the API ---

    private static JsonNode get(String path) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(api + path)).header("Authorization",
                    auth).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? JSON.readTree(r.body()) : JSON.createObjectNode();
        } catch (java.io.IOException | InterruptedException e) {
            return JSON.createObjectNode();
        }
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(api + path)).header("Authorization", auth)
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode awaitJson(String what, Supplier<JsonNode> probe) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode found = probe.get();
            if (found != null) {
                return found;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("timed out after " + WAIT + " waiting for " + what + "; logs in "
                + state.resolve("logs"));
    }
}
