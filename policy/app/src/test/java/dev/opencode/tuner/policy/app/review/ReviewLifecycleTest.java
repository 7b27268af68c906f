package dev.opencode.tuner.policy.app.review;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.opencode.tuner.policy.app.Api;
import dev.opencode.tuner.policy.app.Eventually;
import dev.opencode.tuner.policy.app.PolicyStack;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * The suggestion lifecycle through the API, on aggregates written into the real PostgreSQL: stable ids while evidence
 * grows, the stabilisation rule, folds that supersede, remembered rejections, accepts (edited within guardrails) that
 * the suggestions subtract, snoozes, the append-only audit trail and incremental recomputation.
 */
@QuarkusTest
@WithTestResource(value = PolicyStack.class, scope = TestResourceScope.MATCHING_RESOURCES)
class ReviewLifecycleTest {
    private static final Instant T = Instant.now().minus(1, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS);

    @Inject
    DataSource dataSource;

    @Inject
    Recomputation recomputation;

    @Inject
    ReviewMetrics metrics;

    @Inject
    ReviewService service;

    private Blocked blocked() {
        return new Blocked(dataSource);
    }

    static JsonNode list(String host, String state) {
        JsonNode instances = Api.parse(Reviewers.as("carol").get("/api/v1/suggestions?host=" + host
                + (state == null ? "" : "&state=" + state)).then().statusCode(200).extract().asString())
                .get("instances");
        assertThat(instances).hasSize(1);
        return instances.get(0).get("suggestions");
    }

    static List<String> cidrs(JsonNode suggestions) {
        List<String> cidrs = new ArrayList<>();
        suggestions.forEach(s -> cidrs.add(s.get("cidr").asText()));
        return cidrs;
    }

    static JsonNode find(JsonNode suggestions, String cidr) {
        for (JsonNode s : suggestions) {
            if (s.get("cidr").asText().equals(cidr)) {
                return s;
            }
        }
        throw new AssertionError(cidr + " not in " + suggestions);
    }

    static JsonNode post(String who, String path, String body, int status) {
        return Api.parse(Reviewers.as(who).body(body).post(path).then().statusCode(status).extract().asString());
    }

    @Test
    void holdsBackOneOffNoiseAndKeepsTheIdWhileEvidenceGrows() {
        String host = "rv-stable";
        blocked().add(host, "web", "198.51.100.7", 443, T);
        assertThat(cidrs(list(host, null))).isEmpty(); // one event, no span: held back
        JsonNode held = list(host, "held");
        assertThat(cidrs(held)).containsExactly("198.51.100.7/32");
        String id = held.get(0).get("id").asText();
        assertThat(held.get(0).get("stable").asBoolean()).isFalse();
        assertThat(held.get(0).get("state").asText()).isEqualTo("pending");

        blocked().add(host, "web", "198.51.100.7", 443, T.plusSeconds(5));
        JsonNode pending = list(host, null);
        assertThat(cidrs(pending)).containsExactly("198.51.100.7/32");
        assertThat(pending.get(0).get("id").asText()).isEqualTo(id);
        assertThat(pending.get(0).get("events").asLong()).isEqualTo(2);
        assertThat(pending.get(0).get("stable").asBoolean()).isTrue();

        // A single event on each side of a ten-minute span is stable too.
        blocked().add(host, "docs", "198.51.100.8", 443, T);
        blocked().add(host, "docs", "198.51.100.8", 443, T.plus(10, ChronoUnit.MINUTES));
        JsonNode docs = Api.parse(Reviewers.as("carol").get("/api/v1/suggestions?host=" + host + "&instance=docs")
                .then().statusCode(200).extract().asString()).get("instances").get(0).get("suggestions");
        assertThat(cidrs(docs)).containsExactly("198.51.100.8/32");
    }

