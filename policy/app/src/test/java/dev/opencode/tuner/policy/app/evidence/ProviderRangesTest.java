package dev.opencode.tuner.policy.app.evidence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.opencode.tuner.suggest.Cidrs;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading the providers' range files in their real formats, refusing bad ones by field, and matching addresses. */
class ProviderRangesTest {
    @TempDir
    Path directory;

    private ProviderRanges all() throws InvalidRangeFile {
        List<ProviderRanges.Parsed> parsed = new ArrayList<>();
        parsed.addAll(ProviderRangeFiles.readAws("aws", RangeFixtures.write(directory, "ip-ranges.json",
                RangeFixtures.aws())));
        parsed.addAll(ProviderRangeFiles.readGoogle("google", RangeFixtures.write(directory, "cloud.json",
                RangeFixtures.google())));
        parsed.addAll(ProviderRangeFiles.readGitHub("github", RangeFixtures.write(directory, "meta.json",
                RangeFixtures.github())));
        return ProviderRanges.of(parsed);
    }

    @Test
    void labelsAnAddressWithEveryRangeItIsInMostSpecificFirst() throws Exception {
        ProviderRanges ranges = all();

        assertThat(ranges.containing(Cidrs.address("52.94.1.10"))).containsExactly(
                new ProviderRange("52.94.0.0/22", "aws", "AMAZON", "us-east-1"),
                new ProviderRange("52.94.0.0/22", "aws", "EC2", "us-east-1"),
                new ProviderRange("52.94.0.0/16", "aws", "AMAZON", "us-east-1"));
        assertThat(ranges.containing(Cidrs.address("52.94.200.1"))).containsExactly(
                new ProviderRange("52.94.0.0/16", "aws", "AMAZON", "us-east-1"));
        assertThat(ranges.containing(Cidrs.address("2600:1f18::1"))).containsExactly(
                new ProviderRange("2600:1f18::/33", "aws", "EC2", "us-east-1"));
        assertThat(ranges.containing(Cidrs.address("35.190.1.1"))).containsExactly(
                new ProviderRange("35.190.0.0/17", "google", "Google Cloud", "us-central1"));
        assertThat(ranges.containing(Cidrs.address("2600:1900:8001::5"))).containsExactly(
                new ProviderRange("2600:1900:8000::/44", "google", "Google Cloud", "africa-south1"));
        assertThat(ranges.containing(Cidrs.address("140.82.113.4"))).containsExactly(
                new ProviderRange("140.82.112.0/20", "github", "web", null),
                new ProviderRange("140.82.112.0/20", "github", "api", null));
        assertThat(ranges.containing(Cidrs.address("192.30.253.1"))).extracting(ProviderRange::service)
                .containsExactly("hooks", "web", "api", "git");
        assertThat(ranges.containing(Cidrs.address("198.51.100.1"))).isEmpty();
        assertThat(ranges.size()).isEqualTo(6 + 3 + 10);
    }

    @Test
    void githubArraysThatAreNotRangesArePassedOver() throws Exception {
        List<ProviderRanges.Parsed> parsed = ProviderRangeFiles.readGitHub("github",
                RangeFixtures.write(directory, "meta.json", RangeFixtures.github()));

        assertThat(parsed).extracting(p -> p.range().service()).doesNotContain("ssh_keys", "domains",
                "ssh_key_fingerprints");
        assertThat(parsed).extracting(p -> p.range().service()).contains("actions", "actions_macos");
    }

    @Test
    void refusesAwsFilesNamingTheField() {
        ObjectNode bad = RangeFixtures.aws();
        ((ObjectNode) bad.withArray("prefixes").get(1)).put("ip_prefix", "52.94.0.0/33");
        assertThatThrownBy(() -> ProviderRangeFiles.readAws("tuner.policy.evidence.providers.aws",
                RangeFixtures.write(directory, "bad.json", bad)))
                .isInstanceOf(InvalidRangeFile.class)
                .hasMessageContaining("tuner.policy.evidence.providers.aws")
                .hasMessageContaining("bad.json")
                .hasMessageContaining("prefixes[1].ip_prefix: '52.94.0.0/33' is not a CIDR");

        ObjectNode v6InV4 = RangeFixtures.aws();
        ((ObjectNode) v6InV4.withArray("prefixes").get(0)).put("ip_prefix", "2600::/16");
        assertThatThrownBy(() -> ProviderRangeFiles.readAws("aws", RangeFixtures.write(directory, "b2.json", v6InV4)))
                .hasMessageContaining("prefixes[0].ip_prefix: '2600::/16' is not an IPv4 CIDR");

        ObjectNode noRegion = RangeFixtures.aws();
        ((ObjectNode) noRegion.withArray("ipv6_prefixes").get(0)).remove("region");
        assertThatThrownBy(() -> ProviderRangeFiles.readAws("aws", RangeFixtures.write(directory, "b3.json",
                noRegion))).hasMessageContaining("ipv6_prefixes[0].region: missing");

        assertThatThrownBy(() -> ProviderRangeFiles.readAws("aws", RangeFixtures.write(directory, "b4.json",
                RangeFixtures.google()))).hasMessageContaining("b4.json: prefixes[0].ip_prefix: missing");
        assertThatThrownBy(() -> ProviderRangeFiles.readAws("aws", RangeFixtures.write(directory, "b5.json",
                "{\"prefixes\": [")))
                .hasMessageContaining("b5.json: $: not JSON");
        assertThatThrownBy(() -> ProviderRangeFiles.readAws("aws", directory.resolve("absent.json")))
                .hasMessageContaining("absent.json: cannot read it (NoSuchFileException");
    }

    @Test
    void refusesGoogleAndGithubFilesNamingTheField() {
        ObjectNode both = RangeFixtures.google();
        ((ObjectNode) both.withArray("prefixes").get(2)).put("ipv4Prefix", "34.0.0.0/8");
        assertThatThrownBy(() -> ProviderRangeFiles.readGoogle("google", RangeFixtures.write(directory, "g.json",
                both))).hasMessageContaining("prefixes[2]: expected exactly one of ipv4Prefix and ipv6Prefix");

        ObjectNode badScope = RangeFixtures.google();
        ((ObjectNode) badScope.withArray("prefixes").get(0)).put("scope", 7);
        assertThatThrownBy(() -> ProviderRangeFiles.readGoogle("google", RangeFixtures.write(directory, "g2.json",
                badScope))).hasMessageContaining("prefixes[0].scope: expected a short line of text, got number '7'");

        ObjectNode mixed = RangeFixtures.github();
        mixed.withArray("api").add("not-a-cidr");
        assertThatThrownBy(() -> ProviderRangeFiles.readGitHub("github", RangeFixtures.write(directory, "m.json",
                mixed))).hasMessageContaining("api[2]: 'not-a-cidr' is not a CIDR, in a list of CIDRs");

        assertThatThrownBy(() -> ProviderRangeFiles.readGitHub("github", RangeFixtures.write(directory, "m2.json",
                RangeFixtures.google()))).hasMessageContaining("no array of CIDRs");
    }
}
