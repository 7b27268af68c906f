package dev.opencode.tuner.policy.app.web;

import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/** The one read of the pages that no service makes: blocked events per day for the overview's chart. */
@ApplicationScoped
public class WebData {
    /** Blocked events of one UTC day. */
    public record Day(LocalDate day, long events) {
    }

    private final DataSource dataSource;

    WebData(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Blocked events per UTC day over the last {@code days} days, all instances or one (host and instance set). */
    public List<Day> blockedPerDay(String host, String instance, int days) throws SQLException {
        String sql = "SELECT day, sum(events) FROM destination_day WHERE day > (now() AT TIME ZONE 'UTC')::date - ?"
                + (host == null ? "" : " AND host = ? AND instance = ?") + " GROUP BY day ORDER BY day";
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setInt(1, days);
            if (host != null) {
                statement.setString(2, host);
                statement.setString(3, instance);
            }
            List<Day> result = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    result.add(new Day(rows.getObject(1, LocalDate.class), rows.getLong(2)));
                }
            }
            return result;
        }
    }
}
