package dev.opencode.tuner.stack;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a short-lived external command (initdb, pg_ctl, Kafka's storage tool, useradd) with a timeout. */
final class ExternalCommand {

  /** Exit code and combined stdout and stderr. */
  record Result(int exitCode, String output) {
    boolean ok() {
      return exitCode == 0;
    }
  }

  private ExternalCommand() {}

  /**
   * Runs {@code command} with stdin from /dev/null and its output in a temporary file, not a pipe: a daemon the
   * command leaves behind (pg_ctl's postmaster) must not hold our pipe open.
   */
  static Result run(List<String> command, Duration timeout, Map<String, String> extraEnv) {
    Path out = null;
    try {
      out = Files.createTempFile("tuner-stack-cmd", ".out");
      ProcessBuilder builder = new ProcessBuilder(command)
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .redirectErrorStream(true)
          .redirectOutput(out.toFile());
      builder.environment().putAll(extraEnv);
      Process process = builder.start();
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
        throw new StackException(String.join(" ", command) + " did not finish within " + timeout.toSeconds()
            + " s; its output so far:\n" + Files.readString(out, StandardCharsets.UTF_8).strip());
      }
      return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8).strip());
    } catch (IOException e) {
      throw new StackException("cannot run " + command.get(0) + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StackException("interrupted while running " + String.join(" ", command), e);
    } finally {
      if (out != null) {
        try {
          Files.deleteIfExists(out);
        } catch (IOException ignored) {
          // A leftover file in the temporary directory is harmless and the command's result is already known.
        }
      }
    }
  }

  static Result run(List<String> command, Duration timeout) {
    return run(command, timeout, Map.of());
  }

  /** Runs the command and fails with {@code what}, the exit code and the output when it does not exit with 0. */
  static String runOrFail(String what, List<String> command, Duration timeout) {
    Result result = run(command, timeout);
    if (!result.ok()) {
      throw new StackException(what + " failed (exit " + result.exitCode() + "): " + String.join(" ", command)
          + (result.output().isEmpty() ? "" : "\n" + result.output()));
    }
    return result.output();
  }
}
