package dev.opencode.tuner.cli.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code ./tuner accept|reject ID...} on several suggestions, against a stand-in service that answers as the real one:
 * one line per id, a refusal about one suggestion fails only that id, the summary names the failed ones, and the exit
 * code says whether all went through.
 */
class BulkDecisionTest {
    private static final String A = "a".repeat(32);
    private static final String B = "b".repeat(32);
    private static final String C = "c".repeat(32);

    private final Map<String, String> env = new HashMap<>();

    @BeforeEach
    void asErin() {
        env.put("TUNER_USER", "erin");
        env.put("TUNER_PASSWORD", "erins-password-from-env");
        PolicyOptions.useEnvironment(env::get);
    }

    @AfterEach
    void resetEnvironment() {
        PolicyOptions.useEnvironment(null);
    }

    private static String accepted(String cidr) {
        return "{\"decision\": {\"decidedCidr\": \"" + cidr + "\"}, \"suggestion\": {\"kind\": \"add\", \"cidr\": \""
                + cidr + "\", \"acceptedCidr\": \"" + cidr + "\"}, \"approvalsNeeded\": 0}";
    }

    @Test
    void decidesEveryIdAndNamesTheOnesThatFailed() throws IOException {
        try (FakePolicyService service = new FakePolicyService()) {
            service.json("POST", "/api/v1/suggestions/" + A + "/accept", 200, accepted("192.0.2.0/24"))
                    .json("POST", "/api/v1/suggestions/" + B + "/accept", 409, "{\"error\": \"" + B
                            + " is accepted already (by carl at 2026-12-01T10:00:00Z)\"}")
                    .json("POST", "/api/v1/suggestions/" + C + "/accept", 200, accepted("198.51.100.7/32"));
            env.put("TUNER_POLICY_URL", service.url());

            PolicyOptionsTest.Run run = PolicyOptionsTest.tuner("accept", A, B, C, "--comment", "known services");

            assertThat(run.code()).isEqualTo(1);
            assertThat(run.out()).isEqualTo(A + "  accepted 192.0.2.0/24\n" + C + "  accepted 198.51.100.7/32\n");
            assertThat(run.err()).contains(B + "  failed: " + B + " is accepted already (by carl at ")
                    .endsWith("2 accepted, 1 failed: " + B + "\n");
            assertThat(service.requests()).extracting(FakePolicyService.Request::path).containsExactly(
                    "/api/v1/suggestions/" + A + "/accept", "/api/v1/suggestions/" + B + "/accept",
                    "/api/v1/suggestions/" + C + "/accept");
        }
    }

    @Test
    void aSummaryWhenAllWentThroughAndExitZero() throws IOException {
        try (FakePolicyService service = new FakePolicyService()) {
            service.json("POST", "/api/v1/suggestions/" + A + "/reject", 200,
                    "{\"suggestion\": {\"cidr\": \"192.0.2.0/24\"}}")
                    .json("POST", "/api/v1/suggestions/" + B + "/reject", 200,
                            "{\"suggestion\": {\"cidr\": \"198.51.100.7/32\"}}");
            env.put("TUNER_POLICY_URL", service.url());

            PolicyOptionsTest.Run run = PolicyOptionsTest.tuner("reject", A, B, "--comment", "not needed");

            assertThat(run.code()).as(run.err()).isZero();
            assertThat(run.out()).isEqualTo(A + "  rejected 192.0.2.0/24\n" + B + "  rejected 198.51.100.7/32\n"
                    + "2 rejected, 0 failed.\n");
            assertThat(run.err()).isEmpty();
        }
    }

    @Test
    void aRefusedLoginStopsAtOnce() throws IOException {
        try (FakePolicyService service = new FakePolicyService()) {
            service.refusesLogin("POST", "/api/v1/suggestions/" + A + "/accept");
            env.put("TUNER_POLICY_URL", service.url());

            PolicyOptionsTest.Run run = PolicyOptionsTest.tuner("accept", A, B);

            assertThat(run.code()).isEqualTo(1);
            assertThat(run.err()).contains("refused the account 'erin' (401").doesNotContain("failed:");
            assertThat(service.requests()).hasSize(1);
        }
    }

    @Test
    void oneIdFailsAsTheRefusalItself() throws IOException {
        try (FakePolicyService service = new FakePolicyService()) {
            service.json("POST", "/api/v1/suggestions/" + A + "/accept", 422,
                    "{\"error\": \"192.0.0.0/15 is broader than /16\", \"field\": \"cidr\"}");
            env.put("TUNER_POLICY_URL", service.url());

            PolicyOptionsTest.Run run = PolicyOptionsTest.tuner("accept", A, "--cidr", "192.0.0.0/15");

            assertThat(run.code()).isEqualTo(2);
            assertThat(run.err()).contains("192.0.0.0/15 is broader than /16").doesNotContain("failed");
            assertThat(run.out()).isEmpty();
        }
    }
}
