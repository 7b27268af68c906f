package dev.opencode.tuner.policy.app.evidence;

import java.nio.file.Path;

/** A provider range file that cannot be used; the message names the file, the field and what is wrong. */
public final class InvalidRangeFile extends Exception {
    InvalidRangeFile(String key, Path file, String field, String problem) {
        super(key + " " + file + ": " + field + ": " + problem);
    }

    InvalidRangeFile(String key, Path file, String problem, Throwable cause) {
        super(key + " " + file + ": " + problem, cause);
    }
}
