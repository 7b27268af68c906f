package dev.opencode.tuner.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.opencode.tuner.export.ExportPlan.Change;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exporter over HTTPS with a token against git's own smart HTTP ({@code git http-backend} behind the JDK's HTTPS
 * server on loopback), whose certificate is a self-signed one made in the test and trusted only through the remote's
 * CA file.
 */
class GitExporterHttpsTest {
    private static final String BRANCH = "opencode-egress/demo-host";
    private static final String PATH = "hosts/demo-host/opencode-egress-allowlist.nix";
    private static final String USER = "x-access-token";

    @TempDir
    static Path certificates;
    static GitHttpsServer.Certificate certificate;
    static GitHttpsServer.Certificate otherCa;

    @TempDir
    Path dir;
    Path bare;
    String token;
    GitHttpsServer server;
    LogLines logs;

    @BeforeAll
    static void makeCertificates() throws Exception {
        certificate = GitHttpsServer.certificate(certificates, "127.0.0.1");
        otherCa = GitHttpsServer.certificate(certificates, "someone-else");
    }

    @BeforeEach
    void start() throws Exception {
        Path root = Files.createDirectories(dir.resolve("srv"));
        bare = Remotes.bare(root, "main");
        token = "tok_" + UUID.randomUUID().toString().replace("-", "");
        server = GitHttpsServer.start(root, certificate, USER, token);
        logs = new LogLines();
    }

    @AfterEach
    void stop() {
        if (logs != null) {
            logs.close();
        }
        if (server != null) {
            server.close();
        }
    }

    GitExporter exporter(String sentToken, Path caFile) {
        return new GitExporter(new GitRemote(server.url("infra.git"), null, null, USER, Secret.of(sentToken), null,
                caFile), dir.resolve("cache"), new GeneratedFile(GeneratedFile.DEFAULT_PATH_TEMPLATE),
                "opencode-egress-tuner", "tuner@example.org");
    }

    @Test
    void pushesTheBotBranchOverHttpsWithTheTokenToAServerOfThePrivateCa() throws Exception {
        GitExporter exporter = exporter(token, certificate.pem());

        ExportPlan plan = exporter.plan(GitExporterTest.twoEntries());
        exporter.push(plan);

        assertThat(plan.change()).isEqualTo(Change.COMMIT);
        assertThat(Remotes.tip(bare, BRANCH)).isEqualTo(plan.commit());
        assertThat(Remotes.read(bare, BRANCH, PATH)).isEqualTo(plan.content());
        assertThat(server.requests()).as(server.backendErrors())
                .anyMatch(r -> r.startsWith("GET /infra.git/info/refs?service=git-upload-pack") && r.endsWith(" 200"))
                .anyMatch(r -> r.startsWith("POST /infra.git/git-receive-pack") && r.endsWith(" 200"));

        ExportPlan again = exporter.plan(GitExporterTest.twoEntries());
        exporter.push(again);

        assertThat(again.change()).isEqualTo(Change.BRANCH_CURRENT);
        assertThat(Remotes.tip(bare, BRANCH)).isEqualTo(plan.commit());
        assertThat(logs.lines()).isNotEmpty().noneMatch(this::holdsTheToken);
    }

    @Test
    void aWrongTokenFailsWithAnErrorThatNamesTheProblemAndNeverTheToken() throws Exception {
        String wrong = "tok_" + UUID.randomUUID().toString().replace("-", "");
        GitExporter exporter = exporter(wrong, certificate.pem());

        Throwable thrown = catchThrowable(() -> exporter.plan(GitExporterTest.twoEntries()));

        assertThat(thrown).isInstanceOf(ExportException.class).hasNoCause()
                .hasMessageContaining("export of demo-host failed")
                .hasMessageContaining(server.url("infra.git"))
                .hasMessageContaining("refused the token");
        assertThat(server.requests()).isNotEmpty().allMatch(r -> r.endsWith(" 401"));
        assertThat(holds(thrown.getMessage(), wrong)).isFalse();
        assertThat(logs.lines()).isNotEmpty().noneMatch(line -> holds(line, wrong) || holdsTheToken(line));
        assertThat(Remotes.tip(bare, BRANCH)).isNull();
    }

    @Test
    void aServerCertificateNotSignedByTheConfiguredCaIsRefusedBeforeTheTokenIsSent() {
        for (Path caFile : new Path[] {otherCa.pem(), null}) {
            GitExporter exporter = exporter(token, caFile);

            Throwable thrown = catchThrowable(() -> exporter.plan(GitExporterTest.twoEntries()));

            assertThat(thrown).as("CA file %s", caFile).isInstanceOf(ExportException.class).hasNoCause()
                    .hasMessageContaining(server.url("infra.git"))
                    .hasMessageContaining("certificate")
                    .hasMessageContaining("CA file");
            assertThat(holdsTheToken(thrown.getMessage())).isFalse();
        }
        assertThat(server.requests()).isEmpty();
        assertThat(logs.lines()).noneMatch(this::holdsTheToken);
    }

    private boolean holdsTheToken(String text) {
        return holds(text, token);
    }

    /** The token as such, or inside a Basic authorization header. */
    private static boolean holds(String text, String secret) {
        String basic = Base64.getEncoder().encodeToString((USER + ":" + secret).getBytes(StandardCharsets.UTF_8));
        return text.contains(secret) || text.contains(basic);
    }
}
