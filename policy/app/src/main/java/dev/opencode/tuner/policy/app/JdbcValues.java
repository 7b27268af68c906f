package dev.opencode.tuner.policy.app;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/** The conversions between PostgreSQL's {@code timestamptz} and {@link Instant} that every store needs. */
public final class JdbcValues {
    private JdbcValues() {
    }

    /** The {@code timestamptz} column as an instant, or null. */
    public static Instant instant(ResultSet r, int column) throws SQLException {
        OffsetDateTime t = r.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    /** An instant as a {@code timestamptz} parameter (UTC), or null. */
    public static OffsetDateTime timestamptz(Instant t) {
        return t == null ? null : OffsetDateTime.ofInstant(t, ZoneOffset.UTC);
    }

    /** The database's {@code now()}: the one clock of every policy instance (the transaction's start, in one). */
    public static Instant now(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT now()"); ResultSet r = s.executeQuery()) {
            r.next();
            return r.getObject(1, OffsetDateTime.class).toInstant();
        }
    }
}
