package dev.opencode.tuner.policy.app.export;

import dev.opencode.tuner.policy.app.TestAccounts;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.opencode.tuner.export.Remotes;
import dev.opencode.tuner.policy.app.Api;
import dev.opencode.tuner.policy.app.PolicyStack;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * The export in the policy service: entries accepted through the real review API go to a real bare repository and a
 * fake GitHub; the forge's verdicts come back through the review service. Each test uses its own host.
 */
@QuarkusTest
@WithTestResource(value = PolicyStack.class, scope = TestResourceScope.MATCHING_RESOURCES)
@WithTestResource(value = ExportFixture.class, scope = TestResourceScope.MATCHING_RESOURCES)
class ExportApiTest {
    private static final String PASSWORD = "export-test-password";

    @Inject
    DataSource dataSource;

    @Inject
    ExportTrigger trigger;

    static void accounts() {
        TestAccounts.ensure(PASSWORD, "erin:reviewer", "vic:viewer");
    }

    static RequestSpecification as(String who) {
        accounts();
        return TestAccounts.as(who, PASSWORD);
    }

    static JsonNode export(String body) throws Exception {
        return Api.parse(as("erin").body(body).post("/api/v1/exports").then().statusCode(200).extract().asString());
    }

    /**
     * An accepted suggestion, decided through the real review API: two blocked events to one address inside
     * {@code cidr} are written into the aggregates (as the consumer writes them), the review suggests that address,
     * and {@code erin} accepts it, edited to {@code cidr} when that is broader.
     */
    UUID accept(String host, String instance, String cidr, String comment) throws Exception {
        String address = dev.opencode.tuner.suggest.Cidrs.parse(cidr).getLower().withoutPrefixLength().increment(1)
                .toCanonicalString();
        if (cidr.endsWith("/32") || cidr.endsWith("/128")) {
            address = cidr.substring(0, cidr.indexOf('/'));
        }
        blocked(host, instance, address, 2);
        JsonNode instances = Api.parse(as("erin").get("/api/v1/suggestions?host=" + host).then().statusCode(200)
                .extract().asString()).get("instances");
        String id = null;
        for (JsonNode i : instances) {
            for (JsonNode s : i.get("suggestions")) {
                if (i.get("instance").asText().equals(instance) && s.get("addresses").toString().contains(
                        "\"" + address + "\"")) {
                    id = s.get("id").asText();
                }
            }
        }
        assertThat(id).as("a suggestion for " + address + " in " + instances).isNotNull();
        com.fasterxml.jackson.databind.node.ObjectNode body = new com.fasterxml.jackson.databind.ObjectMapper()
                .createObjectNode().put("comment", comment);
        if (!cidr.endsWith("/32") && !cidr.endsWith("/128")) {
            body.put("cidr", cidr);
        }
        as("erin").body(body.toString()).post("/api/v1/suggestions/" + id + "/accept").then().statusCode(200);
        return UUID.fromString(id.replaceFirst("(.{8})(.{4})(.{4})(.{4})(.{12})", "$1-$2-$3-$4-$5"));
    }

    /** {@code events} blocked TCP events to {@code address}:443, written as the consumer writes them. */
    void blocked(String host, String instance, String address, long events) throws Exception {
        try (Connection c = dataSource.getConnection()) {
            try (PreparedStatement d = c.prepareStatement("""
                    INSERT INTO destination_aggregate (host, instance, destination, family, events, ports, protocols,
                                                       services, sample_sources, uids, first_seen, last_seen)
                    VALUES (?, ?, ?, ?, ?, '{443}', '{tcp}', '{tcp/443}', '{10.211.0.2}', '{984}',
                            now() - interval '1 hour', now() - interval '50 minutes')""")) {
                d.setString(1, host);
                d.setString(2, instance);
                d.setString(3, address);
                d.setInt(4, address.contains(":") ? 6 : 4);
                d.setLong(5, events);
                d.executeUpdate();
            }
            try (PreparedStatement i = c.prepareStatement("""
                    INSERT INTO instance_aggregate (host, instance, events, first_seen, last_seen, updated_at)
                    VALUES (?, ?, ?, now() - interval '1 hour', now() - interval '50 minutes', now())
                    ON CONFLICT (host, instance) DO UPDATE
                       SET events = instance_aggregate.events + excluded.events, updated_at = now()""")) {
                i.setString(1, host);
                i.setString(2, instance);
                i.setLong(3, events);
                i.executeUpdate();
            }
            try (PreparedStatement day = c.prepareStatement("""
                    INSERT INTO destination_day (host, instance, destination, day, events)
                    VALUES (?, ?, ?, (now() AT TIME ZONE 'UTC')::date, ?)""")) {
                day.setString(1, host);
                day.setString(2, instance);
                day.setString(3, address);
                day.setLong(4, events);
                day.executeUpdate();
            }
        }
    }

