package dev.opencode.tuner.cli.review;

import com.fasterxml.jackson.databind.JsonNode;
import dev.opencode.tuner.cli.CliException;
import dev.opencode.tuner.cli.policy.PasswordFile;
import dev.opencode.tuner.cli.policy.PolicyApi;
import dev.opencode.tuner.cli.policy.PolicyApi.Role;
import dev.opencode.tuner.cli.policy.PolicyOptions;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ./tuner users list|add|passwd|remove}: the policy service's accounts (admin), thin over its accounts API. */
public final class UsersCommands {
    private UsersCommands() {
    }

    @Command(name = "users", mixinStandardHelpOptions = true, description = "Manages the API's accounts (admin).",
            subcommands = {UsersList.class, UsersAdd.class, UsersPasswd.class, UsersRemove.class})
    public static final class Users implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            throw CliException.usage("say what: ./tuner users list|add|passwd|remove (see ./tuner users --help)");
        }
    }

    /**
     * The new password of {@code users add|passwd}, or null to have the service generate one. {@code --password-file}
     * without {@code --user} keeps the meaning it had before every command shared the account options: the new
     * password (acting then as $TUNER_USER, else the local admin). Given both ways, it is a usage error.
     */
    static String newPassword(PolicyOptions policy, Path file) {
        Path legacy = policy.takePasswordFileWithoutUser();
        if (legacy != null && file != null) {
            throw CliException.usage("--password-file " + legacy + " and --new-password-file " + file + " both name"
                    + " the new password: keep --new-password-file (and give --user NAME --password-file F for the"
                    + " account you act as)");
        }
        Path chosen = file != null ? file : legacy;
        return chosen == null ? null : PasswordFile.read(chosen, file != null ? "--new-password-file"
                : "--password-file");
    }

    static void printGenerated(PrintWriter out, String name, JsonNode answer) {
        if (answer.hasNonNull("password")) {
            out.printf("Password of '%s' (shown once; keep it in a password manager):%n%s%n", name,
                    answer.get("password").asText());
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Adds an account.")
    public static final class UsersAdd extends ReviewCommands.Common implements Callable<Integer> {
        @Parameters(paramLabel = "NAME")
        String name;

        @Option(names = "--role", required = true, paramLabel = "ROLE", description = "viewer, reviewer or admin.")
        String role;

        @Option(names = "--new-password-file", paramLabel = "F",
                description = "The new account's password, one line (without it, a generated one is printed once).")
        Path newPasswordFile;

        @Override
        public Integer call() {
            Map<String, String> body = new LinkedHashMap<>();
            body.put("name", name);
            body.put("role", role);
            body.put("password", newPassword(policy, newPasswordFile));
            JsonNode r;
            try (PolicyApi api = client()) {
                r = api.post("/api/v1/accounts", body, Role.ADMIN);
            }
            out().printf("Added '%s' with role %s.%n", name, role);
            printGenerated(out(), name, r);
            out().flush();
            return 0;
        }
    }

    @Command(name = "passwd", mixinStandardHelpOptions = true, description = "Sets an account's password.")
    public static final class UsersPasswd extends ReviewCommands.Common implements Callable<Integer> {
        @Parameters(paramLabel = "NAME")
        String name;

        @Option(names = "--new-password-file", paramLabel = "F",
                description = "The new password, one line (without it, a generated one is printed once).")
        Path newPasswordFile;

        @Override
        public Integer call() {
            Map<String, String> body = new LinkedHashMap<>();
            body.put("password", newPassword(policy, newPasswordFile));
            JsonNode r;
            try (PolicyApi api = client()) {
                r = api.put("/api/v1/accounts/" + ReviewCommands.encode(name) + "/password", body, Role.ADMIN);
            }
            out().printf("Changed the password of '%s'.%n", name);
            printGenerated(out(), name, r);
            out().flush();
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "The accounts and their roles.")
    public static final class UsersList extends ReviewCommands.Common implements Callable<Integer> {
        @Option(names = "--format", defaultValue = "text", description = "text (default) or json.")
        ReviewCommands.Format format;

        @Override
        public Integer call() {
            JsonNode list;
            try (PolicyApi api = client()) {
                list = api.get("/api/v1/accounts", Role.ADMIN);
            }
            if (format == ReviewCommands.Format.json) {
                print(list);
                return 0;
            }
            JsonNode accounts = list.path("accounts");
            for (JsonNode a : accounts) {
                out().printf("%-32s %s%n", a.path("name").asText(), ReviewCommands.join(a.path("roles")));
            }
            out().printf("%d account%s.%n", accounts.size(), accounts.size() == 1 ? "" : "s");
            out().flush();
            return 0;
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true, description = "Removes an account.")
    public static final class UsersRemove extends ReviewCommands.Common implements Callable<Integer> {
        @Parameters(paramLabel = "NAME")
        String name;

        @Override
        public Integer call() {
            try (PolicyApi api = client()) {
                api.delete("/api/v1/accounts/" + ReviewCommands.encode(name), Role.ADMIN);
            }
            out().printf("Removed '%s'.%n", name);
            out().flush();
            return 0;
        }
    }
}
