package dev.opencode.tuner.cli.stack;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opencode.tuner.cli.Tuner;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./tuner up --monitoring --scrape-interval}: bad values are usage errors naming the flag, before anything starts. */
class UpMonitoringOptionsTest {
    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {
    }

    private static Run tuner(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Tuner.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void aScrapeIntervalOutsideOneToThreeHundredSecondsIsAUsageError() {
        for (String value : new String[] {"0", "301", "-5"}) {
            Run run = tuner("up", "--state-dir", tmp.resolve("s").toString(), "--monitoring", "--scrape-interval",
                    value);
            assertThat(run.code()).as(run.err()).isEqualTo(2);
            assertThat(run.err()).contains("--scrape-interval " + value).contains("between 1 and 300 seconds");
        }
        assertThat(Files.exists(tmp.resolve("s").resolve("stack.properties"))).isFalse();
    }

    @Test
    void aScrapeIntervalWithoutMonitoringIsAUsageError() {
        Run run = tuner("up", "--state-dir", tmp.resolve("s").toString(), "--scrape-interval", "5");
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("--scrape-interval needs --monitoring");
        assertThat(Files.exists(tmp.resolve("s").resolve("stack.properties"))).isFalse();
    }

    @Test
    void aScrapeIntervalThatIsNotANumberNamesTheFlag() {
        Run run = tuner("up", "--state-dir", tmp.resolve("s").toString(), "--monitoring", "--scrape-interval", "fast");
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("--scrape-interval");
    }

    @Test
    void aHostThatCannotNameAKafkaTopicIsAUsageError() {
        Run run = tuner("up", "--state-dir", tmp.resolve("s").toString(), "--journal-dir", tmp.toString(), "--host",
                "web/1");
        assertThat(run.code()).as(run.err()).isEqualTo(2);
        assertThat(run.err()).contains("--host").contains("cannot name a Kafka topic");
        assertThat(Files.exists(tmp.resolve("s").resolve("stack.properties"))).isFalse();
    }
}