    String state(UUID id) throws Exception {
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement("SELECT state FROM suggestion WHERE id = ?")) {
            s.setObject(1, id);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getString(1);
            }
        }
    }

    List<String> decisions(UUID id) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(
                "SELECT outcome || ' by ' || actor || ': ' || coalesce(comment, '') FROM decision "
                        + "WHERE suggestion_id = ? ORDER BY id")) {
            s.setObject(1, id);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.add(r.getString(1));
                }
            }
        }
        return out;
    }

    static JsonNode status(String host) throws Exception {
        JsonNode status = Api.parse(as("vic").get("/api/v1/exports").then().statusCode(200).extract().asString());
        for (JsonNode h : status.get("hosts")) {
            if (h.get("host").asText().equals(host)) {
                return h;
            }
        }
        throw new AssertionError("no export status for " + host + " in " + status);
    }

    @Test
    void everyCallNeedsAnAccountAndRunningAnExportNeedsAReviewer() throws Exception {
        given().get("/api/v1/exports").then().statusCode(401);
        given().contentType("application/json").body("{}").post("/api/v1/exports").then().statusCode(401);
        as("vic").body("{\"host\": \"ex-auth\"}").post("/api/v1/exports").then().statusCode(403);
        as("vic").get("/api/v1/exports").then().statusCode(200);
        JsonNode bad = Api.parse(as("erin").body("{\"host\": \"../etc\"}").post("/api/v1/exports").then()
                .statusCode(400).extract().asString());
        assertThat(bad.get("error").asText()).startsWith("host: ").contains("cannot be exported");
    }

    @Test
    void aDryRunShowsTheDiffAndThePullRequestAndChangesNothing() throws Exception {
        UUID id = accept("ex-dry", "web", "140.82.112.0/24", "GitHub API");
        int calls = ExportFixture.forge.calls.size();

        JsonNode run = export("{\"host\": \"ex-dry\", \"dryRun\": true}").get("runs").get(0);

        assertThat(run.get("result").asText()).isEqualTo("dry-run");
        assertThat(run.get("change").asText()).isEqualTo("commit");
        assertThat(run.get("diff").asText()).contains("+++ b/hosts/ex-dry/opencode-egress-allowlist.nix")
                .contains("+    \"140.82.112.0/24\"")
                .containsPattern("\\+    # accepted by erin \\d{4}-\\d{2}-\\d{2}: "
                        + "2 events, tcp/443, 140\\.82\\.112\\.1, first ");
        assertThat(run.get("pullRequestBody").asText()).contains("| added | web | `140.82.112.0/24` | 256 addresses |")
                .contains("[review](https://tuner.example.org/ui/suggestions/" + id.toString().replace("-", "") + ")");
        assertThat(Remotes.tip(ExportFixture.bare, "opencode-egress/ex-dry")).isNull();
        assertThat(ExportFixture.forge.calls).hasSize(calls);
        assertThat(state(id)).isEqualTo("accepted");
    }

    @Test
    void anExportCommitsOpensOnePullRequestMarksTheEntriesAndIsIdempotent() throws Exception {
        UUID web = accept("ex-open", "web", "140.82.112.0/24", "GitHub API");
        UUID docs = accept("ex-open", "docs", "9.9.9.9/32", null);

        JsonNode run = export("{\"host\": \"ex-open\"}").get("runs").get(0);

        assertThat(run.get("result").asText()).isEqualTo("committed");
        assertThat(run.get("entries").asInt()).isEqualTo(2);
        assertThat(run.at("/pullRequest/result").asText()).isEqualTo("opened");
        String commit = run.get("commit").asText();
        assertThat(Remotes.tip(ExportFixture.bare, "opencode-egress/ex-open").name()).isEqualTo(commit);
        assertThat(Remotes.read(ExportFixture.bare, "opencode-egress/ex-open", "hosts/ex-open/opencode-egress-allowlist.nix"))
                .contains("\"140.82.112.0/24\"", "\"9.9.9.9/32\"");
        assertThat(state(web)).isEqualTo("exported");
        assertThat(state(docs)).isEqualTo("exported");
        JsonNode status = status("ex-open");
        assertThat(status.get("commit").asText()).isEqualTo(commit);
        assertThat(status.at("/pullRequest/url").asText()).startsWith("https://forge.example.org/ops/infra/pull/");
        assertThat(status.at("/pullRequest/state").asText()).isEqualTo("open");
        assertThat(status.has("lastError")).isFalse();

        int writes = ExportFixture.forge.writes().size();
        JsonNode again = export("{\"host\": \"ex-open\"}").get("runs").get(0);

        assertThat(again.get("result").asText()).isEqualTo("unchanged");
        assertThat(again.at("/pullRequest/result").asText()).isEqualTo("unchanged");
        assertThat(ExportFixture.forge.writes()).hasSize(writes);
        assertThat(Remotes.tip(ExportFixture.bare, "opencode-egress/ex-open").name()).isEqualTo(commit);

        String metrics = Api.metrics();
        assertThat(metrics).containsPattern("tuner_policy_exports_total\\{result=\"committed\"\\} [1-9]")
                .containsPattern("tuner_policy_pull_requests_total\\{forge=\"github\",result=\"opened\"\\} [1-9]")
                .contains("tuner_policy_export_last_success_timestamp_seconds{host=\"ex-open\"}");
    }

    @Test
    void aPullRequestClosedWithoutMergeRejectsItsEntriesAsTheForge() throws Exception {
        UUID id = accept("ex-close", "web", "151.101.0.223/32", "npm");
        long number = export("{\"host\": \"ex-close\"}").get("runs").get(0).at("/pullRequest/number").asLong();
        ExportFixture.forge.close(number);

        JsonNode run = export("{\"host\": \"ex-close\"}").get("runs").get(0);

        assertThat(state(id)).isEqualTo("rejected");
        assertThat(decisions(id)).containsExactly("accepted by erin: npm",
                "rejected by forge:github: pull request #" + number + " closed without merging: "
                        + "https://forge.example.org/ops/infra/pull/" + number);
        assertThat(run.get("change").asText()).isEqualTo("on_default_branch");
        assertThat(status("ex-close").at("/pullRequest/state").asText()).isEqualTo("closed");
        assertThat(ExportFixture.forge.pulls.stream().filter(p -> p.head.equals("opencode-egress/ex-close")))
                .hasSize(1);
    }

    @Test
    void aMergedPullRequestMarksItsEntriesMerged() throws Exception {
        UUID id = accept("ex-merge", "web", "2606:50c0:8000::154/128", null);
        long number = export("{\"host\": \"ex-merge\"}").get("runs").get(0).at("/pullRequest/number").asLong();
        ExportFixture.forge.merge(number);

        export("{\"host\": \"ex-merge\"}");

        assertThat(state(id)).isEqualTo("merged");
        assertThat(status("ex-merge").at("/pullRequest/state").asText()).isEqualTo("merged");
    }

    @Test
    void theTriggerExportsAfterNewDecisions() throws Exception {
        UUID id = accept("ex-auto", "web", "198.51.100.0/24", null);

        trigger.poll();

        assertThat(state(id)).isEqualTo("exported");
        assertThat(Remotes.tip(ExportFixture.bare, "opencode-egress/ex-auto")).isNotNull();
    }

    static String[] cli(String... args) throws Exception {
        return cliAs("erin", args);
    }

    static String[] cliAs(String user, String... args) throws Exception {
        accounts();
        java.nio.file.Path password = ExportFixture.dir.resolve("erin-password");
        Files.writeString(password, PASSWORD);
        List<String> all = new ArrayList<>(List.of("export", "--policy-url",
                "http://localhost:" + io.restassured.RestAssured.port, "--user", user, "--password-file",
                password.toString()));
        all.addAll(List.of(args));
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        int code = dev.opencode.tuner.cli.Tuner.run(new java.io.PrintWriter(out), new java.io.PrintWriter(err),
                all.toArray(String[]::new));
        return new String[] {String.valueOf(code), out.toString(), err.toString()};
    }

    @Test
    void tunerExportDryRunPrintsTheDiffAndThePullRequestThenExportsThroughTheService() throws Exception {
        UUID id = accept("ex-cli", "web", "192.0.2.0/24", "CI mirror");

        String[] dry = cli("--host", "ex-cli", "--dry-run");

        assertThat(dry[0]).as(dry[2]).isEqualTo("0");
        assertThat(dry[1]).contains("== ex-cli: commit\n")
                .contains("+++ b/hosts/ex-cli/opencode-egress-allowlist.nix", "+    \"192.0.2.0/24\"",
                        "-- pull request: opencode-egress: allowlist of ex-cli (1 entry)",
                        "| added | web | `192.0.2.0/24` | 256 addresses |", "Dry run: nothing was changed.");
        assertThat(Remotes.tip(ExportFixture.bare, "opencode-egress/ex-cli")).isNull();
        assertThat(state(id)).isEqualTo("accepted");

        String[] real = cli("--host", "ex-cli");

        assertThat(real[0]).as(real[2]).isEqualTo("0");
        assertThat(real[1]).containsPattern("ex-cli: committed \\(commit\\), commit [0-9a-f]{12}, pull request opened "
                + "https://forge.example.org/ops/infra/pull/\\d+ \\(open\\)");
        assertThat(state(id)).isEqualTo("exported");
    }

    @Test
    void tunerExportWithItsOwnRepositoryExportsTheServicesEntriesWithoutMovingStates() throws Exception {
        UUID id = accept("ex-own", "web", "192.0.2.128/25", null);
        java.nio.file.Path mine = Remotes.bare(Files.createTempDirectory(ExportFixture.dir, "own-"), "main");

        String[] run = cli("--host", "ex-own", "--repo", mine.toString());

        assertThat(run[0]).as(run[2]).isEqualTo("0");
        assertThat(run[1]).startsWith("ex-own: committed (commit), commit ");
        assertThat(Remotes.read(mine, "opencode-egress/ex-own", "hosts/ex-own/opencode-egress-allowlist.nix"))
                .contains("\"192.0.2.128/25\"");
        assertThat(Remotes.tip(ExportFixture.bare, "opencode-egress/ex-own")).isNull();
        assertThat(state(id)).isEqualTo("accepted");
        String[] viewer = cliAs("vic", "--host", "ex-own", "--dry-run");
        assertThat(viewer[0]).isEqualTo("1");
        assertThat(viewer[2]).contains("needs the reviewer role");
    }

    @Test
    void tunerStatusShowsEachHostsLastExport() throws Exception {
        accept("ex-status", "web", "192.0.2.64/26", null);
        String commit = export("{\"host\": \"ex-status\"}").get("runs").get(0).get("commit").asText();
        java.nio.file.Path state = Files.createTempDirectory(ExportFixture.dir, "stack-");
        Files.createDirectories(state.resolve("policy").resolve("state"));
        Files.writeString(state.resolve("policy").resolve("state").resolve("initial-admin-password"),
                Api.adminPassword());
        var policy = new dev.opencode.tuner.stack.PartStatus("policy",
                dev.opencode.tuner.stack.PartStatus.Condition.RUNNING, true,
                "http://localhost:" + io.restassured.RestAssured.port, null, "", java.util.Map.of(), List.of());
        java.io.StringWriter out = new java.io.StringWriter();

        dev.opencode.tuner.cli.export.ExportStatusLines.print(new java.io.PrintWriter(out, true),
                new dev.opencode.tuner.cli.policy.PolicyOptions(), state, List.of(policy));

        assertThat(out.toString()).startsWith("Export: on, automatic, forge github\n")
                .containsPattern("  ex-status +committed at 20\\d\\d-[^,]+, commit " + commit.substring(0, 12)
                        + ", https://forge.example.org/ops/infra/pull/\\d+ \\(open\\)");
    }

    @Test
    void aRefusedTokenIsAFailedRunWhoseErrorAndLogHoldNoToken() throws Exception {
        accept("ex-token", "web", "203.0.113.0/24", null);
        ExportFixture.forge.echoCredentialsInErrors = true;
        ExportFixture.forge.refuseAll = true;
        JsonNode run;
        try {
            run = export("{\"host\": \"ex-token\"}").get("runs").get(0);
        } finally {
            ExportFixture.forge.refuseAll = false;
            ExportFixture.forge.echoCredentialsInErrors = false;
        }

        assertThat(run.get("result").asText()).isEqualTo("failed");
        assertThat(run.get("error").asText()).contains("HTTP 401").contains("****")
                .doesNotContain(ExportFixture.TOKEN);
        assertThat(status("ex-token").get("lastError").asText()).contains("****").doesNotContain(ExportFixture.TOKEN);
        String metrics = Api.metrics();
        assertThat(metrics).containsPattern("tuner_policy_exports_total\\{result=\"failed\"\\} [1-9]");
        assertThat(Files.readString(PolicyStack.LOG_FILE)).contains("export of ex-token failed")
                .doesNotContain(ExportFixture.TOKEN);
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(
                "SELECT count(*) FROM decision WHERE comment LIKE '%' || ? || '%'")) {
            s.setString(1, ExportFixture.TOKEN);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                assertThat(r.getLong(1)).isZero();
            }
        }
    }
}
