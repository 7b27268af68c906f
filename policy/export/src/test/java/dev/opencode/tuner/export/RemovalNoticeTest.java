package dev.opencode.tuner.export;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.opencode.tuner.export.forge.ForgeKind;
import dev.opencode.tuner.export.forge.PullRequestBody;
import dev.opencode.tuner.nix.NixInstantiate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Removals in the generated file, the commit message and the pull request body. */
class RemovalNoticeTest {
    private static final Instant T = Instant.parse("2026-11-25T10:00:00Z");
    private static final Instant AFTER = Instant.parse("2026-12-11T14:03:05Z");
    private static final GeneratedFile FILE = new GeneratedFile(GeneratedFile.DEFAULT_PATH_TEMPLATE);

    private static HostExport export() {
        return new HostExport("demo-host",
                List.of(new AcceptedEntry("web", "192.0.2.20/32", "a1", "alice", T, null, "2 events"),
                        new AcceptedEntry("web", "192.0.2.99/32", "a2", "alice", T, null, "3 events")),
                List.of(new RemovalNotice("web", "192.0.2.20/32", "r1", "bob", "mirror moved | @ops",
                                T.plusSeconds(60), AFTER, false),
                        new RemovalNotice("web", "203.0.113.0/24", "r2", "bob", null, T, T.plusSeconds(7), true)),
                List.of(new UnusedHandWrittenEntry("web", "198.51.100.0/24", 0, T)));
    }

    private static ExportPlan plan(HostExport export) {
        return new ExportPlan(export, ExportPlan.Change.COMMIT, "main", "opencode-egress/demo-host",
                FILE.path("demo-host"), FILE.render(export), "", null, null, CommitMessage.of(export));
    }

    @Test
    void anAnnouncedRemovalStaysInTheFileWithItsDateAndTheFileStillEvaluates(@TempDir Path dir) throws Exception {
        String text = FILE.render(export());

        assertThat(text).contains("to be removed after 2026-12-11T14:03:05Z: unused since 2026-11-25T10:01:00Z,"
                + " removal accepted by bob").contains("\"192.0.2.20/32\"").contains("\"192.0.2.99/32\"")
                .doesNotContain("203.0.113.0/24");
        Path file = dir.resolve("allowlist.nix");
        Files.writeString(file, text);
        JsonNode value = NixInstantiate.evalImport(file);
        assertThat(value.toString()).contains("\"192.0.2.20/32\"", "\"192.0.2.99/32\"");
    }

    @Test
    void thePullRequestAnnouncesRemovalsAndListsUnusedHandWrittenEntriesForManualRemoval() {
        String body = PullRequestBody.body(plan(export()), ForgeKind.GITHUB, "https://tuner.example.org/ui/s/{id}");

        assertThat(body).contains("| will be removed after 2026-12-11T14:03:05Z | web | `192.0.2.20/32` |"
                        + " 2026-11-25T10:01:00Z | bob | mirror moved &#124; &#64;ops"
                        + " [review](https://tuner.example.org/ui/s/r1) |")
                .contains("| removed | web | `203.0.113.0/24` | 2026-11-25T10:00:00Z | bob |")
                .contains("**Unused hand-written entries**")
                .contains("| web | `198.51.100.0/24` | 2026-11-25T10:00:00Z | 0 |");
        assertThat(PullRequestBody.body(plan(export()), ForgeKind.GITHUB, null)).isEqualTo(
                PullRequestBody.body(plan(export()), ForgeKind.GITHUB, null));
        assertThat(PullRequestBody.body(plan(new HostExport("demo-host", export().entries())), ForgeKind.GITHUB,
                null)).doesNotContain("Removals").doesNotContain("hand-written");
    }

    @Test
    void theCommitMessageNamesAnnouncedAndCarriedOutRemovals() {
        String message = CommitMessage.of(export());

        assertThat(message).contains("- announced removal of web: 192.0.2.20/32\n"
                + "  unused since 2026-11-25T10:01:00Z, removal accepted by bob, removed after 2026-12-11T14:03:05Z\n")
                .contains("- removed web: 203.0.113.0/24\n");
    }
}
