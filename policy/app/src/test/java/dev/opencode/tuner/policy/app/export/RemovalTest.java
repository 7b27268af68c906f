package dev.opencode.tuner.policy.app.export;

import dev.opencode.tuner.policy.app.TestAccounts;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.opencode.tuner.export.Remotes;
import dev.opencode.tuner.export.forge.FakeForge;
import dev.opencode.tuner.hoststate.HostState;
import dev.opencode.tuner.hoststate.HostStateJson;
import dev.opencode.tuner.policy.app.Api;
import dev.opencode.tuner.policy.app.Eventually;
import dev.opencode.tuner.policy.app.PolicyStack;
import dev.opencode.tuner.policy.app.review.Removals;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import javax.sql.DataSource;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * Removal suggestions end to end in the policy service, with the real PostgreSQL and Kafka and the export fixture's
 * bare repository and fake GitHub: hosts report their nftables state through the host-state topic, reviewers decide
 * through the API, the exporter announces and then drops. The fixture sets {@code notice-period} to 8 s; entries are
 * made unused by reports read 31 days ago (unused-after stays at its default of 30 days). Each test uses its own host.
 */
@QuarkusTest
@WithTestResource(value = PolicyStack.class, scope = TestResourceScope.MATCHING_RESOURCES)
@WithTestResource(value = ExportFixture.class, scope = TestResourceScope.MATCHING_RESOURCES)
class RemovalTest {
    private static final String PASSWORD = "removal-test-password";
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String HAND_WRITTEN = "198.51.100.0/24";

    @Inject
    DataSource dataSource;

    @Inject
    Removals removals;

    static RequestSpecification as(String who) {
        TestAccounts.ensure(PASSWORD, "rita:reviewer", "vera:viewer");
        return TestAccounts.as(who, PASSWORD);
    }

    static JsonNode export(String host) throws Exception {
        return Api.parse(as("rita").body("{\"host\": \"" + host + "\"}").post("/api/v1/exports").then()
                .statusCode(200).extract().asString()).get("runs").get(0);
    }

    /**
     * An addition of {@code address}/32 accepted through the API, exported (pull request opened) and reported by the
     * host 31 days ago with a counter that has not moved since, beside the hand-written {@value #HAND_WRITTEN}: the
     * entry is in the generated file, deployed, and unused for longer than unused-after.
     */
    UUID deployedAndUnused(String host, String address) throws Exception {
        UUID addition = accept(host, address);
        assertThat(export(host).get("result").asText()).isEqualTo("committed");
        report(host, Instant.now().minus(Duration.ofDays(31)), address + "/32", 0);
        Eventually.await("the host's report marks the addition deployed", WAIT,
                () -> state(addition).equals("deployed"));
        return addition;
    }

    /** The addition of {@code address}/32, suggested on two blocked events and accepted through the API. */
    UUID accept(String host, String address) throws Exception {
        blocked(host, address);
        String id = null;
        for (JsonNode s : Api.parse(as("rita").get("/api/v1/suggestions?host=" + host).then().statusCode(200)
                .extract().asString()).at("/instances/0/suggestions")) {
            if (s.get("cidr").asText().equals(address + "/32")) {
                id = s.get("id").asText();
            }
        }
        assertThat(id).as("the addition of " + address).isNotNull();
        as("rita").body("{\"comment\": \"mirror\"}").post("/api/v1/suggestions/" + id + "/accept").then()
                .statusCode(200);
        return uuid(id);
    }

    /** The service's {@code tuner_policy_removals_total} of one step (0 before the first). */
    static double removals(String step) {
        return Api.metric("tuner_policy_removals_total{step=\"" + step + "\"}");
    }

