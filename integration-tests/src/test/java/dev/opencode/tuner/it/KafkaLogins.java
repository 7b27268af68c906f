package dev.opencode.tuner.it;

import dev.opencode.tuner.stack.KafkaAccounts;
import dev.opencode.tuner.stack.StateLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * The Kafka accounts of a stack's state directory, as {@code ./tuner up} provisions them
 * ({@code credentials/kafka-<account>.password}), for the tests' own clients: the broker's super user to read any
 * topic, a host's collector to write as that host.
 */
final class KafkaLogins {
    private KafkaLogins() {
    }

    /** The broker's own account (a super user): reads every topic, whatever the ACLs. */
    static KafkaAccounts.Login broker(Path state) {
        return login(state, KafkaAccounts.BROKER);
    }

    /** The account of {@code host}'s collector: writes that host's topics and nothing else. */
    static KafkaAccounts.Login collector(Path state, String host) {
        return login(state, KafkaAccounts.collector(host));
    }

    /** Client settings: the bootstrap servers and the login. */
    static Properties client(KafkaAccounts.Login login, String bootstrap) {
        Properties p = new Properties();
        p.putAll(login.clientProperties());
        p.put("bootstrap.servers", bootstrap);
        return p;
    }

    private static KafkaAccounts.Login login(Path state, String account) {
        Path file = new StateLayout(state).credentials().resolve("kafka-" + account + ".password");
        if (!Files.isRegularFile(file)) {
            throw new AssertionError("no Kafka password of " + account + " in " + file
                    + ": did ./tuner up provision it?");
        }
        return new KafkaAccounts.Login(account, file);
    }
}
