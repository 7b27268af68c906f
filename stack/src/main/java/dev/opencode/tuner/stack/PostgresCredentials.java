package dev.opencode.tuner.stack;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;

/**
 * A JDBC URL with a user and password: the policy service's database, as stored in
 * {@code credentials/policy-db.properties} (mode 0600) with the keys {@code url}, {@code user} and {@code password}.
 */
public record PostgresCredentials(String jdbcUrl, String user, String password) {

  public PostgresCredentials {
    Objects.requireNonNull(jdbcUrl, "jdbcUrl");
    if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
      throw new IllegalArgumentException("not a PostgreSQL JDBC URL (jdbc:postgresql://host:port/db): " + jdbcUrl);
    }
  }

  /** Reads a credentials file written by {@link #store}. */
  public static PostgresCredentials load(Path file) {
    Map<String, String> values = StateFiles.readProperties(file);
    if (!values.containsKey("url")) {
      throw new StackException(file + " holds no 'url' (the PostgreSQL credentials are missing; run ./tuner up)");
    }
    return new PostgresCredentials(values.get("url"), values.get("user"), values.get("password"));
  }

  /** Writes the file with mode 0600 from its creation on. */
  public void store(Path file) {
    Map<String, String> values = new TreeMap<>();
    values.put("url", jdbcUrl);
    if (user != null) {
      values.put("user", user);
    }
    if (password != null) {
      values.put("password", password);
    }
    StateFiles.writePrivate(file, StateFiles.propertiesText(
        "The policy service's PostgreSQL database, written by ./tuner up. Keep private (0600).", values));
  }

  /** A connection with bounded connect and socket timeouts, so that a dead server fails fast. */
  public Connection connect() throws SQLException {
    Properties properties = new Properties();
    if (user != null) {
      properties.setProperty("user", user);
    }
    if (password != null) {
      properties.setProperty("password", password);
    }
    properties.setProperty("connectTimeout", "3");
    properties.setProperty("loginTimeout", "5");
    properties.setProperty("socketTimeout", "10");
    properties.setProperty("ApplicationName", "tuner-stack");
    return DriverManager.getConnection(jdbcUrl, properties);
  }

  @Override
  public String toString() {
    return "PostgresCredentials[" + jdbcUrl + ", user=" + user + ", password=" + (password == null ? "none" : "***")
        + "]";
  }
}
