package dev.opencode.tuner.policy.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opencode.tuner.stack.PostgresCredentials;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * The host-state metrics of the dashboards (dashboards/README.md), from rows of the host tables in the real
 * PostgreSQL: each host's report age and problems, and per instance the allowlist entries in force and those unused
 * for {@code tuner.policy.metrics.unused-after} (30 days by default). And the read-only role of Grafana's SQL panels
 * can read the host tables, which a later migration (V5) created after the role's grants.
 */
@QuarkusTest
@WithTestResource(value = PolicyStack.class, scope = TestResourceScope.MATCHING_RESOURCES)
class HostStateMetricsTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Inject
    DataSource dataSource;

    @Test
    void publishesEachHostsReportAgeProblemsAndItsEntriesInForceAndUnused() throws Exception {
        String a = "hm-a-" + TestEvents.newId().substring(0, 8);
        String b = "hm-b-" + TestEvents.newId().substring(0, 8);
        sql("INSERT INTO host_state (host, read_at, problems) VALUES ('" + a + "', now() - interval '1200 seconds',"
                + " '[]'), ('" + b + "', now() - interval '30 seconds', '[\"nft exited with 1\"]')");
        String entry = "INSERT INTO host_allow_counter (host, instance, cidr, packets, bytes, first_reported,"
                + " last_used, reported_at) VALUES ";
        sql(entry + "('" + a + "', 'web', '10.0.0.0/8', 5, 300, now() - interval '90 days',"
                + " now() - interval '40 days', now()),"          // used, but not for 40 days: unused
                + " ('" + a + "', 'web', '10.1.0.0/16', 0, 0, now() - interval '40 days', NULL, now()),"  // never
                + " ('" + a + "', 'web', '10.2.0.0/16', 0, 0, now() - interval '1 day', NULL, now()),"   // too new
                + " ('" + a + "', 'web', '10.3.0.0/16', 9, 540, now() - interval '90 days',"
                + " now() - interval '1 hour', now()),"         // in use
                + " ('" + a + "', 'docs', '192.0.2.0/24', 1, 60, now() - interval '2 days', now(), now())");

        String webA = "{host=\"" + a + "\",opencode_instance=\"web\"}";
        String docsA = "{host=\"" + a + "\",opencode_instance=\"docs\"}";
        Eventually.await("the host-state metrics of " + a + " and " + b, WAIT, () -> {
            String m = metrics();
            double age = MetricsTest.value(m, "tuner_policy_host_state_age_seconds{host=\"" + a + "\"}");
            double ageB = MetricsTest.value(m, "tuner_policy_host_state_age_seconds{host=\"" + b + "\"}");
            return age >= 1200 && age < 1300 && ageB >= 30 && ageB < 130
                    && MetricsTest.value(m, "tuner_policy_host_state_problems{host=\"" + a + "\"}") == 0
                    && MetricsTest.value(m, "tuner_policy_host_state_problems{host=\"" + b + "\"}") == 1
                    && MetricsTest.value(m, "tuner_policy_allowlist_entries" + webA) == 4
                    && MetricsTest.value(m, "tuner_policy_allowlist_unused_entries" + webA) == 2
                    && MetricsTest.value(m, "tuner_policy_allowlist_entries" + docsA) == 1
                    && MetricsTest.value(m, "tuner_policy_allowlist_unused_entries" + docsA) == 0;
        }, HostStateMetricsTest::metrics);
        assertThat(metrics()).doesNotContain("tuner_policy_allowlist_entries{host=\"" + b + "\"");

        // A clean report without the instance docs: its entries are no longer in force. A report with problems
        // arrives for a: the gauge says so, and the age restarts from the new read. Host b is decommissioned (its
        // row deleted): its series end instead of an age growing forever.
        sql("DELETE FROM host_state WHERE host = '" + b + "'");
        sql("DELETE FROM host_allow_counter WHERE host = '" + a + "' AND instance = 'docs'");
        sql("UPDATE host_state SET read_at = now(), problems = '[\"table inet opencode_egress missing\"]'"
                + " WHERE host = '" + a + "'");
        Eventually.await("docs of " + a + " gone and the problem of " + a + " shown", WAIT, () -> {
            String m = metrics();
            return MetricsTest.value(m, "tuner_policy_allowlist_entries" + docsA) == 0
                    && MetricsTest.value(m, "tuner_policy_host_state_problems{host=\"" + a + "\"}") == 1
                    && MetricsTest.value(m, "tuner_policy_host_state_age_seconds{host=\"" + a + "\"}") < 100
                    && MetricsTest.value(m, "tuner_policy_allowlist_entries" + webA) == 4
                    && MetricsTest.value(m, "tuner_policy_host_state_age_seconds{host=\"" + b + "\"}") == -1
                    && MetricsTest.value(m, "tuner_policy_host_state_problems{host=\"" + b + "\"}") == -1;
        }, HostStateMetricsTest::metrics);
    }

    @Test
    void theReadOnlyGrafanaRoleCanReadTheHostTablesAndNotWriteThem() throws Exception {
        PostgresCredentials grafana = PostgresCredentials.load(PolicyStack.grafanaCredentials());
        assertThat(grafana.user()).isEqualTo("tuner_grafana");
        try (Connection c = grafana.connect(); Statement s = c.createStatement()) {
            for (String table : new String[] {"host_state", "host_allow_counter", "host_blocked_counter"}) {
                try (ResultSet r = s.executeQuery("SELECT count(*) FROM " + table)) {
                    assertThat(r.next()).as(table).isTrue();
                }
            }
            s.execute("SET default_transaction_read_only = off");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> s.executeUpdate("DELETE FROM host_state"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("permission denied");
        }
    }

    private void sql(String statement) throws SQLException {
        try (Connection connection = dataSource.getConnection(); Statement s = connection.createStatement()) {
            s.execute(statement);
        }
    }

    private static String metrics() {
        return Api.metrics();
    }
}
