package dev.opencode.tuner.policy.app.ingest;

import dev.opencode.tuner.kafka.KafkaLogin;
import dev.opencode.tuner.policy.app.PolicyConfig;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;

/**
 * Where the broker is and how the policy service logs in (SASL/SCRAM-SHA-512 with the password read from a file):
 * the base of every Kafka client of the service.
 */
public record KafkaConnection(String bootstrapServers, Map<String, String> login) {

    public KafkaConnection {
        login = Map.copyOf(login);
    }

    /** From {@code tuner.policy.kafka}; throws naming the key when the login is unusable. */
    public static KafkaConnection of(PolicyConfig.Kafka kafka) {
        return new KafkaConnection(kafka.bootstrapServers(), KafkaLogin.clientProperties("tuner.policy.kafka",
                kafka.username(), kafka.passwordFile().orElse(null)));
    }

    /** New client properties with the bootstrap servers and the login. */
    public Properties properties() {
        Properties p = new Properties();
        p.putAll(login);
        p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return p;
    }

    @Override
    public String toString() {
        return "KafkaConnection[" + bootstrapServers + ", login hidden]";
    }
}
