package dev.opencode.tuner.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PostgresServerTest {

  @TempDir Path tmp;

  @Test
  void rowSurvivesAServerRestartOnTheSameStateDirectory() throws Exception {
    Path state = StateDirs.create(tmp, "state");
    PostgresOptions options = PostgresOptions.defaults().withProgress(StateDirs::progress);
    int port;
    try (PostgresServer postgres = PostgresServer.start(state, options)) {
      System.err.println("first start (initdb included): " + postgres.startupTime().toMillis() + " ms");
      port = postgres.port();
      try (Connection c = postgres.credentials().connect(); Statement s = c.createStatement()) {
        s.execute("CREATE TABLE aggregate (host text, instance text, destination inet, events bigint)");
        s.execute("INSERT INTO aggregate VALUES ('demo-host', 'web', '140.82.112.3', 6)");
      }
      assertThat(postgres.stop()).isEqualTo(OwnedProcess.StopOutcome.STOPPED);
      assertThat(postgres.health().healthy()).isFalse();
    }

    try (PostgresServer again = PostgresServer.start(state, options)) {
      System.err.println("restart: " + again.startupTime().toMillis() + " ms");
      assertThat(again.port()).isEqualTo(port);
      try (Connection c = again.credentials().connect(); Statement s = c.createStatement();
          ResultSet r = s.executeQuery("SELECT host, instance, host(destination), events FROM aggregate")) {
        assertThat(r.next()).isTrue();
        assertThat(r.getString(1) + "/" + r.getString(2) + " " + r.getString(3) + " " + r.getLong(4))
            .isEqualTo("demo-host/web 140.82.112.3 6");
        assertThat(r.next()).isFalse();
      }
    }
  }

  @Test
  void policyRoleHasAPrivateGeneratedPasswordAndTheServerRunsAsItsOwnUserOnce() throws Exception {
    Path state = StateDirs.create(tmp, "state");
    try (PostgresServer postgres = PostgresServer.start(state)) {
      Path file = state.resolve("credentials/policy-db.properties");
      assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
      assertThat(Files.getPosixFilePermissions(state.resolve("credentials/postgres-superuser.password")))
          .isEqualTo(PosixFilePermissions.fromString("rw-------"));
      PostgresCredentials stored = PostgresCredentials.load(file);
      assertThat(stored).isEqualTo(postgres.credentials());
      assertThat(stored.jdbcUrl()).isEqualTo("jdbc:postgresql://127.0.0.1:" + postgres.port() + "/tuner_policy");
      assertThat(stored.password()).matches("[A-Za-z0-9_-]{32}");
      assertThat(stored.toString()).doesNotContain(stored.password());

      try (Connection c = stored.connect(); Statement s = c.createStatement();
          ResultSet r = s.executeQuery("SELECT current_user, current_database(), current_setting('listen_addresses')")) {
        r.next();
        assertThat(r.getString(1) + " " + r.getString(2) + " " + r.getString(3))
            .isEqualTo("tuner_policy tuner_policy 127.0.0.1");
      }
      PostgresCredentials wrong = new PostgresCredentials(stored.jdbcUrl(), stored.user(), "not-the-password");
      assertThatThrownBy(wrong::connect).isInstanceOf(SQLException.class).hasMessageContaining("password");

      String expectedUser = OsUser.isRoot() ? OsUser.POSTGRES_SYSTEM_USER : System.getProperty("user.name");
      assertThat(postgres.osUser()).isEqualTo(expectedUser);
      Path proc = Path.of("/proc", Long.toString(postgres.process().pid()));
      assertThat(Files.getOwner(proc).getName()).isEqualTo(expectedUser);
      assertThat(Files.getOwner(state.resolve("postgres/data")).getName()).isEqualTo(expectedUser);
      assertThat(Files.exists(state.resolve("postgres/run/.s.PGSQL." + postgres.port()))).isTrue();

      assertThatThrownBy(() -> PostgresServer.start(state))
          .isInstanceOf(StackException.class)
          .hasMessageContaining("a PostgreSQL server already runs on " + state.resolve("postgres/data"));
    }
  }

  @Test
  void rolePasswordsNeverReachTheServerLogEvenWithLogStatementAll() throws Exception {
    Path state = StateDirs.create(tmp, "state");
    try (PostgresServer postgres = PostgresServer.start(state)) {
      String superuserPassword = Files.readString(state.resolve("credentials/postgres-superuser.password")).strip();
      PostgresCredentials superuser = new PostgresCredentials(postgres.credentials().jdbcUrl(),
          PostgresServer.SUPERUSER, superuserPassword);
      try (Connection c = superuser.connect(); Statement s = c.createStatement()) {
        s.execute("ALTER SYSTEM SET log_statement = 'all'");
      }
      postgres.stop();
    }
    // Without their credential files, the next start gives both roles new passwords: ALTER, every statement logged.
    Files.delete(state.resolve("credentials/policy-db.properties"));
    Files.delete(state.resolve("credentials/grafana-db.properties"));

    try (PostgresServer again = PostgresServer.start(state)) {
      String policy = again.credentials().password();
      String grafana = PostgresCredentials.load(state.resolve("credentials/grafana-db.properties")).password();
      try (Connection c = again.credentials().connect(); Statement s = c.createStatement();
          ResultSet r = s.executeQuery("SELECT current_user")) {
        assertThat(r.next()).isTrue();
      }
      String log = Files.readString(again.logFile());
      assertThat(log).as("statements are logged, the verifier sent instead of the password")
          .contains("ALTER USER \"tuner_policy\" PASSWORD 'SCRAM-SHA-256$4096:")
          .contains("ALTER USER \"tuner_grafana\" PASSWORD 'SCRAM-SHA-256$4096:");
      assertThat(log).doesNotContain(policy).doesNotContain(grafana);
    }
  }

  @Test
  void refusesAStateDirectoryThePostgresUserCannotReachAsRoot() throws Exception {
    Path closed = Files.createDirectories(tmp.resolve("closed"));
    Files.setPosixFilePermissions(closed, PosixFilePermissions.fromString("rwx------"));
    Path state = closed.resolve("state");

    if (OsUser.isRoot()) {
      assertThatThrownBy(() -> PostgresServer.start(state))
          .isInstanceOf(StackException.class)
          .hasMessageContaining("runs as the OS user " + OsUser.POSTGRES_SYSTEM_USER)
          .hasMessageContaining("cannot reach " + state.resolve("postgres"));
    } else {
      // A non-root user runs the cluster as itself, so its own private directories are fine.
      try (PostgresServer postgres = PostgresServer.start(state)) {
        assertThat(postgres.health().healthy()).isTrue();
      }
    }
  }
}
