package dev.opencode.tuner.policy.app.auth;

import at.favre.lib.crypto.bcrypt.BCrypt;
import at.favre.lib.crypto.bcrypt.LongPasswordStrategies;
import dev.opencode.tuner.blocked.Untrusted;
import dev.opencode.tuner.policy.app.PolicyConfig;
import dev.opencode.tuner.policy.app.PolicyStateDirectory;
import dev.opencode.tuner.policy.app.review.ReviewErrors;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.security.AuthenticationFailedException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * The local accounts of the API, from the accounts file ({@link AccountsFile}). At first start, when the file does
 * not exist, it is created with one account {@code admin} whose random password is written to
 * {@code <state-directory>/initial-admin-password} (0600); the log says where, never what.
 *
 * <p>The file is read again when it changes (size or modification time), so accounts can be added without a
 * restart. A file that has become invalid locks every account out until it is fixed (and says why in the log):
 * a typo must not keep a removed account alive.
 */
@ApplicationScoped
public class Accounts {
    private static final Logger LOG = Logger.getLogger(Accounts.class);
    static final String INITIAL_PASSWORD_FILE = "initial-admin-password";
    private static final Set<PosixFilePermission> PRIVATE = PosixFilePermissions.fromString("rw-------");
    // htpasswd and OpenBSD truncate passwords at 72 bytes; so does this check, so that their hashes verify here.
    private static final BCrypt.Verifyer VERIFYER = BCrypt.verifyer(BCrypt.Version.VERSION_2A,
            LongPasswordStrategies.truncate(BCrypt.Version.VERSION_2A));

    private final Path file;
    private final Path stateDirectory;
    private final int cost;
    private Map<String, AccountsFile.Account> accounts;
    private String loadError;
    private FileTime loadedTime;
    private long loadedSize = -1;
    private volatile String dummyHash;
    private final VerifiedPasswords verified;
    private final LoginThrottle throttle;

    private final SessionRevocations revocations;

    Accounts(PolicyConfig config, io.micrometer.core.instrument.MeterRegistry registry,
             SessionRevocations revocations) {
        this.revocations = revocations;
        this.stateDirectory = PolicyStateDirectory.of(config.stateDirectory());
        this.file = config.auth().accountsFile().orElse(stateDirectory.resolve("accounts"));
        this.cost = config.auth().bcryptCost();
        this.verified = new VerifiedPasswords(config.auth().verifiedPasswordTtl(), java.time.Clock.systemUTC());
        this.throttle = new LoginThrottle(config.auth().throttle(), java.time.Clock.systemUTC(), registry);
    }

    void onStart(@Observes StartupEvent event) {
        createOnFirstStart();
        synchronized (this) {
            refresh();
            if (loadError != null) {
                throw new IllegalStateException("tuner.policy.auth.accounts-file: " + loadError);
            }
        }
    }

    public Path file() {
        return file;
    }

    /**
     * The account whose password this is. Every failure is logged with the account name and the remote address,
     * never the password, and throws {@link AuthenticationFailedException} (401); an account or address backing off
     * after failed logins, or no free password-check slot, throws {@link LoginRefused} (429, 503) before any bcrypt
     * work (see {@link LoginThrottle}).
     */
    AccountsFile.Account verify(String name, char[] password, java.net.InetAddress address) {
        String who = Untrusted.quote(name, 64) + " from " + (address == null ? "an unknown address"
                : address.getHostAddress());
        try {
            throttle.checkBackoff(name, address);
        } catch (LoginRefused e) {
            LOG.warnf("API login of %s refused for %d s: %s", who, e.retryAfterSeconds(), e.getMessage());
            throw e;
        }
        AccountsFile.Account account;
        String error;
        synchronized (this) {
            refresh();
            error = loadError;
            account = error == null ? accounts.get(name) : null;
        }
        if (error != null) {
            LOG.errorf("API login of %s refused: the accounts file is invalid: %s", who, error);
            throw new AuthenticationFailedException("the accounts file is invalid");
        }
        if (account != null && verified.recentlyVerified(account.name(), account.hash(), password)) {
            throttle.succeeded(account.name(), address);
            return account;
        }
        boolean ok;
        try (LoginThrottle.Slot slot = throttle.checkSlot()) {
            // an unknown account costs the same work as a real one: no timing oracle
            ok = VERIFYER.verify(password, account == null ? dummyHash() : account.hash()).verified && account != null;
        } catch (LoginRefused e) {
            LOG.warnf("API login of %s refused: %s", who, e.getMessage());
            throw e;
        }
        if (!ok) {
            throttle.failed(name, address);
            throttle.count(account == null ? "unknown-account" : "wrong-password");
            if (account == null) {
                LOG.warnf("API login failed: no account %s", who);
                throw new AuthenticationFailedException("unknown account");
            }
            LOG.warnf("API login failed: wrong password for account %s", who);
            throw new AuthenticationFailedException("wrong password");
        }
        verified.remember(account.name(), account.hash(), password);
        throttle.succeeded(account.name(), address);
        return account;
    }

