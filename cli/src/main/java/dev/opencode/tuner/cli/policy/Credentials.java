package dev.opencode.tuner.cli.policy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;

/**
 * The account the CLI acts as at the policy service, ready as an HTTP Basic header, and where it came from so that a
 * refusal can say what to fix. Holds the password only inside the header, and prints neither.
 */
public final class Credentials {
    private final String user;
    private final String authorization;
    private final Origin origin;
    private final Path passwordFile;

    private Credentials(String user, String password, Origin origin, Path passwordFile) {
        this.user = user;
        this.authorization = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password)
                .getBytes(StandardCharsets.UTF_8));
        this.origin = origin;
        this.passwordFile = passwordFile;
    }

    /** {@code --user} with the password read from {@code --password-file}. */
    public static Credentials fromFlags(String user, Path passwordFile) {
        return new Credentials(user, PasswordFile.read(passwordFile, "--password-file"), Origin.FLAGS, passwordFile);
    }

    /** {@code TUNER_USER} with {@code TUNER_PASSWORD}. */
    public static Credentials fromEnvironment(String user, String password) {
        return new Credentials(user, password, Origin.ENVIRONMENT, null);
    }

    /** The local admin of {@code ./tuner up}, with the password it wrote at its first start. */
    public static Credentials localAdmin(Path initialAdminPassword) {
        return new Credentials("admin", PasswordFile.read(initialAdminPassword, "the local admin's password file"),
                Origin.LOCAL_STACK, initialAdminPassword);
    }

    public String user() {
        return user;
    }

    public Origin origin() {
        return origin;
    }

    String authorization() {
        return authorization;
    }

    /** What to do when the service refuses this account (401): depends on where it came from. */
    String fixForRefusal() {
        return switch (origin) {
            case FLAGS -> "check --user " + user + " and the password in --password-file " + passwordFile;
            case ENVIRONMENT -> "check TUNER_USER and TUNER_PASSWORD, or give --user NAME --password-file F instead";
            case LOCAL_STACK -> "this is ./tuner up's local admin with the password in " + passwordFile + "; if"
                    + " that password was changed since, give --user admin --password-file F with the new one (or"
                    + " another account, or TUNER_USER and TUNER_PASSWORD)";
        };
    }

    @Override
    public String toString() {
        return "account '" + user + "' (" + origin + ")"; // never the password
    }
}
