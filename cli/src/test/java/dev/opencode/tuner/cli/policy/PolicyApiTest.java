package dev.opencode.tuner.cli.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import dev.opencode.tuner.cli.CliException;
import dev.opencode.tuner.cli.policy.PolicyApi.Role;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link PolicyApi} against a real HTTP server on loopback speaking the policy service's statuses and JSON: what is
 * sent, and the one mapping of failures to messages and exit codes (README: 2 for a value the service refused, 1 for
 * anything else). No message holds the password.
 */
class PolicyApiTest {
    private static final String PASSWORD = "erins-secret-password-1";

    @TempDir
    Path dir;

    FakePolicyService service;
    Path passwordFile;

    @BeforeEach
    void start() throws IOException {
        service = new FakePolicyService();
        passwordFile = Files.writeString(dir.resolve("erin.password"), PASSWORD + "\n");
    }

    @AfterEach
    void stop() {
        service.close();
    }

    private PolicyApi api(Credentials credentials, Origin origin) {
        return new PolicyApi(service.url() + "/", origin, credentials);
    }

    private PolicyApi erin() {
        return api(Credentials.fromFlags("erin", passwordFile), Origin.FLAGS);
    }

    private static CliException failure(Runnable call) {
        CliException e = catchThrowableOfType(CliException.class, call::run);
        assertThat(e).as("a CliException").isNotNull();
        assertThat(e.getMessage()).doesNotContain(PASSWORD);
        return e;
    }

    @Test
    void sendsTheAccountAsHttpBasicAndTheBodyAsJson() {
        service.json("POST", "/api/v1/suggestions/abc/accept", 200, "{\"suggestion\": {\"acceptedCidr\": \"192.0.2.0/26\"}}");

        JsonNode answer;
        try (PolicyApi api = erin()) {
            answer = api.post("/api/v1/suggestions/abc/accept", Map.of("cidr", "192.0.2.0/26"), Role.REVIEWER);
        }

        assertThat(answer.at("/suggestion/acceptedCidr").asText()).isEqualTo("192.0.2.0/26");
        FakePolicyService.Request sent = service.last();
        assertThat(sent.path()).as("the base's final slash is not doubled").isEqualTo("/api/v1/suggestions/abc/accept");
        assertThat(sent.user()).isEqualTo("erin");
        assertThat(sent.password()).isEqualTo(PASSWORD);
        assertThat(sent.contentType()).isEqualTo("application/json");
        assertThat(sent.accept()).isEqualTo("application/json");
        assertThat(sent.body()).isEqualTo("{\"cidr\":\"192.0.2.0/26\"}");
    }

    @Test
    void getTextAsksForTheGivenTypeAndKeepsTheQuery() {
        service.text("GET", "/api/v1/allowlists/h", 200, "text/plain", "{ ... }\n");

        String nix;
        try (PolicyApi api = erin()) {
            nix = api.getText("/api/v1/allowlists/h?format=nix", "text/plain", Role.VIEWER);
        }

        assertThat(nix).isEqualTo("{ ... }\n");
        assertThat(service.last().query()).isEqualTo("format=nix");
        assertThat(service.last().accept()).isEqualTo("text/plain");
    }

    @Test
    void a401NamesTheAccountAndTheFlagsItCameFrom() {
        service.refusesLogin("GET", "/api/v1/decisions");

        CliException e;
        try (PolicyApi api = erin()) {
            e = failure(() -> api.get("/api/v1/decisions?limit=5", Role.VIEWER));
        }

        assertThat(e.exitCode()).isEqualTo(1);
        assertThat(e.getMessage()).contains("refused the account 'erin' (401: no such account, or a wrong password)")
                .contains("check --user erin and the password in --password-file " + passwordFile);
    }

    @Test
    void a401OfTheEnvironmentsAccountSaysToCheckTheVariables() {
        service.refusesLogin("GET", "/api/v1/decisions");

        CliException e;
        try (PolicyApi api = api(Credentials.fromEnvironment("carl", PASSWORD), Origin.ENVIRONMENT)) {
            e = failure(() -> api.get("/api/v1/decisions", Role.VIEWER));
        }

        assertThat(e.exitCode()).isEqualTo(1);
        assertThat(e.getMessage()).contains("refused the account 'carl' (401")
                .contains("check TUNER_USER and TUNER_PASSWORD");
    }

    @Test
    void a401OfTheLocalAdminNamesItsPasswordFileAndTheWayOut() {
        service.refusesLogin("GET", "/api/v1/suggestions");

        CliException e;
        try (PolicyApi api = api(Credentials.localAdmin(passwordFile), Origin.LOCAL_STACK)) {
            e = failure(() -> api.get("/api/v1/suggestions", Role.VIEWER));
        }

        assertThat(e.getMessage()).contains("refused the account 'admin' (401")
                .contains("./tuner up's local admin with the password in " + passwordFile)
                .contains("--user admin --password-file F");
    }

    @ParameterizedTest
    @EnumSource(Role.class)
    void a403NamesTheRoleTheCallNeeds(Role role) {
        service.forbids("DELETE", "/api/v1/accounts/dora");

        CliException e;
        try (PolicyApi api = erin()) {
            e = failure(() -> api.delete("/api/v1/accounts/dora", role));
        }

        assertThat(e.exitCode()).isEqualTo(1);
        assertThat(e.getMessage()).contains("refused the account 'erin' (403): DELETE /api/v1/accounts/dora needs "
                + switch (role) {
                    case VIEWER -> "a role: viewer, reviewer or admin";
                    case REVIEWER -> "the reviewer role (or admin)";
                    case ADMIN -> "the admin role";
                }).contains("--user NAME --password-file F");
    }

