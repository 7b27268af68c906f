package dev.opencode.tuner.stack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** State directories for the tests. */
final class StateDirs {

  private StateDirs() {}

  /**
   * A new state directory inside JUnit's temporary directory. JUnit creates that one with mode 0700; as root the
   * private PostgreSQL runs as another user, which must be able to traverse it, as it must for any state directory.
   */
  static Path create(Path tempDir, String name) throws IOException {
    Files.setPosixFilePermissions(tempDir, PosixFilePermissions.fromString("rwxr-xr-x"));
    return Files.createDirectories(tempDir.resolve(name));
  }

  /** Output of the stack for the test log. */
  static void progress(String line) {
    System.err.println(line);
  }
}
