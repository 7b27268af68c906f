package dev.opencode.tuner.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Chars;
import net.jqwik.api.constraints.StringLength;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.Repository;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Host names become a path and a branch: checked against JGit's ref rules and the real git check-ref-format. */
class HostNamesTest {
    /** Whether the real git accepts {@code refs/heads/opencode-egress/<host>} as a branch name. */
    static boolean gitAcceptsBranchOf(String host) throws Exception {
        Process p = new ProcessBuilder("git", "check-ref-format", Constants.R_HEADS + GitExporter.BRANCH_PREFIX + host)
                .redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return p.exitValue() == 0;
    }

    @ParameterizedTest
    @ValueSource(strings = {"host.lock", "web-1.example.lock", "HOST.LOCK", "web.Lock"})
    void aNameEndingInLockIsRefusedAndNamesTheRule(String host) throws Exception {
        assertThat(HostNames.isValid(host)).isFalse();
        assertThat(HostNames.requireMessage(host)).contains("'" + host + "'").contains("'.lock'");
        assertThatThrownBy(() -> new HostExport(host, List.of())).hasMessageContaining("'.lock'");
        if (host.endsWith(".lock")) {
            assertThat(gitAcceptsBranchOf(host)).as("git itself refuses %s", host).isFalse();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"..", "a..b", "a@{b", "@", "web.", ".web", "a/b", "a//b", "a b", "a~1", "a^", "a:b", "a?",
            "a*", "a[b", "a\\b", "a\u0001b", "a\u007fb", "-web", "web-", "", "a/.lock", "a.lock/b"})
    void everyNameGitRefusesIsRefused(String host) throws Exception {
        assertThat(HostNames.isValid(host)).as(host).isFalse();
        assertThatThrownBy(() -> HostNames.require(host)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cannot be exported");
    }

    @ParameterizedTest
    @ValueSource(strings = {"demo-host", "web-1", "x", "a_b.example.org", "lock", "host.locked", "host-lock",
            "web.lock1", "10.0.0.1"})
    void ordinaryNamesAreAcceptedAndGitAgrees(String host) throws Exception {
        assertThat(HostNames.isValid(host)).isTrue();
        assertThat(gitAcceptsBranchOf(host)).as(host).isTrue();
    }

    @Test
    void aHostThatGitWouldRefuseNeverReachesTheRepository() {
        AcceptedEntry entry = new AcceptedEntry("web", "192.0.2.1/32", "id", "alice", Instant.EPOCH, null, "");

        assertThatThrownBy(() -> new HostExport("web.lock", List.of(entry)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("host 'web.lock' cannot be exported");
    }

    @Property(tries = 3000)
    void everyAcceptedNameIsAValidRefAndPathSegment(
            @ForAll @StringLength(max = 12) @Chars({'a', 'l', 'o', 'c', 'k', 'L', '.', '-', '_', '@', '{', '/', ' ',
                    '~', '1'}) String host) {
        if (HostNames.isValid(host)) {
            assertThat(Repository.isValidRefName(Constants.R_HEADS + GitExporter.BRANCH_PREFIX + host)).isTrue();
            assertThat(host).doesNotStartWith(".").doesNotContain("/").doesNotContain("..");
            assertThat(host.toLowerCase()).doesNotEndWith(".lock");
        }
    }
}
