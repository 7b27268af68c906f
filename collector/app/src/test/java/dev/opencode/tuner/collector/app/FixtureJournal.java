package dev.opencode.tuner.collector.app;

import dev.opencode.tuner.journal.JournalFixture;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** A journal directory with two blocked kernel lines of host web-1, a state directory and a Kafka password file. */
public class FixtureJournal implements QuarkusTestResourceLifecycleManager {
    @Override
    public Map<String, String> start() {
        try {
            Path root = Files.createTempDirectory("collector-test");
            new JournalFixture()
                    .kernel(JournalFixture.tcpLine("web", "10.0.0.2", "192.0.2.1", 443, 990))
                    .kernel(JournalFixture.tcpLine("web", "10.0.0.2", "192.0.2.2", 443, 990))
                    .writeJournal(root.resolve("journal/system.journal"));
            // No broker answers in this test (bootstrap 127.0.0.1:1), but the login must still be a valid one.
            Path password = root.resolve("kafka.password");
            Files.createFile(password, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
            Files.writeString(password, "wiring-test-password-not-used");
            return Map.of("tuner.collector.journal.directory", root.resolve("journal").toString(),
                    "tuner.collector.state-directory", root.resolve("state").toString(),
                    "tuner.collector.host", "web-1",
                    "tuner.collector.kafka.password-file", password.toString());
        } catch (Exception e) {
            throw new IllegalStateException("cannot build the fixture journal", e);
        }
    }

    @Override
    public void stop() {
    }
}
