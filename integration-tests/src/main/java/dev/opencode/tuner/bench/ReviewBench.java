package dev.opencode.tuner.bench;

import dev.opencode.tuner.stack.PartStatus;
import dev.opencode.tuner.stack.PostgresCredentials;
import dev.opencode.tuner.stack.Stack;
import dev.opencode.tuner.stack.StackOptions;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * {@code ./tuner bench --only review}: the review API and the review UI under load. PostgreSQL gets {@code instances}
 * instances with {@code perInstance} destination aggregates each (generate_series, set-based), the policy service of
 * the stack computes their suggestions, then {@code wrk} (Debian package), a second process, calls
 * {@code GET /api/v1/suggestions?host=&instance=} for random instances with HTTP Basic, and then the instance page
 * {@code /ui/instances/{host}/{instance}} with a session cookie from one form login, each at several numbers of
 * connections without think time, and the page once more with 16 connections that wait about a second after each
 * answer (reviewers rather than a saturating loop). Any answer but a 2xx counts as
 * an error (wrk itself counts only 4xx and 5xx: a redirect to the login page would pass as a fast answer). Then new
 * events are written into a share of the instances and the incremental recomputation's cost per new event is read
 * from the service's own timer ({@code tuner_policy_suggestions_recompute_duration_seconds}).
 *
 * <p>The service's reverse DNS asks a dnsmasq started here on a loopback port (no upstream; the bench's reverse
 * zones answer NXDOMAIN), never the machine's resolver: the page labels each address it shows.
 */
final class ReviewBench {
    /** The suggestion list of random instance {@code k}, as a Lua expression for wrk. */
    private static final String LIST_PATH = ("/api/v1/suggestions?host=bench-\" .. (k %% %d) .. \"&instance=inst-\""
            + " .. math.floor(k / %d)").formatted(ReviewBenchData.HOSTS, ReviewBenchData.HOSTS);
    /** The instance page of random instance {@code k}, as a Lua expression for wrk. */
    private static final String PAGE_PATH = "/ui/instances/bench-\" .. (k %% %d) .. \"/inst-\" .. math.floor(k / %d)"
            .formatted(ReviewBenchData.HOSTS, ReviewBenchData.HOSTS);
    /** The think-time load: this many clients, each waiting {@link #THINK_MS} after every answer. */
    private static final int REVIEWERS = 16;
    private static final int THINK_MS = 1000;

    private ReviewBench() {
    }

    static List<String> run(int instances, int perInstance, int seconds, int[] connectionCounts) throws Exception {
        Path root = Files.createTempDirectory(Path.of("/tmp"), "review-bench");
        Files.setPosixFilePermissions(root, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Path state = root.resolve("state");
        List<String> out = new ArrayList<>();
        String jvmOptions = "tuner.stack.policy.jvm-options";
        String previousOptions = System.getProperty(jvmOptions);
        Process dnsmasq = null;
        try {
            int dnsPort = freeUdpPort();
            dnsmasq = dnsmasq(root, dnsPort);
            System.setProperty(jvmOptions, ((previousOptions == null ? "" : previousOptions + " ")
                    + "-Dtuner.policy.evidence.dns.server=127.0.0.1:" + dnsPort).strip());
            Stack.up(state, StackOptions.defaults().withParts("kafka", "postgres", "policy"));
            String api = address(state, "policy");
            String management = managementAddress(state, "policy");
            long[] pids = {pid(state, "policy"), pid(state, "postgres")};
            String password = Files.readString(Stack.policyStateDirectory(state).resolve("initial-admin-password"))
                    .strip();
            PostgresCredentials db = PostgresCredentials.load(state.resolve("credentials")
                    .resolve("policy-db.properties"));
            try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password())) {
                long t = System.nanoTime();
                ReviewBenchData.load(c, instances, perInstance);
                double loadSeconds = (System.nanoTime() - t) / 1e9;
                System.err.printf("loaded %,d aggregates in %.1f s%n", (long) instances * perInstance, loadSeconds);

                // The first computation of every instance, by the service's scheduled recomputation.
                double before = metric(management, "tuner_policy_suggestions_recompute_duration_seconds_sum");
                t = System.nanoTime();
                long deadline = System.nanoTime() + Duration.ofMinutes(30).toNanos();
                while (ReviewBenchData.count(c, "SELECT count(*) FROM suggestion_run") < instances) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("the suggestions of " + instances + " instances were not"
                                + " computed within 30 minutes");
                    }
                    Thread.sleep(500);
                }
                double firstSeconds = (System.nanoTime() - t) / 1e9;
                double firstCpu = metric(management, "tuner_policy_suggestions_recompute_duration_seconds_sum") - before;
                long suggestions = ReviewBenchData.count(c, "SELECT count(*) FROM suggestion");
                System.err.printf("first computation: %.1f s (%,d suggestions)%n", firstSeconds, suggestions);

