package dev.opencode.tuner.stack;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/** Small file operations on the state directory: atomic writes, private (0600) files, properties, log tails. */
final class StateFiles {

  static final Set<PosixFilePermission> PRIVATE_FILE = PosixFilePermissions.fromString("rw-------");
  static final Set<PosixFilePermission> PRIVATE_DIR = PosixFilePermissions.fromString("rwx------");

  private StateFiles() {}

  static Path createDirectories(Path dir) {
    try {
      return Files.createDirectories(dir);
    } catch (IOException e) {
      throw new StackException("cannot create the directory " + dir + ": " + e.getMessage(), e);
    }
  }

  static final Set<PosixFilePermission> LOG_FILE = PosixFilePermissions.fromString("rw-r-----");

  /**
   * A log file that the owner writes and the owner's group may read, nobody else (created if missing, tightened if
   * it exists): logs name accounts, addresses and paths, and a process's output redirected into a new file would
   * otherwise get the umask's 0644.
   */
  static Path logFile(Path file) {
    createDirectories(file.getParent());
    try {
      if (!Files.exists(file)) {
        Files.newByteChannel(file, Set.of(java.nio.file.StandardOpenOption.CREATE_NEW,
            java.nio.file.StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(LOG_FILE)).close();
      }
      Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
      permissions.retainAll(LOG_FILE);
      Files.setPosixFilePermissions(file, permissions);
    } catch (java.nio.file.FileAlreadyExistsException e) {
      return logFile(file);
    } catch (IOException e) {
      throw new StackException("cannot create the log file " + file + ": " + e.getMessage(), e);
    }
    return file;
  }

  /** A directory only its owner may enter (created if missing, tightened if it exists). */
  static Path privateDirectory(Path dir) {
    createDirectories(dir);
    try {
      Files.setPosixFilePermissions(dir, PRIVATE_DIR);
    } catch (IOException e) {
      throw new StackException("cannot make " + dir + " private (0700): " + e.getMessage(), e);
    }
    return dir;
  }

  /** Writes through a temporary file in the same directory and a rename, so readers never see half a file. */
  static void writeAtomically(Path file, String content, Set<PosixFilePermission> permissions) {
    createDirectories(file.getParent());
    Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
    try {
      Files.deleteIfExists(tmp);
      Files.createFile(tmp, PosixFilePermissions.asFileAttribute(permissions));
      Files.writeString(tmp, content, StandardCharsets.UTF_8);
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new StackException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  static void writeAtomically(Path file, String content) {
    writeAtomically(file, content, PosixFilePermissions.fromString("rw-r--r--"));
  }

  /** Writes a file that holds a secret: mode 0600 from its creation on. */
  static void writePrivate(Path file, String content) {
    writeAtomically(file, content, PRIVATE_FILE);
  }

  static Map<String, String> readProperties(Path file) {
    if (!Files.exists(file)) {
      return new TreeMap<>();
    }
    Properties properties = new Properties();
    try {
      properties.load(new StringReader(Files.readString(file, StandardCharsets.UTF_8)));
    } catch (IOException e) {
      throw new StackException("cannot read " + file + ": " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new StackException("cannot parse " + file + " (" + e.getMessage() + "); delete it to start afresh", e);
    }
    Map<String, String> map = new TreeMap<>();
    properties.forEach((k, v) -> map.put((String) k, (String) v));
    return map;
  }

  /**
   * Properties text with sorted keys and a comment line, without the timestamp that Properties.store adds, and
   * readable by people and shell tools: plain ASCII values ({@code jdbc:postgresql://...}) are written as they are,
   * anything else with Properties' escapes.
   */
  static String propertiesText(String comment, Map<String, String> values) {
    StringBuilder text = new StringBuilder("# ").append(comment).append('\n');
    for (Map.Entry<String, String> e : new TreeMap<>(values).entrySet()) {
      if (e.getKey().matches("[A-Za-z0-9._-]+") && e.getValue().matches("([!-~][ -~]*)?")
          && e.getValue().indexOf('\\') < 0) {
        text.append(e.getKey()).append('=').append(e.getValue()).append('\n');
        continue;
      }
      Properties one = new Properties();
      one.setProperty(e.getKey(), e.getValue());
      StringWriter line = new StringWriter();
      try {
        one.store(line, null);
      } catch (IOException impossible) {
        throw new UncheckedIOException(impossible);
      }
      // store() writes a "#date" line first; keep only the escaped key=value line.
      line.toString().lines().filter(l -> !l.startsWith("#")).forEach(l -> text.append(l).append('\n'));
    }
    return text.toString();
  }

  /** The last {@code lines} lines of a log file (read from its last 256 KiB), or a note that it does not exist. */
  static String tail(Path file, int lines) {
    if (!Files.isRegularFile(file)) {
      return "(" + file + " does not exist yet)";
    }
    String text;
    try (SeekableByteChannel channel = Files.newByteChannel(file)) {
      long size = channel.size();
      int length = (int) Math.min(size, 256 * 1024);
      ByteBuffer buffer = ByteBuffer.allocate(length);
      channel.position(size - length);
      while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
        // read until the buffer is full or the file ends
      }
      // new String replaces malformed bytes (a cut multi-byte character at the start) instead of throwing.
      text = new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(cannot read " + file + ": " + e.getMessage() + ")";
    }
    List<String> all = text.lines().toList();
    return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
  }

  /** The last {@code lines} lines of a text. */
  static String lastLinesOf(String text, int lines) {
    List<String> all = text.lines().toList();
    return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
  }
}
