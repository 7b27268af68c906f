package dev.opencode.tuner.policy.app;

import dev.opencode.tuner.stack.KafkaAccounts;
import dev.opencode.tuner.stack.KafkaServer;
import dev.opencode.tuner.stack.TunerTopics;
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
    /** Base name of the per-host blocked-event topics, {@code <TOPIC>.<host>}. */
    public static final String TOPIC = "opencode.egress.blocked";
    public static final String DEAD_LETTER_TOPIC = "opencode.egress.dead-letter.blocked";
    public static final TunerTopics TOPICS = TunerTopics.defaults();
    public static final int PARTITIONS = 3;
    public static final Path LOG_FILE = Path.of("target", "policy-test.log");

    private static Path stateDirectory;
    private static KafkaServer kafka;
    private static PostgresServer postgres;
    private static final Map<String, KafkaAccounts.Login> COLLECTORS = new java.util.concurrent.ConcurrentHashMap<>();

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
        KafkaAccounts.Login policy = kafka.accounts().policy(TOPICS);
        return Map.of(
                "tuner.policy.kafka.bootstrap-servers", kafka.bootstrapServers(),
                "tuner.policy.kafka.username", policy.username(),
                "tuner.policy.kafka.password-file", policy.passwordFile().toString(),
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

    /** The broker's own account (a super user): for tests that inspect topics. */
    public static Map<String, String> adminLogin() {
        return kafka.accounts().broker().clientProperties();
    }

    /** The account of {@code host}'s collector, created with the host's topics on first use. */
    public static KafkaAccounts.Login collector(String host) {
        return COLLECTORS.computeIfAbsent(host, h -> kafka.accounts().collector(h, TOPICS));
    }

    /** The host-state topic of {@code host} (created, with the host's collector account, on first use). */
    public static String hostStateTopic(String host) {
        collector(host);
        return TOPICS.hostState() + "." + host;
    }

    /** Client properties (bootstrap servers and login) of {@code host}'s collector. */
    public static java.util.Properties collectorProperties(String host) {
        java.util.Properties p = new java.util.Properties();
        p.putAll(collector(host).clientProperties());
        p.put("bootstrap.servers", bootstrapServers());
        return p;
    }

    /** Client properties (bootstrap servers and login) of the broker's own account, a super user. */
    public static java.util.Properties adminProperties() {
        java.util.Properties p = new java.util.Properties();
        p.putAll(adminLogin());
        p.put("bootstrap.servers", bootstrapServers());
        return p;
    }

    /** The blocked-event topic of {@code host} (created, with the host's collector account, on first use). */
    public static String topic(String host) {
        collector(host);
        return TOPICS.forHost(host).keySet().iterator().next();
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
