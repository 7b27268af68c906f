package dev.opencode.tuner.stack;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.postgresql.PGConnection;

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
    Path bin = requireBinaries(options);
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
    int port = port(layout, options);
    Path socket = layout.postgresSocketDir().resolve(".s.PGSQL." + port);
    if (socket.toString().getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH) {
      throw new StackException("PostgreSQL's socket path " + socket + " is longer than the " + MAX_SOCKET_PATH
          + " bytes a unix socket allows; choose a shorter state directory");
    }
    LoopbackPorts.requireBindable(port, "PostgreSQL's port, from " + settingsFile(layout));
    StateFiles.privateDirectory(layout.postgresSocketDir());
    user.own(layout.postgresSocketDir());

    if (!Files.exists(layout.postgresData().resolve("PG_VERSION"))) {
      initdb(layout, bin, user, options);
    }
    writeConfig(layout, user, port);
    prepareLog(layout, user);
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
      credentials = ensurePolicyDatabase(layout, port);
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

  // ---------------------------------------------------------------------------------------------------------------

  static Path requireBinaries(PostgresOptions options) {
    Path bin = options.binDir();
    if (binariesPresent(bin)) {
      return bin;
    }
    boolean canInstall = options.installMissing() && OsUser.isRoot() && Files.isExecutable(Path.of("/usr/bin/apt-get"))
        && bin.equals(PostgresOptions.DEBIAN_BIN_DIR);
    if (!canInstall) {
      throw new StackException("PostgreSQL's server binaries are missing: no initdb, pg_ctl and postgres in " + bin
          + ". Install them (as root: apt-get install " + PostgresOptions.DEBIAN_PACKAGE + "), or give the stack an"
          + " existing server's JDBC URL");
    }
    options.progress().accept("==> installing " + PostgresOptions.DEBIAN_PACKAGE + " with apt-get: PostgreSQL's"
        + " server binaries, for the private cluster (a minute or two). Debian's package also creates its own"
        + " cluster 15/main; the stack does not use it");
    Map<String, String> env = Map.of("DEBIAN_FRONTEND", "noninteractive");
    List<String> install = List.of("apt-get", "install", "-y", "-q", "--no-install-recommends",
        PostgresOptions.DEBIAN_PACKAGE);
    ExternalCommand.Result result = ExternalCommand.run(install, Duration.ofMinutes(10), env);
    if (!result.ok()) {
      // The package lists may be stale or absent (fresh machine): refresh them once and retry.
      ExternalCommand.run(List.of("apt-get", "update", "-q"), Duration.ofMinutes(5), env);
      result = ExternalCommand.run(install, Duration.ofMinutes(10), env);
    }
    if (!result.ok() || !binariesPresent(bin)) {
      throw new StackException("installing " + PostgresOptions.DEBIAN_PACKAGE + " failed (apt-get exit "
          + result.exitCode() + "):\n" + StateFiles.lastLinesOf(result.output(), 15)
          + "\nInstall it by hand (apt-get install " + PostgresOptions.DEBIAN_PACKAGE + ") or give a JDBC URL");
    }
    return bin;
  }

  private static boolean binariesPresent(Path bin) {
    return Files.isExecutable(bin.resolve("initdb")) && Files.isExecutable(bin.resolve("pg_ctl"))
        && Files.isExecutable(bin.resolve("postgres"));
  }

  private static Path settingsFile(StateLayout layout) {
    return layout.postgres().resolve("settings.properties");
  }

  /** The explicit option first, then the port of the last start, then a free one; persisted for the next start. */
  private static int port(StateLayout layout, PostgresOptions options) {
    Map<String, String> settings = StateFiles.readProperties(settingsFile(layout));
    int port = options.port();
    if (port == 0 && settings.containsKey("port")) {
      try {
        port = Integer.parseInt(settings.get("port").strip());
      } catch (NumberFormatException e) {
        throw new StackException("bad port '" + settings.get("port") + "' in " + settingsFile(layout)
            + "; fix or delete the file");
      }
    }
    if (port == 0) {
      port = LoopbackPorts.free();
    }
    if (!Integer.toString(port).equals(settings.get("port"))) {
      Map<String, String> updated = new TreeMap<>(settings);
      updated.put("port", Integer.toString(port));
      StateFiles.writeAtomically(settingsFile(layout), StateFiles.propertiesText(
          "Port of the private PostgreSQL cluster, chosen at its first start and reused (edit to move it).",
          updated));
    }
    return port;
  }

  private static void initdb(StateLayout layout, Path bin, OsUser user, PostgresOptions options) {
    options.progress().accept("==> creating a private PostgreSQL cluster in " + layout.postgresData()
        + " (initdb, as the OS user " + user.name() + ")");
    String superuserPassword = newPassword();
    StateFiles.writePrivate(layout.postgresSuperuserPassword(), superuserPassword + "\n");
    // initdb reads the password from a file that its own user must be able to read: a short-lived copy.
    Path pwfile = layout.postgres().resolve(".initdb-password");
    StateFiles.writePrivate(pwfile, superuserPassword + "\n");
    try {
      user.own(pwfile);
      ExternalCommand.runOrFail("initdb", user.command(List.of(bin.resolve("initdb").toString(),
          "-D", layout.postgresData().toString(), "-U", SUPERUSER, "--pwfile=" + pwfile,
          "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "--encoding=UTF8", "--no-locale",
          "--no-instructions")), Duration.ofMinutes(3));
    } finally {
      try {
        Files.deleteIfExists(pwfile);
      } catch (IOException e) {
        throw new StackException("cannot delete " + pwfile + " (it holds the superuser password): " + e.getMessage(),
            e);
      }
    }
    Path conf = layout.postgresData().resolve("postgresql.conf");
    try {
      Files.writeString(conf, Files.readString(conf, StandardCharsets.UTF_8)
          + "\n# Added by tuner-stack: listen address, port and socket directory, rewritten at each start.\n"
          + "include_if_exists = 'tuner.conf'\n", StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new StackException("cannot edit " + conf + ": " + e.getMessage(), e);
    }
  }

  private static void writeConfig(StateLayout layout, OsUser user, int port) {
    Path file = layout.postgresData().resolve("tuner.conf");
    StateFiles.writeAtomically(file, "# Generated by tuner-stack at each start; edits are overwritten.\n"
        + "listen_addresses = '" + LoopbackPorts.HOST + "'\n"
        + "port = " + port + "\n"
        + "unix_socket_directories = '" + layout.postgresSocketDir().toString().replace("'", "''") + "'\n"
        + "unix_socket_permissions = 0700\n", StateFiles.PRIVATE_FILE);
    user.own(file);
  }

  private static void prepareLog(StateLayout layout, OsUser user) {
    // pg_ctl opens the log as the server's user, in logs/ that belongs to the user running the stack.
    try {
      StateFiles.logFile(layout.postgresLog());
    } catch (RuntimeException e) {
      throw new StackException("cannot create " + layout.postgresLog() + ": " + e.getMessage(), e);
    }
    user.own(layout.postgresLog());
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

  /** Creates (or updates) the policy service's role and database, and writes the credentials file. */
  private static PostgresCredentials ensurePolicyDatabase(StateLayout layout, int port) {
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
   * The read-only role {@value #GRAFANA_ROLE} of Grafana's SQL panels: SELECT on the policy database's tables, those
   * Flyway creates later included (default privileges of {@value #POLICY_ROLE}), and read-only transactions. Its
   * password goes to {@code credentials/grafana-db.properties} (0600), like the policy service's.
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