    @Test
    void aFoldSupersedesTheNarrowSuggestionsAndPointsAtTheNewOne() {
        String host = "rv-fold";
        for (int i = 1; i <= 3; i++) {
            blocked().add(host, "web", "140.82.112." + (10 * i), 443, 2, T, T.plusSeconds(i));
        }
        JsonNode before = list(host, null);
        assertThat(cidrs(before)).containsExactly("140.82.112.10/32", "140.82.112.20/32", "140.82.112.30/32");
        blocked().add(host, "web", "140.82.112.40", 443, 2, T, T.plusSeconds(4));
        JsonNode after = list(host, null);
        assertThat(cidrs(after)).containsExactly("140.82.112.0/24");
        String slash24 = after.get(0).get("id").asText();
        assertThat(after.get(0).get("addresses")).hasSize(4);
        JsonNode superseded = list(host, "superseded");
        assertThat(cidrs(superseded)).containsExactly("140.82.112.10/32", "140.82.112.20/32", "140.82.112.30/32");
        superseded.forEach(s -> assertThat(s.get("supersededBy").asText()).isEqualTo(slash24));
    }

    @Test
    void aRejectionIsRememberedUntilANewPortAndThenShownWithTheSuggestion() {
        String host = "rv-reject";
        blocked().add(host, "web", "203.0.113.9", 25, 3, T, T.plusSeconds(60));
        String id = list(host, null).get(0).get("id").asText();

        JsonNode missing = post("alice", "/api/v1/suggestions/" + id + "/reject", "{}", 400);
        assertThat(missing.get("field").asText()).isEqualTo("comment");
        JsonNode rejected = post("alice", "/api/v1/suggestions/" + id + "/reject",
                "{\"comment\": \"SMTP out is never allowed\"}", 200);
        assertThat(rejected.get("suggestion").get("state").asText()).isEqualTo("rejected");
        assertThat(rejected.get("decision").get("actor").asText()).isEqualTo("alice");

        blocked().add(host, "web", "203.0.113.9", 25, 5, T, T.plusSeconds(120)); // the same port again
        assertThat(cidrs(list(host, null))).isEmpty();
        assertThat(cidrs(list(host, "rejected"))).containsExactly("203.0.113.9/32");

        blocked().add(host, "web", "203.0.113.9", 587, 1, T, T.plusSeconds(180)); // a new port reopens it
        JsonNode reopened = list(host, null);
        assertThat(cidrs(reopened)).containsExactly("203.0.113.9/32");
        assertThat(reopened.get(0).get("id").asText()).isEqualTo(id);
        JsonNode earlier = reopened.get(0).get("earlierRejection");
        assertThat(earlier.get("comment").asText()).isEqualTo("SMTP out is never allowed");
        assertThat(earlier.get("actor").asText()).isEqualTo("alice");
        assertThat(earlier.get("outcome").asText()).isEqualTo("rejected");
    }