                String basic = Base64.getEncoder().encodeToString(("admin:" + password)
                        .getBytes(StandardCharsets.UTF_8));
                // Each load from 1 client to many: with no think time the latency of a closed loop is about
                // connections x CPU per answer / cores, so one number at one load says little.
                String cookie = "tuner-session=" + login(api, password);
                requirePage(api, cookie);
                List<String[]> lists = new ArrayList<>();
                List<String[]> pages = new ArrayList<>();
                for (int connections : connectionCounts) {
                    lists.add(WrkLoad.run(root, "suggestions", pids, api, "Authorization", "Basic " + basic,
                            LIST_PATH, instances, seconds, connections, 0));
                    pages.add(WrkLoad.run(root, "page", pids, api, "Cookie", cookie, PAGE_PATH, instances, seconds,
                            connections, 0));
                }
                // Reviewers rather than a saturating loop: 16 clients that each wait about a second after every
                // answer (a person reads a page for far longer), so that the page's latency is shown at a load a
                // review team could make, next to the loads without think time.
                String[] reviewers = WrkLoad.run(root, "page-reviewers", pids, api, "Cookie", cookie, PAGE_PATH,
                        instances, seconds, REVIEWERS, THINK_MS);

                // Incremental: new events for a tenth of the instances (new destinations and more events on old
                // ones), then the recomputation of exactly those instances, measured by the service's timer.
                int touched = Math.max(1, instances / 10);
                int newEvents = touched * 11; // per instance: 10 new destinations, 1 more event on an old one
                double sumBefore = metric(management, "tuner_policy_suggestions_recompute_duration_seconds_sum");
                double countBefore = metric(management, "tuner_policy_suggestions_recompute_duration_seconds_count");
                t = System.nanoTime();
                ReviewBenchData.addEvents(c, touched);
                while (metric(management, "tuner_policy_suggestions_recompute_duration_seconds_count") < countBefore
                        + touched) {
                    if (System.nanoTime() - t > Duration.ofMinutes(10).toNanos()) {
                        throw new IllegalStateException("the touched instances were not recomputed in 10 minutes");
                    }
                    Thread.sleep(200);
                }
                double incremental = metric(management, "tuner_policy_suggestions_recompute_duration_seconds_sum")
                        - sumBefore;
                double recomputed = metric(management, "tuner_policy_suggestions_recompute_duration_seconds_count")
                        - countBefore;

                // A reviewer clearing one instance through the UI: an instance the incremental step did not touch.
                int last = instances - 1;
                int toDecide = (int) Math.min(50, suggestions / instances);
                UiReviewer.Result ui = UiReviewer.decide(api, cookie, "bench-" + (last % ReviewBenchData.HOSTS),
                        "inst-" + (last / ReviewBenchData.HOSTS), toDecide);

