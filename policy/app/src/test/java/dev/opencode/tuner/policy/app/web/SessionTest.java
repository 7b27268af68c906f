package dev.opencode.tuner.policy.app.web;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.opencode.tuner.policy.app.Api;
import dev.opencode.tuner.policy.app.PolicyStack;
import dev.opencode.tuner.policy.app.TestAccounts;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/** UI sessions: a persistent private key that never reaches the log, and sessions ended by logout or password change. */
@QuarkusTest
@WithTestResource(value = PolicyStack.class, scope = TestResourceScope.MATCHING_RESOURCES)
class SessionTest {
    private static final Pattern CSRF_FIELD = Pattern.compile("name=\"csrf-token\" value=\"([^\"]+)\"");
    private static final String PASSWORD = "session-test-password";

    @Test
    void theSessionKeyIsAPrivateFileOfTheStateDirectoryAndNeverInTheLog() throws Exception {
        Path keyFile = PolicyStack.policyState().resolve("session-key");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile))).isEqualTo("rw-------");
        String key = Files.readString(keyFile).strip();
        assertThat(Base64.getDecoder().decode(key)).hasSize(32);
        login("admin", Api.adminPassword());
        String log = Files.readString(PolicyStack.LOG_FILE);
        assertThat(log).doesNotContain(key).doesNotContain("temporary key");
    }

    @Test
    void theServiceUsesTheKeyOfTheFileSoSessionsSurviveARestart() throws Exception {
        // What a restart reads is the file; a cookie made with the file's key (as the service made it before the
        // restart) is what the service accepts. It also shows what reading the file gives away.
        String key = Files.readString(PolicyStack.policyState().resolve("session-key")).strip();
        String minted = mint(key, System.currentTimeMillis() + 600_000, "admin");
        given().redirects().follow(false).cookie("tuner-session", minted).get("/ui").then().statusCode(200);
        String otherKey = Base64.getEncoder().encodeToString(new SecureRandom().generateSeed(32));
        given().redirects().follow(false).cookie("tuner-session", mint(otherKey, System.currentTimeMillis() + 600_000,
                "admin")).get("/ui").then().statusCode(302);
    }

    @Test
    void aLogoutEndsTheOldCookieAndTheAccountsOtherSessions() {
        TestAccounts.ensure(PASSWORD, "sessionuser:viewer");
        String first = login("sessionuser", PASSWORD);
        String second = login("sessionuser", PASSWORD);
        given().redirects().follow(false).cookie("tuner-session", first).get("/ui").then().statusCode(200);

        Response page = given().cookie("tuner-session", first).get("/ui");
        Matcher field = CSRF_FIELD.matcher(page.asString());
        assertThat(field.find()).isTrue();
        given().redirects().follow(false).cookie("tuner-session", first).cookie("tuner-csrf", page.cookie("tuner-csrf"))
                .contentType(ContentType.URLENC).formParam("csrf-token", field.group(1)).post("/ui/logout").then()
                .statusCode(303);

        // a copy of the cookie kept by an attacker, and the account's other session, no longer work
        given().redirects().follow(false).cookie("tuner-session", first).get("/ui").then().statusCode(302);
        given().redirects().follow(false).cookie("tuner-session", second).get("/ui").then().statusCode(302);
        // a new login does
        given().redirects().follow(false).cookie("tuner-session", login("sessionuser", PASSWORD)).get("/ui").then()
                .statusCode(200);
    }

    @Test
    void aPasswordChangeEndsTheAccountsSessions() {
        Api.asAdmin().contentType("application/json")
                .body("{\"name\": \"passwduser\", \"role\": \"viewer\", \"password\": \"" + PASSWORD + "\"}")
                .post("/api/v1/accounts").then().statusCode(201);
        String session = login("passwduser", PASSWORD);
        given().redirects().follow(false).cookie("tuner-session", session).get("/ui").then().statusCode(200);

        Api.asAdmin().contentType("application/json").body("{\"password\": \"another-" + PASSWORD + "\"}")
                .put("/api/v1/accounts/passwduser/password").then().statusCode(200);

        given().redirects().follow(false).cookie("tuner-session", session).get("/ui").then().statusCode(302);
        given().redirects().follow(false).cookie("tuner-session", login("passwduser", "another-" + PASSWORD))
                .get("/ui").then().statusCode(200);
    }

    static String login(String account, String password) {
        Response response = given().redirects().follow(false).contentType(ContentType.URLENC)
                .formParam("j_username", account).formParam("j_password", password).post("/j_security_check");
        assertThat(response.statusCode()).isEqualTo(302);
        assertThat(response.header("Location")).endsWith("/ui");
        String session = response.cookie("tuner-session");
        assertThat(session).isNotBlank();
        return session;
    }

    /** A session cookie as Quarkus' form login makes it: AES-GCM under SHA-256 of the key, of "expiry:account". */
    static String mint(String key, long expiresAtMillis, String account) throws Exception {
        SecretKeySpec aes = new SecretKeySpec(MessageDigest.getInstance("SHA-256")
                .digest(key.getBytes(StandardCharsets.UTF_8)), "AES");
        byte[] iv = new byte[12];
        new SecureRandom().nextBytes(iv);
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(Cipher.ENCRYPT_MODE, aes, new GCMParameterSpec(128, iv));
        byte[] encrypted = cipher.doFinal((expiresAtMillis + ":" + account).getBytes(StandardCharsets.UTF_8));
        ByteBuffer message = ByteBuffer.allocate(1 + iv.length + encrypted.length);
        message.put((byte) iv.length).put(iv).put(encrypted);
        return Base64.getEncoder().encodeToString(message.array());
    }
}
