package dev.opencode.tuner.stack;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateFilesTest {

  @TempDir Path tmp;

  @Test
  void propertiesRoundTripAndStayReadableForPeople() {
    Map<String, String> values = new TreeMap<>();
    values.put("url", "jdbc:postgresql://127.0.0.1:5433/tuner_policy?ssl=false");
    values.put("marker", "/state dir/kafka/server.properties");
    values.put("odd", " leading space, back\\slash, tab\t, newline\n, ü");
    values.put("empty", "");
    Path file = tmp.resolve("x.properties");

    StateFiles.writePrivate(file, StateFiles.propertiesText("comment", values));

    assertThat(StateFiles.readProperties(file)).isEqualTo(values);
    assertThat(file).content().contains("url=jdbc:postgresql://127.0.0.1:5433/tuner_policy?ssl=false\n")
        .contains("marker=/state dir/kafka/server.properties\n").doesNotContain("#20");
  }

  @Test
  void privateFilesAreCreatedWithMode0600() throws Exception {
    Path file = tmp.resolve("secret");
    StateFiles.writePrivate(file, "s3cret\n");
    assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    StateFiles.writePrivate(file, "rotated\n");
    assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(file).hasContent("rotated");
  }

  @Test
  void logFilesAreAt0640AtMostAndExistingOnesAreTightened() throws Exception {
    Path fresh = StateFiles.logFile(tmp.resolve("logs").resolve("policy.log"));
    assertThat(Files.getPosixFilePermissions(fresh)).isEqualTo(PosixFilePermissions.fromString("rw-r-----"));

    Path old = tmp.resolve("old.log");
    Files.writeString(old, "kept\n");
    Files.setPosixFilePermissions(old, PosixFilePermissions.fromString("rw-rw-rw-"));
    StateFiles.logFile(old);
    assertThat(Files.getPosixFilePermissions(old)).isEqualTo(PosixFilePermissions.fromString("rw-r-----"));
    assertThat(old).hasContent("kept");

    Path tight = tmp.resolve("tight.log");
    Files.createFile(tight, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    StateFiles.logFile(tight);
    assertThat(Files.getPosixFilePermissions(tight)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
  }

  @Test
  void tailKeepsTheLastLinesOfALargeLog() throws Exception {
    Path log = tmp.resolve("big.log");
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 100_000; i++) {
      text.append("line ").append(i).append('\n');
    }
    Files.writeString(log, text);
    assertThat(StateFiles.tail(log, 3)).isEqualTo("line 99997\nline 99998\nline 99999");
    assertThat(StateFiles.tail(tmp.resolve("missing.log"), 3)).contains("does not exist yet");
  }
}
