package dev.opencode.tuner.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaLoginTest {
    @TempDir
    Path dir;

    private Path file(String content, String mode) throws Exception {
        Path f = dir.resolve("p-" + System.nanoTime());
        Files.writeString(f, content);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(mode));
        return f;
    }

    @Test
    void buildsTheScramLoginFromAPrivateFile() throws Exception {
        Map<String, String> p = KafkaLogin.clientProperties("tuner.x.kafka", "collector-web-1",
                file("abcdefghijklmnopqrstuvwxyz-0123\n", "r--------"));
        assertThat(p).containsEntry("security.protocol", "SASL_PLAINTEXT").containsEntry("sasl.mechanism",
                "SCRAM-SHA-512");
        assertThat(p.get("sasl.jaas.config")).isEqualTo("org.apache.kafka.common.security.scram.ScramLoginModule"
                + " required username=\"collector-web-1\" password=\"abcdefghijklmnopqrstuvwxyz-0123\";");
    }

    @Test
    void refusesAFileOtherUsersCanReadWithoutShowingThePassword() throws Exception {
        Path f = file("secret-secret-secret-secret", "rw-r--r--");
        assertThatThrownBy(() -> KafkaLogin.clientProperties("tuner.x.kafka", "u", f))
                .hasMessageContaining("tuner.x.kafka.password-file").hasMessageContaining("chmod 600")
                .hasMessageNotContaining("secret-secret");
    }

    @Test
    void refusesPasswordsThatWouldBreakTheJaasLineOrAreTooShort() throws Exception {
        for (String bad : new String[] {"short", "has\"quote-and-is-long-enough", "back\\slash-and-long-enough-x",
            "two\nlines-which-are-long-enough", "spaces are not allowed here ok"}) {
            Path f = file(bad, "rw-------");
            assertThatThrownBy(() -> KafkaLogin.clientProperties("k", "u", f)).as(bad)
                    .hasMessageContaining("does not hold one line of 16 to 512 printable ASCII")
                    .hasMessageNotContaining(bad.substring(0, 4));
        }
    }

    @Test
    void namesTheKeyWhenTheLoginIsMissing() throws Exception {
        assertThatThrownBy(() -> KafkaLogin.clientProperties("tuner.policy.kafka", null, null))
                .hasMessageStartingWith("tuner.policy.kafka.username: not set");
        assertThatThrownBy(() -> KafkaLogin.clientProperties("tuner.policy.kafka", "a\"b", null))
                .hasMessageContaining("is not a Kafka user name");
        assertThatThrownBy(() -> KafkaLogin.clientProperties("tuner.policy.kafka", "tuner-policy", null))
                .hasMessageStartingWith("tuner.policy.kafka.password-file: not set");
        assertThatThrownBy(() -> KafkaLogin.clientProperties("k", "u", dir.resolve("missing")))
                .hasMessageContaining("does not exist");
    }
}
