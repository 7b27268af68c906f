package dev.opencode.tuner.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opencode.tuner.cli.Tuner;
import dev.opencode.tuner.cli.policy.PolicyOptions;
import dev.opencode.tuner.hoststate.HostState;
import dev.opencode.tuner.journal.JournalFixture;
import dev.opencode.tuner.stack.PartStatus;
import dev.opencode.tuner.stack.Stack;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The review through {@code ./tuner} against the real stack ({@code ./tuner up}: Kafka, PostgreSQL, the policy
 * service, the collector on a journal written by the test): suggestions, show, accept with an edit, reject, snooze,
 * decisions, allowlist, users, and status --format json; as the local admin, as TUNER_USER/TUNER_PASSWORD and as
 * --user/--password-file at --policy-url, with the service's real 401, 403 and 422. Then
 * the host reports the accepted entry unused (a host-state record read 31 days ago, on the stack's Kafka), and the
 * removal suggestion goes through suggestions, show and accept.
 */
class ReviewCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    record Run(int code, String out, String err) {
    }

    static Run tuner(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Tuner.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void reviewsThroughTheCliAsTheLocalAdminAndAsAnotherAccount() throws Exception {
        Path root = Files.createTempDirectory(Path.of("/tmp"), "tuner-review");
        Files.setPosixFilePermissions(root, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        String state = root.resolve("state").toString();
        Path journal = root.resolve("journal");
        JournalFixture fx = new JournalFixture().host("review-host");
        for (int i = 0; i < 2; i++) { // two events each: stable
            fx.kernel(JournalFixture.tcpLine("web", "10.0.0.2", "192.0.2.10", 443, 990))
                    .kernel(JournalFixture.tcpLine("web", "10.0.0.2", "192.0.2.20", 443, 990))
                    .kernel(JournalFixture.tcpLine("web", "10.0.0.2", "192.0.2.30", 443, 990))
                    .kernel(JournalFixture.tcpLine("web", "10.0.0.2", "192.0.2.40", 443, 990))
                    .kernel(JournalFixture.tcpLine("web", "10.0.0.2", "198.51.100.7", 25, 990))
                    .kernel(JournalFixture.tcpLine("web", "10.0.0.2", "203.0.113.9", 443, 990));
        }
        fx.writeJournal(journal.resolve("system.journal"));
        // Removal suggestions are brought up to date every second instead of every 10 minutes.
        System.setProperty("tuner.stack.policy.jvm-options", "-Dtuner.policy.removal.check-interval=1s");
        try {
            Run up;
            try {
                // The collector speaks for the journal's host (its Kafka account and topics).
                up = tuner("up", "--state-dir", state, "--journal-dir", journal.toString(), "--host", "review-host");
            } finally {
                System.clearProperty("tuner.stack.policy.jvm-options");
            }
            assertThat(up.code()).as(up.err()).isZero();
            String ui = Stack.status(Path.of(state)).part("policy").orElseThrow().address() + "/ui";
            assertThat(up.out()).contains("Review UI: " + ui + "\n");
            assertThat(tuner("status", "--state-dir", state).out()).contains("Review UI: " + ui + "\n");

            Run status = tuner("status", "--state-dir", state, "--format", "json");
            assertThat(status.code()).as(status.err()).isZero();
            JsonNode parts = JSON.readTree(status.out());
            assertThat(parts).hasSize(4);
            parts.forEach(p -> {
                assertThat(p.get("healthy").asBoolean()).as(p.toString()).isTrue();
                assertThat(p.has("name") && p.has("url")).isTrue();
            });

            Run list = awaitSuggestions(state, "203.0.113.9/32", Duration.ofSeconds(90));
            assertThat(list.out()).as(list.err()).contains("allow 192.0.2.0/24").contains("allow 198.51.100.7/32")
                    .contains("3 pending suggestions.");
            String group = id(list.out(), "192.0.2.0/24");
            String smtp = id(list.out(), "198.51.100.7/32");
            String other = id(list.out(), "203.0.113.9/32");

            Run show = tuner("show", "--state-dir", state, group);
            assertThat(show.code()).as(show.err()).isZero();
            assertThat(show.out()).contains("opens 256 addresses, 4 observed").contains("192.0.2.40")
                    .contains("+++ b/hosts/review-host/opencode-egress-allowlist.nix")
                    .contains("+    \"192.0.2.0/24\"");

            Run refused = tuner("accept", "--state-dir", state, group, "--cidr", "169.254.0.0/16");
            assertThat(refused.code()).isEqualTo(2);
            assertThat(refused.err()).contains("overlaps the denylist entry 169.254.0.0/16");
            Run accepted = tuner("accept", "--state-dir", state, group, "--cidr", "192.0.2.0/26",
                    "--comment", "the API's range");
            assertThat(accepted.code()).as(accepted.err()).isZero();
            assertThat(accepted.out()).contains(group + "  accepted 192.0.2.0/26");
            Run twice = tuner("accept", "--state-dir", state, group);
            assertThat(twice.code()).isEqualTo(1);
            assertThat(twice.err()).contains("is accepted already");

            assertThat(tuner("reject", "--state-dir", state, smtp).code()).isEqualTo(2); // --comment is required
            Run rejected = tuner("reject", "--state-dir", state, smtp, "--comment", "no SMTP");
            assertThat(rejected.code()).as(rejected.err()).isZero();

            // Another account, through TUNER_USER/TUNER_PASSWORD: a reviewer created by the admin.
            Path passwordFile = root.resolve("carl-password");
            Files.writeString(passwordFile, "carl-has-a-long-password\n");
            Run added = tuner("users", "add", "carl", "--role", "reviewer", "--new-password-file",
                    passwordFile.toString(), "--state-dir", state);
            assertThat(added.code()).as(added.err()).isZero();
            assertThat(added.out()).contains("Added 'carl'").doesNotContain("carl-has-a-long-password");
            Run generated = tuner("users", "add", "dora", "--role", "viewer", "--state-dir", state);
            assertThat(generated.out()).containsPattern("Password of 'dora'.*\\n[A-Za-z0-9_-]{32}\\n");
            PolicyOptions.useEnvironment(Map.of("TUNER_USER", "carl", "TUNER_PASSWORD", "carl-has-a-long-password")::get);
            try {
                Run snoozed = tuner("snooze", "--state-dir", state, other, "--until", "7d", "--comment", "later");
                assertThat(snoozed.code()).as(snoozed.err()).isZero();
                assertThat(tuner("users", "remove", "dora", "--state-dir", state).code()).isEqualTo(1); // not admin
            } finally {
                PolicyOptions.useEnvironment(null);
            }
            // The same account through the flags, at the address given by --policy-url: the role is named on a 403,
            // the account and the flags on a 401, and the password in neither.
            String api = Stack.status(Path.of(state)).part("policy").orElseThrow().address();
            Run notAdmin = tuner("users", "remove", "dora", "--policy-url", api, "--user", "carl", "--password-file",
                    passwordFile.toString());
            assertThat(notAdmin.code()).isEqualTo(1);
            assertThat(notAdmin.err()).contains("refused the account 'carl' (403)").contains("needs the admin role");
            Path wrong = root.resolve("wrong-password");
            Files.writeString(wrong, "not-carls-password\n");
            Run refusedLogin = tuner("decisions", "--policy-url", api, "--user", "carl", "--password-file",
                    wrong.toString());
            assertThat(refusedLogin.code()).isEqualTo(1);
            assertThat(refusedLogin.err()).contains("refused the account 'carl' (401")
                    .contains("--password-file " + wrong).doesNotContain("not-carls-password");
            assertThat(tuner("decisions", "--policy-url", api).err()).as("no account for a service named by flag")
                    .contains("--user NAME --password-file F");
            Run decisions = tuner("decisions", "--state-dir", state, "--host", "review-host");
            assertThat(decisions.code()).as(decisions.err()).isZero();
            assertThat(decisions.out()).contains("accepted suggested 192.0.2.0/24 -> decided 192.0.2.0/26")
                    .contains("by admin: the API's range")
                    .contains("rejected 198.51.100.7/32").contains("by admin: no SMTP")
                    .contains("snoozed  203.0.113.9/32").contains("by carl: later").contains("3 decisions.");

            Run nix = tuner("allowlist", "--state-dir", state, "--host", "review-host");
            assertThat(nix.code()).as(nix.err()).isZero();
            assertThat(nix.out()).contains("\"192.0.2.0/26\"").contains(" 4 addresses of 64, first ")
                    .doesNotContain("198.51.100.7");
            Run json = tuner("allowlist", "--state-dir", state, "--host", "review-host", "--format", "json");
            assertThat(JSON.readTree(json.out()).at("/instances/0/entries/0/acceptedBy").asText()).isEqualTo("admin");

            Run passwd = tuner("users", "passwd", "dora", "--state-dir", state);
            assertThat(passwd.out()).containsPattern("Password of 'dora'.*\\n[A-Za-z0-9_-]{32}\\n");
            assertThat(tuner("users", "remove", "dora", "--state-dir", state).code()).isZero();
            assertThat(tuner("users", "remove", "dora", "--state-dir", state).code()).isEqualTo(1);
            assertThat(tuner("show", "--state-dir", state, "not-an-id").code()).isEqualTo(2);

            // The host reports the accepted 192.0.2.0/26 in force, its counter at 0 since a report 31 days ago
            // (unused-after is 30 days): it becomes a removal suggestion, listed, shown and accepted through the CLI.
            String kafka = Stack.status(Path.of(state)).parts().stream().filter(p -> p.part().equals("kafka"))
                    .map(PartStatus::address).findFirst().orElseThrow();
            HostStateTopic.publish(Path.of(state), kafka, new HostState("review-host",
                    Instant.now().minus(Duration.ofDays(31)),
                    List.of(), List.of(new HostState.InstanceState("web",
                            List.of(new HostState.AllowCounter("192.0.2.0/26", 0, 0)), List.of()))));
            list = awaitSuggestions(state, "remove 192.0.2.0/26", Duration.ofSeconds(60));
            Matcher removal = Pattern.compile("([0-9a-f]{32})  remove 192\\.0\\.2\\.0/26 +unused since (\\S+),"
                    + " counter 0 packets").matcher(list.out());
            assertThat(removal.find()).as(list.out() + list.err()).isTrue();
            String removalId = removal.group(1);
            Run showRemoval = tuner("show", "--state-dir", state, removalId);
            assertThat(showRemoval.code()).as(showRemoval.err()).isZero();
            assertThat(showRemoval.out()).contains(removalId + "  review-host / web  remove 192.0.2.0/26  (pending)")
                    .contains("unused since " + removal.group(2) + ": counter 0 packets, never used; announced not"
                            + " yet, removed after (the announcement + the notice period)");
            Run acceptRemoval = tuner("accept", "--state-dir", state, removalId, "--comment", "unused");
            assertThat(acceptRemoval.code()).as(acceptRemoval.err()).isZero();
            assertThat(acceptRemoval.out()).contains(removalId + "  accepted the removal of 192.0.2.0/26: announced"
                    + " in the next export");
            Run accepted2 = tuner("suggestions", "--state-dir", state, "--host", "review-host", "--state",
                    "accepted");
            assertThat(accepted2.out()).as(accepted2.err()).contains(removalId + "  remove 192.0.2.0/26")
                    .contains("(accepted)");
        } finally {
            tuner("down", "--state-dir", state);
            try (var files = Files.walk(root)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /** {@code ./tuner suggestions --host review-host}, asked every 500 ms until it prints {@code text} or time is up. */
    private static Run awaitSuggestions(String state, String text, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Run list;
        do {
            Thread.sleep(500);
            list = tuner("suggestions", "--state-dir", state, "--host", "review-host");
        } while (!list.out().contains(text) && System.nanoTime() < deadline);
        return list;
    }

    private static String id(String text, String cidr) {
        Matcher m = Pattern.compile("([0-9a-f]{32})  allow " + Pattern.quote(cidr) + " ").matcher(text);
        assertThat(m.find()).as(cidr + " in\n" + text).isTrue();
        return m.group(1);
    }
}
