package dev.opencode.tuner.policy.app.review;

import static dev.opencode.tuner.policy.app.review.ReviewLifecycleTest.cidrs;
import static dev.opencode.tuner.policy.app.review.ReviewLifecycleTest.list;
import static dev.opencode.tuner.policy.app.review.ReviewLifecycleTest.post;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opencode.tuner.policy.app.Api;
import dev.opencode.tuner.policy.app.PolicyStack;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** GET /suggestions/{id}: evidence, what it opens, earlier decisions, impact, the diff; GET /allowlists/{host}. */
@QuarkusTest
@WithTestResource(value = PolicyStack.class, scope = TestResourceScope.MATCHING_RESOURCES)
class ReviewDetailTest {
    private static final Instant T = Instant.now().minus(1, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS);

    @Inject
    DataSource dataSource;

    @Inject
    ReviewService service;

    @Test
    void showsEvidenceImpactEarlierDecisionsAndTheDiffOfTheGeneratedFile() {
        Blocked blocked = new Blocked(dataSource);
        String host = "rv-detail";
        for (int i = 1; i <= 4; i++) {
            blocked.add(host, "web", "140.82.113." + (i * 3), 443, i, T, T.plusSeconds(60L * i));
        }
        blocked.add(host, "web", "151.101.0.223", 443, 7, T, T.plusSeconds(30)); // another pending suggestion
        blocked.add(host, "web", "203.0.113.77", 22, 1, T, T); // held back: not in the pending patch
        JsonNode pending = list(host, null);
        assertThat(cidrs(pending)).containsExactly("140.82.113.0/24", "151.101.0.223/32");
        String id = pending.get(0).get("id").asText();
        String other = pending.get(1).get("id").asText();
        post("alice", "/api/v1/suggestions/" + other + "/accept", "{\"comment\": \"fastly\\n]; evil = true;\"}",
                200);

        JsonNode detail = Api.parse(Reviewers.as("carol").get("/api/v1/suggestions/" + id).then().statusCode(200)
                .extract().asString());
        assertThat(detail.get("host").asText()).isEqualTo(host);
        assertThat(detail.get("instance").asText()).isEqualTo("web");
        assertThat(detail.get("opens").asLong()).isEqualTo(256);
        assertThat(detail.get("observed").asInt()).isEqualTo(4);
        JsonNode first = detail.get("suggestion").get("addresses").get(0);
        assertThat(first.get("address").asText()).isEqualTo("140.82.113.3");
        assertThat(first.get("events").asLong()).isEqualTo(1);
        assertThat(first.get("ports").toString()).isEqualTo("[443]");
        assertThat(first.get("protocols").toString()).isEqualTo("[\"tcp\"]");
        assertThat(first.get("sampleSources").toString()).isEqualTo("[\"10.211.0.2\"]");
        assertThat(first.get("firstSeen").asText()).isEqualTo(T.toString());
        // Labelled by the evidence package without blocking; reverse DNS is off in this profile, and says so.
        assertThat(first.has("reverseDns")).isTrue();
        assertThat(first.get("reverseDnsStatus").asText()).isEqualTo("disabled");
        assertThat(first.get("providers").isArray()).isTrue();

        JsonNode impact = detail.get("impact");
        assertThat(impact.get("days").asInt()).isEqualTo(14);
        assertThat(impact.get("blockedEvents").asLong()).isEqualTo(1 + 2 + 3 + 4 + 7 + 1);
        assertThat(impact.get("allowedBySuggestion").asLong()).isEqualTo(10);
        assertThat(impact.get("allowedNow").asLong()).isEqualTo(7); // the accepted 151.101.0.223
        assertThat(impact.get("allowedByPatch").asLong()).isEqualTo(10);
        assertThat(impact.get("staysBlockedDestinations").asInt()).isEqualTo(1);
        assertThat(impact.get("staysBlocked").get(0).get("destination").asText()).isEqualTo("203.0.113.77");

        String diff = detail.get("diff").asText();
        // The exporter's file (GeneratedFile): its path, entries sorted, who accepted and the evidence as comments.
        assertThat(diff).startsWith("--- a/hosts/rv-detail/opencode-egress-allowlist.nix\n"
                + "+++ b/hosts/rv-detail/opencode-egress-allowlist.nix\n");
        assertThat(diff).contains("+    \"140.82.113.0/24\"").contains("     \"151.101.0.223/32\"")
                .doesNotContain("-    \"151.101.0.223/32\"");
        assertThat(diff).contains("accepted by alice").contains("+    # accepted by (pending review) ")
                .contains("10 events, tcp/443, 4 addresses of 256");
        // The reviewer's free text never reaches the generated file.
        assertThat(diff).doesNotContain("evil");

        // Previewing a narrower edit changes the numbers and the diff; a refused one is a 422.
        JsonNode narrow = Api.parse(Reviewers.as("carol").get("/api/v1/suggestions/" + id + "?cidr=140.82.113.12&days=3")
                .then().statusCode(200).extract().asString());
        assertThat(narrow.get("opens").asLong()).isEqualTo(1);
        assertThat(narrow.get("observed").asInt()).isEqualTo(1);
        assertThat(narrow.get("impact").get("days").asInt()).isEqualTo(3);
        assertThat(narrow.get("impact").get("allowedBySuggestion").asLong()).isEqualTo(4);
        assertThat(narrow.get("diff").asText()).contains("+    \"140.82.113.12/32\"")
                .contains(": 4 events, tcp/443, 140.82.113.12, first ").doesNotContain("10 events");
        JsonNode refused = Api.parse(Reviewers.as("carol").get("/api/v1/suggestions/" + id + "?cidr=0.0.0.0/0")
                .then().statusCode(422).extract().asString());
        assertThat(refused.get("field").asText()).isEqualTo("cidr");

        JsonNode allowlist = Api.parse(Reviewers.as("carol").get("/api/v1/allowlists/" + host).then()
                .statusCode(200).extract().asString());
        assertThat(allowlist.get("instances").get(0).get("entries").get(0).get("cidr").asText())
                .isEqualTo("151.101.0.223/32");
        assertThat(allowlist.get("instances").get(0).get("entries").get(0).get("acceptedBy").asText())
                .isEqualTo("alice");
        String nix = Reviewers.as("carol").accept("text/plain").get("/api/v1/allowlists/" + host).then()
                .statusCode(200).contentType("text/plain;charset=UTF-8").extract().asString();
        assertThat(nix).contains("services.opencode.instances.\"web\".networkIsolation.outboundAllowCidrs = [")
                .contains("\"151.101.0.223/32\"").doesNotContain("140.82.113.0/24");
        assertThat(Reviewers.as("carol").get("/api/v1/allowlists/" + host + "?format=nix").then().statusCode(200)
                .extract().asString()).isEqualTo(nix);
    }

