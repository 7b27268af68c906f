package dev.opencode.tuner.stack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The OS user a server process runs as. PostgreSQL refuses to run as root, so when the stack runs as root the private
 * cluster belongs to the dedicated system user {@value #POSTGRES_SYSTEM_USER} (created on first use, no login shell,
 * no home): a separate uid keeps it out of Debian's own {@code postgres} clusters and lets nothing else read its
 * data. A non-root user runs the cluster as itself.
 */
record OsUser(String name, int uid, int gid, boolean switchNeeded) {

  static final String POSTGRES_SYSTEM_USER = "tuner-postgres";

  static int currentUid() {
    try {
      return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    } catch (IOException | UnsupportedOperationException e) {
      throw new StackException("cannot tell which user this process runs as (/proc/self): " + e.getMessage(), e);
    }
  }

  static boolean isRoot() {
    return currentUid() == 0;
  }

  /** The user for the private PostgreSQL cluster: {@value #POSTGRES_SYSTEM_USER} for root (created if missing). */
  static OsUser forPostgres(Consumer<String> progress) {
    if (!isRoot()) {
      int uid = currentUid();
      return new OsUser(System.getProperty("user.name"), uid, lookup(System.getProperty("user.name"))
          .map(OsUser::gid).orElse(uid), false);
    }
    Optional<OsUser> existing = lookup(POSTGRES_SYSTEM_USER);
    if (existing.isPresent()) {
      return existing.get();
    }
    progress.accept("==> creating the system user " + POSTGRES_SYSTEM_USER
        + " to run the private PostgreSQL cluster (PostgreSQL refuses to run as root)");
    ExternalCommand.Result created = ExternalCommand.run(List.of("useradd", "--system", "--user-group",
        "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin",
        "--comment", "opencode egress tuner, private PostgreSQL", POSTGRES_SYSTEM_USER), Duration.ofSeconds(30));
    return lookup(POSTGRES_SYSTEM_USER).orElseThrow(() -> new StackException(
        "cannot create the system user " + POSTGRES_SYSTEM_USER + " (useradd exit " + created.exitCode() + ": "
            + created.output() + "); create it by hand (useradd --system --user-group " + POSTGRES_SYSTEM_USER
            + ") or pass a PostgreSQL JDBC URL instead"));
  }

  /** The owner of an existing directory, as the user to run its server as (for stopping what another run started). */
  static OsUser ownerOf(Path path) {
    try {
      int uid = (Integer) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
      int gid = (Integer) Files.getAttribute(path, "unix:gid", LinkOption.NOFOLLOW_LINKS);
      String name = Files.getOwner(path, LinkOption.NOFOLLOW_LINKS).getName();
      return new OsUser(name, uid, gid, uid != currentUid());
    } catch (IOException e) {
      throw new StackException("cannot read the owner of " + path + ": " + e.getMessage(), e);
    }
  }

  static Optional<OsUser> lookup(String name) {
    ExternalCommand.Result entry = ExternalCommand.run(List.of("getent", "passwd", name), Duration.ofSeconds(10));
    if (!entry.ok()) {
      return Optional.empty();
    }
    String[] fields = entry.output().split(":");
    int uid = Integer.parseInt(fields[2]);
    return Optional.of(new OsUser(name, uid, Integer.parseInt(fields[3]), uid != currentUid()));
  }

  /** The command, run as this user: through {@code setpriv} (util-linux) with a reset environment when needed. */
  List<String> command(List<String> command) {
    if (!switchNeeded) {
      return command;
    }
    List<String> wrapped = new ArrayList<>(List.of("setpriv", "--reuid=" + uid, "--regid=" + gid, "--clear-groups",
        "--reset-env", "--"));
    wrapped.addAll(command);
    return wrapped;
  }

  /** Gives a file or directory to this user (a no-op when we already are this user). */
  void own(Path path) {
    if (!switchNeeded) {
      return;
    }
    try {
      UserPrincipalLookupService lookup = path.getFileSystem().getUserPrincipalLookupService();
      PosixFileAttributeView view =
          Files.getFileAttributeView(path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
      view.setOwner(lookup.lookupPrincipalByName(name));
      GroupPrincipal group = lookup.lookupPrincipalByGroupName(groupName());
      view.setGroup(group);
    } catch (IOException e) {
      throw new StackException("cannot give " + path + " to the user " + name + ": " + e.getMessage(), e);
    }
  }

  private String groupName() {
    ExternalCommand.Result entry =
        ExternalCommand.run(List.of("getent", "group", Integer.toString(gid)), Duration.ofSeconds(10));
    return entry.ok() ? entry.output().split(":")[0] : Integer.toString(gid);
  }

  /** True when this user can write to {@code dir}: checked by running {@code test} as the user itself. */
  boolean canWrite(Path dir) {
    return ExternalCommand.run(command(List.of("/usr/bin/test", "-w", dir.toString(), "-a", "-x", dir.toString())),
        Duration.ofSeconds(10)).ok();
  }
}
