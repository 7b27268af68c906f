package dev.opencode.tuner.policy.app.auth;

import dev.opencode.tuner.policy.app.PolicyStateDirectory;
import io.smallrye.config.ConfigSourceInterceptor;
import io.smallrye.config.ConfigSourceInterceptorContext;
import io.smallrye.config.ConfigValue;
import jakarta.annotation.Priority;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Set;

/**
 * The key of the UI's session cookies ({@code quarkus.http.auth.session.encryption-key}), read from
 * {@code tuner.policy.auth.session.key-file} (default {@code <state-directory>/session-key}). When that file does
 * not exist it is created once, 0600 from its creation, with 32 random bytes in base64, and reused by every later
 * start, so sessions survive a restart and the key is never generated per start (Quarkus would log a temporary key).
 * A key file that other users may read stops the start: whoever reads it can make a session cookie for any account.
 *
 * <p>An interceptor rather than a config source: it must see {@code tuner.policy.state-directory} wherever it is set,
 * including files named by {@code quarkus.config.locations} (how {@code ./tuner up} and the NixOS module configure
 * the service), which config source factories do not see. An explicit encryption key is left alone.
 */
@Priority(SessionKeySource.PRIORITY)
public final class SessionKeySource implements ConfigSourceInterceptor {
    static final String KEY_FILE = "tuner.policy.auth.session.key-file";
    static final String QUARKUS_KEY = "quarkus.http.auth.session.encryption-key";
    static final int PRIORITY = 500;
    private static final Set<PosixFilePermission> PRIVATE = PosixFilePermissions.fromString("rw-------");

    private volatile ConfigValue cached;

    @Override
    public ConfigValue getValue(ConfigSourceInterceptorContext context, String name) {
        ConfigValue value = context.proceed(name);
        if (!QUARKUS_KEY.equals(name) || value != null && value.getValue() != null) {
            return value;
        }
        if (io.quarkus.runtime.ExecutionModeManager.getExecutionMode() == io.quarkus.runtime.ExecutionMode.UNSET) {
            return value; // the build reads the configuration too: it must not create a key at the default path
        }
        Path file = keyFile(context);
        ConfigValue known = cached;
        if (known != null && known.getConfigSourceName().equals(KEY_FILE + " " + file)) {
            return known;
        }
        known = ConfigValue.builder().withName(QUARKUS_KEY).withValue(readOrCreate(file))
                .withConfigSourceName(KEY_FILE + " " + file).withConfigSourceOrdinal(260).build();
        cached = known;
        return known;
    }

    private static Path keyFile(ConfigSourceInterceptorContext context) {
        ConfigValue explicit = context.proceed(KEY_FILE);
        if (explicit != null && explicit.getValue() != null && !explicit.getValue().isBlank()) {
            return Path.of(explicit.getValue().strip());
        }
        ConfigValue state = context.proceed("tuner.policy.state-directory");
        return PolicyStateDirectory.of(state == null ? null : state.getValue()).resolve("session-key");
    }

    /** The key in the file, creating the file (and its directory, 0700) first when it does not exist. */
    static String readOrCreate(Path file) {
        try {
            if (!Files.exists(file)) {
                create(file);
            }
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            if (permissions.stream().anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))) {
                throw new IllegalArgumentException(KEY_FILE + "=" + file + " may be read by other users ("
                        + PosixFilePermissions.toString(permissions) + "): whoever reads it can log in as anyone;"
                        + " chmod 600 it");
            }
            String key = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (key.length() < 32) {
                throw new IllegalArgumentException(KEY_FILE + "=" + file + " holds " + key.length()
                        + " characters; it needs at least 32 (e.g. head -c 32 /dev/urandom | base64)");
            }
            return key;
        } catch (IOException e) {
            throw new IllegalArgumentException(KEY_FILE + "=" + file + " cannot be read or created ("
                    + e.getClass().getSimpleName() + ": " + e.getMessage() + "); make tuner.policy.state-directory"
                    + " writable, or point " + KEY_FILE + " at a readable 0600 file", e);
        }
    }

    private static void create(Path file) throws IOException {
        Path directory = file.toAbsolutePath().getParent();
        if (directory != null && !Files.isDirectory(directory)) {
            Files.createDirectories(directory, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
        }
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        Path temporary = file.resolveSibling(file.getFileName() + ".new");
        Files.deleteIfExists(temporary);
        try (SeekableByteChannel channel = Files.newByteChannel(temporary, Set.of(StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(PRIVATE))) {
            channel.write(ByteBuffer.wrap((Base64.getEncoder().encodeToString(random) + "\n")
                    .getBytes(StandardCharsets.UTF_8)));
        }
        Files.setPosixFilePermissions(temporary, PRIVATE);
        try {
            Files.move(temporary, file); // another instance may have created it meanwhile: then its key wins
        } catch (FileAlreadyExistsException e) {
            Files.deleteIfExists(temporary);
        }
    }
}
