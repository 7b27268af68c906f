package dev.opencode.tuner.policy.app;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalToIgnoringCase;

import at.favre.lib.crypto.bcrypt.BCrypt;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every API call needs an account (401 without, 403 without a role); the log never holds a password. */
@QuarkusTest
@WithTestResource(value = PolicyStack.class, scope = TestResourceScope.MATCHING_RESOURCES)
class AuthTest {
    private static final List<String> ENDPOINTS = List.of("/api/v1/instances", "/api/v1/suggestions",
            "/api/v1/suggestions?host=vm-1&instance=web");
    private static final String VIEWER_PASSWORD = "viewer-" + TestEvents.newId();
    private static final String REVIEWER_PASSWORD = "reviewer-" + TestEvents.newId();
    private static final String NOBODY_PASSWORD = "nobody-" + TestEvents.newId();

    @BeforeAll
    static void addAccounts() throws Exception {
        Path accounts = PolicyStack.policyState().resolve("accounts");
        // Appended while the service runs: it reads the file again when it changes.
        Files.writeString(accounts, "viewer:" + hash(VIEWER_PASSWORD) + ":viewer\n"
                + "reviewer:" + hash(REVIEWER_PASSWORD) + ":reviewer\n"
                + "nobody:" + hash(NOBODY_PASSWORD) + ":\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    }

    private static String hash(String password) {
        return BCrypt.withDefaults().hashToString(4, password.toCharArray());
    }

    @Test
    void firstStartCreatedAnAdminWithARandomPasswordInAPrivateFileAndLoggedOnlyWhere() throws Exception {
        Path passwordFile = PolicyStack.policyState().resolve("initial-admin-password");
        Path accounts = PolicyStack.policyState().resolve("accounts");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(passwordFile))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(accounts))).isEqualTo("rw-------");
        String password = Api.adminPassword();
        assertThat(password).hasSize(32);
        assertThat(Files.readAllLines(accounts)).anyMatch(line -> line.matches("admin:\\$2a\\$04\\$.{53}:admin"));
        assertThat(Files.readString(accounts)).startsWith("#").doesNotContain(password);
        String log = Files.readString(PolicyStack.LOG_FILE);
        assertThat(log).contains("created the API account 'admin'").contains(passwordFile.toString())
                .doesNotContain(password);
    }

    @Test
    void everyEndpointAnswers401WithoutCredentials() {
        for (String endpoint : ENDPOINTS) {
            given().get(endpoint).then().statusCode(401)
                    .header("WWW-Authenticate", equalToIgnoringCase("basic realm=\"opencode-egress-tuner\""));
        }
    }

    @Test
    void everyEndpointAnswers401ForAWrongPasswordAndTheLogHasTheAccountButNotThePassword() throws Exception {
        String wrong = "Wr0ng-" + TestEvents.newId();
        for (String endpoint : ENDPOINTS) {
            given().auth().preemptive().basic("admin", wrong).get(endpoint).then().statusCode(401);
            given().auth().preemptive().basic("nosuchuser", wrong).get(endpoint).then().statusCode(401);
        }
        Eventually.await("the failed logins are in the log file", Duration.ofSeconds(10), () -> {
            try {
                return Files.readString(PolicyStack.LOG_FILE).contains("no account 'nosuchuser'");
            } catch (java.io.IOException e) {
                return false;
            }
        });
        String log = Files.readString(PolicyStack.LOG_FILE);
        assertThat(log).contains("wrong password for account 'admin' from 127.0.0.1")
                .contains("no account 'nosuchuser' from 127.0.0.1")
                .doesNotContain(wrong)
                .doesNotContain(VIEWER_PASSWORD).doesNotContain(Api.adminPassword());
    }

    @Test
    void everyEndpointAnswers403ForAnAccountWithoutARole() {
        for (String endpoint : ENDPOINTS) {
            given().auth().preemptive().basic("nobody", NOBODY_PASSWORD).get(endpoint).then().statusCode(403);
        }
    }

    @Test
    void aRememberedPasswordStopsWorkingAsSoonAsTheAccountsFileChangesIt() throws Exception {
        Path accounts = PolicyStack.policyState().resolve("accounts");
        String before = Files.readString(accounts);
        String oldPassword = "rotate-" + TestEvents.newId();
        String newPassword = "rotated-" + TestEvents.newId();
        try {
            Files.writeString(accounts, "rotate:" + hash(oldPassword) + ":viewer\n", StandardOpenOption.APPEND);
            for (int i = 0; i < 2; i++) { // the second one is answered from the remembered verification
                given().auth().preemptive().basic("rotate", oldPassword).get(ENDPOINTS.get(0)).then().statusCode(200);
            }
            given().auth().preemptive().basic("rotate", oldPassword + "x").get(ENDPOINTS.get(0)).then()
                    .statusCode(401);
            Files.writeString(accounts, before + "rotate:" + hash(newPassword) + ":viewer\n"); // ./tuner users passwd
            given().auth().preemptive().basic("rotate", oldPassword).get(ENDPOINTS.get(0)).then().statusCode(401);
            given().auth().preemptive().basic("rotate", newPassword).get(ENDPOINTS.get(0)).then().statusCode(200);
            Files.writeString(accounts, before); // removed
            given().auth().preemptive().basic("rotate", newPassword).get(ENDPOINTS.get(0)).then().statusCode(401);
        } finally {
            Files.writeString(accounts, before);
        }
    }

    @Test
    void viewerReviewerAndAdminMayRead() {
        for (String endpoint : ENDPOINTS) {
            given().auth().preemptive().basic("viewer", VIEWER_PASSWORD).get(endpoint).then().statusCode(200);
            given().auth().preemptive().basic("reviewer", REVIEWER_PASSWORD).get(endpoint).then().statusCode(200);
            Api.asAdmin().get(endpoint).then().statusCode(200);
        }
    }

    @Test
    void aBadParameterIs400WithTheReason() {
        Api.asAdmin().queryParam("instance", "Web\n").get("/api/v1/suggestions").then().statusCode(400)
                .body("error", containsString("instance: 'Web\\x0a' is not a lowercase letter"));
    }
}
