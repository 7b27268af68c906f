package dev.opencode.tuner.stack;

import static dev.opencode.tuner.stack.PostgresServer.GRAFANA_GRANTS;
import static dev.opencode.tuner.stack.PostgresServer.GRAFANA_ROLE;
import static dev.opencode.tuner.stack.PostgresServer.POLICY_DATABASE;
import static dev.opencode.tuner.stack.PostgresServer.POLICY_ROLE;
import static dev.opencode.tuner.stack.PostgresServer.SUPERUSER;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.Base64;
import org.postgresql.PGConnection;

/**
 * The roles and the database {@link PostgresServer} ensures at each start, as the cluster's superuser: the policy
 * service's role and database, and Grafana's read-only role, with their generated passwords in {@code credentials/}.
 */
final class PostgresRoles {

  private PostgresRoles() {}

  /** Creates (or updates) the policy service's role and database, and writes the credentials file. */
  static PostgresCredentials ensurePolicyDatabase(StateLayout layout, int port) {
    String superuserPassword;
    try {
      superuserPassword = Files.readString(layout.postgresSuperuserPassword(), StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new StackException("cannot read the PostgreSQL superuser's password from "
          + layout.postgresSuperuserPassword() + " (" + e.getMessage() + "). Without it the cluster cannot be managed:"
          + " reset it by deleting " + layout.postgres() + " and " + layout.credentials(), e);
    }
    String base = "jdbc:postgresql://" + LoopbackPorts.HOST + ":" + port + "/";
    String password = Files.exists(layout.policyDbCredentials())
        ? PostgresCredentials.load(layout.policyDbCredentials()).password() : null;
    if (password == null || !password.matches("[A-Za-z0-9_-]{16,}")) {
      password = newPassword();
    }
    PostgresCredentials policy = new PostgresCredentials(base + POLICY_DATABASE, POLICY_ROLE, password);
    policy.store(layout.policyDbCredentials());
    PostgresCredentials superuser = new PostgresCredentials(base + "postgres", SUPERUSER, superuserPassword);
    try (Connection connection = superuser.connect(); Statement statement = connection.createStatement()) {
      setLoginPassword(connection, POLICY_ROLE, password);
      if (!exists(connection, "SELECT 1 FROM pg_database WHERE datname = ?", POLICY_DATABASE)) {
        statement.execute("CREATE DATABASE " + POLICY_DATABASE + " OWNER " + POLICY_ROLE);
      }
    } catch (SQLException e) {
      throw new StackException("cannot create the policy database " + POLICY_DATABASE + " on " + base + ": "
          + e.getMessage() + "; see " + layout.postgresLog(), e);
    }
    ensureGrafanaRole(layout, new PostgresCredentials(base + POLICY_DATABASE, SUPERUSER, superuserPassword));
    return policy;
  }

  /**
   * The read-only role {@value PostgresServer#GRAFANA_ROLE} of Grafana's SQL panels: SELECT on the policy database's
   * tables, those Flyway creates later included (default privileges of {@value PostgresServer#POLICY_ROLE}), and
   * read-only transactions. Its password goes to {@code credentials/grafana-db.properties} (0600), like the policy
   * service's.
   */
  private static void ensureGrafanaRole(StateLayout layout, PostgresCredentials superuser) {
    String password = Files.exists(layout.grafanaDbCredentials())
        ? PostgresCredentials.load(layout.grafanaDbCredentials()).password() : null;
    if (password == null || !password.matches("[A-Za-z0-9_-]{16,}")) {
      password = newPassword();
    }
    new PostgresCredentials(superuser.jdbcUrl(), GRAFANA_ROLE, password).store(layout.grafanaDbCredentials());
    try (Connection connection = superuser.connect(); Statement statement = connection.createStatement()) {
      setLoginPassword(connection, GRAFANA_ROLE, password);
      for (String grant : GRAFANA_GRANTS) {
        statement.execute(grant);
      }
    } catch (SQLException e) {
      throw new StackException("cannot create the read-only role " + GRAFANA_ROLE + " in " + POLICY_DATABASE + ": "
          + e.getMessage() + "; see " + layout.postgresLog(), e);
    }
  }

  /**
   * Creates {@code role} as a login role if missing, and sets its password as a SCRAM-SHA-256 verifier computed here
   * (PgJDBC's {@code alterUserPassword}): the statement the server receives, and may log ({@code log_statement},
   * an error's {@code STATEMENT:} line, {@code pg_stat_activity}), holds the salted verifier, never the password.
   */
  private static void setLoginPassword(Connection connection, String role, String password) throws SQLException {
    if (!exists(connection, "SELECT 1 FROM pg_roles WHERE rolname = ?", role)) {
      try (Statement statement = connection.createStatement()) {
        statement.execute("CREATE ROLE " + role + " WITH LOGIN"); // a constant name, no password in the text
      }
    }
    char[] secret = password.toCharArray();
    try {
      connection.unwrap(PGConnection.class).alterUserPassword(role, secret, "scram-sha-256");
    } finally {
      Arrays.fill(secret, '\0');
    }
  }

  private static boolean exists(Connection connection, String query, String name) throws SQLException {
    try (PreparedStatement statement = connection.prepareStatement(query)) {
      statement.setString(1, name);
      try (ResultSet result = statement.executeQuery()) {
        return result.next();
      }
    }
  }

  /** 192 random bits, base64url without padding: safe inside SQL string literals and properties files. */
  static String newPassword() {
    byte[] bytes = new byte[24];
    new SecureRandom().nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