    @Test
    void aRejectedAddressIsCarvedOutOfAGroupUntilItReopensAndThenShownAsAnEarlierDecision() {
        Blocked blocked = new Blocked(dataSource);
        String host = "rv-overlap";
        blocked.add(host, "web", "192.0.2.77", 443, 2, T, T.plusSeconds(1));
        String narrow = list(host, null).get(0).get("id").asText();
        post("bob", "/api/v1/suggestions/" + narrow + "/reject", "{\"comment\": \"not this one\"}", 200);
        for (int i = 1; i <= 4; i++) {
            blocked.add(host, "web", "192.0.2." + (i * 10), 443, 2, T, T.plusSeconds(i));
        }
        // The group's /24 minus the rejected address: nothing suggested covers 192.0.2.77.
        JsonNode carved = list(host, null);
        assertThat(cidrs(carved)).containsExactly("192.0.2.0/26"); // the parts without evidence are held back
        for (JsonNode s : list(host, "pending,held")) {
            assertThat(new inet.ipaddr.IPAddressString(s.get("cidr").asText()).getAddress()
                    .contains(new inet.ipaddr.IPAddressString("192.0.2.77").getAddress())).isFalse();
        }
        // A new port on the rejected address reopens it: the group is one /24 again, shown with the rejection.
        blocked.add(host, "web", "192.0.2.77", 8443, 1, T, T.plusSeconds(9));
        JsonNode reopened = list(host, null);
        assertThat(cidrs(reopened)).containsExactly("192.0.2.0/24");
        assertThat(reopened.get(0).get("earlierRejection").get("comment").asText()).isEqualTo("not this one");
        JsonNode detail = Api.parse(Reviewers.as("carol").get("/api/v1/suggestions/" + reopened.get(0).get("id")
                .asText()).then().statusCode(200).extract().asString());
        assertThat(detail.get("earlierDecisions")).hasSize(1);
        assertThat(detail.get("earlierDecisions").get(0).get("cidr").asText()).isEqualTo("192.0.2.77/32");
        assertThat(detail.get("earlierDecisions").get(0).get("actor").asText()).isEqualTo("bob");
        assertThat(list(host, "superseded").toString()).contains("192.0.2.77/32");
    }