    /** A clean report of the host's table: the accepted entry with its counter, and the hand-written entry. */
    static void report(String host, Instant readAt, String cidr, long packets) throws Exception {
        HostState state = new HostState(host, readAt, List.of(), List.of(new HostState.InstanceState("web",
                List.of(new HostState.AllowCounter(cidr, packets, packets * 60),
                        new HostState.AllowCounter(HAND_WRITTEN, 0, 0)),
                List.of())));
        Properties p = PolicyStack.collectorProperties(host);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(),
                new StringSerializer())) {
            producer.send(new ProducerRecord<>(PolicyStack.hostStateTopic(host), host, HostStateJson.write(state)))
                    .get();
        }
    }

    /** Two blocked TCP events to {@code address}:443 an hour ago, written as the consumer writes them. */
    void blocked(String host, String address) throws Exception {
        sql("""
                INSERT INTO destination_aggregate (host, instance, destination, family, events, ports, protocols,
                                                   services, sample_sources, uids, first_seen, last_seen)
                VALUES (?, 'web', ?, 4, 2, '{443}', '{tcp}', '{tcp/443}', '{10.211.0.2}', '{984}',
                        now() - interval '1 hour', now() - interval '50 minutes')""", host, address);
        sql("""
                INSERT INTO instance_aggregate (host, instance, events, first_seen, last_seen, updated_at)
                VALUES (?, 'web', 2, now() - interval '1 hour', now() - interval '50 minutes', now())
                ON CONFLICT (host, instance) DO UPDATE
                   SET events = instance_aggregate.events + excluded.events, updated_at = now()""", host);
    }

    @Test
    void anUnusedGeneratedEntryBecomesARemovalSuggestionAndAHandWrittenOneIsOnlyListed() throws Exception {
        String host = "rm-list";
        UUID addition = deployedAndUnused(host, "192.0.2.10");

        removals.refresh(host); // the scheduled refresh (every check-interval) may have done it already

        UUID removal = Removals.id(host, "web", "192.0.2.10/32");
        assertThat(state(removal)).isEqualTo("pending");
        JsonNode listed = suggestion(host, removal);
        assertThat(listed.get("kind").asText()).isEqualTo("remove");
        assertThat(listed.get("cidr").asText()).isEqualTo("192.0.2.10/32");
        assertThat(listed.at("/removal/removes").asText()).isEqualTo(addition.toString().replace("-", ""));
        assertThat(listed.at("/removal/packets").asLong()).isZero();
        assertThat(listed.at("/removal/lastUsed").asText("-")).isEqualTo("-");
        assertThat(Instant.parse(listed.at("/removal/unusedSince").asText()))
                .isBefore(Instant.now().minus(Duration.ofDays(30)));
        // The detail shows the file without the entry.
        JsonNode detail = Api.parse(as("vera").get("/api/v1/suggestions/" + hex(removal)).then().statusCode(200)
                .extract().asString());
        assertThat(detail.get("diff").asText()).contains("-    \"192.0.2.10/32\"");
        // No removal suggestion for the hand-written entry: it is listed for manual removal only.
        assertThat(count("SELECT count(*) FROM suggestion WHERE host = '" + host + "' AND kind = 'remove'"))
                .isEqualTo(1);
        JsonNode unused = Api.parse(as("vera").get("/api/v1/unused-entries?host=" + host).then().statusCode(200)
                .extract().asString());
        assertThat(unused.get("unusedAfter").asText()).isEqualTo("PT720H");
        List<String> rows = new ArrayList<>();
        unused.get("entries").forEach(e -> rows.add(e.get("cidr").asText() + " " + e.get("source").asText() + " "
                + e.path("removalState").asText("-")));
        assertThat(rows).containsExactly("192.0.2.10/32 generated pending", HAND_WRITTEN + " hand-written -");
        JsonNode handWritten = Api.parse(as("vera").get("/api/v1/unused-entries?host=" + host
                + "&source=hand-written").then().statusCode(200).extract().asString()).get("entries");
        assertThat(handWritten).hasSize(1);
        as("vera").get("/api/v1/unused-entries?source=nobody").then().statusCode(400);
        // Refreshing again changes nothing; a rejection is remembered like a rejected addition.
        assertThat(removals.refresh(host).suggested()).isZero();
        as("rita").body("{\"comment\": \"nightly backup, used monthly\"}")
                .post("/api/v1/suggestions/" + hex(removal) + "/reject").then().statusCode(200);
        removals.refresh(host);
        assertThat(state(removal)).isEqualTo("rejected");
        assertThat(state(addition)).isEqualTo("deployed");
    }

    @Test
    void anAcceptedRemovalIsAnnouncedKeptForTheNoticePeriodThenDroppedFromTheFile() throws Exception {
        String host = "rm-drop";
        String file = "hosts/" + host + "/opencode-egress-allowlist.nix";
        double suggested = removals("suggested");
        double announcedBefore = removals("announced");
        double removed = removals("removed");
        UUID addition = deployedAndUnused(host, "192.0.2.20");
        accept(host, "192.0.2.99"); // a second entry, newer: it stays in the file
        removals.refresh(host);
        UUID removal = Removals.id(host, "web", "192.0.2.20/32");
        assertThat(removals("suggested")).as("tuner_policy_removals_total{step=suggested}")
                .isGreaterThanOrEqualTo(suggested + 1);
        as("rita").body("{\"cidr\": \"192.0.2.0/24\"}").post("/api/v1/suggestions/" + hex(removal) + "/accept")
                .then().statusCode(422);
        JsonNode accepted = Api.parse(as("rita").body("{\"comment\": \"mirror moved\"}")
                .post("/api/v1/suggestions/" + hex(removal) + "/accept").then().statusCode(200).extract().asString());
        assertThat(accepted.at("/suggestion/state").asText()).isEqualTo("accepted");

        // 1. Announced: the entry stays in the file, with the date, and the pull request says so.
        JsonNode announce = export(host);

        assertThat(announce.get("result").asText()).as(announce.toString()).isEqualTo("committed");
        assertThat(removals("announced")).as("tuner_policy_removals_total{step=announced}")
                .isGreaterThanOrEqualTo(announcedBefore + 1);
        String announced = Remotes.read(ExportFixture.bare, "opencode-egress/" + host, file);
        assertThat(announced).contains("\"192.0.2.20/32\"").contains("to be removed after ");
        Instant removeAfter = Instant.parse(suggestion(host, removal).at("/removal/removeAfter").asText());
        assertThat(removeAfter).isAfter(Instant.now());
        String body = pullRequest(host).body;
        assertThat(body).contains("| will be removed after " + removeAfter + " | web | `192.0.2.20/32` |")
                .contains("mirror moved")
                .contains("**Unused hand-written entries**").contains("| web | `" + HAND_WRITTEN + "` |");

        // 2. Before the notice ends, another export keeps the entry and writes nothing new.
        int writes = ExportFixture.forge.writes().size();
        JsonNode again = export(host);
        assertThat(Instant.now()).as("the second export ran within the notice period").isBefore(removeAfter);
        assertThat(again.get("result").asText()).isEqualTo("unchanged");
        assertThat(Remotes.read(ExportFixture.bare, "opencode-egress/" + host, file)).isEqualTo(announced);
        assertThat(ExportFixture.forge.writes()).hasSize(writes);
        assertThat(state(addition)).isEqualTo("deployed");

        // 3. After it, the file drops the entry; the removal is exported and the addition removed.
        Thread.sleep(Math.max(0, Duration.between(Instant.now(), removeAfter).toMillis() + 1000));
        JsonNode drop = export(host);

        assertThat(drop.get("result").asText()).isEqualTo("committed");
        assertThat(Remotes.read(ExportFixture.bare, "opencode-egress/" + host, file))
                .doesNotContain("192.0.2.20/32").contains("\"192.0.2.99/32\"");
        assertThat(pullRequest(host).body).contains("| removed | web | `192.0.2.20/32` |");
        assertThat(state(removal)).isEqualTo("exported");
        assertThat(state(addition)).isEqualTo("removed");
        assertThat(removals("removed")).as("tuner_policy_removals_total{step=removed}")
                .isGreaterThanOrEqualTo(removed + 1);
        assertThat(count("SELECT count(*) FROM accepted_entry WHERE host = '" + host
                + "' AND cidr = '192.0.2.20/32'")).isZero();
        // Once the host no longer enforces it, the removal is deployed; the old evidence does not re-suggest it.
        report(host, Instant.now().minusSeconds(5), "192.0.2.99/32", 0);
        Eventually.await("the removal is deployed", WAIT, () -> state(removal).equals("deployed"));
        Api.parse(as("rita").get("/api/v1/suggestions?host=" + host).then().statusCode(200).extract().asString())
                .at("/instances/0/suggestions").forEach(s -> assertThat(s.get("cidr").asText())
                        .isNotEqualTo("192.0.2.20/32"));
    }

    @Test
    void aCounterMovingDuringTheNoticeWithdrawsTheRemovalAndTheEntryStays() throws Exception {
        String host = "rm-used";
        String file = "hosts/" + host + "/opencode-egress-allowlist.nix";
        double withdrawn = removals("withdrawn");
        UUID addition = deployedAndUnused(host, "192.0.2.30");
        removals.refresh(host);
        UUID removal = Removals.id(host, "web", "192.0.2.30/32");
        as("rita").body("{}").post("/api/v1/suggestions/" + hex(removal) + "/accept").then().statusCode(200);
        export(host);
        assertThat(Remotes.read(ExportFixture.bare, "opencode-egress/" + host, file)).contains("to be removed after ");

        Instant used = Instant.now().minusSeconds(2);
        report(host, used, "192.0.2.30/32", 12);
        Eventually.await("the moving counter is recorded", WAIT, () -> count("SELECT packets FROM host_allow_counter"
                + " WHERE host = '" + host + "' AND cidr = '192.0.2.30/32'") == 12);
        Thread.sleep(9_000); // past the notice period: only the withdrawal keeps the entry now
        JsonNode run = export(host); // the export brings the removals up to date first

        assertThat(state(removal)).isEqualTo("superseded");
        assertThat(removals("withdrawn")).as("tuner_policy_removals_total{step=withdrawn}")
                .isGreaterThanOrEqualTo(withdrawn + 1);
        List<String> trail = decisions(removal);
        assertThat(trail).hasSize(2).first().isEqualTo("accepted by rita: ");
        assertThat(trail.get(1)).startsWith("withdrawn by tuner: used again: the host reported its counter moving at "
                + used.toString().substring(0, 19)).endsWith(" (12 packets); the entry stays");
        assertThat(run.get("result").asText()).isEqualTo("committed");
        String kept = Remotes.read(ExportFixture.bare, "opencode-egress/" + host, file);
        assertThat(kept).contains("\"192.0.2.30/32\"").doesNotContain("to be removed");
        assertThat(pullRequest(host).body).contains("| web | `192.0.2.30/32` |").doesNotContain("will be removed");
        assertThat(state(addition)).isEqualTo("deployed");
        JsonNode audit = Api.parse(as("vera").get("/api/v1/decisions?host=" + host).then().statusCode(200)
                .extract().asString());
        assertThat(audit.at("/decisions/0/outcome").asText()).isEqualTo("withdrawn");
        assertThat(audit.at("/decisions/0/actor").asText()).isEqualTo("tuner");
    }

    @Test
    void closingThePullRequestThatAnnouncesARemovalRejectsItAsTheForge() throws Exception {
        String host = "rm-close";
        UUID addition = deployedAndUnused(host, "192.0.2.50");
        removals.refresh(host);
        UUID removal = Removals.id(host, "web", "192.0.2.50/32");
        as("rita").body("{}").post("/api/v1/suggestions/" + hex(removal) + "/accept").then().statusCode(200);
        long number = export(host).at("/pullRequest/number").asLong();
        assertThat(pullRequest(host).body).contains("will be removed after");
        ExportFixture.forge.close(number);

        export(host);

        assertThat(state(removal)).isEqualTo("rejected");
        assertThat(decisions(removal)).last().isEqualTo("rejected by forge:github: pull request #" + number
                + " closed without merging: https://forge.example.org/ops/infra/pull/" + number);
        // The addition had been deployed before that pull request: it stays in force.
        assertThat(state(addition)).isEqualTo("deployed");
        assertThat(Remotes.read(ExportFixture.bare, "opencode-egress/" + host,
                "hosts/" + host + "/opencode-egress-allowlist.nix")).contains("\"192.0.2.50/32\"")
                .doesNotContain("to be removed");
        removals.refresh(host);
        assertThat(state(removal)).as("a rejected removal is remembered").isEqualTo("rejected");
    }

    @Test
    void theInstancePageShowsRemovalsApartWithTheHandWrittenEntriesAndTheExportStatus() throws Exception {
        String host = "rm-ui";
        deployedAndUnused(host, "192.0.2.40");
        removals.refresh(host);
        UUID removal = Removals.id(host, "web", "192.0.2.40/32");
        io.restassured.response.Response login = given().redirects().follow(false)
                .contentType(io.restassured.http.ContentType.URLENC).formParam("j_username", "admin")
                .formParam("j_password", Api.adminPassword()).post("/j_security_check");
        String session = login.cookie("tuner-session");
        io.restassured.response.Response response = given().cookie("tuner-session", session)
                .get("/ui/instances/" + host + "/web");
        String page = response.then().statusCode(200).extract().asString();

        assertThat(page).contains("<article class=\"card removal\" id=\"s-" + hex(removal) + "\"")
                .contains("Remove <code>192.0.2.40/32</code>").contains("never used")
                .contains("drops the entry 8s after that announcement")
                .contains("value=\"accept\">Accept removal</button>")
                .contains("Unused hand-written entries").contains("<code>" + HAND_WRITTEN + "</code>: unused since")
                .contains("Export of " + host).contains(": committed")
                .containsPattern("<a href=\"https://forge.example.org/ops/infra/pull/\\d+\"");

        java.util.regex.Matcher token = java.util.regex.Pattern.compile("name=\"csrf-token\" value=\"([^\"]+)\"")
                .matcher(page);
        assertThat(token.find()).isTrue();
        io.restassured.response.Response decided = given().redirects().follow(false).cookie("tuner-session", session)
                .cookie("tuner-csrf", response.cookie("tuner-csrf"))
                .contentType(io.restassured.http.ContentType.URLENC).formParam("csrf-token", token.group(1))
                .formParam("host", host).formParam("instance", "web").formParam("action", "accept")
                .formParam("comment", "decommissioned").post("/ui/suggestions/" + hex(removal) + "/decide");
        assertThat(decided.statusCode()).isEqualTo(303);
        assertThat(decided.header("Location")).contains("done=removal");
        assertThat(state(removal)).isEqualTo("accepted");
        assertThat(given().cookie("tuner-session", session).get(decided.header("Location").replace("#history", ""))
                .asString())
                .contains("Removal accepted: the next export announces it");
    }

    // ----------------------------------------------------------------------------------------------- helpers

    static FakeForge.Pr pullRequest(String host) {
        FakeForge.Pr found = null;
        for (FakeForge.Pr p : ExportFixture.forge.pulls) {
            if (p.head.equals("opencode-egress/" + host)) {
                found = p;
            }
        }
        assertThat(found).as("a pull request of " + host).isNotNull();
        return found;
    }

    JsonNode suggestion(String host, UUID id) throws Exception {
        for (JsonNode i : Api.parse(as("vera").get("/api/v1/suggestions?host=" + host + "&state=all").then()
                .statusCode(200).extract().asString()).get("instances")) {
            for (JsonNode s : i.get("suggestions")) {
                if (s.get("id").asText().equals(hex(id))) {
                    return s;
                }
            }
        }
        throw new AssertionError("no suggestion " + hex(id) + " of " + host);
    }

    static String hex(UUID id) {
        return id.toString().replace("-", "");
    }

    static UUID uuid(String hex) {
        return UUID.fromString(hex.replaceFirst("(.{8})(.{4})(.{4})(.{4})(.{12})", "$1-$2-$3-$4-$5"));
    }

    String state(UUID id) {
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement("SELECT state FROM suggestion WHERE id = ?")) {
            s.setObject(1, id);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? r.getString(1) : "(none)";
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
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

    private void sql(String statement, String... args) throws Exception {
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(statement)) {
            for (int i = 0; i < args.length; i++) {
                s.setString(i + 1, args[i]);
            }
            s.executeUpdate();
        }
    }

    private long count(String query) {
        try (Connection c = dataSource.getConnection(); var s = c.createStatement(); var r = s.executeQuery(query)) {
            r.next();
            return r.getLong(1);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
