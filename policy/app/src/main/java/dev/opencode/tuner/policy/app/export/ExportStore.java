package dev.opencode.tuner.policy.app.export;

import dev.opencode.tuner.export.AcceptedEntry;
import dev.opencode.tuner.policy.app.export.ExportViews.HostStatus;
import dev.opencode.tuner.policy.app.export.ExportViews.PullRequestView;
import dev.opencode.tuner.policy.app.review.DecisionEvidence;
import dev.opencode.tuner.review.SuggestionState;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.UUID;
import javax.sql.DataSource;

/** The exporter's SQL: the accepted allowlist it reads, the states it moves, and its per-host status. */
@ApplicationScoped
public class ExportStore {
    private final DataSource dataSource;

    @Inject
    public ExportStore(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Hosts with entries in force by decision, and hosts exported before (their file may need emptying). */
    List<String> hosts() throws SQLException {
        TreeSet<String> hosts = new TreeSet<>();
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement(
                        "SELECT DISTINCT host FROM accepted_entry UNION SELECT host FROM export_status");
                ResultSet r = s.executeQuery()) {
            while (r.next()) {
                hosts.add(r.getString(1));
            }
        }
        return new ArrayList<>(hosts);
    }

    /** The rows of {@code accepted_entry} for the host. */
    List<AcceptedEntry> accepted(String host) throws SQLException {
        List<AcceptedEntry> entries = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement("""
                SELECT instance, cidr::text, suggestion_id, accepted_by, accepted_at, comment, evidence::text
                  FROM accepted_entry WHERE host = ? ORDER BY instance, cidr""")) {
            s.setString(1, host);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    entries.add(new AcceptedEntry(r.getString(1), r.getString(2),
                            r.getObject(3, UUID.class).toString().replace("-", ""), r.getString(4),
                            r.getTimestamp(5).toInstant(), r.getString(6),
                            DecisionEvidence.line(DecisionEvidence.ofDecision(r.getString(7), r.getString(2)))));
                }
            }
        }
        return entries;
    }

    /** Suggestion ids (32 hex) of the host currently in {@code state}. */
    List<UUID> inState(String host, SuggestionState state) throws SQLException {
        List<UUID> ids = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement("SELECT id FROM suggestion WHERE host = ? AND state = ?")) {
            s.setString(1, host);
            s.setString(2, state.text());
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    ids.add(r.getObject(1, UUID.class));
                }
            }
        }
        return ids;
    }

    /** Moves the given suggestions from one of {@code from} to {@code to}; returns how many moved. */
    int move(List<UUID> ids, List<SuggestionState> from, SuggestionState to) throws SQLException {
        if (ids.isEmpty()) {
            return 0;
        }
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement("""
                UPDATE suggestion SET state = ?, updated_at = now(), version = version + 1
                 WHERE id = ANY (?) AND state = ANY (?)""")) {
            s.setString(1, to.text());
            s.setArray(2, c.createArrayOf("uuid", ids.toArray()));
            s.setArray(3, c.createArrayOf("text", from.stream().map(SuggestionState::text).toArray()));
            return s.executeUpdate();
        }
    }

    /** The newest decision's id and time, or empty when there is none. */
    Optional<long[]> newestDecision() throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement(
                        "SELECT id, (extract(epoch FROM decided_at) * 1000)::bigint FROM decision "
                                + "ORDER BY id DESC LIMIT 1");
                ResultSet r = s.executeQuery()) {
            return r.next() ? Optional.of(new long[] {r.getLong(1), r.getLong(2)}) : Optional.empty();
        }
    }

    /** The newest decision any run has seen. */
    long lastSeenDecision() throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement("SELECT coalesce(max(last_decision), 0) FROM export_status");
                ResultSet r = s.executeQuery()) {
            r.next();
            return r.getLong(1);
        }
    }

    /** Hosts whose last known pull request is open. */
    List<String> hostsWithOpenPullRequests() throws SQLException {
        List<String> hosts = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement(
                        "SELECT host FROM export_status WHERE pull_request_state = 'open' ORDER BY host");
                ResultSet r = s.executeQuery()) {
            while (r.next()) {
                hosts.add(r.getString(1));
            }
        }
        return hosts;
    }

    /** Removal suggestions of the host that are accepted and announced, their entry still in the file. */
    List<UUID> announcedRemovals(String host) throws SQLException {
        List<UUID> ids = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement("SELECT id FROM"
                + " suggestion WHERE host = ? AND kind = 'remove' AND state = 'accepted' AND announced_at IS NOT NULL")) {
            s.setString(1, host);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    ids.add(r.getObject(1, UUID.class));
                }
            }
        }
        return ids;
    }

    /** Hosts with an announced removal whose notice period is over: the next run drops the entry. */
    List<String> hostsWithDueRemovals() throws SQLException {
        List<String> hosts = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement("SELECT DISTINCT host FROM suggestion WHERE kind = 'remove'"
                        + " AND state = 'accepted' AND remove_after <= now() ORDER BY host");
                ResultSet r = s.executeQuery()) {
            while (r.next()) {
                hosts.add(r.getString(1));
            }
        }
        return hosts;
    }

    Optional<Long> trackedPullRequest(String host) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(
                "SELECT pull_request_number FROM export_status WHERE host = ? AND pull_request_state = 'open'")) {
            s.setString(1, host);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? Optional.of(r.getLong(1)) : Optional.empty();
            }
        }
    }

    /** Records a run: success fields only when it succeeded; the error (redacted) when it failed. */
    void record(HostStatusRow row) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement("""
                INSERT INTO export_status (host, last_run, last_success, result, change, branch, commit_id,
                                           pull_request_number, pull_request_url, pull_request_state, last_error,
                                           last_decision)
                VALUES (?, now(), CASE WHEN ? THEN now() END, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (host) DO UPDATE SET
                    last_run = now(),
                    last_success = CASE WHEN ? THEN now() ELSE export_status.last_success END,
                    result = excluded.result,
                    change = coalesce(excluded.change, export_status.change),
                    branch = coalesce(excluded.branch, export_status.branch),
                    commit_id = coalesce(excluded.commit_id, export_status.commit_id),
                    pull_request_number = CASE WHEN ? THEN excluded.pull_request_number
                                               ELSE export_status.pull_request_number END,
                    pull_request_url = CASE WHEN ? THEN excluded.pull_request_url
                                            ELSE export_status.pull_request_url END,
                    pull_request_state = CASE WHEN ? THEN excluded.pull_request_state
                                              ELSE export_status.pull_request_state END,
                    last_error = excluded.last_error,
                    last_decision = greatest(excluded.last_decision, export_status.last_decision)""")) {
            boolean ok = row.error() == null;
            boolean pr = row.pullRequestNumber() != null;
            int i = 1;
            s.setString(i++, row.host());
            s.setBoolean(i++, ok);
            s.setString(i++, row.result());
            s.setString(i++, row.change());
            s.setString(i++, row.branch());
            s.setString(i++, row.commit());
            if (pr) {
                s.setLong(i++, row.pullRequestNumber());
            } else {
                s.setNull(i++, Types.BIGINT);
            }
            s.setString(i++, row.pullRequestUrl());
            s.setString(i++, row.pullRequestState());
            s.setString(i++, row.error());
            s.setLong(i++, row.lastDecision());
            s.setBoolean(i++, ok);
            s.setBoolean(i++, pr);
            s.setBoolean(i++, pr);
            s.setBoolean(i++, pr);
            s.executeUpdate();
        }
    }

    record HostStatusRow(String host, String result, String change, String branch, String commit,
            Long pullRequestNumber, String pullRequestUrl, String pullRequestState, String error, long lastDecision) {
    }

    List<HostStatus> status() throws SQLException {
        List<HostStatus> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement("""
                SELECT host, last_run, last_success, result, change, branch, commit_id, pull_request_number,
                       pull_request_url, pull_request_state, last_error
                  FROM export_status ORDER BY host""");
                ResultSet r = s.executeQuery()) {
            while (r.next()) {
                long number = r.getLong(8);
                PullRequestView pr = r.wasNull() ? null
                        : new PullRequestView(number, r.getString(9), r.getString(10), null);
                out.add(new HostStatus(r.getString(1), time(r.getTimestamp(2)), time(r.getTimestamp(3)),
                        r.getString(4), r.getString(5), r.getString(6), r.getString(7), pr, r.getString(11)));
            }
        }
        return out;
    }

    private static String time(Timestamp t) {
        return t == null ? null : t.toInstant().toString();
    }
}
