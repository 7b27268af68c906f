package dev.opencode.tuner.cli.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.opencode.tuner.cli.CliException;
import dev.opencode.tuner.cli.Tuner;
import dev.opencode.tuner.stack.PartStatus;
import dev.opencode.tuner.stack.Stack;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * The one rule for which service and which account, as the picocli mixin parses it: precedence (flags, then the
 * environment, then {@code ./tuner up}'s stack and local admin), the usage errors for half a pair, and that every
 * command talking to the service has the options and acts as the account the rule picks (seen by a real HTTP server).
 */
class PolicyOptionsTest {
    private static final String ADMIN_PASSWORD = "the-local-admins-password";
    private static final String CARL_PASSWORD = "carl-has-a-long-password";
    private static final String ID = "0123456789abcdef0123456789abcdef";

    @TempDir
    Path dir;

    Path state;
    Path carlFile;
    final Map<String, String> env = new HashMap<>();

    @Command(name = "probe")
    static final class Probe {
        @Mixin
        PolicyOptions policy;
    }

    @BeforeEach
    void setUp() throws IOException {
        state = dir.resolve("state");
        Path admin = Stack.policyStateDirectory(state).resolve("initial-admin-password");
        Files.createDirectories(admin.getParent());
        Files.writeString(admin, ADMIN_PASSWORD + "\n");
        carlFile = Files.writeString(dir.resolve("carl.password"), CARL_PASSWORD + "\n");
        PolicyOptions.useEnvironment(env::get);
    }

    @AfterEach
    void resetEnvironment() {
        PolicyOptions.useEnvironment(null);
    }

    private static PolicyOptions parse(String... args) {
        Probe probe = new Probe();
        new CommandLine(probe).parseArgs(args);
        return probe.policy;
    }

    /** The stack's parts as {@code ./tuner status} probes them: its policy service running at {@code address}. */
    private static List<PartStatus> runningAt(String address) {
        return List.of(new PartStatus("policy", PartStatus.Condition.RUNNING, true, address, 1L, "live", Map.of(),
                List.of()));
    }

    private PolicyApi connect(PolicyOptions options) {
        return options.connectIfRunning(state, runningAt("http://127.0.0.1:9"));
    }

    private CliException failure(PolicyOptions options) {
        CliException e = catchThrowableOfType(CliException.class, () -> connect(options).close());
        assertThat(e).as("a CliException").isNotNull();
        assertThat(e.getMessage()).doesNotContain(ADMIN_PASSWORD).doesNotContain(CARL_PASSWORD);
        return e;
    }

    @Test
    void withNothingGivenItIsTheLocalAdminAtTheStacksAddress() {
        try (PolicyApi api = connect(parse())) {
            assertThat(api.base()).isEqualTo("http://127.0.0.1:9");
            assertThat(api.credentials().user()).isEqualTo("admin");
            assertThat(api.credentials().origin()).isEqualTo(Origin.LOCAL_STACK);
        }
    }

    @Test
    void theEnvironmentsAccountComesBeforeTheLocalAdmin() {
        env.put("TUNER_USER", "erin");
        env.put("TUNER_PASSWORD", "erins-password-from-env");

        try (PolicyApi api = connect(parse())) {
            assertThat(api.credentials().user()).isEqualTo("erin");
            assertThat(api.credentials().origin()).isEqualTo(Origin.ENVIRONMENT);
        }
    }

    @Test
    void theFlagsComeBeforeTheEnvironmentEvenAHalfSetOne() {
        env.put("TUNER_USER", "erin"); // without TUNER_PASSWORD: not looked at, the flags decide

        try (PolicyApi api = connect(parse("--user", "carl", "--password-file", carlFile.toString()))) {
            assertThat(api.credentials().user()).isEqualTo("carl");
            assertThat(api.credentials().origin()).isEqualTo(Origin.FLAGS);
        }
    }

    @Test
    void theAddressIsTheFlagThenTheEnvironmentThenTheStacks() {
        env.put("TUNER_USER", "erin");
        env.put("TUNER_PASSWORD", "erins-password-from-env");
        env.put("TUNER_POLICY_URL", "https://policy.example.org/tuner");

        try (PolicyApi flag = connect(parse("--policy-url", "http://[::1]:8080/"));
             PolicyApi environment = connect(parse());
             PolicyApi none = parse().connectIfRunning(state, List.of())) {
            assertThat(flag.base()).isEqualTo("http://[::1]:8080");
            assertThat(environment.base()).isEqualTo("https://policy.example.org/tuner");
            assertThat(none).as("an address was given: the stack is not needed").isNotNull();
        }
        env.remove("TUNER_POLICY_URL");
        assertThat(parse().connectIfRunning(state, List.of())).as("no address and no stack: nothing to ask").isNull();
    }

    @Test
    void userWithoutPasswordFileIsAUsageErrorNamingIt() {
        CliException e = failure(parse("--user", "carl"));

        assertThat(e.exitCode()).isEqualTo(2);
        assertThat(e.getMessage()).startsWith("--user carl needs --password-file F, the file holding carl's password");
    }

    @Test
    void passwordFileWithoutUserIsAUsageErrorNamingIt() {
        CliException e = failure(parse("--password-file", carlFile.toString()));

        assertThat(e.exitCode()).isEqualTo(2);
        assertThat(e.getMessage()).isEqualTo("--password-file " + carlFile + " needs --user NAME, the account whose"
                + " password it holds");
    }

    @Test
    void halfTheEnvironmentsPairIsAUsageErrorNamingTheMissingVariable() {
        env.put("TUNER_USER", "erin");
        CliException noPassword = failure(parse());
        env.remove("TUNER_USER");
        env.put("TUNER_PASSWORD", CARL_PASSWORD);
        CliException noUser = failure(parse());

        assertThat(noPassword.exitCode()).isEqualTo(2);
        assertThat(noPassword.getMessage()).startsWith("TUNER_USER is set (erin) but TUNER_PASSWORD is not");
        assertThat(noUser.exitCode()).isEqualTo(2);
        assertThat(noUser.getMessage()).startsWith("TUNER_PASSWORD is set but TUNER_USER is not");
    }

    @Test
    void theLocalAdminsPasswordGoesOnlyToTheStacksOwnService() {
        CliException flag = failure(parse("--policy-url", "http://policy.example.org"));
        env.put("TUNER_POLICY_URL", "http://policy.example.org");
        CliException environment = failure(parse());

        assertThat(flag.exitCode()).isEqualTo(2);
        assertThat(flag.getMessage()).startsWith("--policy-url names a service other than ./tuner up's")
                .contains("--user NAME --password-file F, or TUNER_USER and TUNER_PASSWORD");
        assertThat(environment.getMessage()).startsWith("TUNER_POLICY_URL names a service other than ./tuner up's");
    }

    @ParameterizedTest
    @ValueSource(strings = {"policy.example.org:8080", "ftp://policy.example.org", "http://", "http://h:1/?x=1",
        "http://h:1/#top", "http://h :1"})
    void anAddressThatIsNotAnHttpBaseIsAUsageError(String url) {
        CliException e = failure(parse("--policy-url", url, "--user", "carl", "--password-file", carlFile.toString()));

        assertThat(e.exitCode()).isEqualTo(2);
        assertThat(e.getMessage()).startsWith("--policy-url: '" + url + "'");
    }

    @Test
    void anAddressWithAnAccountInItIsRefusedWithoutRepeatingIt() {
        CliException e = failure(parse("--policy-url", "http://carl:" + CARL_PASSWORD + "@policy.example.org"));

        assertThat(e.exitCode()).isEqualTo(2);
        assertThat(e.getMessage()).contains("--policy-url holds an account (USER:PASSWORD@)")
                .doesNotContain("policy.example.org");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "carl:x"})
    void aUserThatBasicAuthCannotCarryIsAUsageError(String user) {
        CliException e = failure(parse("--user", user, "--password-file", carlFile.toString()));

        assertThat(e.exitCode()).isEqualTo(2);
        assertThat(e.getMessage()).isEqualTo("--user '" + user + "' is not an account name (not empty, no ':')");
    }

    @Test
    void aPasswordFileThatCannotBeUsedIsNamedButNeverQuoted() throws IOException {
        Path missing = dir.resolve("missing");
        Path empty = Files.writeString(dir.resolve("empty"), "\n");
        Path twoLines = Files.writeString(dir.resolve("two"), CARL_PASSWORD + "\nsecond line\n");
        Path binary = Files.write(dir.resolve("binary"), new byte[] {(byte) 0xff, (byte) 0xfe, 'a'});

        assertThat(failure(parse("--user", "carl", "--password-file", missing.toString())).getMessage())
                .isEqualTo("cannot read --password-file " + missing + " (no such file)");
        assertThat(failure(parse("--user", "carl", "--password-file", empty.toString())).getMessage())
                .isEqualTo("cannot use --password-file " + empty + ": it is empty");
        CliException two = failure(parse("--user", "carl", "--password-file", twoLines.toString()));
        assertThat(two.exitCode()).isEqualTo(1);
        assertThat(two.getMessage()).startsWith("cannot use --password-file " + twoLines + ": it holds more than one"
                + " line").doesNotContain("second line");
        assertThat(failure(parse("--user", "carl", "--password-file", binary.toString())).getMessage())
                .isEqualTo("cannot use --password-file " + binary + ": it is not UTF-8 text");
    }

    @Test
    void withoutARunningStackItSaysHowToStartOneOrWhereElseToLook() {
        CliException e = catchThrowableOfType(CliException.class, () -> parse().connect(dir.resolve("empty-state")));

        assertThat(e.exitCode()).isEqualTo(1);
        assertThat(e.getMessage()).isEqualTo("the policy service is not running (state in " + dir.resolve("empty-state")
                + "): start it with ./tuner up, or point --policy-url (or TUNER_POLICY_URL) at a running one");
    }

    @Test
    void withoutTheLocalAdminsFileItSaysWhichFile() throws IOException {
        Path admin = Stack.policyStateDirectory(state).resolve("initial-admin-password");
        Files.delete(admin);

        assertThat(failure(parse()).getMessage())
                .isEqualTo("cannot read the local admin's password file " + admin + " (no such file)");
    }

    // Through ./tuner itself: every command that talks to the service has the options and follows the rule.

    /** What one in-process run of the CLI printed and answered (shared by this package's tests). */
    record Run(int code, String out, String err) {
    }

    static Run tuner(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Tuner.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Run(code, out.toString(), err.toString());
    }

    private static final List<List<String>> SERVICE_COMMANDS = List.of(List.of("suggestions"), List.of("show", ID),
            List.of("accept", ID), List.of("reject", ID, "--comment", "no"), List.of("snooze", ID, "--until", "7d"),
            List.of("decisions"), List.of("allowlist", "--host", "h"), List.of("users", "add", "dora", "--role",
                    "viewer"), List.of("users", "passwd", "dora"), List.of("users", "remove", "dora"),
            List.of("export"), List.of("status"));

    @Test
    void everyCommandThatTalksToTheServiceHasTheSharedOptions() {
        for (List<String> command : SERVICE_COMMANDS) {
            List<String> help = new ArrayList<>(command.subList(0, command.get(0).equals("users") ? 2 : 1));
            help.add("--help");
            Run run = tuner(help.toArray(String[]::new));
            assertThat(run.code()).as(help.toString()).isZero();
            assertThat(run.out()).as(help.toString()).contains("--policy-url=URL").contains("--user=NAME")
                    .contains("--password-file=FILE");
        }
    }

    @Test
    void everyCommandThatTalksToTheServiceRefusesHalfAPairBeforeAskingAnything() {
        for (List<String> command : SERVICE_COMMANDS) {
            List<String> args = new ArrayList<>(command);
            args.addAll(List.of("--state-dir", dir.resolve("no-stack").toString(), "--user", "carl"));
            Run run = tuner(args.toArray(String[]::new));
            assertThat(run.code()).as(args + run.err()).isEqualTo(2);
            assertThat(run.err()).as(args.toString()).startsWith("tuner: --user carl needs --password-file F");
        }
    }

    @Test
    void usersAddKeepsReadingPasswordFileWithoutUserAsTheNewAccountsPassword() throws IOException {
        Path doraFile = Files.writeString(dir.resolve("dora.password"), "doras-new-password\n");
        try (FakePolicyService service = new FakePolicyService()) {
            service.json("POST", "/api/v1/accounts", 201, "{\"name\":\"dora\",\"role\":\"viewer\"}");
            env.put("TUNER_POLICY_URL", service.url());
            env.put("TUNER_USER", "erin");
            env.put("TUNER_PASSWORD", "erins-password-from-env");

            // As before the account options were shared: the file is dora's new password; erin acts.
            Run added = tuner("users", "add", "dora", "--role", "viewer", "--password-file", doraFile.toString());
            FakePolicyService.Request request = service.last();
            // Both spellings of the new password at once cannot both be meant.
            Run both = tuner("users", "add", "dora", "--role", "viewer", "--password-file", doraFile.toString(),
                    "--new-password-file", carlFile.toString());

            assertThat(added.code()).as(added.err()).isZero();
            assertThat(request.user()).isEqualTo("erin");
            assertThat(request.body()).contains("\"password\":\"doras-new-password\"");
            assertThat(both.code()).isEqualTo(2);
            assertThat(both.err()).contains("both name the new password").doesNotContain("doras-new-password")
                    .doesNotContain(CARL_PASSWORD);
            assertThat(service.requests()).hasSize(1);
        }
    }

    @Test
    void theCommandsActAsTheAccountTheRulePicks() throws IOException {
        try (FakePolicyService service = new FakePolicyService()) {
            service.json("GET", "/api/v1/decisions", 200, "{\"decisions\": []}");
            env.put("TUNER_POLICY_URL", service.url());
            env.put("TUNER_USER", "erin");
            env.put("TUNER_PASSWORD", "erins-password-from-env");

            Run asErin = tuner("decisions", "--state-dir", state.toString());
            FakePolicyService.Request erin = service.last();
            Run asCarl = tuner("decisions", "--state-dir", state.toString(), "--policy-url", service.url(), "--user",
                    "carl", "--password-file", carlFile.toString(), "--host", "h");
            FakePolicyService.Request carl = service.last();

            assertThat(asErin.code()).as(asErin.err()).isZero();
            assertThat(asErin.out()).isEqualTo("0 decisions.\n");
            assertThat(erin.user()).isEqualTo("erin");
            assertThat(erin.password()).isEqualTo("erins-password-from-env");
            assertThat(asCarl.code()).as(asCarl.err()).isZero();
            assertThat(carl.user()).isEqualTo("carl");
            assertThat(carl.password()).isEqualTo(CARL_PASSWORD);
            assertThat(carl.query()).isEqualTo("host=h&limit=200");
        }
    }

    @Test
    void theCommandsMapTheServicesRefusalsToTheirExitCodes() throws IOException {
        try (FakePolicyService service = new FakePolicyService()) {
            service.json("POST", "/api/v1/suggestions/" + ID + "/accept", 422, "{\"error\":\"cidr: 10.0.0.0/8 is"
                    + " wider than the guardrail allows\",\"field\":\"cidr\"}");
            service.forbids("POST", "/api/v1/exports");
            service.refusesLogin("GET", "/api/v1/suggestions");
            String[] as = {"--policy-url", service.url(), "--user", "carl", "--password-file", carlFile.toString()};

            Run accept = tuner(concat(List.of("accept", ID, "--cidr", "10.0.0.0/8"), as));
            Run export = tuner(concat(List.of("export"), as));
            Run suggestions = tuner(concat(List.of("suggestions"), as));

            assertThat(accept.code()).isEqualTo(2);
            assertThat(accept.err()).isEqualTo("tuner: cidr: 10.0.0.0/8 is wider than the guardrail allows\n");
            assertThat(service.requests().getFirst().body()).isEqualTo("{\"comment\":null,\"cidr\":\"10.0.0.0/8\"}");
            assertThat(export.code()).isEqualTo(1);
            assertThat(export.err()).contains("refused the account 'carl' (403): POST /api/v1/exports needs the"
                    + " reviewer role");
            assertThat(suggestions.code()).isEqualTo(1);
            assertThat(suggestions.err()).contains("refused the account 'carl' (401")
                    .doesNotContain(CARL_PASSWORD);
        }
    }

    private static String[] concat(List<String> head, String... tail) {
        List<String> all = new ArrayList<>(head);
        all.addAll(List.of(tail));
        return all.toArray(String[]::new);
    }
}
