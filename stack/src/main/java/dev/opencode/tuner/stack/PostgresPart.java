package dev.opencode.tuner.stack;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** PostgreSQL as a part of the stack: the private cluster, or an existing server given by a JDBC URL. */
final class PostgresPart implements StackPart {

  static final String NAME = "postgres";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public StackState.PartRecord start(StateLayout layout, StackOptions options) {
    if (options.externalPostgres() != null) {
      PostgresCredentials external = options.externalPostgres();
      Health health = PostgresServer.health(external, null, null);
      if (!health.healthy()) {
        throw new StackException("cannot use the PostgreSQL server at " + external.jdbcUrl() + ": " + health.detail());
      }
      StateFiles.privateDirectory(layout.credentials());
      external.store(layout.policyDbCredentials());
      options.progress().accept("==> using the existing PostgreSQL server at " + external.jdbcUrl()
          + " (not started here, so never stopped by down)");
      return new StackState.PartRecord(NAME, false, external.jdbcUrl(), null, Map.of("jdbc.url", external.jdbcUrl(),
          "credentials", layout.policyDbCredentials().toString()));
    }
    PostgresServer server = PostgresServer.start(layout.root(), options.postgres());
    return new StackState.PartRecord(NAME, true, server.address(), server.process(), Map.of(
        "jdbc.url", server.credentials().jdbcUrl(),
        "credentials", layout.policyDbCredentials().toString(),
        "os.user", server.osUser()));
  }

  @Override
  public Health health(StateLayout layout, StackState.PartRecord record) {
    PostgresCredentials credentials = PostgresCredentials.load(layout.policyDbCredentials());
    return PostgresServer.health(credentials, record.owned() ? record.process() : null,
        record.owned() ? layout.postgresLog() : null);
  }

  @Override
  public OwnedProcess.StopOutcome stop(StateLayout layout, StackState.PartRecord record) {
    return PostgresServer.stop(layout, record.process());
  }

  @Override
  public List<Path> logFiles(StateLayout layout) {
    return List.of(layout.postgresLog());
  }
}
