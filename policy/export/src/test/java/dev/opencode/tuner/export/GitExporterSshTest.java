package dev.opencode.tuner.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.opencode.tuner.export.ExportPlan.Change;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exporter over SSH against Debian's OpenSSH server on loopback, serving a real bare repository with Debian's
 * git-upload-pack and git-receive-pack; keys and known_hosts are made in the test with ssh-keygen.
 */
class GitExporterSshTest {
    private static final String BRANCH = "opencode-egress/demo-host";
    private static final String PATH = "hosts/demo-host/opencode-egress-allowlist.nix";

    @TempDir
    Path dir;
    Path bare;
    Path clientKey;
    OpenSshServer sshd;
    LogLines logs;

    @BeforeEach
    void start() throws Exception {
        bare = Remotes.bare(Files.createDirectories(dir.resolve("srv")), "main");
        clientKey = OpenSshServer.keyPair(dir.resolve("id_ed25519"), "ed25519");
        Path authorized = Files.copy(dir.resolve("id_ed25519.pub"), dir.resolve("authorized_keys"));
        sshd = OpenSshServer.start(Files.createDirectories(dir.resolve("sshd")), authorized);
        logs = new LogLines();
    }

    @AfterEach
    void stop() throws Exception {
        if (logs != null) {
            logs.close();
        }
        if (sshd != null) {
            sshd.close();
        }
    }

    GitExporter exporter(Path key, Path knownHosts) {
        return new GitExporter(new GitRemote(sshd.uri(bare), key, knownHosts, null, null, null),
                dir.resolve("cache"), new GeneratedFile(GeneratedFile.DEFAULT_PATH_TEMPLATE), "opencode-egress-tuner",
                "tuner@example.org");
    }

    @Test
    void pushesTheBotBranchOverSshWithTheKeyFileAndTheKnownHostsFile() throws Exception {
        Path knownHosts = sshd.knownHosts(dir.resolve("known_hosts"), sshd.hostPublicKey);
        GitExporter exporter = exporter(clientKey, knownHosts);

        ExportPlan plan = exporter.plan(GitExporterTest.twoEntries());
        exporter.push(plan);

        assertThat(plan.change()).isEqualTo(Change.COMMIT);
        assertThat(plan.defaultBranch()).isEqualTo("main");
        assertThat(Remotes.tip(bare, BRANCH)).isEqualTo(plan.commit());
        assertThat(Remotes.read(bare, BRANCH, PATH)).isEqualTo(plan.content());
        assertThat(Remotes.commit(bare, plan.commit()).getParent(0).getId()).isEqualTo(Remotes.tip(bare, "main"));
        // The server really saw this key: sshd logs the accepted key's fingerprint.
        assertThat(sshd.log()).contains("Accepted publickey for " + System.getProperty("user.name"));

        ExportPlan again = exporter.plan(GitExporterTest.twoEntries());
        exporter.push(again);

        assertThat(again.change()).isEqualTo(Change.BRANCH_CURRENT);
        assertThat(Remotes.tip(bare, BRANCH)).isEqualTo(plan.commit());
        assertThat(String.join("\n", logs.lines())).doesNotContain(privateKeyLines(clientKey))
                .doesNotContain(privateKeyHex(clientKey)).doesNotContain("PRIVATE KEY");
    }

    @Test
    void aServerWhoseHostKeyIsNotTheKnownOneIsRefusedBeforeAnythingIsSent() throws Exception {
        Path otherHost = OpenSshServer.keyPair(dir.resolve("other_host_key"), "ed25519");
        Path knownHosts = sshd.knownHosts(dir.resolve("known_hosts"), otherHost.resolveSibling("other_host_key.pub"));
        GitExporter exporter = exporter(clientKey, knownHosts);

        assertThatThrownBy(() -> exporter.plan(GitExporterTest.twoEntries())).isInstanceOf(ExportException.class)
                .hasNoCause()
                .hasMessageContaining("export of demo-host failed")
                .hasMessageContaining("127.0.0.1:" + sshd.port)
                .hasMessageContaining("host key")
                .hasMessageContaining(knownHosts.toString());
        assertThat(sshd.log()).doesNotContain("Accepted publickey");
        assertThat(Remotes.tip(bare, BRANCH)).isNull();
    }

    @Test
    void aServerMissingFromTheKnownHostsFileIsRefused() throws Exception {
        Path knownHosts = Files.writeString(dir.resolve("known_hosts"), "");
        GitExporter exporter = exporter(clientKey, knownHosts);

        assertThatThrownBy(() -> exporter.plan(GitExporterTest.twoEntries())).isInstanceOf(ExportException.class)
                .hasNoCause()
                .hasMessageContaining("127.0.0.1:" + sshd.port)
                .hasMessageContaining("host key")
                .hasMessageContaining(knownHosts.toString());
        assertThat(sshd.log()).doesNotContain("Accepted publickey");
    }

    @Test
    void aClientKeyTheServerDoesNotAcceptFailsClearlyWithoutLeakingTheKey() throws Exception {
        Path knownHosts = sshd.knownHosts(dir.resolve("known_hosts"), sshd.hostPublicKey);
        Path stranger = OpenSshServer.keyPair(dir.resolve("id_stranger"), "ed25519");
        GitExporter exporter = exporter(stranger, knownHosts);

        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(
                () -> exporter.plan(GitExporterTest.twoEntries()));

        assertThat(thrown).isInstanceOf(ExportException.class).hasNoCause()
                .hasMessageContaining("127.0.0.1:" + sshd.port)
                .hasMessageContaining("refused the SSH key")
                .hasMessageContaining(stranger.toString());
        String[] secret = privateKeyLines(stranger);
        assertThat(thrown.getMessage()).doesNotContain(secret).doesNotContain("PRIVATE KEY");
        assertThat(String.join("\n", logs.lines())).doesNotContain(secret).doesNotContain(privateKeyHex(stranger))
                .doesNotContain("PRIVATE KEY");
        assertThat(sshd.log()).doesNotContain("Accepted publickey");
        assertThat(Remotes.tip(bare, BRANCH)).isNull();
    }

    /**
     * The base64 lines of an OpenSSH private key file that hold key material: not the armour, not the first line (the
     * format's fixed header, the same in every ed25519 key).
     */
    private static String[] privateKeyLines(Path key) throws Exception {
        return Files.readAllLines(key).stream().filter(l -> !l.startsWith("-----")).skip(1).toArray(String[]::new);
    }

    /**
     * The key file's decoded bytes as a hex dump would print them (16 bytes a line, {@code xx:xx:...}), from the
     * private section on: the form in which Apache MINA sshd's key parser logs what it reads, at TRACE.
     */
    private static String[] privateKeyHex(Path key) throws Exception {
        byte[] raw = java.util.Base64.getMimeDecoder().decode(String.join("", Files.readAllLines(key).stream()
                .filter(l -> !l.startsWith("-----")).toList()));
        java.util.List<String> chunks = new java.util.ArrayList<>();
        for (int i = (raw.length - 96) / 16 * 16; i + 16 <= raw.length; i += 16) {
            chunks.add(java.util.HexFormat.ofDelimiter(":").formatHex(raw, i, i + 16));
        }
        return chunks.toArray(String[]::new);
    }
}
