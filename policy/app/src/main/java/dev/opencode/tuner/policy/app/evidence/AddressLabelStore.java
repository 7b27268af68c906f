package dev.opencode.tuner.policy.app.evidence;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * Copies the known labels of recently blocked destinations (forward-confirmed reverse DNS name, provider ranges) from
 * {@link AddressLabels} into {@code address_label}, for the dashboards' PostgreSQL panels. It never starts a lookup:
 * the destinations are whatever the agents connected to, and looking each one up would let an agent have a query sent
 * for every address it likes to the reverse zone it runs. Names come from the lookups reviewers' pages and requests
 * made ({@code tuner.policy.evidence.dns.scope}); an unverified name is not copied. Only changed rows are written;
 * several policy instances may run it at once (the upsert is idempotent).
 */
@ApplicationScoped
public class AddressLabelStore {
    private static final Logger LOG = Logger.getLogger(AddressLabelStore.class);
    /** The most recently blocked destinations looked at per run: bounds the work. */
    static final int MAX_ADDRESSES = 20_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final AddressLabels labels;
    private final DataSource dataSource;

    AddressLabelStore(AddressLabels labels, DataSource dataSource) {
        this.labels = labels;
        this.dataSource = dataSource;
    }

    @Scheduled(every = "${tuner.policy.evidence.persist-interval:1m}", delayed = "20s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void scheduled() {
        try {
            persist();
        } catch (SQLException e) {
            LOG.warnf("copying address labels to PostgreSQL failed (retried at the next run): %s", e.getMessage());
        }
    }

    /** One run; returns how many rows were written. */
    public int persist() throws SQLException {
        List<String> addresses = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("""
                     SELECT destination FROM destination_aggregate GROUP BY destination
                      ORDER BY max(last_seen) DESC LIMIT ?""")) {
            s.setInt(1, MAX_ADDRESSES);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    addresses.add(r.getString(1));
                }
            }
        }
        List<String[]> rows = new ArrayList<>();
        for (String address : addresses) {
            AddressLabels.Labels l = labels.cached(address);
            if (l.reverseDns() == null && l.providers().isEmpty()) {
                continue;
            }
            ArrayNode providers = JSON.createArrayNode();
            for (ProviderRange p : l.providers()) {
                providers.addObject().put("provider", p.provider()).put("service", p.service())
                        .put("region", p.region()).put("cidr", p.cidr());
            }
            rows.add(new String[] {address, l.reverseDns(), providers.toString()});
        }
        if (rows.isEmpty()) {
            return 0;
        }
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("""
                     INSERT INTO address_label AS a (address, reverse_dns, providers)
                     SELECT u.a, u.r, u.p::json FROM unnest(?::text[], ?::text[], ?::text[]) AS u(a, r, p)
                     ON CONFLICT (address) DO UPDATE SET reverse_dns = excluded.reverse_dns,
                            providers = excluded.providers, updated_at = now()
                      WHERE a.reverse_dns IS DISTINCT FROM excluded.reverse_dns
                         OR a.providers::text IS DISTINCT FROM excluded.providers::text""")) {
            s.setArray(1, c.createArrayOf("text", rows.stream().map(r -> r[0]).toArray(String[]::new)));
            s.setArray(2, c.createArrayOf("text", rows.stream().map(r -> r[1]).toArray(String[]::new)));
            s.setArray(3, c.createArrayOf("text", rows.stream().map(r -> r[2]).toArray(String[]::new)));
            return s.executeUpdate();
        }
    }
}
