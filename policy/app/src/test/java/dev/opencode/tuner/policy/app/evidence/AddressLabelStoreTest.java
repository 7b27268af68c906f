package dev.opencode.tuner.policy.app.evidence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opencode.tuner.dashboards.DashboardFiles;
import dev.opencode.tuner.policy.app.Eventually;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * The labels of blocked destinations reach PostgreSQL (for Grafana's panels), from dnsmasq and the range files; only
 * forward-confirmed names.
 */
@QuarkusTest
@WithTestResource(value = EvidenceStack.class, scope = TestResourceScope.MATCHING_RESOURCES)
class AddressLabelStoreTest {
    @Inject
    AddressLabelStore store;
    @Inject
    AddressLabels labels;
    @Inject
    DataSource dataSource;

    @Test
    void copiesKnownLabelsAndConfirmedNamesOfBlockedDestinationsAndRewritesOnlyChanges() throws Exception {
        sql("INSERT INTO destination_aggregate VALUES"
                + " ('labels-host', 'web', '52.94.1.10', 4, 1, '{443}', '{tcp}', '{tcp/443}', '{}', '{}', now(), now()),"
                + " ('labels-host', 'web', '203.0.113.9', 4, 1, '{443}', '{tcp}', '{tcp/443}', '{}', '{}', now(), now()),"
                + " ('labels-host', 'web', '198.18.0.77', 4, 1, '{443}', '{tcp}', '{tcp/443}', '{}', '{}', now(), now())"
                + " ON CONFLICT DO NOTHING");
        Eventually.await("both names are looked up, the confirmed one stored", Duration.ofSeconds(20), () -> {
            try {
                store.persist();
                return labels.labels("203.0.113.9").reverseName().status() == ReverseName.Status.FOUND_UNCONFIRMED
                        && text("SELECT reverse_dns FROM address_label WHERE address = '52.94.1.10'") != null;
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(text("SELECT reverse_dns FROM address_label WHERE address = '52.94.1.10'"))
                .isEqualTo("ec2-52-94-1-10.compute.example.test");
        assertThat(text("SELECT providers::text FROM address_label WHERE address = '52.94.1.10'"))
                .contains("\"provider\":\"aws\"").contains("us-east-1");
        // api.example.test does not resolve to 203.0.113.9: the claim is not copied (and no range holds the address).
        assertThat(text("SELECT count(*)::text FROM address_label WHERE address = '203.0.113.9'"
                + " AND reverse_dns IS NOT NULL")).isEqualTo("0");
        Eventually.await("the unlabelled address settles", Duration.ofSeconds(20), () -> {
            try {
                store.persist();
                return store.persist() == 0; // nothing changed since the run before
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(text("SELECT count(*)::text FROM address_label WHERE address = '198.18.0.77'")).isEqualTo("0");

        // The instance dashboard's "Top destinations" panel shows them next to the aggregates, and an address
        // without a label still has its row (empty name and provider).
        DashboardFiles.Query topDestinations = DashboardFiles.locate().queries().stream()
                .filter(q -> q.panelTitle().equals("Top destinations")).findFirst().orElseThrow();
        String panelSql = DashboardFiles.sql(topDestinations.text(), Instant.now().minusSeconds(3600), Instant.now(),
                Map.of("host", "labels-host", "instance", "web"));
        Map<String, List<String>> rows = new HashMap<>();
        try (var c = dataSource.getConnection(); var s = c.createStatement(); var r = s.executeQuery(panelSql)) {
            while (r.next()) {
                rows.put(r.getString("destination"), List.of(r.getString("reverse DNS"), r.getString("providers")));
            }
        }
        assertThat(rows.get("52.94.1.10").get(0)).isEqualTo("ec2-52-94-1-10.compute.example.test");
        assertThat(rows.get("52.94.1.10").get(1)).contains("aws EC2 us-east-1 (52.94.0.0/22)")
                .endsWith("aws AMAZON us-east-1 (52.94.0.0/16)"); // most specific first
        assertThat(rows).containsEntry("203.0.113.9", List.of("", ""))
                .containsEntry("198.18.0.77", List.of("", ""));
    }

    private void sql(String statement) throws SQLException {
        try (var c = dataSource.getConnection(); var s = c.createStatement()) {
            s.execute(statement);
        }
    }

    private String text(String query) {
        try (var c = dataSource.getConnection(); var s = c.createStatement(); var r = s.executeQuery(query)) {
            return r.next() ? r.getString(1) : null;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
