package dev.opencode.tuner.policy.app.review;

import static dev.opencode.tuner.policy.app.JdbcValues.instant;

import dev.opencode.tuner.suggest.Cidrs;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * What is in force for an instance: {@code accepted_entry} (the CIDRs accepted by decision, a view over the
 * suggestions in force) and {@code allowlist_entry} (what the host allows by itself). Every method runs in the
 * caller's connection.
 */
@ApplicationScoped
public class AcceptedEntryStore {
    /**
     * One accepted CIDR of a host with what the generated file writes about it: the evidence of the CIDR in force,
     * from the accepting decision's snapshot.
     */
    public record Accepted(String instance, String cidr, UUID suggestionId, String acceptedBy, Instant acceptedAt,
                           String comment, String evidence) {
        /** The line of the generated file. */
        AllowlistFiles.Line line() {
            return new AllowlistFiles.Line(instance, cidr, ReviewIds.hex(suggestionId), acceptedBy, acceptedAt,
                    comment, evidence);
        }
    }

    /** The accepted CIDRs of a host, by instance and address. */
    public List<Accepted> accepted(Connection c, String host) throws SQLException {
        List<Accepted> lines = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("""
                SELECT a.instance, a.cidr::text, a.suggestion_id, a.accepted_by, a.accepted_at, a.comment,
                       a.evidence::text
                  FROM accepted_entry a
                 WHERE a.host = ? ORDER BY a.instance, family(a.cidr), a.cidr""")) {
            s.setString(1, host);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    String cidr = Cidrs.format(Cidrs.parse(r.getString(2)));
                    lines.add(new Accepted(r.getString(1), cidr, r.getObject(3, UUID.class), r.getString(4),
                            instant(r, 5), r.getString(6),
                            DecisionEvidence.line(DecisionEvidence.ofDecision(r.getString(7), cidr))));
                }
            }
        }
        return lines;
    }

    /** A CIDR the host allows by itself. */
    public record HostEntry(String instance, String cidr) {
    }

    /** What the host allows by itself, by instance and CIDR. */
    public List<HostEntry> hostEntries(Connection c, String host) throws SQLException {
        List<HostEntry> entries = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement(
                "SELECT instance, cidr::text FROM allowlist_entry WHERE host = ? ORDER BY instance, cidr")) {
            s.setString(1, host);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    entries.add(new HostEntry(r.getString(1), Cidrs.format(Cidrs.parse(r.getString(2)))));
                }
            }
        }
        return entries;
    }

    /** The effective allowlist of an instance: the host's entries and the accepted ones. */
    public List<String> effective(Connection c, String host, String instance) throws SQLException {
        List<String> effective = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("""
                SELECT cidr::text FROM allowlist_entry WHERE host = ? AND instance = ?
                UNION
                SELECT cidr::text FROM accepted_entry WHERE host = ? AND instance = ?
                """)) {
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
        return effective;
    }
}
