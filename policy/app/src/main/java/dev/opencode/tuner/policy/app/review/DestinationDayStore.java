package dev.opencode.tuner.policy.app.review;

import dev.opencode.tuner.review.ImpactPreview;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;

/** The blocked events per destination and UTC day ({@code destination_day}) that the impact preview counts. */
@ApplicationScoped
public class DestinationDayStore {
    /** The blocked events per destination of an instance over the last {@code days} UTC days, today included. */
    public List<ImpactPreview.Blocked> blocked(Connection c, String host, String instance, int days)
            throws SQLException {
        List<ImpactPreview.Blocked> blocked = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("""
                SELECT destination, sum(events)::bigint
                  FROM destination_day
                 WHERE host = ? AND instance = ? AND day >= (now() AT TIME ZONE 'UTC')::date - ? + 1
                 GROUP BY destination""")) {
            s.setString(1, host);
            s.setString(2, instance);
            s.setInt(3, days);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    blocked.add(new ImpactPreview.Blocked(r.getString(1), r.getLong(2)));
                }
            }
        }
        return blocked;
    }

    /** The first UTC day of a window of {@code days} days that ends today (the database's today). */
    public LocalDate firstDay(Connection c, int days) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT (now() AT TIME ZONE 'UTC')::date - ? + 1")) {
            s.setInt(1, days);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getObject(1, LocalDate.class);
            }
        }
    }
}
