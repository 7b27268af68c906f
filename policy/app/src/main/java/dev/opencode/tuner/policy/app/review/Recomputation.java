package dev.opencode.tuner.policy.app.review;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opencode.tuner.policy.app.suggest.AggregateReader;
import dev.opencode.tuner.policy.app.suggest.SuggestionViews;
import dev.opencode.tuner.suggest.Allowlist;
import dev.opencode.tuner.suggest.Cidrs;
import dev.opencode.tuner.suggest.DestinationStats;
import dev.opencode.tuner.suggest.InstanceAggregate;
import dev.opencode.tuner.suggest.InstanceSuggestions;
import dev.opencode.tuner.suggest.Suggestion;
import inet.ipaddr.IPAddress;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * Keeps the {@code suggestion} rows of each instance up to date with its aggregates, incrementally: only instances
 * whose aggregates changed since their last computation (their event count or {@code updated_at} moved), or whose
 * allowlist a decision changed, are computed again. Runs on a schedule and on request (before a list is served).
 *
 * <p>Several policy instances may run it at once: each instance's computation holds a transaction-scoped advisory
 * lock on (host, instance), which decisions take too, and checks again under the lock that it is still needed.
 */
@ApplicationScoped
public class Recomputation {
    private static final Logger LOG = Logger.getLogger(Recomputation.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final String STALE = """
            SELECT i.host, i.instance
              FROM instance_aggregate i
              LEFT JOIN suggestion_run r ON r.host = i.host AND r.instance = i.instance
             WHERE %s
               AND (r.host IS NULL OR r.stale OR i.events <> r.events OR i.updated_at > r.aggregates_at)
             ORDER BY i.host, i.instance
            """;

    private static final String STATE_UNDER_LOCK = """
            SELECT i.events, i.updated_at, now(), r.events, r.aggregates_at, r.stale
              FROM instance_aggregate i
              LEFT JOIN suggestion_run r ON r.host = i.host AND r.instance = i.instance
             WHERE i.host = ? AND i.instance = ?
            """;

    private static final String EFFECTIVE_ALLOWLIST = """
            SELECT cidr::text FROM allowlist_entry WHERE host = ? AND instance = ?
            UNION
            SELECT cidr::text FROM accepted_entry WHERE host = ? AND instance = ?
            """;

    private static final String ROWS = """
            SELECT s.id, s.cidr::text, s.state, s.snoozed_until, s.decided_ports, s.rejected_decision, d.decided_at,
                   s.accepted_cidr::text, s.updated_at
              FROM suggestion s LEFT JOIN decision d ON d.id = s.rejected_decision
             WHERE s.host = ? AND s.instance = ? AND s.kind = 'add'
            """;

    private static final String INSERT = """
            INSERT INTO suggestion (id, host, instance, cidr, state, stable, events, ports, protocols, services,
                                    first_seen, last_seen, evidence, rejected_decision, reopened)
            VALUES (?, ?, ?, ?::cidr, 'pending', ?, ?, ?, ?, ?, ?, ?, ?::json, ?, ?)
            """;

    private static final String UPDATE = """
            UPDATE suggestion
               SET stable = ?, events = ?, ports = ?, protocols = ?, services = ?, first_seen = ?, last_seen = ?,
                   evidence = ?::json, updated_at = now(),
                   pending_since = CASE WHEN state <> 'pending' AND ? = 'pending' THEN now() ELSE pending_since END,
                   approved_by = CASE WHEN state = 'pending' AND ? = 'pending' THEN approved_by ELSE '{}' END,
                   approved_cidr = CASE WHEN state = 'pending' AND ? = 'pending' THEN approved_cidr END,
                   snoozed_until = CASE WHEN ? = 'snoozed' THEN snoozed_until END,
                   superseded_by = NULL,
                   reopened = ?,
                   state = ?, version = version + 1
             WHERE id = ?
            """;

    private static final String SUPERSEDE = """
            UPDATE suggestion
               SET state = 'superseded', superseded_by = ?, approved_by = '{}', approved_cidr = NULL,
                   snoozed_until = NULL, updated_at = now(), version = version + 1
             WHERE id = ?
            """;

    private static final String RUN = """
            INSERT INTO suggestion_run (host, instance, computed_at, aggregates_at, events, destinations, refused,
                                        already_allowed, stale)
            VALUES (?, ?, now(), ?, ?, ?, ?::json, ?::json, false)
            ON CONFLICT (host, instance) DO UPDATE
               SET computed_at = now(), aggregates_at = excluded.aggregates_at, events = excluded.events,
                   destinations = excluded.destinations, refused = excluded.refused,
                   already_allowed = excluded.already_allowed, stale = false
            """;

    private final DataSource dataSource;
    private final ReviewRules rules;
    private final ReviewMetrics metrics;

    Recomputation(DataSource dataSource, ReviewRules rules, ReviewMetrics metrics) {
        this.dataSource = dataSource;
        this.rules = rules;
        this.metrics = metrics;
    }

    @Scheduled(every = "${tuner.policy.review.recompute-interval}", delayed = "5s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void scheduled() {
        try {
            recomputeStale(null, null);
        } catch (SQLException e) {
            // The next run tries again; lists recompute on request meanwhile.
            LOG.warnf("recomputing suggestions failed: SQLState %s: %s", e.getSQLState(), e.getMessage());
        }
    }

    /** Computes again the selected instances (null selects all) whose aggregates or allowlist changed. */
    public int recomputeStale(String host, String instance) throws SQLException {
        List<String[]> stale = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(
                STALE.formatted(ReviewService.filters("i", host, instance)))) {
            ReviewService.bind(s, host, instance);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    stale.add(new String[] {r.getString(1), r.getString(2)});
                }
            }
        }
        int computed = 0;
        for (String[] key : stale) {
            if (recompute(key[0], key[1])) {
                computed++;
            }
        }
        return computed;
    }

    /** Takes the advisory lock of one instance for the rest of the caller's transaction. */
    static void lockInstance(Connection c, String host, String instance) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "SELECT pg_advisory_xact_lock(hashtextextended('tuner.review' || chr(1) || ? || chr(1) || ?, 0))")) {
            s.setString(1, host);
            s.setString(2, instance);
            s.execute();
        }
    }

    /** Marks an instance for recomputation (its effective allowlist changed), in the caller's transaction. */
    static void markStale(Connection c, String host, String instance) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "UPDATE suggestion_run SET stale = true WHERE host = ? AND instance = ?")) {
            s.setString(1, host);
            s.setString(2, instance);
            s.executeUpdate();
        }
    }

    /** Computes one instance's suggestions again if still needed; true when it did. */
    public boolean recompute(String host, String instance) throws SQLException {
        long started = System.nanoTime();
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                boolean done = recompute(c, host, instance);
                c.commit();
                if (done) {
                    metrics.recomputed(System.nanoTime() - started);
                }
                return done;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        }
    }

    private boolean recompute(Connection c, String host, String instance) throws SQLException {
        lockInstance(c, host, instance);
        // Read committed: the instance's counters are read before its destinations, so what is recorded is never
        // newer than what was computed from (a batch committed in between is computed again next time).
        long events;
        Timestamp updatedAt;
        Instant now;
        try (PreparedStatement s = c.prepareStatement(STATE_UNDER_LOCK)) {
            s.setString(1, host);
            s.setString(2, instance);
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    return false;
                }
                events = r.getLong(1);
                updatedAt = r.getTimestamp(2);
                now = r.getObject(3, OffsetDateTime.class).toInstant();
                boolean known = r.getObject(4) != null;
                if (known && r.getLong(4) == events && !r.getTimestamp(5).before(updatedAt) && !r.getBoolean(6)) {
                    return false; // another policy instance did it while this one waited for the lock
                }
            }
        }
        List<InstanceAggregate> aggregates = AggregateReader.destinations(c, host, instance);
        InstanceAggregate aggregate = aggregates.isEmpty() ? InstanceAggregate.restore(host, instance, List.of())
                : aggregates.get(0);
        List<String> effective = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement(EFFECTIVE_ALLOWLIST)) {
            s.setString(1, host);
            s.setString(2, instance);
            s.setString(3, host);
            s.setString(4, instance);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    effective.add(r.getString(1));
                }
            }
        }
        Map<String, Row> rows = new LinkedHashMap<>();
        try (PreparedStatement s = c.prepareStatement(ROWS)) {
            s.setString(1, host);
            s.setString(2, instance);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    Row row = new Row(r.getObject(1, UUID.class), Cidrs.format(Cidrs.parse(r.getString(2))), r.getString(3),
                            instant(r, 4), ints(r, 5), (Long) r.getObject(6), instant(r, 7), r.getString(8),
                            instant(r, 9));
                    rows.put(row.cidr, row);
                }
            }
        }

        // Remembered rejections: a rejected CIDR is held back (subtracted like the allowlist) unless a new port
        // was seen inside it since, or the rejection is older than reopen-after.
        Instant reopenHorizon = now.minus(rules.config().reopenAfter());
        List<String> subtracted = new ArrayList<>(effective);
        List<Row> reopening = new ArrayList<>();
        for (Row row : rows.values()) {
            if (row.state.equals("removed")) {
                // An entry taken out by an accepted removal stays out until it is blocked again after that.
                String removed = row.acceptedCidr != null ? row.acceptedCidr : row.cidr;
                if (!blockedSince(aggregate, removed, row.updatedAt)) {
                    subtracted.add(removed);
                }
                continue;
            }
            if (!row.state.equals("rejected")) {
                continue;
            }
            boolean old = row.rejectedAt == null || row.rejectedAt.isBefore(reopenHorizon);
            boolean newPort = !row.decidedPorts.containsAll(ports(aggregate, row.cidr));
            if (old || newPort) {
                reopening.add(row);
            } else {
                subtracted.add(row.cidr);
            }
        }
        Allowlist effectiveAllowlist = Allowlist.of(effective);
        InstanceSuggestions result = rules.suggester().suggest(aggregate, Allowlist.of(subtracted));

        Map<String, Suggestion> computed = new LinkedHashMap<>();
        for (Suggestion s : result.suggestions()) {
            computed.put(s.cidr(), s);
        }
        try (PreparedStatement insert = c.prepareStatement(INSERT);
             PreparedStatement update = c.prepareStatement(UPDATE)) {
            for (Suggestion s : computed.values()) {
                Row row = rows.get(s.cidr());
                boolean stable = rules.stable(s);
                String evidence = evidence(s);
                if (row == null) {
                    Row rejection = overlappingRejection(reopening, s.cidr());
                    int i = 1;
                    insert.setObject(i++, ReviewIds.of(host, instance, s.cidr()));
                    insert.setString(i++, host);
                    insert.setString(i++, instance);
                    insert.setString(i++, s.cidr());
                    insert.setBoolean(i++, stable);
                    i = setEvidence(c, insert, i, s);
                    insert.setString(i++, evidence);
                    insert.setObject(i++, rejection == null ? null : rejection.rejectedDecision);
                    insert.setBoolean(i, rejection != null);
                    insert.addBatch();
                    continue;
                }
                String state = switch (row.state) {
                    case "snoozed" -> row.snoozedUntil != null && row.snoozedUntil.isAfter(now) ? "snoozed" : "pending";
                    case "rejected", "superseded", "removed" -> "pending"; // a rejection reopened, a fold undone,
                                                                          // a removed entry blocked again
                    default -> row.state; // pending, or decided: new events never reopen a decision by themselves
                };
                boolean reopened = row.state.equals("rejected") || (row.reopened() && state.equals("pending"));
                int i = 1;
                update.setBoolean(i++, stable);
                i = setEvidence(c, update, i, s);
                update.setString(i++, evidence);
                update.setString(i++, state);
                update.setString(i++, state);
                update.setString(i++, state);
                update.setString(i++, state);
                update.setBoolean(i++, reopened);
                update.setString(i++, state);
                update.setObject(i, row.id);
                update.addBatch();
            }
            insert.executeBatch();
            update.executeBatch();
        }
        // Open suggestions that the engine no longer makes were folded into a broader one, or are now covered by
        // the allowlist; a reopened rejection that folded into a broader suggestion goes the same way.
        try (PreparedStatement supersede = c.prepareStatement(SUPERSEDE)) {
            for (Row row : rows.values()) {
                boolean open = row.state.equals("pending") || row.state.equals("snoozed")
                        || (row.state.equals("rejected") && reopening.contains(row));
                if (!open || computed.containsKey(row.cidr)) {
                    continue;
                }
                supersede.setObject(1, covering(host, instance, row.cidr, computed.keySet(), rows.values()));
                supersede.setObject(2, row.id);
                supersede.addBatch();
            }
            supersede.executeBatch();
        }
        List<DestinationStats> alreadyAllowed = new ArrayList<>();
        for (DestinationStats d : result.alreadyAllowed()) {
            if (effectiveAllowlist.covers(d.ip())) {
                alreadyAllowed.add(d); // not those held back by a rejection
            }
        }
        SuggestionViews.InstanceView view = SuggestionViews.of(new InstanceSuggestions(host, instance,
                result.events(), result.destinations(), List.of(), result.refused(), alreadyAllowed));
        try (PreparedStatement run = c.prepareStatement(RUN)) {
            run.setString(1, host);
            run.setString(2, instance);
            run.setTimestamp(3, updatedAt);
            run.setLong(4, events);
            run.setInt(5, result.destinations());
            run.setString(6, json(view.refused()));
            run.setString(7, json(view.alreadyAllowed()));
            run.executeUpdate();
        }
        return true;
    }

    private static int setEvidence(Connection c, PreparedStatement s, int i, Suggestion g) throws SQLException {
        s.setLong(i++, g.events());
        s.setArray(i++, c.createArrayOf("integer", g.ports().toArray(new Integer[0])));
        s.setArray(i++, c.createArrayOf("text", g.protocols().toArray(new String[0])));
        s.setArray(i++, c.createArrayOf("text", g.services().toArray(new String[0])));
        s.setObject(i++, g.firstSeen() == null ? null : OffsetDateTime.ofInstant(g.firstSeen(), java.time.ZoneOffset.UTC));
        s.setObject(i++, g.lastSeen() == null ? null : OffsetDateTime.ofInstant(g.lastSeen(), java.time.ZoneOffset.UTC));
        return i;
    }

    /** The covered destinations, as the API shows them. */
    static String evidence(Suggestion s) {
        SuggestionViews.InstanceView view = SuggestionViews.of(new InstanceSuggestions("", "", s.events(), 0,
                List.of(s), List.of(), List.of()));
        return json(view.suggestions().get(0).addresses());
    }

    private static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write evidence as JSON", e);
        }
    }

    /** Whether a destination inside the CIDR was blocked after {@code since}. */
    private static boolean blockedSince(InstanceAggregate aggregate, String cidr, Instant since) {
        IPAddress block = Cidrs.parse(cidr);
        for (DestinationStats d : aggregate.destinations()) {
            if (block.contains(d.ip()) && d.lastSeen() != null && since != null && d.lastSeen().isAfter(since)) {
                return true;
            }
        }
        return false;
    }

    /** The ports seen inside a CIDR. */
    private static Set<Integer> ports(InstanceAggregate aggregate, String cidr) {
        IPAddress block = Cidrs.parse(cidr);
        Set<Integer> ports = new TreeSet<>();
        for (DestinationStats d : aggregate.destinations()) {
            if (block.contains(d.ip())) {
                ports.addAll(d.ports());
            }
        }
        return ports;
    }

    private static Row overlappingRejection(List<Row> reopening, String cidr) {
        IPAddress block = Cidrs.parse(cidr);
        for (Row row : reopening) {
            if (Cidrs.parse(row.cidr).overlaps(block)) {
                return row;
            }
        }
        return null;
    }

    /** The suggestion that now covers a superseded one: a new one, else an accepted one; null when neither. */
    private static UUID covering(String host, String instance, String cidr, Set<String> computed,
                                 Iterable<Row> rows) {
        IPAddress block = Cidrs.parse(cidr);
        for (String c : computed) {
            if (Cidrs.parse(c).overlaps(block)) {
                return ReviewIds.of(host, instance, c);
            }
        }
        for (Row row : rows) {
            if (row.acceptedCidr != null && Cidrs.parse(row.acceptedCidr).overlaps(block)) {
                return row.id;
            }
        }
        return null;
    }

    private static Instant instant(ResultSet r, int column) throws SQLException {
        OffsetDateTime t = r.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    private static Set<Integer> ints(ResultSet r, int column) throws SQLException {
        java.sql.Array array = r.getArray(column);
        Set<Integer> out = new HashSet<>();
        if (array != null) {
            for (Object v : (Object[]) array.getArray()) {
                out.add((Integer) v);
            }
            array.free();
        }
        return out;
    }

    private record Row(UUID id, String cidr, String state, Instant snoozedUntil, Set<Integer> decidedPorts,
                       Long rejectedDecision, Instant rejectedAt, String acceptedCidr, Instant updatedAt) {
        boolean reopened() {
            return rejectedDecision != null && !state.equals("rejected");
        }
    }
}
