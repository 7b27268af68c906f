package dev.opencode.tuner.stack;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What {@link PostgresServer} prepares before {@code pg_ctl} starts the server: the server binaries (installed with
 * apt-get when missing and allowed), the port ({@code postgres/settings.properties}, kept between starts), the cluster
 * itself ({@code initdb}, on first use), its {@code tuner.conf} and the log file.
 */
final class PostgresSetup {

  private PostgresSetup() {}

  /**
   * The directory of initdb, pg_ctl and postgres, after installing Debian's package when they are missing and the
   * options allow it.
   */
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

  static Path settingsFile(StateLayout layout) {
    return layout.postgres().resolve("settings.properties");
  }

  /** The explicit option first, then the port of the last start, then a free one; persisted for the next start. */
  static int port(StateLayout layout, PostgresOptions options) {
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

  static void initdb(StateLayout layout, Path bin, OsUser user, PostgresOptions options) {
    options.progress().accept("==> creating a private PostgreSQL cluster in " + layout.postgresData()
        + " (initdb, as the OS user " + user.name() + ")");
    String superuserPassword = PostgresRoles.newPassword();
    StateFiles.writePrivate(layout.postgresSuperuserPassword(), superuserPassword + "\n");
    // initdb reads the password from a file that its own user must be able to read: a short-lived copy.
    Path pwfile = layout.postgres().resolve(".initdb-password");
    StateFiles.writePrivate(pwfile, superuserPassword + "\n");
    try {
      user.own(pwfile);
      ExternalCommand.runOrFail("initdb", user.command(List.of(bin.resolve("initdb").toString(),
          "-D", layout.postgresData().toString(), "-U", PostgresServer.SUPERUSER, "--pwfile=" + pwfile,
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

  static void writeConfig(StateLayout layout, OsUser user, int port) {
    Path file = layout.postgresData().resolve("tuner.conf");
    StateFiles.writeAtomically(file, "# Generated by tuner-stack at each start; edits are overwritten.\n"
        + "listen_addresses = '" + LoopbackPorts.HOST + "'\n"
        + "port = " + port + "\n"
        + "unix_socket_directories = '" + layout.postgresSocketDir().toString().replace("'", "''") + "'\n"
        + "unix_socket_permissions = 0700\n", StateFiles.PRIVATE_FILE);
    user.own(file);
  }

  static void prepareLog(StateLayout layout, OsUser user) {
    // pg_ctl opens the log as the server's user, in logs/ that belongs to the user running the stack.
    try {
      StateFiles.logFile(layout.postgresLog());
    } catch (RuntimeException e) {
      throw new StackException("cannot create " + layout.postgresLog() + ": " + e.getMessage(), e);
    }
    user.own(layout.postgresLog());
  }
}