    /**
     * The roles of an existing account, or null when there is none (or the file is invalid): for sessions, which
     * were checked with the password at login and follow the file's current roles afterwards.
     */
    public Set<String> rolesOf(String name) {
        synchronized (this) {
            refresh();
            AccountsFile.Account account = loadError == null ? accounts.get(name) : null;
            return account == null ? null : account.roles();
        }
    }

    /** The accounts as the file holds them now. */
    public synchronized List<AccountsFile.Account> list() {
        refresh();
        requireValid();
        return List.copyOf(accounts.values());
    }

    /** Adds an account; answers the generated password when none was given (else null). Never logs a password. */
    public synchronized String add(String name, String role, char[] password) {
        List<String> lines = editableLines();
        if (accounts.containsKey(name)) {
            throw ReviewErrors.conflict("name: account '" + name + "' exists; change its password with users passwd",
                    null);
        }
        String generated = password == null ? newPassword() : null;
        String hash = BCrypt.withDefaults().hashToString(cost, generated != null ? generated.toCharArray() : password);
        lines.add(name + ":" + hash + ":" + role);
        write(lines);
        LOG.infof("API account '%s' added with role %s", name, role);
        return generated;
    }

    /** Sets an account's password; answers the generated one when none was given (else null). */
    public synchronized String passwd(String name, char[] password) {
        List<String> lines = editableLines();
        int at = lineOf(lines, name);
        String generated = password == null ? newPassword() : null;
        String hash = BCrypt.withDefaults().hashToString(cost, generated != null ? generated.toCharArray() : password);
        String[] parts = lines.get(at).strip().split(":", -1);
        lines.set(at, parts[0] + ":" + hash + ":" + parts[2]);
        write(lines);
        revocations.revoke(name);
        LOG.infof("API account '%s': password changed; its UI sessions are ended", name);
        return generated;
    }

    /** Removes an account; never the last admin. */
    public synchronized void remove(String name) {
        List<String> lines = editableLines();
        int at = lineOf(lines, name);
        long admins = accounts.values().stream().filter(a -> a.roles().contains(Roles.ADMIN)).count();
        if (accounts.get(name).roles().contains(Roles.ADMIN) && admins <= 1) {
            throw ReviewErrors.unprocessable("name", "'" + name + "' is the last admin; add another admin first");
        }
        lines.remove(at);
        write(lines);
        LOG.infof("API account '%s' removed", name);
    }

    private void requireValid() {
        if (loadError != null) {
            throw new IllegalStateException("the accounts file is invalid, fix it first: " + loadError);
        }
    }

