package dev.opencode.tuner.policy.app.review;

import java.sql.SQLException;

/**
 * A read (and the recomputation before it, which commits or rolls back as a whole) tried again when the pool handed
 * out a connection that died with its server (SQLState class 08, e.g. after a PostgreSQL restart): the pool drops
 * that connection, and the next one is fresh.
 */
final class ReadRetry {
    /** A read that may be run again. */
    interface Read<T> {
        T run() throws SQLException;
    }

    private ReadRetry() {
    }

    static <T> T reading(Read<T> read) throws SQLException {
        for (int attempt = 1; ; attempt++) {
            try {
                return read.run();
            } catch (SQLException e) {
                if (e.getSQLState() == null || !e.getSQLState().startsWith("08") || attempt >= 5) {
                    throw e;
                }
            }
        }
    }
}
