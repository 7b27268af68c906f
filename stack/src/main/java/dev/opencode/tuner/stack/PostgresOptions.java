package dev.opencode.tuner.stack;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * How to start the private PostgreSQL cluster.
 *
 * @param port the TCP port on 127.0.0.1; 0 reuses the port of the last start, or picks a free one
 * @param binDir where {@code initdb}, {@code pg_ctl} and {@code postgres} are (Debian's {@code postgresql-15})
 * @param installMissing when the binaries are missing, install {@code postgresql-15} with apt-get (root only)
 * @param startTimeout how long {@code pg_ctl start} may wait for the server to accept connections
 * @param progress where to print what is happening (one line per step)
 */
public record PostgresOptions(int port, Path binDir, boolean installMissing, Duration startTimeout,
    Consumer<String> progress) {

  public static final Path DEBIAN_BIN_DIR = Path.of("/usr/lib/postgresql/15/bin");
  public static final String DEBIAN_PACKAGE = "postgresql-15";

  public PostgresOptions {
    Objects.requireNonNull(binDir, "binDir");
    Objects.requireNonNull(startTimeout, "startTimeout");
    Objects.requireNonNull(progress, "progress");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("the PostgreSQL port must be 0..65535, got " + port);
    }
  }

  /** Persisted or free port, Debian's PostgreSQL 15, no installation, 60 s to start, no progress output. */
  public static PostgresOptions defaults() {
    return new PostgresOptions(0, DEBIAN_BIN_DIR, false, Duration.ofSeconds(60), line -> { });
  }

  public PostgresOptions withPort(int newPort) {
    return new PostgresOptions(newPort, binDir, installMissing, startTimeout, progress);
  }

  public PostgresOptions withBinDir(Path dir) {
    return new PostgresOptions(port, dir, installMissing, startTimeout, progress);
  }

  public PostgresOptions withInstallMissing(boolean install) {
    return new PostgresOptions(port, binDir, install, startTimeout, progress);
  }

  public PostgresOptions withStartTimeout(Duration timeout) {
    return new PostgresOptions(port, binDir, installMissing, timeout, progress);
  }

  public PostgresOptions withProgress(Consumer<String> sink) {
    return new PostgresOptions(port, binDir, installMissing, startTimeout, sink);
  }
}
