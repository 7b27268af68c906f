package dev.opencode.tuner.kafka;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * How every part of the tuner logs in to Kafka: SASL/SCRAM-SHA-512 with a user name and a password read from a file
 * (a 0600 file of {@code ./tuner up}, or a systemd credential under NixOS), never from a process argument or the
 * environment. {@link #clientProperties} gives the Kafka client settings; the password only lives in the JAAS line
 * handed to the client in memory.
 */
public final class KafkaLogin {
    public static final String SECURITY_PROTOCOL = "SASL_PLAINTEXT";
    public static final String MECHANISM = "SCRAM-SHA-512";
    static final Pattern USER = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,254}");
    // Printable ASCII but the JAAS quote and its escape: the password goes between double quotes.
    static final Pattern PASSWORD = Pattern.compile("[\\x21\\x23-\\x5b\\x5d-\\x7e]{16,512}");

    private KafkaLogin() {
    }

    /** A login that is not usable, with the configuration key at fault and what to do. */
    public static final class InvalidLoginException extends RuntimeException {
        public InvalidLoginException(String message) {
            super(message);
        }
    }

    /**
     * The Kafka client properties for SCRAM-SHA-512 as {@code username} with the password in {@code passwordFile}.
     *
     * @param keyPrefix the configuration prefix named in errors, e.g. {@code tuner.policy.kafka}
     */
    public static Map<String, String> clientProperties(String keyPrefix, String username, Path passwordFile) {
        if (username == null || !USER.matcher(username).matches()) {
            throw new InvalidLoginException(keyPrefix + ".username: " + (username == null ? "not set" : "'" + username
                    + "' is not a Kafka user name") + ". The broker accepts only authenticated clients: set the user"
                    + " name (letters, digits, '.', '_' or '-') and " + keyPrefix + ".password-file; ./tuner up and the"
                    + " NixOS module provision both");
        }
        String password = readPassword(keyPrefix + ".password-file", passwordFile);
        Map<String, String> p = new LinkedHashMap<>();
        p.put("security.protocol", SECURITY_PROTOCOL);
        p.put("sasl.mechanism", MECHANISM);
        p.put("sasl.jaas.config", jaas(username, password));
        return p;
    }

    /** The JAAS line of a SCRAM client; {@code password} must be valid ({@link #isValidPassword}). */
    public static String jaas(String username, String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + username
                + "\" password=\"" + password + "\";";
    }

    public static boolean isValidUser(String username) {
        return username != null && USER.matcher(username).matches();
    }

    public static boolean isValidPassword(String password) {
        return password != null && PASSWORD.matcher(password).matches();
    }

    /**
     * Reads a password file: one line (a final newline is ignored) of 16 to 512 printable ASCII characters without
     * {@code "} or {@code \}, in a file that other users cannot read.
     */
    public static String readPassword(String key, Path file) {
        if (file == null) {
            throw new InvalidLoginException(key + ": not set. Name the file that holds the Kafka password (mode"
                    + " 0600 or 0400; ./tuner up and the NixOS module write it)");
        }
        String text;
        try {
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
            if (mode.contains(PosixFilePermission.OTHERS_READ)) {
                throw new InvalidLoginException(key + ": " + file + " can be read by every user of this machine;"
                        + " chmod 600 it (and choose a new password: the old one may have been read)");
            }
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new InvalidLoginException(key + ": " + file + " does not exist");
        } catch (IOException e) {
            throw new InvalidLoginException(key + ": cannot read " + file + " (" + e.getMessage() + ")");
        } catch (UnsupportedOperationException e) {
            throw new InvalidLoginException(key + ": " + file + " is not on a POSIX file system");
        }
        String password = text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
        if (!isValidPassword(password)) {
            // The password itself is never part of a message.
            throw new InvalidLoginException(key + ": " + file + " does not hold one line of 16 to 512 printable ASCII"
                    + " characters without '\"' or '\\' (" + password.length() + " characters found)");
        }
        return password;
    }
}
