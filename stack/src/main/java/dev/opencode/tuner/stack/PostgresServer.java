package dev.opencode.tuner.stack;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A private PostgreSQL cluster created with the server binaries of the OS packages ({@code initdb}, {@code pg_ctl}),
 * with its data, socket and log under a state directory. It listens on 127.0.0.1 and on a unix socket in
 * {@code postgres/run/}, asks every client for a password (scram-sha-256), and holds the database and role
 * {@value #POLICY_DATABASE} for the policy service, whose generated password is in
 * {@code credentials/policy-db.properties} (0600). As root it runs as the system user {@value OsUser#POSTGRES_SYSTEM_USER}.
 *
 * <p>Closing the handle stops the server (tests). {@link Stack#up} keeps it running and records it in
 * {@link StackState} instead.
 */
public final class PostgresServer implements AutoCloseable {

  public static final String POLICY_DATABASE = "tuner_policy";
  public static final String POLICY_ROLE = "tuner_policy";
  static final String SUPERUSER = "postgres";
  /** The read-only role of Grafana's PostgreSQL datasource (dashboards/README.md). */
  public static final String GRAFANA_ROLE = "tuner_grafana";
  /** What {@value #GRAFANA_ROLE} may do in the policy database, run as the superuser at every start (idempotent). */
  public static final List<String> GRAFANA_GRANTS = List.of(
      "ALTER ROLE " + GRAFANA_ROLE + " SET default_transaction_read_only = on",
      "GRANT CONNECT ON DATABASE " + POLICY_DATABASE + " TO " + GRAFANA_ROLE,
      "GRANT USAGE ON SCHEMA public TO " + GRAFANA_ROLE,
      "GRANT SELECT ON ALL TABLES IN SCHEMA public TO " + GRAFANA_ROLE,
      "ALTER DEFAULT PRIVILEGES FOR ROLE " + POLICY_ROLE + " IN SCHEMA public GRANT SELECT ON TABLES TO "
          + GRAFANA_ROLE);
  /** sun_path holds 108 bytes including the terminating NUL. */
  static final int MAX_SOCKET_PATH = 107;

  private final StateLayout layout;
  private final int port;
  private final OwnedProcess process;
  private final PostgresCredentials credentials;
  private final OsUser user;
  private final Duration startupTime;

  private PostgresServer(StateLayout layout, int port, OwnedProcess process, PostgresCredentials credentials,
      OsUser user, Duration startupTime) {
    this.layout = layout;
    this.port = port;
    this.process = process;
    this.credentials = credentials;
    this.user = user;
    this.startupTime = startupTime;
  }

  /** Creates the cluster on first use, starts it with default options and waits until it accepts connections. */
  public static PostgresServer start(Path stateDir) {
    return start(stateDir, PostgresOptions.defaults());
  }

  /** Creates the cluster on first use, starts it and ensures the policy service's role and database. */
  public static PostgresServer start(Path stateDir, PostgresOptions options) {
    long t0 = System.nanoTime();
    StateLayout layout = new StateLayout(stateDir);
    Path bin = PostgresSetup.requireBinaries(options);
    OsUser user = OsUser.forPostgres(options.progress());

    StateFiles.createDirectories(layout.logs());
    StateFiles.privateDirectory(layout.credentials());
    StateFiles.privateDirectory(layout.postgres());
    user.own(layout.postgres());
    if (!user.canWrite(layout.postgres())) {
      throw new StackException("PostgreSQL runs as the OS user " + user.name() + " (it refuses to run as root), and "
          + user.name() + " cannot reach " + layout.postgres() + ": a parent directory is closed to other users"
          + " (for example /root, mode 0700). Choose a state directory that other users may traverse (chmod o+x on"
          + " each parent), or give the stack an existing server's JDBC URL");
    }
    OwnedProcess.findByCommandLine("postgres", "-D " + layout.postgresData()).ifPresent(pid -> {
      throw new StackException("a PostgreSQL server already runs on " + layout.postgresData() + " (pid " + pid
          + "); stop it first (./tuner down, or close the PostgresServer that started it)");
    });
    int port = PostgresSetup.port(layout, options);
    Path socket = layout.postgresSocketDir().resolve(".s.PGSQL." + port);
    if (socket.toString().getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH) {
      throw new StackException("PostgreSQL's socket path " + socket + " is longer than the " + MAX_SOCKET_PATH
          + " bytes a unix socket allows; choose a shorter state directory");
    }
    LoopbackPorts.requireBindable(port, "PostgreSQL's port, from " + PostgresSetup.settingsFile(layout));
    StateFiles.privateDirectory(layout.postgresSocketDir());
    user.own(layout.postgresSocketDir());

    if (!Files.exists(layout.postgresData().resolve("PG_VERSION"))) {
      PostgresSetup.initdb(layout, bin, user, options);
    }
    PostgresSetup.writeConfig(layout, user, port);
    PostgresSetup.prepareLog(layout, user);
    StalePostmaster.clear(layout.postgresData(), List.of(layout.postgresData().resolve("postmaster.pid"),
        layout.postgresSocketDir().resolve(".s.PGSQL." + port + ".lock")), options.progress());

    options.progress().accept("==> starting PostgreSQL on " + LoopbackPorts.HOST + ":" + port + " as the OS user "
        + user.name() + " (log: " + layout.postgresLog() + ")");
    List<String> pgCtl = List.of(bin.resolve("pg_ctl").toString(), "-D", layout.postgresData().toString(),
        "-l", layout.postgresLog().toString(), "-w", "-t", Long.toString(options.startTimeout().toSeconds()), "start");
    // setsid: the postmaster gets its own session, so a hang-up of the terminal that ran ./tuner up misses it.
    List<String> command = new ArrayList<>(List.of("setsid"));
    command.addAll(user.command(pgCtl));
    ExternalCommand.Result started = ExternalCommand.run(command, options.startTimeout().plusSeconds(10));
    if (!started.ok()) {
      throw new StackException("PostgreSQL did not start (pg_ctl exit " + started.exitCode() + "): "
          + started.output() + "\nSee " + layout.postgresLog() + ". Last lines:\n"
          + StateFiles.tail(layout.postgresLog(), 15));
    }
    OwnedProcess process = OwnedProcess.of(postmasterPid(layout), layout.postgresData().toString());
    PostgresCredentials credentials;
    try {
      credentials = PostgresRoles.ensurePolicyDatabase(layout, port);
    } catch (RuntimeException e) {
      stop(layout, process);
      throw e;
    }
    Duration took = Duration.ofNanos(System.nanoTime() - t0);
    options.progress().accept("==> PostgreSQL accepts connections on " + LoopbackPorts.HOST + ":" + port + " (pid "
        + process.pid() + ", " + took.toMillis() + " ms); credentials: " + layout.policyDbCredentials());
    return new PostgresServer(layout, port, process, credentials, user, took);
  }

  /** {@code 127.0.0.1:<port>}. */
  public String address() {
    return LoopbackPorts.HOST + ":" + port;
  }

  public int port() {
    return port;
  }

  /** The policy service's database, role and password (also in {@code credentials/policy-db.properties}). */
  public PostgresCredentials credentials() {
    return credentials;
  }

  public OwnedProcess process() {
    return process;
  }

  /** The OS user the server runs as. */
  public String osUser() {
    return user.name();
  }

  public Path logFile() {
    return layout.postgresLog();
  }

  /** From the call to {@link #start} until the policy database was ready, initdb included. */
  public Duration startupTime() {
    return startupTime;
  }

  /** Whether the process is still ours and alive, and whether {@code SELECT 1} answers as the policy role. */
  public Health health() {
    return health(credentials, process, layout.postgresLog());
  }

  /** {@code process} null means a server we did not start (a JDBC URL): only the query is checked. */
  static Health health(PostgresCredentials credentials, OwnedProcess process, Path log) {
    String see = log == null ? "" : "; see " + log;
    if (process != null && !process.isRunning()) {
      return Health.down("the PostgreSQL server process " + process.pid() + " is not running (it crashed or was"
          + " stopped)" + see);
    }
    try (Connection connection = credentials.connect();
        Statement statement = connection.createStatement();
        ResultSet result = statement.executeQuery("SELECT 1")) {
      result.next();
      return Health.up("SELECT 1 answered as " + credentials.user() + " on " + credentials.jdbcUrl());
    } catch (SQLException e) {
      return Health.down("SELECT 1 as " + credentials.user() + " on " + credentials.jdbcUrl() + " failed: "
          + e.getMessage() + see);
    }
  }

  /** {@code pg_ctl stop -m fast} (open connections are closed, the checkpoint is written); SIGKILL after 60 s. */
  public OwnedProcess.StopOutcome stop() {
    return stop(layout, process);
  }

  @Override
  public void close() {
    stop();
  }

  static OwnedProcess.StopOutcome stop(StateLayout layout, OwnedProcess process) {
    if (!process.isRunning()) {
      return OwnedProcess.StopOutcome.NOT_RUNNING;
    }
    Path pgCtl = binDirOf(process).resolve("pg_ctl");
    if (Files.isExecutable(pgCtl)) {
      OsUser owner = OsUser.ownerOf(layout.postgresData());
      ExternalCommand.Result stopped = ExternalCommand.run(owner.command(List.of(pgCtl.toString(), "-D",
          layout.postgresData().toString(), "-m", "fast", "-w", "-t", "60", "stop")), Duration.ofSeconds(70));
      if (stopped.ok() && process.awaitExit(Duration.ofSeconds(10))) {
        return OwnedProcess.StopOutcome.STOPPED;
      }
    }
    // pg_ctl is gone or failed: SIGTERM is a "smart" shutdown, and SIGKILL follows when clients keep it waiting.
    return process.stop(Duration.ofSeconds(30));
  }

  /** The directory of the running postmaster's binary (so that stop uses the same version's pg_ctl). */
  private static Path binDirOf(OwnedProcess process) {
    String commandLine = OwnedProcess.commandLine(process.pid()).orElse("");
    String binary = commandLine.split(" ")[0];
    Path parent = binary.isEmpty() ? null : Path.of(binary).getParent();
    return parent != null ? parent : PostgresOptions.DEBIAN_BIN_DIR;
  }

  private static long postmasterPid(StateLayout layout) {
    Path pidFile = layout.postgresData().resolve("postmaster.pid");
    try {
      return Long.parseLong(Files.readAllLines(pidFile, StandardCharsets.UTF_8).get(0).strip());
    } catch (IOException | RuntimeException e) {
      throw new StackException("PostgreSQL started but its pid file " + pidFile + " is unreadable: " + e.getMessage(),
          e);
    }
  }
}
