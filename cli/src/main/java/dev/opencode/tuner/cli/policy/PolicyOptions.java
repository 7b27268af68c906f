package dev.opencode.tuner.cli.policy;

import dev.opencode.tuner.cli.CliException;
import dev.opencode.tuner.stack.PartStatus;
import dev.opencode.tuner.stack.Stack;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The options of every command that talks to the policy service (a picocli mixin), and the one rule for which service
 * and which account:
 * <ul>
 *   <li>the service: {@code --policy-url}, else {@code TUNER_POLICY_URL}, else the policy service of the running
 *       {@code ./tuner up} stack (found through the state directory);
 *   <li>the account: {@code --user} with {@code --password-file}, else {@code TUNER_USER} with {@code TUNER_PASSWORD},
 *       else the local admin of {@code ./tuner up} (the password it wrote to its {@code initial-admin-password} file),
 *       and that last one only for {@code ./tuner up}'s own service: the local admin's password is never sent to an
 *       address given by flag or environment.
 * </ul>
 * Each pair comes whole from one place: half of one ({@code --user} without {@code --password-file},
 * {@code TUNER_PASSWORD} without {@code TUNER_USER}, ...) is a usage error naming the missing half (exit 2), never a
 * quiet fall-back to another account. A password is only ever read from a file or the environment: a flag's value
 * shows in the process list.
 */
public final class PolicyOptions {
    static final String URL_VARIABLE = "TUNER_POLICY_URL";
    static final String USER_VARIABLE = "TUNER_USER";
    static final String PASSWORD_VARIABLE = "TUNER_PASSWORD";
    /** An authority with an account in it: {@code scheme://USER[:PASSWORD]@}. */
    private static final Pattern USER_INFO = Pattern.compile("^[^/?#]*//[^/?#]*@");

    /** The environment; replaceable so that tests can run the CLI in-process with other values. */
    private static volatile Function<String, String> environment = System::getenv;

    /** For tests that run the CLI in-process: where TUNER_POLICY_URL, TUNER_USER and TUNER_PASSWORD come from. */
    public static void useEnvironment(Function<String, String> lookup) {
        environment = lookup == null ? System::getenv : lookup;
    }

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    @Option(names = "--policy-url", paramLabel = "URL",
            description = "The policy service (default: $TUNER_POLICY_URL, else the one ./tuner up runs).")
    String policyUrl;

    @Option(names = "--user", paramLabel = "NAME",
            description = "The account to act as, with --password-file (default: $TUNER_USER with $TUNER_PASSWORD,"
                    + " else the local admin of ./tuner up, for its own service only).")
    String user;

    @Option(names = "--password-file", paramLabel = "FILE",
            description = "The file holding the password of --user, one line (a password is never a flag's value:"
                    + " those show in the process list).")
    Path passwordFile;

    /**
     * For {@code users add|passwd}, whose {@code --password-file} named the new account's password before these options
     * were shared: without {@code --user}, that file is not an account's login, so it is handed back (and forgotten
     * here) for the command to read as the new password. Null when there is none or {@code --user} is given.
     */
    public Path takePasswordFileWithoutUser() {
        if (user != null || passwordFile == null) {
            return null;
        }
        Path file = passwordFile;
        passwordFile = null;
        return file;
    }

    /** The service and the account per the rule; the stack is asked only when no address is given. */
    public PolicyApi connect(Path state) {
        return connect(state, PolicyApi.DEFAULT_TIMEOUT);
    }

    /** As {@link #connect(Path)}, with calls that may take up to {@code timeout}. */
    public PolicyApi connect(Path state, Duration timeout) {
        return open(state, timeout, () -> runningPolicy(Stack.status(state).parts()), false);
    }

    /**
     * For {@code ./tuner status}, which has the stack's parts already: as {@link #connect(Path)}, but null when no
     * address is given and {@code ./tuner up}'s policy service is not running.
     */
    public PolicyApi connectIfRunning(Path state, List<PartStatus> parts) {
        return open(state, PolicyApi.DEFAULT_TIMEOUT, () -> runningPolicy(parts), true);
    }

