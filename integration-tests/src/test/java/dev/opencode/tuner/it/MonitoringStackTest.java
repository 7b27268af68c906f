package dev.opencode.tuner.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opencode.tuner.cli.Tuner;
import dev.opencode.tuner.dashboards.DashboardFiles;
import dev.opencode.tuner.hoststate.HostState;
import dev.opencode.tuner.stack.PostgresCredentials;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * The dashboards and rules, verified against the real services: {@code ./tuner up --monitoring} runs the stack with
 * Debian's Prometheus scraping the collector and the policy service with the shipped rules; real traffic of an
 * instance user is dropped and logged by nftables; then every PromQL expression of every panel and rule goes through
 * Prometheus' {@code /api/v1/query} and every SQL query of the dashboards runs through the read-only role, with the
 * template variables and Grafana's macros replaced by real values. Needs root.
 */
class MonitoringStackTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    /**
     * Metrics of the review and export contract (dashboards/README.md) that nothing on main may emit yet, with the
     * reason. A panel using one may be empty only while Prometheus has no series of it at all: once the metric is
     * emitted, its panels must show data like any other.
     */
    static final Map<String, String> ALLOWED_EMPTY = Map.of(
            "tuner_policy_suggestions_pending", "a gauge with rows only while stable suggestions are pending",
            "tuner_policy_suggestions_oldest_pending_age_seconds", "a gauge with rows only while stable suggestions"
                    + " are pending",
            "tuner_policy_exports_total", "the export is off in ./tuner up (no repository configured): its metrics"
                    + " are registered when it runs",
            "tuner_policy_pull_requests_total", "registered at the first pull request; the export is off here",
            "tuner_policy_export_last_success_timestamp_seconds", "set by a successful export; the export is off"
                    + " here");

    @Test
    void everyPanelAndRuleQueryRunsAgainstTheRealPrometheusAndPostgres() throws Exception {
        Path root = Files.createTempDirectory(Path.of("/tmp"), "tuner-monitoring");
        Files.setPosixFilePermissions(root, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Path state = root.resolve("state");
        DashboardFiles files = DashboardFiles.locate();
        try (LiveTraffic traffic = new LiveTraffic("mon")) {
            Run up = cli("up", "--state-dir", state.toString(), "--monitoring", "--scrape-interval", "1");
            assertThat(up.code()).as(up.err()).isZero();
            Matcher address = Pattern.compile("Prometheus: (http://127\\.0\\.0\\.1:\\d+)").matcher(up.out());
            assertThat(address.find()).as(up.out()).isTrue();
            String prometheus = address.group(1);
            assertThat(up.err()).contains("starting Prometheus on " + prometheus);

            // Prometheus discovers its targets and scrapes them within a few scrape intervals of being ready.
            Run status;
            long scraped = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            do {
                Thread.sleep(500);
                status = cli("status", "--state-dir", state.toString());
            } while (!status.out().contains("2 of 2 targets up") && System.nanoTime() < scraped);
            assertThat(status.code()).as(status.out()).isZero();
            assertThat(status.out()).containsPattern("prometheus +RUNNING +" + Pattern.quote(prometheus)
                    + " +ready at .*, 2 of 2 targets up");

            traffic.connectToEveryDestination(443);
            traffic.connectToEveryDestination(8443);
            String host = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
            Map<String, String> variables = Map.of("host", host, "instance", traffic.instance);

            // The host's nftables state. The stack's collector reports this machine's table, which does not exist here
            // (the traffic's table lives in its own namespace): a report with problems, which keeps the host-state
            // age and problems panels in data. The instance's allowlist and exact counts come from a clean report
            // in the collector's wire format, as a host enforcing an allowlist for the instance would publish it;
            // the collector's later reports with problems change nothing of it (docs/review.md, "Host states").
            Matcher kafka = Pattern.compile("kafka +RUNNING +(127\\.0\\.0\\.1:\\d+)").matcher(status.out());
            assertThat(kafka.find()).isTrue();
            String bootstrap = kafka.group(1);
            HostStateTopic.publish(state, bootstrap, new HostState(host, Instant.now(), List.of(), List.of(
                    new HostState.InstanceState(traffic.instance,
                            List.of(new HostState.AllowCounter("192.0.2.0/24", 12, 720),
                                    new HostState.AllowCounter("198.51.100.7/32", 0, 0)),
                            List.of(new HostState.BlockedDestination(traffic.destinations4.get(0), 14, 840, 600))))));

            // The policy service counted the events, and its next metrics refresh (30 s) published them.
            awaitData(prometheus, "tuner:blocked_events:rate5m{host=\"" + host + "\", opencode_instance=\""
                    + traffic.instance + "\"}", Duration.ofSeconds(120));
            awaitData(prometheus, "tuner:consumer_lag_total:records", Duration.ofSeconds(60));
            awaitData(prometheus, "tuner_policy_allowlist_entries{host=\"" + host + "\", opencode_instance=\""
                    + traffic.instance + "\"} == 2", Duration.ofSeconds(60));
            awaitData(prometheus, "tuner_policy_host_state_age_seconds{host=\"" + host + "\"} < 600",
                    Duration.ofSeconds(60));

            // A reviewer's decision through the review API, so the decision panels have a row to show.
            String policy = partAddress(status.out(), "policy");
            String password = Files.readString(dev.opencode.tuner.stack.Stack.policyStateDirectory(state)
                    .resolve("initial-admin-password")).strip();
            String auth = "Basic " + java.util.Base64.getEncoder().encodeToString(("admin:" + password)
                    .getBytes(StandardCharsets.UTF_8));
            JsonNode suggestions = JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(policy
                    + "/api/v1/suggestions?host=" + URLEncoder.encode(host, StandardCharsets.UTF_8) + "&instance="
                    + traffic.instance)).header("Authorization", auth).build(), HttpResponse.BodyHandlers.ofString())
                    .body());
            String id = suggestions.at("/instances/0/suggestions/0/id").asText();
            assertThat(id).as("a pending suggestion of %s: %s", traffic.instance, suggestions).isNotEmpty();
            HttpResponse<String> rejected = HTTP.send(HttpRequest.newBuilder(URI.create(policy
                    + "/api/v1/suggestions/" + id + "/reject")).header("Authorization", auth)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"comment\": \"monitoring test\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(rejected.statusCode()).as(rejected.body()).isEqualTo(200);

            // status --format json lists the part prometheus.
            Run json = cli("status", "--state-dir", state.toString(), "--format", "json");
            assertThat(json.code()).as(json.out()).isZero();
            List<String> names = new ArrayList<>();
            JSON.readTree(json.out()).forEach(part -> names.add(part.path("name").asText()));
            assertThat(names).contains("prometheus");

            // Every rule loaded and evaluated without error.
            JsonNode groups = get(prometheus, "/api/v1/rules").path("data").path("groups");
            List<String> loaded = new ArrayList<>();
            for (JsonNode group : groups) {
                for (JsonNode rule : group.path("rules")) {
                    loaded.add(rule.path("name").asText());
                    assertThat(rule.path("health").asText()).as("rule %s: %s", rule.path("name").asText(),
                            rule.path("lastError").asText()).isIn("ok", "unknown");
                }
            }
            assertThat(loaded).containsExactlyInAnyOrderElementsOf(files.rules().stream()
                    .map(DashboardFiles.Rule::name).toList());

            for (DashboardFiles.Rule rule : files.rules()) {
                JsonNode answer = query(prometheus, rule.expr());
                assertThat(answer.path("status").asText()).as("rule %s: %s", rule.name(), answer).isEqualTo("success");
                if (!rule.alert()) {
                    assertThat(answer.path("data").path("result")).as("recording rule %s returns data", rule.name())
                            .isNotEmpty();
                }
            }

            // Every panel: parses, and returns data unless it uses a contract metric that is still absent.
            Map<String, String> absent = new java.util.TreeMap<>();
            for (Map.Entry<String, String> e : ALLOWED_EMPTY.entrySet()) {
                JsonNode present = query(prometheus, "count({__name__=~\"" + e.getKey() + "(_.*)?\"})");
                if (present.path("data").path("result").isEmpty()) {
                    absent.put(e.getKey(), e.getValue());
                }
            }
            System.out.println("MonitoringStackTest: panels may be empty only for these absent metrics: " + absent);
            List<String> failures = new ArrayList<>();
            int promql = 0;
            int sql = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            for (DashboardFiles.Query q : files.queries()) {
                if (q.language() != DashboardFiles.Language.PROMQL) {
                    continue;
                }
                promql++;
                String expr = DashboardFiles.promql(q.text(), "1m", "1h", variables);
                String allowed = allowedEmpty(expr, absent);
                JsonNode answer = query(prometheus, expr);
                // rate() needs two samples in its window: a new series may need a few more scrapes.
                while (allowed == null && answer.path("data").path("result").isEmpty()
                        && System.nanoTime() < deadline) {
                    Thread.sleep(1000);
                    answer = query(prometheus, expr);
                }
                if (!answer.path("status").asText().equals("success")) {
                    failures.add(q.where() + " does not parse: " + answer + "\n  " + expr);
                } else if (allowed == null && answer.path("data").path("result").isEmpty()) {
                    failures.add(q.where() + " returned no data:\n  " + expr);
                }
            }

            // Every SQL query, as the read-only role, with the macros replaced as Grafana's datasource does.
            PostgresCredentials grafana = PostgresCredentials.load(state.resolve("credentials")
                    .resolve("grafana-db.properties"));
            assertThat(grafana.user()).isEqualTo("tuner_grafana");
            Instant to = Instant.now().plusSeconds(60);
            Instant from = to.minus(7, ChronoUnit.DAYS);
            try (Connection connection = grafana.connect()) {
                for (DashboardFiles.Query q : files.queries()) {
                    if (q.language() != DashboardFiles.Language.SQL) {
                        continue;
                    }
                    sql++;
                    String text = DashboardFiles.sql(q.text(), from, to, variables);
                    try (Statement s = connection.createStatement(); ResultSet rows = s.executeQuery(text)) {
                        List<String> firstColumn = new ArrayList<>();
                        while (rows.next()) {
                            firstColumn.add(rows.getString(1));
                        }
                        if (firstColumn.isEmpty()) {
                            failures.add(q.where() + " returned no rows:\n  " + text);
                        }
                        if (q.panelId() == 0) {
                            assertThat(firstColumn).as(q.where()).contains(variables.get(q.refId()));
                        }
                    } catch (SQLException e) {
                        failures.add(q.where() + " failed: " + e.getMessage() + "\n  " + text);
                    }
                }
                // Read-only: neither writes nor DDL.
                try (Statement s = connection.createStatement()) {
                    assertThatThrownBy(() -> s.executeUpdate("DELETE FROM instance_aggregate"))
                            .isInstanceOf(SQLException.class).hasMessageContaining("read-only");
                }
                // A client may turn read-only off for its session; the grants still allow nothing but SELECT.
                try (Statement s = connection.createStatement()) {
                    s.execute("SET default_transaction_read_only = off");
                    assertThatThrownBy(() -> s.executeUpdate("DELETE FROM instance_aggregate"))
                            .isInstanceOf(SQLException.class).hasMessageContaining("permission denied");
                    assertThatThrownBy(() -> s.execute("CREATE TABLE grafana_was_here (x int)"))
                            .isInstanceOf(SQLException.class).hasMessageContaining("permission denied");
                }
            }
            System.out.printf("MonitoringStackTest: %d PromQL panel queries, %d rules, %d SQL queries checked%n", promql,
                    files.rules().size(), sql);
            assertThat(failures).as("%d PromQL and %d SQL queries checked", promql, sql).isEmpty();
            assertThat(promql).isGreaterThan(40);
            assertThat(sql).isGreaterThanOrEqualTo(10);

            // Two alerts for real. Quiet so far: five destinations, no dead letter.
            // Scoped to this run's instance: the system journal may hold other instances' lines from earlier runs.
            assertThat(firing(prometheus, traffic.instance)).doesNotContain("TunerInstanceBlockingManyDestinations",
                    "TunerDeadLettersIncreasing");
            // A record that is not an event: dead-lettered by the policy service, and the alert fires. Written as the
            // host's collector to the host's topic, the only topic the broker lets that account write.
            Properties p = KafkaLogins.client(KafkaLogins.collector(state, host), bootstrap);
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(),
                    new ByteArraySerializer())) {
                producer.send(new ProducerRecord<>("opencode.egress.blocked." + host,
                        "x/y".getBytes(StandardCharsets.UTF_8), "{not json".getBytes(StandardCharsets.UTF_8)))
                        .get(30, TimeUnit.SECONDS);
            }
            // 61 destinations the instance was never blocked from, within minutes: a scanning agent.
            traffic.connectToNewDestinations(61);
            awaitFiring(prometheus, "TunerDeadLettersIncreasing", null, Duration.ofSeconds(60));
            JsonNode scan = awaitFiring(prometheus, "TunerInstanceBlockingManyDestinations", traffic.instance,
                    Duration.ofSeconds(120));
            assertThat(scan.path("labels").path("opencode_instance").asText()).isEqualTo(traffic.instance);
            assertThat(scan.path("labels").path("host").asText()).isEqualTo(host);
            // A refresh of the gauge may have fallen in the middle of the burst: the value settles at 66 (5 + 61).
            String expected = "Instance " + traffic.instance + " on " + host + " blocked 66 new destinations in an hour";
            long settled = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!scan.path("annotations").path("summary").asText().equals(expected) && System.nanoTime() < settled) {
                Thread.sleep(1000);
                scan = awaitFiring(prometheus, "TunerInstanceBlockingManyDestinations", traffic.instance,
                        Duration.ofSeconds(10));
            }
            assertThat(scan.path("annotations").path("summary").asText()).isEqualTo(expected);
        } finally {
            Run down = cli("down", "--state-dir", state.toString());
            assertThat(down.out()).containsPattern("prometheus +STOPPED");
            // About 200 MB (Kafka's jars, the two applications, the data): removed once everything stopped.
            try (var tree = Files.walk(root)) {
                for (Path p : tree.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    /** The address of a part in the text of ./tuner status. */
    static String partAddress(String status, String part) {
        Matcher m = Pattern.compile("(?m)^  " + part + " +RUNNING +(\\S+)").matcher(status);
        assertThat(m.find()).as(status).isTrue();
        return m.group(1);
    }

    /**
     * The names of the alerts firing now that concern {@code instance}: those labelled with it, and those about no
     * instance at all (dead letters, lag); never another instance's.
     */
    static List<String> firing(String prometheus, String instance) throws Exception {
        List<String> names = new ArrayList<>();
        for (JsonNode alert : get(prometheus, "/api/v1/alerts").path("data").path("alerts")) {
            if (alert.path("state").asText().equals("firing") && concerns(alert, instance)) {
                names.add(alert.path("labels").path("alertname").asText());
            }
        }
        return names;
    }

    /** Whether an alert is about {@code instance} (or about no instance); null matches every alert. */
    private static boolean concerns(JsonNode alert, String instance) {
        JsonNode label = alert.path("labels").path("opencode_instance");
        return instance == null || label.isMissingNode() || label.asText().equals(instance);
    }

    /** Waits until the alert fires for {@code instance} (null: for any or no instance) and returns it. */
    private static JsonNode awaitFiring(String prometheus, String name, String instance, Duration timeout)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode alerts;
        do {
            alerts = get(prometheus, "/api/v1/alerts").path("data").path("alerts");
            for (JsonNode alert : alerts) {
                if (alert.path("labels").path("alertname").asText().equals(name)
                        && alert.path("state").asText().equals("firing") && concerns(alert, instance)) {
                    return alert;
                }
            }
            Thread.sleep(1000);
        } while (System.nanoTime() < deadline);
        throw new AssertionError(name + " did not fire within " + timeout + "; alerts: " + alerts);
    }

    /** The reason the expression may be empty (it uses an absent contract metric), or null when it must have data. */
    static String allowedEmpty(String expr, Map<String, String> absent) {
        for (Map.Entry<String, String> e : absent.entrySet()) {
            if (Pattern.compile("\\b" + e.getKey() + "(_bucket|_count|_sum)?\\b").matcher(expr).find()) {
                return e.getValue();
            }
        }
        return null;
    }

    private static void awaitData(String prometheus, String expr, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode answer;
        do {
            answer = query(prometheus, expr);
            if (!answer.path("data").path("result").isEmpty()) {
                return;
            }
            Thread.sleep(1000);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("no data for " + expr + " within " + timeout + ": " + answer);
    }

    static JsonNode query(String prometheus, String expr) throws Exception {
        return get(prometheus, "/api/v1/query?query=" + URLEncoder.encode(expr, StandardCharsets.UTF_8));
    }

    static JsonNode get(String prometheus, String path) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(prometheus + path))
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body());
    }

    record Run(int code, String out, String err) {
    }

    private static Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Tuner.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Run(code, out.toString(), err.toString());
    }

}
