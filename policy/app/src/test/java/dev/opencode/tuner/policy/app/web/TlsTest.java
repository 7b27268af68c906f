package dev.opencode.tuner.policy.app.web;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.opencode.tuner.policy.app.Api;
import dev.opencode.tuner.policy.app.PolicyStack;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * HTTPS from PEM files (a certificate made by openssl in the test), the session cookie Secure over TLS only, and the
 * management interface still plain HTTP on loopback (it has no TLS settings of its own).
 */
@QuarkusTest
@TestProfile(TlsTest.WithCertificate.class)
@WithTestResource(value = PolicyStack.class, scope = TestResourceScope.MATCHING_RESOURCES)
class TlsTest {
    /** A self-signed certificate for 127.0.0.1, made with Debian's openssl before the service starts. */
    public static class WithCertificate implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            try {
                Path dir = Files.createTempDirectory("tuner-tls-test-");
                Path cert = dir.resolve("cert.pem");
                Path key = dir.resolve("key.pem");
                Process openssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key.toString(), "-out", cert.toString())
                        .redirectErrorStream(true).redirectOutput(dir.resolve("openssl.out").toFile()).start();
                if (!openssl.waitFor(60, TimeUnit.SECONDS) || openssl.exitValue() != 0) {
                    throw new IllegalStateException("openssl req failed: " + Files.readString(dir.resolve("openssl.out")));
                }
                return Map.of(
                        "quarkus.http.ssl.certificate.files", cert.toString(),
                        "quarkus.http.ssl.certificate.key-files", key.toString(),
                        "quarkus.http.test-ssl-port", "0",
                        "quarkus.http.insecure-requests", "enabled");
            } catch (IOException e) {
                throw new IllegalStateException("cannot make the test certificate: " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    @TestHTTPResource(value = "/", tls = true)
    URL https;

    @Test
    void theUiIsServedOverHttpsAndItsSessionCookieIsSecure() {
        assertThat(https.getProtocol()).isEqualTo("https");
        Response login = given().relaxedHTTPSValidation().baseUri("https://127.0.0.1").port(https.getPort())
                .redirects().follow(false).contentType(ContentType.URLENC)
                .formParam("j_username", "admin").formParam("j_password", Api.adminPassword())
                .post("/j_security_check");
        assertThat(login.statusCode()).isEqualTo(302);
        String setCookie = login.headers().getValues("Set-Cookie").stream()
                .filter(c -> c.startsWith("tuner-session=")).findFirst().orElseThrow();
        assertThat(setCookie).containsIgnoringCase("; Secure").containsIgnoringCase("HttpOnly")
                .containsIgnoringCase("SameSite=Strict");
        given().relaxedHTTPSValidation().baseUri("https://127.0.0.1").port(https.getPort()).redirects().follow(false)
                .cookie("tuner-session", login.cookie("tuner-session")).get("/ui").then().statusCode(200);
        given().relaxedHTTPSValidation().baseUri("https://127.0.0.1").port(https.getPort())
                .auth().preemptive().basic("admin", Api.adminPassword()).get("/api/v1/instances").then().statusCode(200);
    }

    @Test
    void theManagementInterfaceStaysOnPlainLoopbackHttpWhileTheApiServesHttps() {
        for (String path : List.of("/q/metrics", "/q/openapi", "/q/health")) {
            assertThat(given().relaxedHTTPSValidation().baseUri("https://127.0.0.1").port(https.getPort()).get(path)
                    .statusCode()).as(path + " over HTTPS on the API port").isEqualTo(404);
        }
        assertThat(Api.management().get("/q/health/live").statusCode()).isEqualTo(200);
        assertThat(Api.metrics()).contains("tuner_policy_records_consumed_total");
    }

    @Test
    void overPlainHttpTheCookieIsNotSecure() {
        Response login = given().redirects().follow(false).contentType(ContentType.URLENC)
                .formParam("j_username", "admin").formParam("j_password", Api.adminPassword())
                .post("/j_security_check");
        assertThat(login.statusCode()).isEqualTo(302);
        String setCookie = login.headers().getValues("Set-Cookie").stream()
                .filter(c -> c.startsWith("tuner-session=")).findFirst().orElseThrow();
        assertThat(setCookie).doesNotContainIgnoringCase("secure");
    }
}