    private PolicyApi open(Path state, Duration timeout, Supplier<Optional<String>> stack, boolean orNull) {
        Function<String, String> env = environment;
        Origin account = accountOrigin(env); // usage errors first: before any file, process or network is asked
        String url;
        Origin where;
        if (policyUrl != null) {
            url = checkedUrl(policyUrl, "--policy-url");
            where = Origin.FLAGS;
        } else if (isSet(env.apply(URL_VARIABLE))) {
            url = checkedUrl(env.apply(URL_VARIABLE).strip(), URL_VARIABLE);
            where = Origin.ENVIRONMENT;
        } else {
            where = Origin.LOCAL_STACK;
            Optional<String> running = stack.get();
            if (running.isEmpty()) {
                if (orNull) {
                    return null;
                }
                throw CliException.input("the policy service is not running (state in " + state + "): start it with"
                        + " ./tuner up, or point --policy-url (or " + URL_VARIABLE + ") at a running one", null);
            }
            url = running.get();
        }
        Credentials credentials = switch (account) {
            case FLAGS -> Credentials.fromFlags(user, passwordFile);
            case ENVIRONMENT -> Credentials.fromEnvironment(env.apply(USER_VARIABLE).strip(),
                    env.apply(PASSWORD_VARIABLE));
            case LOCAL_STACK -> {
                if (where != Origin.LOCAL_STACK) {
                    throw CliException.usage((where == Origin.FLAGS ? "--policy-url" : URL_VARIABLE) + " names a"
                            + " service other than ./tuner up's: say which account to act as with --user NAME"
                            + " --password-file F, or " + USER_VARIABLE + " and " + PASSWORD_VARIABLE + " (./tuner"
                            + " up's local admin password goes to its own service only)");
                }
                yield Credentials.localAdmin(Stack.policyStateDirectory(state).resolve("initial-admin-password"));
            }
        };
        return new PolicyApi(url, where, credentials, timeout);
    }

    /** Where the account comes from; a usage error when only half of a pair is given. */
    private Origin accountOrigin(Function<String, String> env) {
        if (user != null || passwordFile != null) {
            if (passwordFile == null) {
                throw CliException.usage("--user " + user + " needs --password-file F, the file holding " + user
                        + "'s password (or leave --user out: then " + USER_VARIABLE + " with " + PASSWORD_VARIABLE
                        + ", else ./tuner up's local admin)");
            }
            if (user == null) {
                throw CliException.usage("--password-file " + passwordFile + " needs --user NAME, the account whose"
                        + " password it holds" + (command != null && command.findOption("--new-password-file") != null
                        ? "; the password of the account you add or change goes in --new-password-file F" : ""));
            }
            checkName(user, "--user");
            return Origin.FLAGS;
        }
        boolean hasUser = isSet(env.apply(USER_VARIABLE));
        boolean hasPassword = env.apply(PASSWORD_VARIABLE) != null && !env.apply(PASSWORD_VARIABLE).isEmpty();
        if (hasUser && !hasPassword) {
            throw CliException.usage(USER_VARIABLE + " is set (" + env.apply(USER_VARIABLE).strip() + ") but "
                    + PASSWORD_VARIABLE + " is not: set both, give --user NAME --password-file F, or unset "
                    + USER_VARIABLE + " to act as ./tuner up's local admin");
        }
        if (hasPassword && !hasUser) {
            throw CliException.usage(PASSWORD_VARIABLE + " is set but " + USER_VARIABLE + " is not: set "
                    + USER_VARIABLE + " to the account it belongs to, or unset " + PASSWORD_VARIABLE);
        }
        if (hasUser) {
            checkName(env.apply(USER_VARIABLE).strip(), USER_VARIABLE);
            return Origin.ENVIRONMENT;
        }
        return Origin.LOCAL_STACK;
    }

    private static void checkName(String name, String what) {
        if (name.isBlank() || name.contains(":")) { // HTTP Basic ends the name at the first ':'
            throw CliException.usage(what + " '" + name + "' is not an account name (not empty, no ':')");
        }
    }

    /** An http(s) address with a host and nothing the CLI would have to guess about. */
    private static String checkedUrl(String text, String what) {
        if (USER_INFO.matcher(text).find()) { // the text is not repeated: it holds a password, perhaps
            throw CliException.usage(what + " holds an account (USER:PASSWORD@): give the address alone, the account"
                    + " with --user NAME --password-file F");
        }
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw CliException.usage(what + ": '" + text + "' is not a URL (" + e.getReason() + "); expected"
                    + " http://HOST:PORT or https://HOST[:PORT][/PREFIX]");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
            throw CliException.usage(what + ": '" + text + "' is not an http:// or https:// address with a host;"
                    + " expected http://HOST:PORT or https://HOST[:PORT][/PREFIX]");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw CliException.usage(what + ": '" + text + "' has a query or a fragment; give the service's base"
                    + " address (http://HOST:PORT[/PREFIX])");
        }
        return text;
    }

    private static Optional<String> runningPolicy(List<PartStatus> parts) {
        return parts.stream().filter(p -> p.part().equals("policy") && p.healthy()).map(PartStatus::address)
                .findFirst();
    }

    private static boolean isSet(String value) {
        return value != null && !value.isBlank();
    }
}
