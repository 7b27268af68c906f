package dev.opencode.tuner.policy.app.review;

import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * The optional host and instance filter of a statement, written only for the filters given so that PostgreSQL
 * plans with the (host, instance, ...) indexes for one instance.
 */
final class InstanceFilter {
    private InstanceFilter() {
    }

    /** {@code alias.host = ? AND alias.instance = ?} for the filters given (true when none). */
    static String where(String alias, String host, String instance) {
        String where = "true";
        if (host != null) {
            where += " AND " + alias + ".host = ?";
        }
        if (instance != null) {
            where += " AND " + alias + ".instance = ?";
        }
        return where;
    }

    /** Binds the filters given from parameter {@code i} on; answers the next parameter index. */
    static int bind(PreparedStatement s, int i, String host, String instance) throws SQLException {
        if (host != null) {
            s.setString(i++, host);
        }
        if (instance != null) {
            s.setString(i++, instance);
        }
        return i;
    }
}