    @Test
    void a422IsAUsageErrorWithTheServicesMessageNamingTheField() {
        service.json("POST", "/api/v1/suggestions/abc/accept", 422, "{\"error\":\"cidr: 169.254.0.0/16 overlaps the"
                + " denylist entry 169.254.0.0/16 (link-local and cloud metadata)\",\"field\":\"cidr\"}");

        CliException e;
        try (PolicyApi api = erin()) {
            e = failure(() -> api.post("/api/v1/suggestions/abc/accept", Map.of("cidr", "169.254.0.0/16"),
                    Role.REVIEWER));
        }

        assertThat(e.exitCode()).isEqualTo(2);
        assertThat(e.getMessage()).isEqualTo("cidr: 169.254.0.0/16 overlaps the denylist entry 169.254.0.0/16"
                + " (link-local and cloud metadata)");
    }

    @Test
    void a400WhoseMessageDoesNotNameTheFieldGetsItPrefixed() {
        service.json("GET", "/api/v1/suggestions", 400, "{\"error\":\"expected a host name\",\"field\":\"host\"}");

        CliException e;
        try (PolicyApi api = erin()) {
            e = failure(() -> api.get("/api/v1/suggestions?host=..", Role.VIEWER));
        }

        assertThat(e.exitCode()).isEqualTo(2);
        assertThat(e.getMessage()).isEqualTo("host: expected a host name");
    }

    @Test
    void aConflictAndAnUnknownIdAreFailuresWithTheServicesMessage() {
        service.json("POST", "/api/v1/suggestions/abc/accept", 409, "{\"error\":\"suggestion abc is accepted already\","
                + "\"suggestion\":{\"state\":\"accepted\"}}");
        service.json("GET", "/api/v1/suggestions/def", 404, "{\"error\":\"no suggestion def\"}");

        try (PolicyApi api = erin()) {
            CliException conflict = failure(() -> api.post("/api/v1/suggestions/abc/accept", Map.of(), Role.REVIEWER));
            CliException unknown = failure(() -> api.get("/api/v1/suggestions/def", Role.VIEWER));
            CliException noSuchPath = failure(() -> api.get("/api/v9/nothing?x=1", Role.VIEWER));

            assertThat(conflict.exitCode()).isEqualTo(1);
            assertThat(conflict.getMessage()).isEqualTo("suggestion abc is accepted already (conflict)");
            assertThat(unknown.exitCode()).isEqualTo(1);
            assertThat(unknown.getMessage()).isEqualTo("no suggestion def");
            assertThat(noSuchPath.getMessage()).isEqualTo("the policy service answered 404 to GET /api/v9/nothing (is "
                    + service.url() + " a policy service of this version?)");
        }
    }

    @Test
    void aServerErrorPointsAtTheLogsAndABackoffSaysWhenToRetry() {
        service.json("GET", "/api/v1/decisions", 503, "{\"error\":\"the database is not available; see"
                + " /q/health/ready on the management port (127.0.0.1 only) and the service's log\"}");
        service.json("GET", "/api/v1/suggestions", 429, "{\"error\":\"account 'erin' is backing off after failed"
                + " logins; try again in 4 s\",\"field\":\"authorization\"}");

        try (PolicyApi local = api(Credentials.fromFlags("erin", passwordFile), Origin.LOCAL_STACK);
             PolicyApi remote = erin()) {
            CliException down = failure(() -> local.get("/api/v1/decisions", Role.VIEWER));
            CliException remoteDown = failure(() -> remote.get("/api/v1/decisions", Role.VIEWER));
            CliException busy = failure(() -> local.get("/api/v1/suggestions", Role.VIEWER));

            assertThat(down.exitCode()).isEqualTo(1);
            assertThat(down.getMessage()).startsWith("the database is not available")
                    .endsWith("(the policy service answered 503; see ./tuner logs policy)");
            assertThat(remoteDown.getMessage()).endsWith("(the policy service answered 503; see its log)");
            assertThat(busy.exitCode()).isEqualTo(1);
            assertThat(busy.getMessage()).contains("try again in 4 s");
        }
    }

    @Test
    void anAnswerThatIsNotJsonIsAFailure() {
        service.text("GET", "/api/v1/decisions", 200, "text/html", "<html>a proxy's login page</html>");

        CliException e;
        try (PolicyApi api = erin()) {
            e = failure(() -> api.get("/api/v1/decisions", Role.VIEWER));
        }

        assertThat(e.exitCode()).isEqualTo(1);
        assertThat(e.getMessage()).startsWith("the policy service answered GET /api/v1/decisions with something that"
                + " is not JSON");
    }

    @Test
    void aRefusedConnectionNamesTheAddressWhereItCameFromAndHowToStartOne() throws IOException {
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        String url = "http://127.0.0.1:" + port;

        for (Origin origin : Origin.values()) {
            CliException e;
            try (PolicyApi api = new PolicyApi(url, origin, Credentials.fromFlags("erin", passwordFile))) {
                e = failure(() -> api.get("/api/v1/suggestions", Role.VIEWER));
            }

            assertThat(e.exitCode()).isEqualTo(1);
            assertThat(e.getMessage()).startsWith("cannot reach the policy service at " + url + " (" + switch (origin) {
                case FLAGS -> "from --policy-url";
                case ENVIRONMENT -> "from TUNER_POLICY_URL";
                case LOCAL_STACK -> "./tuner up's";
            } + "): connection refused").contains("./tuner up").contains("--policy-url");
        }
    }
}