    @Test
    void theDetailsOfAllSuggestionsOfAnInstanceAtOnceEqualEachDetail() throws Exception {
        Blocked blocked = new Blocked(dataSource);
        String host = "rv-details";
        for (int i = 1; i <= 4; i++) {
            blocked.add(host, "web", "140.82.113." + (i * 3), 443, i, T, T.plusSeconds(60L * i));
        }
        blocked.add(host, "web", "151.101.0.223", 443, 7, T, T.plusSeconds(30));
        blocked.add(host, "web", "198.51.100.5", 443, 3, T, T.plusSeconds(30));
        blocked.add(host, "web", "203.0.113.77", 22, 1, T, T); // held back
        blocked.add(host, "web", "192.0.2.77", 443, 2, T, T.plusSeconds(1));
        JsonNode first = list(host, null);
        post("alice", "/api/v1/suggestions/" + ReviewLifecycleTest.find(first, "198.51.100.5/32").get("id").asText()
                + "/accept", "{\"comment\": \"cdn\"}", 200);
        post("bob", "/api/v1/suggestions/" + ReviewLifecycleTest.find(first, "192.0.2.77/32").get("id").asText()
                + "/reject", "{\"comment\": \"not this one\"}", 200);
        for (int i = 1; i <= 4; i++) {
            blocked.add(host, "web", "192.0.2." + (i * 10), 443, 2, T, T.plusSeconds(i));
        }
        blocked.add(host, "web", "192.0.2.77", 8443, 1, T, T.plusSeconds(9)); // reopens the rejection in a /24
        List<ReviewViews.ReviewSuggestion> suggestions = service.list(host, "web", Set.of("pending", "held"))
                .instances().get(0).suggestions();
        assertThat(suggestions.stream().map(ReviewViews.ReviewSuggestion::cidr)).contains("140.82.113.0/24",
                "151.101.0.223/32", "192.0.2.0/24", "203.0.113.77/32");

        List<ReviewViews.SuggestionDetail> all = service.details(host, "web", suggestions);

        assertThat(all).hasSize(suggestions.size());
        ObjectMapper json = new ObjectMapper();
        for (int k = 0; k < suggestions.size(); k++) {
            ReviewViews.SuggestionDetail one = service.detail(ReviewIds.parse(suggestions.get(k).id()), null, null);
            assertThat(all.get(k).suggestion()).isSameAs(suggestions.get(k));
            assertThat(json.writeValueAsString(withoutSuggestion(all.get(k))))
                    .as(suggestions.get(k).cidr()).isEqualTo(json.writeValueAsString(withoutSuggestion(one)));
        }
        ReviewViews.SuggestionDetail reopened = all.get(suggestions.stream().map(ReviewViews.ReviewSuggestion::cidr)
                .toList().indexOf("192.0.2.0/24"));
        assertThat(reopened.earlierDecisions()).hasSize(1);
        assertThat(reopened.impact().allowedNow()).isEqualTo(3);
    }

    private static ReviewViews.SuggestionDetail withoutSuggestion(ReviewViews.SuggestionDetail d) {
        return new ReviewViews.SuggestionDetail(d.host(), d.instance(), null, d.opens(), d.observed(), d.history(),
                d.earlierDecisions(), d.impact(), d.diff());
    }
}
