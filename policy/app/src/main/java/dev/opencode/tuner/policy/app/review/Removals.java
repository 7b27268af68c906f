package dev.opencode.tuner.policy.app.review;

import dev.opencode.tuner.policy.app.PolicyConfig;
import dev.opencode.tuner.suggest.Cidrs;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quarkus.runtime.Startup;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.UUID;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * Removal suggestions (kind {@code remove}): an entry of the generated file (an accepted addition, {@code
 * accepted_entry}) whose counter on the host has not moved for {@code tuner.policy.removal.unused-after} is suggested
 * for removal, and reviewed like an addition. Entries in force that the exporter did not write (hand-written) are
 * only listed ({@link #unused}), never suggested.
 *
 * <p>The lifecycle after the review, after Netflix Repokid (announce, then remove only what was announced): the
 * exporter announces an accepted removal in the host's pull request ({@link #markAnnounced}), and drops the entry
 * from the file only once {@code notice-period} has passed since that announcement ({@link #markRemoved}). A counter
 * that moves before the entry left the file withdraws the removal: the suggestion becomes {@code superseded}, with a
 * {@code withdrawn} decision by {@value #ACTOR} in the audit trail, and the entry stays.
 *
 * <p>Each instance is brought up to date in its own transaction under the instance's advisory lock, which
 * recomputation and decisions take too.
 */
@ApplicationScoped
@Startup // a bad tuner.policy.removal.* value stops the service at start, naming the key
public class Removals {
    private static final Logger LOG = Logger.getLogger(Removals.class);
    /** The actor of the service's own withdrawals in the audit trail. */
    public static final String ACTOR = "tuner";

    /** Accepted entries whose counter has not moved for unused-after: the removal candidates. */
    private static final String CANDIDATES = """
            SELECT a.host, a.instance, a.cidr::text, a.suggestion_id, h.packets, h.last_used,
                   coalesce(h.last_used, h.first_reported)
              FROM accepted_entry a
              JOIN host_allow_counter h ON h.host = a.host AND h.instance = a.instance AND h.cidr = a.cidr
             WHERE (?::text IS NULL OR a.host = ?) AND (?::text IS NULL OR a.instance = ?)
               AND coalesce(h.last_used, h.first_reported) <= now() - ? * interval '1 second'
             ORDER BY a.host, a.instance, a.cidr
            """;

    /** Open removals (pending, snoozed, or accepted and still in the file) with what the host says now. */
    private static final String OPEN = """
            SELECT r.id, r.host, r.instance, r.cidr::text, r.unused_since, h.last_used, h.packets, t.state
              FROM suggestion r
              LEFT JOIN host_allow_counter h ON h.host = r.host AND h.instance = r.instance AND h.cidr = r.cidr
              LEFT JOIN suggestion t ON t.id = r.removes
             WHERE r.kind = 'remove' AND r.state IN ('pending', 'snoozed', 'accepted')
               AND (?::text IS NULL OR r.host = ?) AND (?::text IS NULL OR r.instance = ?)
             ORDER BY r.host, r.instance
            """;

    private static final String INSERT = """
            INSERT INTO suggestion (id, host, instance, cidr, kind, removes, state, stable, events, ports, protocols,
                                    services, evidence, packets, last_used, unused_since)
            VALUES (?, ?, ?, ?::cidr, 'remove', ?, 'pending', true, 0, '{}', '{}', '{}', '[]', ?, ?, ?)
            """;

    private final DataSource dataSource;
    private final ReviewRules rules;
    private final Duration unusedAfter;
    private final Duration noticePeriod;
    /** {@code tuner_policy_removals_total{step}}: what this service instance did to removal suggestions. */
    private final Counter suggestedCount;
    private final Counter withdrawnCount;
    private final Counter announcedCount;
    private final Counter removedCount;

    @Inject
    Removals(DataSource dataSource, ReviewRules rules, PolicyConfig config, MeterRegistry registry) {
        this(dataSource, rules, config.removal().unusedAfter(), config.removal().noticePeriod(), registry);
    }

    Removals(DataSource dataSource, ReviewRules rules, Duration unusedAfter, Duration noticePeriod,
             MeterRegistry registry) {
        this.dataSource = dataSource;
        this.rules = rules;
        this.unusedAfter = positive("tuner.policy.removal.unused-after", unusedAfter);
        this.noticePeriod = positive("tuner.policy.removal.notice-period", noticePeriod);
        MeterRegistry meters = registry == null ? new SimpleMeterRegistry() : registry;
        this.suggestedCount = step(meters, "suggested", "unused generated entries suggested for removal");
        this.withdrawnCount = step(meters, "withdrawn", "removals withdrawn because the entry was used again or left"
                + " the generated file");
        this.announcedCount = step(meters, "announced", "accepted removals announced in a pull request");
        this.removedCount = step(meters, "removed", "removals whose entry the generated file dropped");
    }

    private static Counter step(MeterRegistry registry, String step, String what) {
        return Counter.builder("tuner.policy.removals").tag("step", step)
                .description("Removal suggestions by step (" + step + ": " + what + ")").register(registry);
    }

    static Duration positive(String key, Duration value) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(key + " must be a positive duration (e.g. 30d, 7d, 12h), got "
                    + value);
        }
        return value;
    }

    public Duration unusedAfter() {
        return unusedAfter;
    }

    public Duration noticePeriod() {
        return noticePeriod;
    }

    /** The id of the removal suggestion of one entry: like an addition's, over a CIDR text no addition can have. */
    public static UUID id(String host, String instance, String cidr) {
        return ReviewIds.of(host, instance, "remove " + Cidrs.format(Cidrs.parse(cidr)));
    }

    @Scheduled(every = "${tuner.policy.removal.check-interval}", delayed = "10s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void scheduled() {
        try {
            refresh(null);
        } catch (SQLException e) {
            LOG.warnf("updating the removal suggestions failed (tried again in tuner.policy.removal.check-interval):"
                    + " SQLState %s: %s", e.getSQLState(), e.getMessage());
        }
    }

    /** What one refresh did. */
    public record Refresh(int suggested, int withdrawn) {
    }

    /**
     * Brings the removal suggestions of {@code host} (null: every host) up to date: unused generated entries become
     * (or become again) pending removal suggestions, and open removals whose entry was used again, or left the
     * generated file by another way, are withdrawn.
     */
    public Refresh refresh(String host) throws SQLException {
        TreeSet<String> instances = new TreeSet<>();
        try (Connection c = dataSource.getConnection()) {
            try (PreparedStatement s = c.prepareStatement(CANDIDATES)) {
                bind(s, host, null, 1);
                s.setLong(5, unusedAfter.toSeconds());
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        instances.add(r.getString(1) + '\0' + r.getString(2));
                    }
                }
            }
            try (PreparedStatement s = c.prepareStatement(OPEN)) {
                bind(s, host, null, 1);
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        instances.add(r.getString(2) + '\0' + r.getString(3));
                    }
                }
            }
        }
        int suggested = 0;
        int withdrawn = 0;
        for (String key : instances) {
            String[] hi = key.split("\0", 2);
            Refresh one = refresh(hi[0], hi[1]);
            suggested += one.suggested();
            withdrawn += one.withdrawn();
        }
        suggestedCount.increment(suggested);
        withdrawnCount.increment(withdrawn);
        return new Refresh(suggested, withdrawn);
    }

    private Refresh refresh(String host, String instance) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                Recomputation.lockInstance(c, host, instance);
                int withdrawn = withdraw(c, host, instance);
                int suggested = suggest(c, host, instance);
                c.commit();
                return new Refresh(suggested, withdrawn);
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        }
    }

    /** Withdraws the open removals of an instance whose entry was used again or is no longer generated. */
    private static int withdraw(Connection c, String host, String instance) throws SQLException {
        List<Object[]> withdrawals = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement(OPEN)) {
            bind(s, host, instance, 1);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    UUID id = r.getObject(1, UUID.class);
                    Instant unusedSince = instant(r, 5);
                    Instant lastUsed = instant(r, 6);
                    String target = r.getString(8);
                    if (lastUsed != null && unusedSince != null && lastUsed.isAfter(unusedSince)) {
                        withdrawals.add(new Object[] {id, "used again: the host reported its counter moving at "
                                + lastUsed + " (" + r.getLong(7) + " packets); the entry stays"});
                    } else if (target == null || !List.of("accepted", "exported", "merged", "deployed")
                            .contains(target)) {
                        withdrawals.add(new Object[] {id, "the entry is no longer in the generated file (its"
                                + " addition is " + target + ")"});
                    }
                }
            }
        }
        for (Object[] w : withdrawals) {
            UUID id = (UUID) w[0];
            ReviewService.record(c, id, null, "withdrawn", ACTOR, (String) w[1], null);
            try (PreparedStatement s = c.prepareStatement("""
                    UPDATE suggestion SET state = 'superseded', superseded_by = NULL, approved_by = '{}',
                           approved_cidr = NULL, snoozed_until = NULL, announced_at = NULL, remove_after = NULL,
                           updated_at = now(), version = version + 1
                     WHERE id = ?""")) {
                s.setObject(1, id);
                s.executeUpdate();
            }
            LOG.infof("removal suggestion %s of %s/%s withdrawn: %s", ReviewIds.hex(id), host, instance, w[1]);
        }
        return withdrawals.size();
    }

    /** Suggests removing the unused generated entries of an instance; answers how many became pending. */
    private int suggest(Connection c, String host, String instance) throws SQLException {
        record Candidate(String cidr, UUID addition, long packets, Instant lastUsed, Instant unusedSince) {
        }
        List<Candidate> candidates = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement(CANDIDATES)) {
            bind(s, host, instance, 1);
            s.setLong(5, unusedAfter.toSeconds());
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    candidates.add(new Candidate(Cidrs.format(Cidrs.parse(r.getString(3))),
                            r.getObject(4, UUID.class), r.getLong(5), instant(r, 6), instant(r, 7)));
                }
            }
        }
        Instant reopenHorizon = now(c).minus(rules.config().reopenAfter());
        int suggested = 0;
        for (Candidate k : candidates) {
            UUID id = id(host, instance, k.cidr);
            String state = null;
            Instant rejectedAt = null;
            try (PreparedStatement s = c.prepareStatement("""
                    SELECT s.state, d.decided_at FROM suggestion s LEFT JOIN decision d ON d.id = s.rejected_decision
                     WHERE s.id = ? FOR UPDATE OF s""")) {
                s.setObject(1, id);
                try (ResultSet r = s.executeQuery()) {
                    if (r.next()) {
                        state = r.getString(1);
                        rejectedAt = instant(r, 2);
                    }
                }
            }
            if (state == null) {
                try (PreparedStatement s = c.prepareStatement(INSERT)) {
                    s.setObject(1, id);
                    s.setString(2, host);
                    s.setString(3, instance);
                    s.setString(4, k.cidr);
                    s.setObject(5, k.addition);
                    s.setLong(6, k.packets);
                    s.setObject(7, time(k.lastUsed));
                    s.setObject(8, time(k.unusedSince));
                    s.executeUpdate();
                }
                suggested++;
                continue;
            }
            // pending, snoozed: the evidence is refreshed. superseded (withdrawn): unused for a whole window again.
            // rejected: remembered until reopen-after. exported, merged, deployed: an earlier removal whose entry was
            // accepted again since, so a new round. accepted: announced or about to be, left alone.
            boolean reopen = switch (state) {
                case "superseded", "exported", "merged", "deployed" -> true;
                case "rejected" -> rejectedAt == null || rejectedAt.isBefore(reopenHorizon);
                default -> false;
            };
            if (!reopen && !state.equals("pending") && !state.equals("snoozed")) {
                continue;
            }
            try (PreparedStatement s = c.prepareStatement("""
                    UPDATE suggestion
                       SET removes = ?, packets = ?, last_used = ?, unused_since = ?, updated_at = now(),
                           state = CASE WHEN ? THEN 'pending' ELSE state END,
                           pending_since = CASE WHEN ? THEN now() ELSE pending_since END,
                           reopened = CASE WHEN ? THEN state = 'rejected' ELSE reopened END,
                           approved_by = CASE WHEN ? THEN '{}' ELSE approved_by END,
                           approved_cidr = CASE WHEN ? THEN NULL ELSE approved_cidr END,
                           accepted_cidr = CASE WHEN ? THEN NULL ELSE accepted_cidr END,
                           accepted_decision = CASE WHEN ? THEN NULL ELSE accepted_decision END,
                           announced_at = CASE WHEN ? THEN NULL ELSE announced_at END,
                           remove_after = CASE WHEN ? THEN NULL ELSE remove_after END,
                           superseded_by = NULL, version = version + 1
                     WHERE id = ?""")) {
                int i = 1;
                s.setObject(i++, k.addition);
                s.setLong(i++, k.packets);
                s.setObject(i++, time(k.lastUsed));
                s.setObject(i++, time(k.unusedSince));
                for (int j = 0; j < 9; j++) {
                    s.setBoolean(i++, reopen);
                }
                s.setObject(i, id);
                s.executeUpdate();
            }
            if (reopen) {
                suggested++;
            }
        }
        return suggested;
    }

    // ------------------------------------------------------------------------------------------- the listing

    /** An entry in force on a host whose counter has not moved for unused-after. */
    public record UnusedEntry(String host, String instance, String cidr, String source, long packets,
                              Instant firstReported, Instant lastUsed, Instant unusedSince, UUID removal,
                              String removalState) {
    }

    /**
     * The entries in force on the selected hosts and instances (null: all) whose counter has not moved for
     * unused-after: {@code generated} ones (in the generated file; their removal suggestion, if any, is named) and
     * {@code hand-written} ones (the host allows them, the exporter did not write them: for manual removal only).
     */
    public List<UnusedEntry> unused(String host, String instance) throws SQLException {
        List<UnusedEntry> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement("""
                SELECT h.host, h.instance, h.cidr::text, a.suggestion_id IS NOT NULL, h.packets, h.first_reported,
                       h.last_used, coalesce(h.last_used, h.first_reported), r.id, r.state
                  FROM host_allow_counter h
                  LEFT JOIN accepted_entry a ON a.host = h.host AND a.instance = h.instance AND a.cidr = h.cidr
                  LEFT JOIN suggestion r ON r.kind = 'remove' AND r.host = h.host AND r.instance = h.instance
                                        AND r.cidr = h.cidr
                 WHERE (?::text IS NULL OR h.host = ?) AND (?::text IS NULL OR h.instance = ?)
                   AND coalesce(h.last_used, h.first_reported) <= now() - ? * interval '1 second'
                 ORDER BY h.host, h.instance, family(h.cidr), h.cidr""")) {
            bind(s, host, instance, 1);
            s.setLong(5, unusedAfter.toSeconds());
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    boolean generated = r.getBoolean(4);
                    out.add(new UnusedEntry(r.getString(1), r.getString(2), Cidrs.format(Cidrs.parse(r.getString(3))),
                            generated ? "generated" : "hand-written", r.getLong(5), instant(r, 6), instant(r, 7),
                            instant(r, 8), generated ? r.getObject(9, UUID.class) : null,
                            generated ? r.getString(10) : null));
                }
            }
        }
        return out;
    }

    // ---------------------------------------------------------------------------------------- the exporter's

    /** An accepted removal of a host, as the exporter announces it and later carries it out. */
    public record Notice(UUID id, String instance, String cidr, UUID addition, String acceptedBy, Instant acceptedAt,
                         String comment, Instant unusedSince, Instant announcedAt, Instant removeAfter,
                         boolean usedSince) {
        /** Announced, and the notice period is over: the file may drop the entry now. */
        public boolean due(Instant now) {
            return announcedAt != null && removeAfter != null && !removeAfter.isAfter(now) && !usedSince;
        }
    }

    /** The accepted removals of a host whose entry is still in the generated file. */
    public List<Notice> notices(String host) throws SQLException {
        List<Notice> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement("""
                SELECT r.id, r.instance, r.cidr::text, r.removes, d.actor, d.decided_at, d.comment, r.unused_since,
                       r.announced_at, r.remove_after,
                       coalesce(h.last_used > r.unused_since, false)
                  FROM suggestion r
                  JOIN decision d ON d.id = r.accepted_decision
                  JOIN suggestion t ON t.id = r.removes AND t.state IN ('accepted', 'exported', 'merged', 'deployed')
                  LEFT JOIN host_allow_counter h ON h.host = r.host AND h.instance = r.instance AND h.cidr = r.cidr
                 WHERE r.host = ? AND r.kind = 'remove' AND r.state = 'accepted'
                 ORDER BY r.instance, family(r.cidr), r.cidr""")) {
            s.setString(1, host);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.add(new Notice(r.getObject(1, UUID.class), r.getString(2),
                            Cidrs.format(Cidrs.parse(r.getString(3))), r.getObject(4, UUID.class), r.getString(5),
                            instant(r, 6), r.getString(7), instant(r, 8), instant(r, 9), instant(r, 10),
                            r.getBoolean(11)));
                }
            }
        }
        return out;
    }

    /** Records that the announcement of these removals reached the host's branch: the notice period runs. */
    public int markAnnounced(List<UUID> ids, Instant removeAfter) throws SQLException {
        if (ids.isEmpty()) {
            return 0;
        }
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement("""
                UPDATE suggestion SET announced_at = now(), remove_after = ?, updated_at = now(),
                       version = version + 1
                 WHERE id = ANY (?) AND kind = 'remove' AND state = 'accepted' AND announced_at IS NULL""")) {
            s.setObject(1, time(removeAfter));
            s.setArray(2, c.createArrayOf("uuid", ids.toArray()));
            int n = s.executeUpdate();
            announcedCount.increment(n);
            return n;
        }
    }

    /**
     * Records that the generated file on the host's branch no longer holds these removals' entries: each removal
     * becomes {@code exported} and its addition {@code removed} (out of {@code accepted_entry}), in one transaction.
     */
    public int markRemoved(List<UUID> ids) throws SQLException {
        if (ids.isEmpty()) {
            return 0;
        }
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                int n;
                try (PreparedStatement s = c.prepareStatement("""
                        UPDATE suggestion t SET state = 'removed', updated_at = now(), version = t.version + 1
                          FROM suggestion r
                         WHERE r.id = ANY (?) AND r.kind = 'remove' AND r.state = 'accepted' AND t.id = r.removes
                           AND t.state IN ('accepted', 'exported', 'merged', 'deployed')""")) {
                    s.setArray(1, c.createArrayOf("uuid", ids.toArray()));
                    s.executeUpdate();
                }
                try (PreparedStatement s = c.prepareStatement("""
                        UPDATE suggestion SET state = 'exported', updated_at = now(), version = version + 1
                         WHERE id = ANY (?) AND kind = 'remove' AND state = 'accepted'
                        RETURNING host, instance""")) {
                    s.setArray(1, c.createArrayOf("uuid", ids.toArray()));
                    List<String[]> touched = new ArrayList<>();
                    try (ResultSet r = s.executeQuery()) {
                        while (r.next()) {
                            touched.add(new String[] {r.getString(1), r.getString(2)});
                        }
                    }
                    n = touched.size();
                    for (String[] t : touched) {
                        Recomputation.markStale(c, t[0], t[1]);
                    }
                }
                c.commit();
                removedCount.increment(n);
                return n;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------- internals

    private static void bind(PreparedStatement s, String host, String instance, int from) throws SQLException {
        s.setString(from, host);
        s.setString(from + 1, host);
        s.setString(from + 2, instance);
        s.setString(from + 3, instance);
    }

    private static Instant now(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT now()"); ResultSet r = s.executeQuery()) {
            r.next();
            return r.getObject(1, OffsetDateTime.class).toInstant();
        }
    }

    private static OffsetDateTime time(Instant t) {
        return t == null ? null : OffsetDateTime.ofInstant(t, ZoneOffset.UTC);
    }

    private static Instant instant(ResultSet r, int column) throws SQLException {
        OffsetDateTime t = r.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }
}
