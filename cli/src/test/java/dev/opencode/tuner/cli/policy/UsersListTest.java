package dev.opencode.tuner.cli.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opencode.tuner.cli.Tuner;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code ./tuner users list}: the accounts as a table, or the service's JSON with {@code --format json}. */
class UsersListTest {
    @AfterEach
    void resetEnvironment() {
        PolicyOptions.useEnvironment(null);
    }

    @Test
    void listsTheAccountsAsTextOrJson() throws IOException {
        try (FakePolicyService service = new FakePolicyService()) {
            service.json("GET", "/api/v1/accounts", 200, "{\"accounts\": [{\"name\": \"admin\", \"roles\":"
                    + " [\"admin\"]}, {\"name\": \"carl\", \"roles\": [\"reviewer\"]}]}");
            PolicyOptions.useEnvironment(java.util.Map.of("TUNER_POLICY_URL", service.url(), "TUNER_USER", "erin",
                    "TUNER_PASSWORD", "erins-password-from-env")::get);

            StringWriter text = new StringWriter();
            int textCode = Tuner.run(new PrintWriter(text), new PrintWriter(new StringWriter()), "users", "list");
            StringWriter json = new StringWriter();
            int jsonCode = Tuner.run(new PrintWriter(json), new PrintWriter(new StringWriter()), "users", "list",
                    "--format", "json");

            assertThat(textCode).isZero();
            assertThat(text.toString()).containsPattern("admin +admin\\n").containsPattern("carl +reviewer\\n")
                    .endsWith("2 accounts.\n");
            assertThat(jsonCode).isZero();
            assertThat(PolicyApi.json().readTree(json.toString()).at("/accounts/1/name").asText()).isEqualTo("carl");
            assertThat(service.last().user()).isEqualTo("erin");
        }
    }
}
