package dev.opencode.tuner.stack;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StalePostmasterTest {

  @TempDir Path tmp;

  @Test
  void aPostmasterKilledWithSigkillStartsAgainAtOnceAndKeepsItsRows() throws Exception {
    Path state = StateDirs.create(tmp, "state");
    PostgresOptions options = PostgresOptions.defaults().withProgress(StateDirs::progress);
    Path data = new StateLayout(state).postgresData();
    PostgresServer first = PostgresServer.start(state, options);
    try (Connection c = first.credentials().connect(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE aggregate (destination inet, events bigint)");
      s.execute("INSERT INTO aggregate VALUES ('140.82.112.3', 6)");
      first.process().kill(); // SIGKILL: the backend of this connection outlives its postmaster for a moment
      assertThat(first.process().awaitExit(java.time.Duration.ofSeconds(10))).isTrue();
    }
    // At once, as ./tuner up right after the kill: the dead postmaster's pid may still be an unreaped zombie.
    try (PostgresServer again = PostgresServer.start(state, options);
        Connection c = again.credentials().connect(); Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT host(destination), events FROM aggregate")) {
      assertThat(r.next()).isTrue();
      assertThat(r.getString(1) + " " + r.getLong(2)).isEqualTo("140.82.112.3 6");
      assertThat(StalePostmaster.liveProcessesIn(data)).as("the new server's processes").isNotEmpty();
    }
    assertThat(StalePostmaster.liveProcessesIn(data)).as("after a clean stop").isEmpty();
  }
}
