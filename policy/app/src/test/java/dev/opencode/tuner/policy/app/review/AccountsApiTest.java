package dev.opencode.tuner.policy.app.review;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.opencode.tuner.policy.app.Api;
import dev.opencode.tuner.policy.app.PolicyStack;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;

/** Account management by admins (what ./tuner users calls): add, passwd, remove; passwords never logged. */
@QuarkusTest
@WithTestResource(value = PolicyStack.class, scope = TestResourceScope.MATCHING_RESOURCES)
class AccountsApiTest {
    @Test
    void anAdminAddsChangesAndRemovesAccountsAndGeneratedPasswordsAreAnsweredOnce() throws Exception {
        JsonNode added = Api.parse(Reviewers.as("dave").body("{\"name\": \"erin\", \"role\": \"reviewer\"}")
                .post("/api/v1/accounts").then().statusCode(201).extract().asString());
        String generated = added.get("password").asText();
        assertThat(generated).hasSize(32);
        given().auth().preemptive().basic("erin", generated).get("/api/v1/suggestions").then().statusCode(200);
        given().auth().preemptive().basic("erin", generated).get("/api/v1/accounts").then().statusCode(403);

        JsonNode again = Api.parse(Reviewers.as("dave").body("{\"name\": \"erin\", \"role\": \"viewer\"}")
                .post("/api/v1/accounts").then().statusCode(409).extract().asString());
        assertThat(again.get("error").asText()).contains("exists");

        String chosen = "a-long-enough-password";
        JsonNode changed = Api.parse(Reviewers.as("dave").body("{\"password\": \"" + chosen + "\"}")
                .put("/api/v1/accounts/erin/password").then().statusCode(200).extract().asString());
        assertThat(changed.get("password").isNull()).isTrue(); // chosen, so not echoed
        given().auth().preemptive().basic("erin", generated).get("/api/v1/suggestions").then().statusCode(401);
        given().auth().preemptive().basic("erin", chosen).get("/api/v1/suggestions").then().statusCode(200);

        JsonNode list = Api.parse(Reviewers.as("dave").get("/api/v1/accounts").then().statusCode(200).extract()
                .asString());
        assertThat(list.toString()).contains("\"erin\"").doesNotContain("$2");

        Reviewers.as("dave").delete("/api/v1/accounts/erin").then().statusCode(200);
        given().auth().preemptive().basic("erin", chosen).get("/api/v1/suggestions").then().statusCode(401);
        Reviewers.as("dave").delete("/api/v1/accounts/erin").then().statusCode(404);

        var accounts = PolicyStack.policyState().resolve("accounts");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(accounts))).isEqualTo("rw-------");
        String log = Files.readString(PolicyStack.LOG_FILE);
        assertThat(log).contains("API account 'erin' added").doesNotContain(generated).doesNotContain(chosen);
    }

    @Test
    void refusesBadBodiesNamingTheFieldAndNeverRemovesTheLastAdminOrYourself() {
        String[][] bad = {
            {"{\"name\": \"Bad Name\", \"role\": \"viewer\"}", "name"},
            {"{\"name\": \"frank\", \"role\": \"root\"}", "role"},
            {"{\"name\": \"frank\", \"role\": \"viewer\", \"password\": \"short\"}", "password"},
            {"{\"name\": \"frank\", \"role\": \"viewer\", \"pasword\": \"x\"}", "pasword"}};
        for (String[] b : bad) {
            JsonNode error = Api.parse(Reviewers.as("dave").body(b[0]).post("/api/v1/accounts").then()
                    .statusCode(400).extract().asString());
            assertThat(error.get("field").asText()).as(b[0]).isEqualTo(b[1]);
            assertThat(error.get("error").asText()).doesNotContain("short");
        }
        JsonNode self = Api.parse(Reviewers.as("dave").delete("/api/v1/accounts/dave").then().statusCode(422)
                .extract().asString());
        assertThat(self.get("field").asText()).isEqualTo("name");
        // admin and dave are the admins: dave may remove admin only while another admin remains.
        Api.parse(Reviewers.as("dave").body("{\"name\": \"gina\", \"role\": \"admin\", \"password\": \"gina-password-1\"}")
                .post("/api/v1/accounts").then().statusCode(201).extract().asString());
        given().auth().preemptive().basic("gina", "gina-password-1").contentType("application/json")
                .delete("/api/v1/accounts/gina").then().statusCode(422);
        Reviewers.as("dave").delete("/api/v1/accounts/gina").then().statusCode(200);
    }
}
