package dev.opencode.tuner.policy.app.evidence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.opencode.tuner.suggest.Cidrs;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Start-up refuses a bad file; a reload that finds a bad file keeps the last good ranges and counts the failure. */
class ProviderRangeLoaderTest {
    @TempDir
    Path directory;

    private static EvidenceConfig config(Path aws) {
        return new EvidenceConfig() {
            @Override
            public Dns dns() {
                throw new UnsupportedOperationException();
            }

            @Override
            public Providers providers() {
                return new Providers() {
                    @Override
                    public Optional<Path> aws() {
                        return Optional.of(aws);
                    }

                    @Override
                    public Optional<Path> google() {
                        return Optional.empty();
                    }

                    @Override
                    public Optional<Path> github() {
                        return Optional.empty();
                    }

                    @Override
                    public Duration reloadInterval() {
                        return Duration.ofMinutes(1);
                    }
                };
            }
        };
    }

    @Test
    void aBadFileStopsTheStartNamingKeyFileAndField() throws Exception {
        Path file = RangeFixtures.write(directory, "ip-ranges.json", "{\"prefixes\": [{\"ip_prefix\": \"x\"}]}");
        ProviderRangeLoader loader = new ProviderRangeLoader(config(file), new SimpleMeterRegistry());

        assertThatThrownBy(() -> loader.onStart(null))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("tuner.policy.evidence.providers.aws " + file)
                .hasMessageContaining("prefixes[0].ip_prefix: 'x' is not a CIDR");
    }

    @Test
    void aReloadThatFindsABadFileKeepsTheLastGoodRanges() throws Exception {
        Path file = RangeFixtures.write(directory, "ip-ranges.json", RangeFixtures.aws());
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ProviderRangeLoader loader = new ProviderRangeLoader(config(file), registry);
        loader.onStart(null);
        assertThat(loader.ranges().containing(Cidrs.address("3.5.141.1"))).hasSize(1);

        Files.writeString(file, "{\"prefixes\": [");
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(5)));
        loader.reloadIfChanged();

        assertThat(loader.ranges().containing(Cidrs.address("3.5.141.1"))).hasSize(1);
        assertThat(registry.get("tuner.policy.evidence.range.reload.failures").counter().count()).isEqualTo(1.0);

        var changed = RangeFixtures.aws();
        RangeFixtures.awsPrefix(changed.withArray("prefixes"), "ip_prefix", "198.51.100.0/24", "eu-west-1", "S3");
        RangeFixtures.write(directory, "ip-ranges.json", changed);
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(10)));
        loader.reloadIfChanged();

        assertThat(loader.ranges().containing(Cidrs.address("198.51.100.1")))
                .containsExactly(new ProviderRange("198.51.100.0/24", "aws", "S3", "eu-west-1"));
    }
}
