package dev.opencode.tuner.export;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A token read from a file. It prints as {@code ****} and can blank itself out of any text, so that no message, log
 * line or exception that passes through {@link #redact} carries it.
 */
public final class Secret {
    public static final String MASK = "****";
    private final String value;

    private Secret(String value) {
        this.value = value;
    }

    /** Reads the token: the file's content without surrounding whitespace; errors name the file, never the content. */
    public static Secret fromFile(Path file, String key) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new IllegalArgumentException(key + ": cannot read the token file " + file + " ("
                    + e.getClass().getSimpleName() + "): make it readable by this user", null);
        }
        if (text.isEmpty()) {
            throw new IllegalArgumentException(key + ": the token file " + file + " is empty: put the token in it");
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c <= 0x20 || c == 0x7f) {
                throw new IllegalArgumentException(key + ": the token file " + file
                        + " holds more than one token (whitespace or a control character inside): keep only the token");
            }
        }
        return new Secret(text);
    }

    /** A secret for tests and for callers that hold the token already. */
    public static Secret of(String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("empty token");
        }
        return new Secret(value);
    }

    /** The token itself: only for the Authorization header or the git credentials. */
    public String reveal() {
        return value;
    }

    /** {@code text} with every occurrence of the token replaced by {@value #MASK}. */
    public String redact(String text) {
        return text == null ? null : text.replace(value, MASK);
    }

    /** Redacts {@code text} with each secret that is not null. */
    public static String redact(String text, Secret... secrets) {
        String out = text;
        for (Secret secret : secrets) {
            if (secret != null) {
                out = secret.redact(out);
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return MASK;
    }
}
