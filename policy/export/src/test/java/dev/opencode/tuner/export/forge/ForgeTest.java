package dev.opencode.tuner.export.forge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.opencode.tuner.export.AcceptedEntry;
import dev.opencode.tuner.export.ExportException;
import dev.opencode.tuner.export.ExportPlan;
import dev.opencode.tuner.export.GeneratedFile;
import dev.opencode.tuner.export.GitExporter;
import dev.opencode.tuner.export.GitRemote;
import dev.opencode.tuner.export.HostExport;
import dev.opencode.tuner.export.Remotes;
import dev.opencode.tuner.export.Secret;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Each forge client against the fake forge, after real pushes to a real bare repository. */
class ForgeTest {
    private static final String TOKEN = "tok-3f9c1e7a5b2d4c6e8f0a1b2c3d4e5f60";
    private static final String BRANCH = "opencode-egress/demo-host";
    private static final Instant T = Instant.parse("2026-11-25T10:15:00Z");

    @TempDir
    Path dir;
    FakeForge fake;
    GitExporter git;
    PullRequestSync sync;
    final List<String> logged = new ArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            String message = record.getMessage();
            Object[] params = record.getParameters();
            if (params != null) {
                message = java.text.MessageFormat.format(message, params);
            }
            synchronized (logged) {
                logged.add(message + (record.getThrown() == null ? "" : " " + record.getThrown()));
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private final Logger root = Logger.getLogger("");
    private Level rootLevel;

    void start(ForgeKind kind) throws Exception {
        rootLevel = root.getLevel();
        root.setLevel(Level.ALL);
        capture.setLevel(Level.ALL);
        root.addHandler(capture);
        Path bare = Remotes.bare(dir, "main");
        fake = new FakeForge(kind, "ops/infra", TOKEN, bare);
        git = new GitExporter(GitRemote.local(bare.toString()), dir.resolve("cache"),
                new GeneratedFile(GeneratedFile.DEFAULT_PATH_TEMPLATE), "opencode-egress-tuner", "tuner@example.org");
        sync = new PullRequestSync(Forge.of(kind, fake.apiBase(), "ops/infra", Secret.of(TOKEN)),
                "https://tuner.example.org/ui/suggestions/{id}");
    }

    @AfterEach
    void stop() {
        root.removeHandler(capture);
        root.setLevel(rootLevel);
        if (fake != null) {
            fake.close();
        }
    }

    static HostExport entries(int n) {
        List<AcceptedEntry> list = new ArrayList<>();
        list.add(new AcceptedEntry("web", "140.82.112.0/24", "s1", "alice", T, "GitHub API | @ops please", "6 events"));
        list.add(new AcceptedEntry("docs", "9.9.9.9/32", "s2", "bob", T, null, "5 events, udp/53"));
        if (n > 2) {
            list.add(new AcceptedEntry("web", "2606:50c0:8000::154/128", "s3", "carol", T, "<b>raw</b>", "2 events"));
        }
        return new HostExport("demo-host", list.subList(0, n));
    }

    PullRequestSync.Outcome export(HostExport export) {
        ExportPlan plan = git.plan(export);
        git.push(plan);
        return sync.sync(plan);
    }

    @ParameterizedTest
    @EnumSource(ForgeKind.class)
    void opensOnePullRequestWithTheEntriesTable(ForgeKind kind) throws Exception {
        start(kind);

        PullRequestSync.Outcome outcome = export(entries(2));

        assertThat(outcome.result()).isEqualTo(PullRequestSync.Result.OPENED);
        assertThat(fake.pulls).hasSize(1);
        FakeForge.Pr pr = fake.pulls.get(0);
        assertThat(pr.head).isEqualTo(BRANCH);
        assertThat(pr.base).isEqualTo("main");
        assertThat(pr.title).isEqualTo("opencode-egress: allowlist of demo-host (2 entries)");
        assertThat(pr.body).startsWith(PullRequestBody.MARKER)
                .contains("| added | web | `140.82.112.0/24` | 256 addresses | 6 events | alice 2026-11-25 | "
                        + "GitHub API &#124; &#64;ops please [review](https://tuner.example.org/ui/suggestions/s1) |")
                .contains("| added | docs | `9.9.9.9/32` | 1 address | 5 events, udp/53 | bob 2026-11-25 |")
                .contains("forge:" + kind.label());
        assertThat(outcome.pullRequest().orElseThrow().url()).startsWith("https://forge.example.org/ops/infra/");
        assertThat(outcome.pullRequest().orElseThrow().state()).isEqualTo(PullRequest.State.OPEN);
    }

    @ParameterizedTest
    @EnumSource(ForgeKind.class)
    void formatCharactersInReviewerTextAreShownEscapedInThePullRequest(ForgeKind kind) throws Exception {
        start(kind);
        // Shown raw, the right-to-left override reverses the rest of the cell; the zero-width space hides itself.
        HostExport export = new HostExport("demo-host", List.of(new AcceptedEntry("web", "140.82.112.0/24", "s1",
                "mal\u2066lory", T, "read\u202Edevorppa\u200B", "6 events\u200F")));

        export(export);

        String body = fake.pulls.get(0).body;
        assertThat(body).contains("| mal&#92;u2066lory 2026-11-25 | read&#92;u202Edevorppa&#92;u200B [review]")
                .contains("| 6 events&#92;u200F |")
                .doesNotContain("\u2066").doesNotContain("\u202E").doesNotContain("\u200B")
                .doesNotContain("\u200F");
    }

    @ParameterizedTest
    @EnumSource(ForgeKind.class)
    void updatesTheSamePullRequestWhenEntriesChange(ForgeKind kind) throws Exception {
        start(kind);
        export(entries(2));

        PullRequestSync.Outcome outcome = export(entries(3));

        assertThat(outcome.result()).isEqualTo(PullRequestSync.Result.UPDATED);
        assertThat(fake.pulls).hasSize(1);
        assertThat(fake.pulls.get(0).title).endsWith("(3 entries)");
        assertThat(fake.pulls.get(0).body).contains("| added | web | `2606:50c0:8000::154/128` | 1 address |")
                .contains("| added | web | `140.82.112.0/24` |")
                .contains("&lt;b&gt;raw&lt;/b&gt;");
        assertThat(fake.writes()).extracting(FakeForge.Call::method)
                .containsExactly("POST", kind == ForgeKind.GITLAB ? "PUT" : "PATCH");
    }

    @ParameterizedTest
    @EnumSource(ForgeKind.class)
    void exportingAgainWithNothingNewWritesNothing(ForgeKind kind) throws Exception {
        start(kind);
        export(entries(2));
        int writes = fake.writes().size();

        PullRequestSync.Outcome outcome = export(entries(2));

        assertThat(outcome.result()).isEqualTo(PullRequestSync.Result.UNCHANGED);
        assertThat(fake.writes()).hasSize(writes);
    }

    @ParameterizedTest
    @EnumSource(ForgeKind.class)
    void aClosedPullRequestIsReportedAndNotReopened(ForgeKind kind) throws Exception {
        start(kind);
        long number = export(entries(2)).pullRequest().orElseThrow().number();
        fake.close(number);

        assertThat(sync.current(BRANCH).orElseThrow().state()).isEqualTo(PullRequest.State.CLOSED);
        PullRequestSync.Outcome again = export(entries(2));
        assertThat(again.result()).isEqualTo(PullRequestSync.Result.NONE);
        assertThat(again.pullRequest().orElseThrow().number()).isEqualTo(number);
        assertThat(fake.pulls).hasSize(1);

        // The service rejects the closed request's entries; with a new entry the next export opens a new one.
        PullRequestSync.Outcome fresh = export(new HostExport("demo-host", List.of(entries(3).entries().get(2))));
        assertThat(fresh.result()).isEqualTo(PullRequestSync.Result.OPENED);
        assertThat(fake.pulls).hasSize(2);
        assertThat(sync.current(BRANCH).orElseThrow().number()).isEqualTo(2);
    }

    @ParameterizedTest
    @EnumSource(ForgeKind.class)
    void aMergedPullRequestIsReportedAsMerged(ForgeKind kind) throws Exception {
        start(kind);
        long number = export(entries(2)).pullRequest().orElseThrow().number();
        fake.merge(number);

        PullRequest pr = sync.current(BRANCH).orElseThrow();

        assertThat(pr.state()).isEqualTo(PullRequest.State.MERGED);
        assertThat(pr.number()).isEqualTo(number);
    }

    @ParameterizedTest
    @EnumSource(ForgeKind.class)
    void theTokenAppearsInNoLogLineAndNoError(ForgeKind kind) throws Exception {
        start(kind);
        export(entries(2));
        fake.echoCredentialsInErrors = true;
        PullRequestSync wrong = new PullRequestSync(Forge.of(kind, fake.apiBase(), "ops/infra",
                Secret.of(TOKEN + "-wrong")), null);

        Throwable refused = org.assertj.core.api.Assertions.catchThrowable(() -> wrong.current(BRANCH));

        assertThat(refused).isInstanceOf(ExportException.class).hasMessageContaining("HTTP 401")
                .hasMessageContaining("check the token file").hasMessageContaining(Secret.MASK)
                .hasMessageNotContaining(TOKEN).hasNoCause();
        assertThat(fake.calls).isNotEmpty();
        synchronized (logged) {
            assertThat(logged).as("the client logs its calls").anyMatch(l -> l.contains(kind.label() + " GET"));
            assertThat(logged).noneMatch(l -> l.contains(TOKEN));
        }
    }

    @ParameterizedTest
    @EnumSource(ForgeKind.class)
    void plainHttpToAForgeOffLoopbackIsRefused(ForgeKind kind) {
        assertThatThrownBy(() -> Forge.of(kind, java.net.URI.create("http://forge.example.org/api"), "ops/infra",
                Secret.of(TOKEN))).hasMessageContaining("must be https");
    }
}
