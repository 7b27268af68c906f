package dev.opencode.tuner.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GeneratedFileTest {
    private static final Instant T = Instant.parse("2026-11-25T10:15:00Z");

    @Test
    void thePathTemplateNamesTheHostsFile() {
        assertThat(new GeneratedFile(GeneratedFile.DEFAULT_PATH_TEMPLATE).path("demo-host"))
                .isEqualTo("hosts/demo-host/opencode-egress-allowlist.nix");
        assertThat(new GeneratedFile("nixos/<host>.egress.nix").path("a.example.org"))
                .isEqualTo("nixos/a.example.org.egress.nix");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "hosts/allowlist.nix", "/etc/<host>.nix", "../<host>.nix", "hosts/../<host>.nix",
        "hosts//<host>.nix", ".git/<host>.nix", "hosts\\<host>.nix", "hosts/<host>.txt", "hosts/<host>\n.nix"})
    void templatesThatCouldLeaveTheRepositoryOrMissTheHostAreRefused(String template) {
        assertThatThrownBy(() -> new GeneratedFile(template)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("path template").hasMessageContaining("use e.g. " + GeneratedFile.DEFAULT_PATH_TEMPLATE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"..", "a/b", "-host", "host-", ".hidden", "a..b", "a b", "x\ny", "ünï"})
    void hostNamesThatCannotBeAPathSegmentOrBranchAreRefused(String host) {
        assertThatThrownBy(() -> new GeneratedFile(GeneratedFile.DEFAULT_PATH_TEMPLATE).path(host))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot be exported");
    }

    @Test
    void theTextDependsOnlyOnTheEntriesNotTheirOrder() {
        AcceptedEntry a = new AcceptedEntry("web", "10.0.0.0/24", "s1", "alice", T, null, "e1");
        AcceptedEntry b = new AcceptedEntry("web", "9.0.0.0/24", "s2", "bob", T, null, "e2");
        AcceptedEntry c = new AcceptedEntry("api", "2001:db8::/48", "s3", "bob", T, null, "");
        GeneratedFile file = new GeneratedFile(GeneratedFile.DEFAULT_PATH_TEMPLATE);

        String one = file.render(new HostExport("h", List.of(a, b, c)));
        String two = file.render(new HostExport("h", List.of(c, b, a)));

        assertThat(one).isEqualTo(two);
        assertThat(one.indexOf("\"9.0.0.0/24\"")).isLessThan(one.indexOf("\"10.0.0.0/24\""));
        assertThat(one.indexOf("\"api\"")).isLessThan(one.indexOf("\"web\""));
    }

    @Test
    void cidrsFromPostgresqlAreWrittenCanonically() {
        assertThat(new AcceptedEntry("web", "2001:DB8:0:0::/48", "s", "a", T, null, null).cidr())
                .isEqualTo("2001:db8::/48");
        assertThatThrownBy(() -> new AcceptedEntry("web", "10.0.0.1/24", "s", "a", T, null, null))
                .hasMessageContaining("host bits set");
    }

    @Test
    void aTokenFileIsReadTrimmedAndNeverPrinted(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("token");
        Files.writeString(file, "ghp_s3cr3t\n");
        Secret secret = Secret.fromFile(file, "tuner.policy.export.forge.token-file");

        assertThat(secret.reveal()).isEqualTo("ghp_s3cr3t");
        assertThat(secret.toString()).doesNotContain("s3cr3t");
        assertThat(secret.redact("Authorization: Bearer ghp_s3cr3t")).isEqualTo("Authorization: Bearer ****");

        Files.writeString(file, "ghp_a ghp_b\n");
        assertThatThrownBy(() -> Secret.fromFile(file, "k")).hasMessageContaining("more than one token")
                .hasMessageNotContaining("ghp_a");
        assertThatThrownBy(() -> Secret.fromFile(dir.resolve("missing"), "k")).hasMessageContaining("k: cannot read");
    }

    @Test
    void aRepositoryUrlWithAPasswordOrPlainHttpIsRefused() {
        assertThatThrownBy(() -> GitRemote.local("https://bot:hunter2@git.example.org/infra.git"))
                .hasMessageContaining("carries a password").hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> GitRemote.local("http://git.example.org/infra.git"))
                .hasMessageContaining("plain http");
    }

    @Test
    void aCaFileThatIsMissingOrHoldsNoCertificateIsRefusedNamingTheFile(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("missing.pem");
        Path notPem = Files.writeString(dir.resolve("ca.pem"), "not a certificate\n");

        assertThatThrownBy(() -> new GitRemote("https://git.example.org/infra.git", null, null, null, null, null,
                missing)).hasMessageContaining("cannot read the CA file " + missing);
        assertThatThrownBy(() -> CaCertificates.read(notPem, "tuner.policy.export.https-ca-file"))
                .hasMessageStartingWith("tuner.policy.export.https-ca-file: the CA file " + notPem)
                .hasMessageContaining("in PEM");
    }

    @Test
    void anUnreadableKnownHostsFileIsRefusedNamingTheFile(@TempDir Path dir) {
        Path missing = dir.resolve("known_hosts");

        assertThatThrownBy(() -> new GitRemote("ssh://git@git.example.org/infra.git", null, missing, null, null, null))
                .hasMessageContaining("known_hosts file " + missing + " is not readable");
    }
}
