package dev.opencode.tuner.cli.policy;

import dev.opencode.tuner.cli.CliException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads a password from a file, the only way the CLI takes one: a flag's value would show in the process list. The
 * file holds one line of UTF-8 (surrounding white space, such as the final newline, is ignored). Whatever goes wrong,
 * the message names the file and never its content; it is an input that cannot be read (exit 1).
 */
public final class PasswordFile {
    /** Far above any password the service takes (72 bytes): a bigger file is some other file. */
    static final int MAX_BYTES = 4096;

    private PasswordFile() {
    }

    /** The password in {@code file}; {@code what} names it in messages ({@code "--password-file"}). */
    public static String read(Path file, String what) {
        byte[] bytes;
        try {
            if (Files.size(file) > MAX_BYTES) {
                throw unusable(file, what, "it is larger than " + MAX_BYTES + " bytes, so not a password file");
            }
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw CliException.input("cannot read " + what + " " + file + " (" + reason(e) + ")", e);
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString().strip();
        } catch (CharacterCodingException e) {
            throw unusable(file, what, "it is not UTF-8 text");
        }
        if (text.isEmpty()) {
            throw unusable(file, what, "it is empty");
        }
        if (text.lines().count() > 1) {
            throw unusable(file, what, "it holds more than one line; a password file holds the password alone");
        }
        return text;
    }

    private static CliException unusable(Path file, String what, String why) {
        return CliException.input("cannot use " + what + " " + file + ": " + why, null);
    }

    private static String reason(IOException e) {
        String type = e.getClass().getSimpleName();
        return switch (type) {
            case "NoSuchFileException" -> "no such file";
            case "AccessDeniedException" -> "permission denied";
            default -> e.getMessage() == null ? type : type + ": " + e.getMessage();
        };
    }
}
