package dev.opencode.tuner.policy.app.review;

import static dev.opencode.tuner.policy.app.review.ReviewLifecycleTest.cidrs;
import static dev.opencode.tuner.policy.app.review.ReviewLifecycleTest.list;
import static dev.opencode.tuner.policy.app.review.ReviewLifecycleTest.post;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.opencode.tuner.policy.app.Api;
import dev.opencode.tuner.policy.app.PolicyStack;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** tuner.policy.review.approvals-required = 2: an accept takes effect when a second, different reviewer approves. */
@QuarkusTest
@TestProfile(FourEyesTest.TwoApprovals.class)
@WithTestResource(value = PolicyStack.class, scope = TestResourceScope.MATCHING_RESOURCES)
class FourEyesTest {
    private static final Instant T = Instant.now().minus(1, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS);

    /** Four-eyes on. */
    public static class TwoApprovals implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("tuner.policy.review.approvals-required", "2");
        }
    }

    @Inject
    DataSource dataSource;

    @Test
    void anAcceptTakesEffectOnlyWhenASecondDifferentReviewerApproves() {
        String host = "rv-four-eyes";
        new Blocked(dataSource).add(host, "web", "198.51.100.50", 443, 3, T, T.plusSeconds(5));
        String id = list(host, null).get(0).get("id").asText();

        JsonNode first = post("alice", "/api/v1/suggestions/" + id + "/accept", "{\"comment\": \"looks fine\"}",
                200);
        assertThat(first.get("approvalsNeeded").asInt()).isEqualTo(1);
        assertThat(first.get("decision").get("outcome").asText()).isEqualTo("approved");
        assertThat(first.get("suggestion").get("state").asText()).isEqualTo("pending");
        assertThat(first.get("suggestion").get("approvedBy").toString()).isEqualTo("[\"alice\"]");
        assertThat(cidrs(list(host, "accepted"))).isEmpty();
        assertThat(Reviewers.as("carol").get("/api/v1/allowlists/" + host + "?format=nix").then().statusCode(200)
                .extract().asString()).doesNotContain("198.51.100.50");

        JsonNode twice = post("alice", "/api/v1/suggestions/" + id + "/accept", "{}", 409);
        assertThat(twice.get("error").asText()).contains("a second, different reviewer");
        assertThat(twice.get("suggestion").get("state").asText()).isEqualTo("pending");

        JsonNode second = post("bob", "/api/v1/suggestions/" + id + "/accept", "{\"comment\": \"agreed\"}", 200);
        assertThat(second.get("approvalsNeeded").asInt()).isZero();
        assertThat(second.get("decision").get("outcome").asText()).isEqualTo("accepted");
        assertThat(second.get("suggestion").get("state").asText()).isEqualTo("accepted");
        assertThat(cidrs(list(host, "accepted"))).containsExactly("198.51.100.50/32");

        JsonNode trail = Api.parse(Reviewers.as("carol").get("/api/v1/decisions?host=" + host).then()
                .statusCode(200).extract().asString()).get("decisions");
        assertThat(trail).hasSize(2);
        assertThat(trail.get(0).get("actor").asText()).isEqualTo("bob");
        assertThat(trail.get(1).get("actor").asText()).isEqualTo("alice");
        assertThat(trail.get(1).get("outcome").asText()).isEqualTo("approved");
    }

    @Test
    void theSecondApproverCannotSwapTheCidrTheFirstApproved() {
        String host = "rv-four-eyes-edit";
        Blocked blocked = new Blocked(dataSource);
        for (int i = 1; i <= 4; i++) {
            blocked.add(host, "web", "203.0.113." + (i * 20), 443, 2, T, T.plusSeconds(i));
        }
        String id = list(host, null).get(0).get("id").asText();
        post("alice", "/api/v1/suggestions/" + id + "/accept", "{\"cidr\": \"203.0.113.20/32\"}", 200);
        JsonNode swapped = post("bob", "/api/v1/suggestions/" + id + "/accept", "{\"cidr\": \"203.0.113.0/25\"}",
                422);
        assertThat(swapped.get("field").asText()).isEqualTo("cidr");
        assertThat(swapped.get("error").asText()).contains("the first approval was for 203.0.113.20/32");
        JsonNode accepted = post("bob", "/api/v1/suggestions/" + id + "/accept", "{}", 200);
        assertThat(accepted.get("suggestion").get("acceptedCidr").asText()).isEqualTo("203.0.113.20/32");
    }
}