                out.add(String.format(Locale.ROOT, "Review API: %,d instances x %,d destination aggregates = %,d"
                        + " rows (%,d suggestions), wrk from a second process for %d s per load, random instances:",
                        instances, perInstance, (long) instances * perInstance, suggestions, seconds));
                out.add("| what | result | notes |");
                out.add("|---|---|---|");
                for (int k = 0; k < connectionCounts.length; k++) {
                    String[] wrk = lists.get(k);
                    out.add(String.format(Locale.ROOT, "| GET /api/v1/suggestions?host=&instance= (Basic auth), %d"
                            + " connections | p50 %s, p99 %s, %s requests/s | target p99 <= 100 ms; %s |",
                            connectionCounts[k], wrk[0], wrk[1], wrk[2], wrk[3]));
                }
                for (int k = 0; k < connectionCounts.length; k++) {
                    String[] page = pages.get(k);
                    out.add(String.format(Locale.ROOT, "| GET /ui/instances/{host}/{instance} (session cookie), %d"
                            + " connections | p50 %s, p99 %s, %s requests/s | target p99 <= 100 ms; %s |",
                            connectionCounts[k], page[0], page[1], page[2], page[3]));
                }
                out.add(String.format(Locale.ROOT, "| GET /ui/instances/{host}/{instance} (session cookie), %d"
                        + " reviewers, think time of %d ms on average after each answer | p50 %s, p99 %s, %s"
                        + " requests/s | target p99 <= 100 ms; %s |", REVIEWERS, THINK_MS, reviewers[0], reviewers[1],
                        reviewers[2], reviewers[3]));
                out.add(String.format(Locale.ROOT, "| first computation of every instance | %.1f s wall, %.1f s"
                        + " in recomputation (%.1f ms per instance) | scheduled job, one transaction per instance |",
                        firstSeconds, firstCpu, firstCpu * 1000 / instances));
                out.add(String.format(Locale.ROOT, "| incremental recomputation after %,d new events in %,d"
                        + " instances | %.0f instances recomputed in %.2f s: %.2f ms per new event, %.1f ms per"
                        + " instance | only instances whose aggregates changed |", newEvents, touched, recomputed,
                        incremental, incremental * 1000 / newEvents, incremental * 1000 / Math.max(1, recomputed)));
                out.add(String.format(Locale.ROOT, "| a scripted reviewer accepts %d suggestions of one instance"
                        + " through the UI (%d page loads, one htmx post per card) | %.1f s; per decision p50 %.0f ms,"
                        + " p99 %.0f ms | the service's share only, reading time not included; target: 50 in 5"
                        + " minutes |", toDecide, ui.pageLoads(), ui.seconds(), ui.percentile(0.5),
                        ui.percentile(0.99)));
                out.add(String.format(Locale.ROOT, "| bulk load (generate_series) | %.1f s | |", loadSeconds));
                out.add("");
            }
        } finally {
            try {
                Stack.down(state);
            } finally {
                if (previousOptions == null) {
                    System.clearProperty(jvmOptions);
                } else {
                    System.setProperty(jvmOptions, previousOptions);
                }
                if (dnsmasq != null) {
                    dnsmasq.destroy();
                    dnsmasq.waitFor(10, TimeUnit.SECONDS);
                }
                deleteTree(root); // 1.4 GB of PostgreSQL and Kafka data
            }
        }
        return out;
    }

    /** Logs in through the form login as the browser does; answers the session cookie's value. */
    private static String login(String api, String password) throws IOException, InterruptedException {
        String form = "j_username=admin&j_password=" + URLEncoder.encode(password, StandardCharsets.UTF_8);
        try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER).build()) {
            HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(api + "/j_security_check"))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(form)).build(),
                    HttpResponse.BodyHandlers.ofString());
            for (String c : answer.headers().allValues("Set-Cookie")) {
                if (c.startsWith("tuner-session=") && !c.startsWith("tuner-session=;")) {
                    return c.substring("tuner-session=".length(), c.indexOf(';') < 0 ? c.length() : c.indexOf(';'));
                }
            }
            throw new IllegalStateException("the form login answered " + answer.statusCode() + " without a session"
                    + " cookie: " + answer.headers().allValues("Location"));
        }
    }

    /** One instance page with the cookie must be the page itself (200 and its heading), not the login page. */
    private static void requirePage(String api, String cookie) throws IOException, InterruptedException {
        try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER).build()) {
            HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(api
                    + "/ui/instances/bench-0/inst-0")).header("Cookie", cookie).timeout(Duration.ofSeconds(60))
                    .build(), HttpResponse.BodyHandlers.ofString());
            if (answer.statusCode() != 200 || !answer.body().contains("<h1>inst-0")) {
                throw new IllegalStateException("the instance page answered " + answer.statusCode() + " "
                        + answer.headers().allValues("Location") + " with the session cookie, not the page");
            }
        }
    }

    /**
     * dnsmasq (Debian's package) on a loopback port, for the service's reverse DNS: no upstream, no hosts file, and
     * every reverse name local, so each lookup is a quick NXDOMAIN and nothing leaves the machine.
     */
    private static Process dnsmasq(Path root, int port) throws IOException, InterruptedException {
        Path binary = Path.of("/usr/sbin/dnsmasq");
        if (!Files.isExecutable(binary)) {
            throw new IllegalStateException(binary + " is missing: apt-get install dnsmasq"
                    + " (build/debian-packages.txt)");
        }
        Process p = new ProcessBuilder(binary.toString(), "--keep-in-foreground", "--conf-file=/dev/null",
                "--no-resolv", "--no-hosts", "--no-poll", "--bind-interfaces", "--listen-address=127.0.0.1",
                "--port=" + port, "--pid-file=", "--user=" + System.getProperty("user.name"),
                "--local=/in-addr.arpa/", "--local=/ip6.arpa/", "--log-facility=-")
                .redirectErrorStream(true).redirectOutput(root.resolve("dnsmasq.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline && p.isAlive()) {
            try (java.net.Socket socket = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), port)) {
                return p; // dnsmasq listens on TCP and UDP together: TCP up means ready
            } catch (IOException e) {
                Thread.sleep(50);
            }
        }
        p.destroy();
        throw new IllegalStateException("dnsmasq did not start: " + Files.readString(root.resolve("dnsmasq.log")));
    }

    private static int freeUdpPort() throws IOException {
        try (java.net.DatagramSocket socket = new java.net.DatagramSocket(0,
                java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** A metric of the policy service, read from its management interface ({@code management}: its base URL). */
    private static double metric(String management, String name) throws InterruptedException {
        // HTTP/1.1: the client's default h2c upgrade sometimes fails against the service ("Frame type(105) ...
        // exceeds MAX_FRAME_SIZE"), and wrk speaks HTTP/1.1 too.
        try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            String body = http.send(HttpRequest.newBuilder(URI.create(management + "/q/metrics"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
            for (String line : body.split("\n")) {
                if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                    return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
            return 0;
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + management + "/q/metrics: " + e.getMessage(), e);
        }
    }

    static void deleteTree(Path root) throws IOException {
        try (var files = Files.walk(root)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    private static long pid(Path state, String part) {
        for (PartStatus p : Stack.status(state).parts()) {
            if (p.part().equals(part) && p.pid() != null) {
                return p.pid();
            }
        }
        throw new IllegalStateException(part + " has no process in " + state);
    }

    private static String address(Path state, String part) {
        for (PartStatus p : Stack.status(state).parts()) {
            if (p.part().equals(part)) {
                return p.address();
            }
        }
        throw new IllegalStateException(part + " is not running in " + state);
    }

    /** Where the part serves {@code /q/metrics}: the policy service's management interface, not its API port. */
    private static String managementAddress(Path state, String part) {
        for (PartStatus p : Stack.status(state).parts()) {
            if (p.part().equals(part)) {
                return p.managementAddress();
            }
        }
        throw new IllegalStateException(part + " is not running in " + state);
    }
}