    @Test
    void aRejectionOlderThanReopenAfterNoLongerHoldsTheDestinationBack() throws SQLException {
        String host = "rv-old-reject";
        blocked().add(host, "web", "203.0.113.10", 443, 3, T, T.plusSeconds(60));
        UUID id = ReviewIds.parse(list(host, null).get(0).get("id").asText());
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            // A rejection from 91 days ago (the audit trail takes inserts only; the test writes one back-dated).
            s.execute("INSERT INTO decision (suggestion_id, host, instance, cidr, outcome, actor, decided_at,"
                    + " comment, evidence) VALUES ('" + id + "', '" + host + "', 'web', '203.0.113.10/32',"
                    + " 'rejected', 'alice', now() - interval '91 days', 'not then', '{}')");
            s.execute("UPDATE suggestion SET state = 'rejected', decided_ports = '{443}', rejected_decision ="
                    + " (SELECT max(id) FROM decision) WHERE id = '" + id + "'");
            s.execute("UPDATE suggestion_run SET stale = true WHERE host = '" + host + "'");
        }
        JsonNode reopened = list(host, null);
        assertThat(cidrs(reopened)).containsExactly("203.0.113.10/32");
        assertThat(reopened.get(0).get("earlierRejection").get("comment").asText()).isEqualTo("not then");
    }

    @Test
    void anAcceptIsInForceAndSubtractedAndAnEditIsCheckedByTheGuardrails() throws SQLException {
        String host = "rv-accept";
        for (int i = 1; i <= 4; i++) {
            blocked().add(host, "web", "192.0.2." + (10 * i), 443, 2, T, T.plusSeconds(i));
        }
        String id = list(host, null).get(0).get("id").asText();
        assertThat(list(host, null).get(0).get("cidr").asText()).isEqualTo("192.0.2.0/24");

        JsonNode tooBroad = post("alice", "/api/v1/suggestions/" + id + "/accept", "{\"cidr\": \"192.0.0.0/15\"}",
                422);
        assertThat(tooBroad.get("field").asText()).isEqualTo("cidr");
        assertThat(tooBroad.get("error").asText()).contains("broader than /16");
        JsonNode garbage = post("alice", "/api/v1/suggestions/" + id + "/accept", "{\"cidr\": \"192.0.2.0/33\"}",
                422);
        assertThat(garbage.get("error").asText()).contains("is not a CIDR");
        assertThat(post("alice", "/api/v1/suggestions/" + id + "/accept", "{\"comment\": [1]}", 400).get("field")
                .asText()).isEqualTo("comment");
        assertThat(post("alice", "/api/v1/suggestions/" + id + "/accept", "{\"comment\": \"ok\", \"cdir\": \"x\"}",
                400).get("field").asText()).isEqualTo("cdir");

        JsonNode accepted = post("bob", "/api/v1/suggestions/" + id + "/accept",
                "{\"cidr\": \"192.0.2.10\", \"comment\": \"only the API host\"}", 200);
        assertThat(accepted.get("suggestion").get("state").asText()).isEqualTo("accepted");
        assertThat(accepted.get("suggestion").get("acceptedCidr").asText()).isEqualTo("192.0.2.10/32");
        assertThat(accepted.get("decision").get("decidedCidr").asText()).isEqualTo("192.0.2.10/32");

        // The decision carries the evidence of the decided /32 (2 of the /24's 8 events), and what was suggested.
        JsonNode evidence = accepted.get("decision").get("evidence");
        assertThat(evidence.get("cidr").asText()).isEqualTo("192.0.2.10/32");
        assertThat(evidence.get("events").asLong()).isEqualTo(2);
        assertThat(evidence.get("addresses")).hasSize(1);
        assertThat(evidence.get("addresses").get(0).get("address").asText()).isEqualTo("192.0.2.10");
        assertThat(evidence.get("services").toString()).isEqualTo("[\"tcp/443\"]");
        assertThat(evidence.get("lastSeen").asText()).isEqualTo(T.plusSeconds(1).toString());
        assertThat(evidence.get("suggested").get("cidr").asText()).isEqualTo("192.0.2.0/24");
        assertThat(evidence.get("suggested").get("events").asLong()).isEqualTo(8);
        assertThat(evidence.get("suggested").get("addresses").asInt()).isEqualTo(4);

        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(
                "SELECT cidr::text, accepted_by, comment, evidence->>'events' FROM accepted_entry WHERE host = ?")) {
            s.setString(1, host);
            var r = s.executeQuery();
            assertThat(r.next()).isTrue();
            assertThat(r.getString(1)).isEqualTo("192.0.2.10/32");
            assertThat(r.getString(2)).isEqualTo("bob");
            assertThat(r.getString(3)).isEqualTo("only the API host");
            assertThat(r.getString(4)).isEqualTo("2");
            assertThat(r.next()).isFalse();
        }
        // The generated file comments the /32 with its own evidence, never the /24's.
        String nix = Reviewers.as("carol").get("/api/v1/allowlists/" + host + "?format=nix").then().statusCode(200)
                .extract().asString();
        assertThat(nix).contains("# accepted by bob " + accepted.get("decision").get("decidedAt").asText()
                .substring(0, 10)).contains(": 2 events, tcp/443, 192.0.2.10, first ")
                .doesNotContain("8 events").doesNotContain("addresses of");
        // The history and the earlier decisions say what was suggested and what was decided.
        JsonNode decisions = Api.parse(Reviewers.as("carol").get("/api/v1/decisions?host=" + host).then()
                .statusCode(200).extract().asString()).get("decisions");
        assertThat(decisions.get(0).get("cidr").asText()).isEqualTo("192.0.2.0/24");
        assertThat(decisions.get(0).get("decidedCidr").asText()).isEqualTo("192.0.2.10/32");
        // The three other addresses come back one by one; the accepted one is already allowed.
        blocked().add(host, "web", "192.0.2.10", 443, 1, T, T.plusSeconds(30));
        Api.parse(Reviewers.as("carol").get("/api/v1/suggestions?host=" + host).then().statusCode(200).extract()
                .asString());
        JsonNode instance = Api.parse(Reviewers.as("carol").get("/api/v1/suggestions?host=" + host).then()
                .statusCode(200).extract().asString()).get("instances").get(0);
        assertThat(cidrs(instance.get("suggestions"))).containsExactly("192.0.2.20/32", "192.0.2.30/32",
                "192.0.2.40/32");
        assertThat(instance.get("alreadyAllowed").get(0).get("address").asText()).isEqualTo("192.0.2.10");

        JsonNode again = post("alice", "/api/v1/suggestions/" + id + "/accept", "{}", 409);
        assertThat(again.get("suggestion").get("state").asText()).isEqualTo("accepted");
        // Who decided what, and when: the late reviewer learns it from the 409 itself.
        assertThat(again.get("error").asText()).contains("last decision: accepted suggested 192.0.2.0/24 -> decided"
                + " 192.0.2.10/32 by bob at " + accepted.get("decision").get("decidedAt").asText());
    }

    @Test
    void neverAcceptsAnEditOntoTheDenylist() {
        String host = "rv-deny";
        blocked().add(host, "web", "169.253.255.1", 443, 2, T, T.plusSeconds(1));
        String id = list(host, null).get(0).get("id").asText();
        JsonNode denied = post("alice", "/api/v1/suggestions/" + id + "/accept", "{\"cidr\": \"169.252.0.0/14\"}",
                422);
        assertThat(denied.get("error").asText()).isEqualTo("cidr: 169.252.0.0/14 overlaps the denylist entry"
                + " 169.254.0.0/16 (link-local, home of cloud instance metadata (169.254.169.254))");
        JsonNode accepted = post("alice", "/api/v1/suggestions/" + id + "/accept", "{\"cidr\": \"169.253.0.0/16\"}",
                200);
        assertThat(accepted.get("suggestion").get("acceptedCidr").asText()).isEqualTo("169.253.0.0/16");
    }

    @Test
    void theHostsAllowlistIsSubtracted() {
        String host = "rv-allowed";
        blocked().allow(host, "web", "198.18.0.0/24");
        blocked().add(host, "web", "198.18.0.5", 443, 2, T, T.plusSeconds(1));
        blocked().add(host, "web", "198.18.1.5", 443, 2, T, T.plusSeconds(1));
        JsonNode instance = Api.parse(Reviewers.as("carol").get("/api/v1/suggestions?host=" + host).then()
                .statusCode(200).extract().asString()).get("instances").get(0);
        assertThat(cidrs(instance.get("suggestions"))).containsExactly("198.18.1.5/32");
        assertThat(instance.get("alreadyAllowed").get(0).get("address").asText()).isEqualTo("198.18.0.5");
    }

    @Test
    void aSnoozeHidesTheSuggestionUntilItsTime() {
        String host = "rv-snooze";
        blocked().add(host, "web", "198.51.100.77", 443, 2, T, T.plusSeconds(1));
        String id = list(host, null).get(0).get("id").asText();
        post("alice", "/api/v1/suggestions/" + id + "/snooze", "{\"until\": \"yesterday\"}", 400);
        post("alice", "/api/v1/suggestions/" + id + "/snooze", "{\"until\": \"2001-01-01T00:00:00Z\"}", 422);
        String until = Instant.now().plusSeconds(3).toString();
        JsonNode snoozed = post("alice", "/api/v1/suggestions/" + id + "/snooze",
                "{\"until\": \"" + until + "\", \"comment\": \"after the release\"}", 200);
        assertThat(snoozed.get("suggestion").get("state").asText()).isEqualTo("snoozed");
        assertThat(cidrs(list(host, null))).isEmpty();
        assertThat(cidrs(list(host, "snoozed"))).containsExactly("198.51.100.77/32");
        Eventually.await("the snooze ends", Duration.ofSeconds(15), () -> cidrs(list(host, null)).size() == 1);
        assertThat(list(host, null).get(0).get("state").asText()).isEqualTo("pending");
    }

    @Test
    void bulkDecidesEveryPendingSuggestionOfAnInstanceAllOrNothing() {
        String host = "rv-bulk";
        blocked().add(host, "web", "198.51.100.1", 443, 2, T, T.plusSeconds(1));
        blocked().add(host, "web", "198.51.100.100", 443, 2, T, T.plusSeconds(1));
        blocked().add(host, "web", "2001:db8::1", 443, 2, T, T.plusSeconds(1));
        assertThat(cidrs(list(host, null))).hasSize(3);
        JsonNode noComment = post("alice", "/api/v1/instances/" + host + "/web/bulk", "{\"action\": \"reject\"}",
                400);
        assertThat(noComment.get("field").asText()).isEqualTo("comment");
        post("alice", "/api/v1/instances/" + host + "/web/bulk", "{\"action\": \"allow\"}", 400);
        JsonNode foreign = post("alice", "/api/v1/instances/" + host + "/web/bulk",
                "{\"action\": \"accept\", \"ids\": [\"" + ReviewIds.hex(UUID.randomUUID()) + "\"]}", 422);
        assertThat(foreign.get("field").asText()).isEqualTo("ids");
        JsonNode result = post("alice", "/api/v1/instances/" + host + "/web/bulk",
                "{\"action\": \"accept\", \"comment\": \"known CDNs\"}", 200);
        assertThat(result.get("results")).hasSize(3);
        assertThat(cidrs(list(host, null))).isEmpty();
        assertThat(cidrs(list(host, "accepted"))).containsExactly("198.51.100.1/32", "198.51.100.100/32",
                "2001:db8::1/128");
    }

    @Test
    void twoReviewersDecidingAtOnceOneWinsTheOtherGets409WithTheCurrentState() throws Exception {
        String host = "rv-race";
        blocked().add(host, "web", "198.51.100.200", 443, 2, T, T.plusSeconds(1));
        String id = list(host, null).get(0).get("id").asText();
        Reviewers.ensure();
        for (int round = 0; round < 1; round++) {
            java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
            try {
                var a = pool.submit(() -> {
                    start.await();
                    return Reviewers.as("alice").body("{\"comment\": \"alice\"}")
                            .post("/api/v1/suggestions/" + id + "/accept").then().extract();
                });
                var b = pool.submit(() -> {
                    start.await();
                    return Reviewers.as("bob").body("{\"comment\": \"bob\"}")
                            .post("/api/v1/suggestions/" + id + "/reject").then().extract();
                });
                start.countDown();
                var ra = a.get();
                var rb = b.get();
                assertThat(List.of(ra.statusCode(), rb.statusCode())).containsExactlyInAnyOrder(200, 409);
                var loser = ra.statusCode() == 409 ? ra : rb;
                var winner = ra.statusCode() == 200 ? ra : rb;
                String winnerState = Api.parse(winner.asString()).get("suggestion").get("state").asText();
                assertThat(Api.parse(loser.asString()).get("suggestion").get("state").asText())
                        .isEqualTo(winnerState);
            } finally {
                pool.shutdownNow();
            }
        }
        JsonNode decisions = Api.parse(Reviewers.as("carol").get("/api/v1/decisions?host=" + host).then()
                .statusCode(200).extract().asString()).get("decisions");
        assertThat(decisions).hasSize(1);
    }

    @Test
    void theAuditTrailIsAppendOnlyEvenForTheApplicationsOwnAccount() throws SQLException {
        String host = "rv-audit";
        blocked().add(host, "web", "198.51.100.201", 443, 2, T, T.plusSeconds(1));
        String id = list(host, null).get(0).get("id").asText();
        post("alice", "/api/v1/suggestions/" + id + "/reject", "{\"comment\": \"no\"}", 200);
        JsonNode decision = Api.parse(Reviewers.as("carol").get("/api/v1/decisions?host=" + host).then()
                .statusCode(200).extract().asString()).get("decisions").get(0);
        assertThat(decision.get("actor").asText()).isEqualTo("alice");
        assertThat(decision.get("comment").asText()).isEqualTo("no");
        assertThat(decision.get("outcome").asText()).isEqualTo("rejected");
        assertThat(decision.get("evidence").get("events").asLong()).isEqualTo(2);
        assertThat(decision.get("evidence").get("addresses").get(0).get("address").asText())
                .isEqualTo("198.51.100.201");
        assertThat(decision.get("decidedAt").asText()).isNotEmpty();
        for (String sql : List.of("UPDATE decision SET comment = 'yes' WHERE host = '" + host + "'",
                "DELETE FROM decision WHERE host = '" + host + "'", "TRUNCATE decision CASCADE")) {
            try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
                assertThatThrownBy(() -> s.execute(sql)).isInstanceOf(SQLException.class)
                        .hasMessageContaining("append-only");
            }
        }
    }

    @Test
    void recomputesOnlyInstancesWithNewEventsAndIsSafeFromTwoThreadsAtOnce() throws Exception {
        String host = "rv-incremental";
        blocked().add(host, "a", "198.51.100.31", 443, 2, T, T.plusSeconds(1));
        blocked().add(host, "b", "198.51.100.32", 443, 2, T, T.plusSeconds(1));
        recomputation.recomputeStale(null, null);
        assertThat(recomputation.recomputeStale(host, null)).isZero();
        blocked().add(host, "a", "198.51.100.33", 443, 2, T, T.plusSeconds(1));
        assertThat(recomputation.recomputeStale(host, null)).isEqualTo(1);
        assertThat(recomputation.recomputeStale(host, null)).isZero();

        // Two computations of the same instance at once: the advisory lock serialises them, the second finds
        // nothing left to do.
        blocked().add(host, "b", "198.51.100.34", 443, 2, T, T.plusSeconds(1));
        java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            var first = pool.submit(() -> {
                start.await();
                return recomputation.recompute(host, "b");
            });
            var second = pool.submit(() -> {
                start.await();
                return recomputation.recompute(host, "b");
            });
            start.countDown();
            assertThat(List.of(first.get(), second.get())).containsExactlyInAnyOrder(true, false);
        } finally {
            pool.shutdownNow();
        }
        assertThat(cidrs(Api.parse(Reviewers.as("carol").get("/api/v1/suggestions?host=" + host + "&instance=b")
                .then().statusCode(200).extract().asString()).get("instances").get(0).get("suggestions")))
                .containsExactly("198.51.100.32/32", "198.51.100.34/32");
    }

    @Test
    void validatesQueryParametersNamingTheField() {
        for (Map.Entry<String, String> bad : Map.of(
                "/api/v1/suggestions?state=open", "state",
                "/api/v1/suggestions?instance=Bad%20Name", "instance",
                "/api/v1/suggestions/not-an-id", "id",
                "/api/v1/suggestions/" + ReviewIds.hex(UUID.randomUUID()) + "?days=0", "days",
                "/api/v1/decisions?limit=-1", "limit",
                "/api/v1/allowlists/h?format=yaml", "format").entrySet()) {
            JsonNode error = Api.parse(Reviewers.as("carol").get(bad.getKey()).then().statusCode(400).extract()
                    .asString());
            assertThat(error.get("field").asText()).as(bad.getKey()).isEqualTo(bad.getValue());
        }
        Reviewers.as("carol").get("/api/v1/suggestions/" + ReviewIds.hex(UUID.randomUUID())).then().statusCode(404);
        post("alice", "/api/v1/suggestions/" + ReviewIds.hex(UUID.randomUUID()) + "/reject",
                "{\"comment\": \"x\"}", 404);
        post("alice", "/api/v1/suggestions/" + ReviewIds.hex(UUID.randomUUID()) + "/accept", "not json", 400);
    }

    @Test
    void emitsTheReviewMetricsWithoutAddressesCidrsOrUserNames() {
        String host = "rv-metrics";
        blocked().add(host, "web", "198.51.100.90", 443, 2, T, T.plusSeconds(1));
        blocked().add(host, "web", "198.51.100.95", 443, 2, T, T.plusSeconds(1));
        String id = list(host, null).get(0).get("id").asText();
        double accepted = Api.metric("tuner_policy_decisions_total{outcome=\"accepted\"}");
        post("alice", "/api/v1/suggestions/" + id + "/accept", "{}", 200);
        metrics.refresh();
        String text = Api.metrics();
        assertThat(Api.metric("tuner_policy_decisions_total{outcome=\"accepted\"}")).isEqualTo(accepted + 1);
        assertThat(text).contains("tuner_policy_first_block_to_decision_seconds_count")
                .contains("tuner_policy_suggestions_recompute_duration_seconds_count")
                .containsPattern("tuner_policy_suggestions_pending\\{host=\"rv-metrics\",opencode_instance=\"web\"} 1\\.0")
                .containsPattern("tuner_policy_suggestions_oldest_pending_age_seconds\\{host=\"rv-metrics\","
                        + "opencode_instance=\"web\"} \\d");
        for (String line : text.split("\n")) {
            if (line.startsWith("tuner_policy_decisions") || line.startsWith("tuner_policy_suggestions")
                    || line.startsWith("tuner_policy_first_block")) {
                assertThat(line).doesNotContain("198.51.100").doesNotContain("alice").doesNotContain("/32");
            }
        }
    }

    @Test
    void aForgeClosingThePullRequestRejectsTheAcceptedSuggestionThroughTheJavaApi() throws SQLException {
        String host = "rv-forge";
        blocked().add(host, "web", "198.51.100.120", 443, 2, T, T.plusSeconds(1));
        String id = list(host, null).get(0).get("id").asText();
        post("alice", "/api/v1/suggestions/" + id + "/accept", "{}", 200);
        assertThatThrownBy(() -> service.rejectInForce(ReviewIds.parse(id), "forge:github", " "))
                .isInstanceOf(ReviewErrors.Failure.class).hasMessageContaining("comment");
        ReviewViews.DecisionResult r = service.rejectInForce(ReviewIds.parse(id), "forge:github",
                "pull request #7 closed without merging");
        assertThat(r.suggestion().state()).isEqualTo("rejected");
        assertThat(r.decision().actor()).isEqualTo("forge:github");
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(
                "SELECT count(*) FROM accepted_entry WHERE host = ?")) {
            s.setString(1, host);
            var rows = s.executeQuery();
            rows.next();
            assertThat(rows.getLong(1)).isZero();
        }
        assertThat(cidrs(list(host, null))).isEmpty(); // remembered like any rejection
    }
}
