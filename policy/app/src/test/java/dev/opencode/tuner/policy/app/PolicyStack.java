package dev.opencode.tuner.policy.app;

import dev.opencode.tuner.stack.KafkaServer;
import dev.opencode.tuner.stack.PostgresServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The real Kafka broker and PostgreSQL server, started natively by the stack module for the policy service under
 * test. The state directory is under /tmp: as root, PostgreSQL runs as another OS user, which must be able to
 * traverse it (it cannot traverse /root), and unix socket paths must stay short.
 */
public class PolicyStack implements QuarkusTestResourceLifecycleManager {
    public static final String TOPIC = "opencode.egress.blocked";
    public static final String DEAD_LETTER_TOPIC = "opencode.egress.blocked.dlq";
    public static final int PARTITIONS = 3;
    public static final Path LOG_FILE = Path.of("target", "policy-test.log");

    private static Path stateDirectory;
    private static KafkaServer kafka;
    private static PostgresServer postgres;

    @Override
    public Map<String, String> start() {
        try {
            Files.deleteIfExists(LOG_FILE);
            stateDirectory = Files.createTempDirectory("tuner-policy-test-");
            Files.setPosixFilePermissions(stateDirectory, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (IOException e) {
            throw new IllegalStateException("cannot create the test's state directory under /tmp", e);
        }
        Path stack = stateDirectory.resolve("stack");
        kafka = KafkaServer.start(stack);
        postgres = PostgresServer.start(stack);
        kafka.createTopics(Map.of(TOPIC, PARTITIONS)); // the dead-letter topic is created by the service itself
        return Map.of(
                "tuner.policy.kafka.bootstrap-servers", kafka.bootstrapServers(),
                "tuner.policy.database.credentials-file",
                stack.resolve("credentials").resolve("policy-db.properties").toString(),
                "tuner.policy.state-directory", policyState().toString());
    }

    @Override
    public void stop() {
        try {
            kafka.close();
        } finally {
            postgres.close();
        }
        try (Stream<Path> files = Files.walk(stateDirectory)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            System.err.println("could not delete the test state directory " + stateDirectory + ": " + e);
        }
    }

    /** Stops PostgreSQL (a fast shutdown: open connections are cut), runs the action, and starts it again. */
    public static void withPostgresDown(Runnable action) {
        postgres.stop();
        try {
            action.run();
        } finally {
            postgres = PostgresServer.start(stateDirectory.resolve("stack"));
        }
    }

    public static String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    /** The credentials of the read-only role tuner_grafana, created by the stack before the service migrates. */
    public static Path grafanaCredentials() {
        return stateDirectory.resolve("stack").resolve("credentials").resolve("grafana-db.properties");
    }

    /** The policy service's state directory (accounts, initial admin password). */
    public static Path policyState() {
        return stateDirectory.resolve("policy");
    }
}