    private List<String> editableLines() {
        refresh();
        requireValid();
        try {
            return new java.util.ArrayList<>(Files.readAllLines(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private int lineOf(List<String> lines, String name) {
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (!line.startsWith("#") && line.startsWith(name + ":")) {
                return i;
            }
        }
        throw ReviewErrors.notFound("no account '" + name + "'");
    }

    /** Replaces the file atomically (0600 from its creation) and reads it back. */
    private void write(List<String> lines) {
        Path temporary = file.resolveSibling(file.getFileName() + ".new");
        try {
            writePrivate(temporary, String.join("\n", lines) + "\n");
            Files.move(temporary, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
        loadedTime = null;
        refresh();
        requireValid();
    }

    private String dummyHash() {
        String hash = dummyHash;
        if (hash == null) {
            hash = BCrypt.withDefaults().hashToString(cost, newPassword().toCharArray());
            dummyHash = hash;
        }
        return hash;
    }

    /** Reads the file again when its size or modification time changed. Callers hold the lock. */
    private void refresh() {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (IOException e) {
            accounts = Map.of();
            loadError = "cannot read " + file + " (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")";
            loadedTime = null;
            loadedSize = -1;
            return;
        }
        if (attributes.lastModifiedTime().equals(loadedTime) && attributes.size() == loadedSize) {
            return;
        }
        loadedTime = attributes.lastModifiedTime();
        loadedSize = attributes.size();
        try {
            accounts = AccountsFile.read(file);
            loadError = null;
            LOG.infof("read %d API account%s from %s", accounts.size(), accounts.size() == 1 ? "" : "s", file);
            warnIfOthersMayRead();
        } catch (IOException | RuntimeException e) {
            accounts = Map.of();
            loadError = e instanceof IOException ? "cannot read " + file + " (" + e.getMessage() + ")" : e.getMessage();
            LOG.errorf("the accounts file is invalid, every API login is refused until it is fixed: %s", loadError);
        }
    }

    private void warnIfOthersMayRead() {
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            if (permissions.contains(PosixFilePermission.OTHERS_READ)
                    || permissions.contains(PosixFilePermission.GROUP_READ)) {
                LOG.warnf("%s may be read by other users (%s): its bcrypt hashes can be attacked offline; chmod 600"
                        + " it", file, PosixFilePermissions.toString(permissions));
            }
        } catch (IOException | UnsupportedOperationException e) {
            LOG.debugf("cannot check the permissions of %s: %s", file, e);
        }
    }

    private void createOnFirstStart() {
        if (Files.exists(file)) {
            return;
        }
        String password = newPassword();
        String hash = BCrypt.withDefaults().hashToString(cost, password.toCharArray());
        Path passwordFile = stateDirectory.resolve(INITIAL_PASSWORD_FILE);
        try {
            createPrivateDirectories(stateDirectory);
            createPrivateDirectories(file.toAbsolutePath().getParent());
            writePrivate(passwordFile, password + "\n");
            Path temporary = file.resolveSibling(file.getFileName() + ".new");
            Files.deleteIfExists(temporary);
            writePrivate(temporary, AccountsFile.format(List.<String[]>of(new String[] {"admin", hash, Roles.ADMIN})));
            try {
                Files.move(temporary, file); // fails when another instance created the file meanwhile
            } catch (FileAlreadyExistsException e) {
                Files.deleteIfExists(temporary);
                return;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("tuner.policy.auth.accounts-file " + file + " does not exist and cannot be"
                    + " created (" + e.getMessage() + "); create it, or make tuner.policy.state-directory writable",
                    e);
        }
        LOG.infof("first start: created the API account 'admin' with a random password, written to %s (mode 0600)."
                + " Log in with it, keep it elsewhere and delete that file. Accounts are in %s.", passwordFile, file);
    }

    private static void createPrivateDirectories(Path directory) throws IOException {
        if (directory != null && !Files.isDirectory(directory)) {
            Files.createDirectories(directory, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
        }
    }

    /** Writes a file that is 0600 from its creation on (never readable by others, even for a moment). */
    private static void writePrivate(Path path, String text) throws IOException {
        Files.deleteIfExists(path);
        try (SeekableByteChannel channel = Files.newByteChannel(path, Set.of(StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(PRIVATE))) {
            channel.write(java.nio.ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
        }
        Files.setPosixFilePermissions(path, PRIVATE); // the umask may have removed bits, never added: make it exact
    }

    /** 192 random bits, base64url: 32 characters. */
    static String newPassword() {
        byte[] bytes = new byte[24];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
