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
 * The labels of blocked destinations reach PostgreSQL (for Grafana's panels), from dnsmasq and the range files: only
 * what reviewers' lookups found, only forward-confirmed names, and the copy itself never sends a query.
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
    void copyingTheLabelsOfBlockedDestinationsSendsNoQuery() throws Exception {
        // Addresses no other test uses: nothing can have looked them up before.
        sql("INSERT INTO destination_aggregate VALUES"
                + " ('quiet-host', 'web', '52.94.1.77', 4, 1, '{443}', '{tcp}', '{tcp/443}', '{}', '{}', now(), now()),"
                + " ('quiet-host', 'web', '198.18.0.78', 4, 1, '{443}', '{tcp}', '{tcp/443}', '{}', '{}', now(), now())"
                + " ON CONFLICT DO NOTHING");

        for (int run = 0; run < 3; run++) {
            store.persist();
        }
        // A lookup asked for after the copies: once dnsmasq logged it, it had logged any query the copies sent.
        settled("192.0.2.78");
        Eventually.await("dnsmasq logged the marker's query", Duration.ofSeconds(10),
                () -> EvidenceStack.ptrQueries().contains(EvidenceStack.reverseName("192.0.2.78")));

        assertThat(EvidenceStack.ptrQueries()).contains(EvidenceStack.reverseName("192.0.2.78"))
                .doesNotContain(EvidenceStack.reverseName("52.94.1.77"), EvidenceStack.reverseName("198.18.0.78"));
        // The provider ranges are copied all the same; the name is not known, so it is empty.
        assertThat(text("SELECT providers::text FROM address_label WHERE address = '52.94.1.77'"))
                .contains("\"provider\":\"aws\"");
        assertThat(text("SELECT count(*)::text FROM address_label WHERE address = '52.94.1.77'"
                + " AND reverse_dns IS NULL")).isEqualTo("1");
        assertThat(text("SELECT count(*)::text FROM address_label WHERE address = '198.18.0.78'")).isEqualTo("0");
    }

    private AddressLabels.Labels settled(String address) {
        AddressLabels.Labels[] last = {null};
        Eventually.await("the lookup of " + address + " settles", Duration.ofSeconds(10), () -> {
            last[0] = labels.requested(address);
            return last[0].reverseName().status() != ReverseName.Status.PENDING;
        }, () -> String.valueOf(last[0]));
        return last[0];
    }

    @Test
    void copiesTheConfirmedNamesReviewersLookedUpAndRewritesOnlyChanges() throws Exception {
        sql("INSERT INTO destination_aggregate VALUES"
                + " ('labels-host', 'web', '52.94.1.10', 4, 1, '{443}', '{tcp}', '{tcp/443}', '{}', '{}', now(), now()),"
                + " ('labels-host', 'web', '203.0.113.9', 4, 1, '{443}', '{tcp}', '{tcp/443}', '{}', '{}', now(), now()),"
                + " ('labels-host', 'web', '198.18.0.77', 4, 1, '{443}', '{tcp}', '{tcp/443}', '{}', '{}', now(), now())"
                + " ON CONFLICT DO NOTHING");
        // As a reviewer's page or request would: 52.94.1.10's name confirms, 203.0.113.9's does not.
        assertThat(settled("52.94.1.10").reverseName().status()).isEqualTo(ReverseName.Status.FOUND);
        assertThat(settled("203.0.113.9").reverseName().status()).isEqualTo(ReverseName.Status.FOUND_UNCONFIRMED);

        store.persist();
        assertThat(text("SELECT reverse_dns FROM address_label WHERE address = '52.94.1.10'"))
                .isEqualTo("ec2-52-94-1-10.compute.example.test");
        assertThat(text("SELECT providers::text FROM address_label WHERE address = '52.94.1.10'"))
                .contains("\"provider\":\"aws\"").contains("us-east-1");
        // The unverified name is not copied (and 203.0.113.9 is in no provider range: no row at all).
        assertThat(text("SELECT count(*)::text FROM address_label WHERE address = '203.0.113.9'"
                + " AND reverse_dns IS NOT NULL")).isEqualTo("0");
        Eventually.await("a run finds nothing changed since the run before", Duration.ofSeconds(20), () -> {
            try {
                store.persist();
                return store.persist() == 0;
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
