package dev.opencode.tuner.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs commands for tests: output captured, failures loud (the command, its exit code and its output). */
final class Sh {
    record Result(int code, String output) {
    }

    private Sh() {
    }

    static Result run(List<String> command, String stdin, Map<String, String> env, int timeoutSeconds) {
        return run(command, stdin, env, timeoutSeconds, null);
    }

    /** {@code stderr} null: standard error mixed into the output; else written to that file. */
    private static Result run(List<String> command, String stdin, Map<String, String> env, int timeoutSeconds,
                              java.io.File stderr) {
        try {
            ProcessBuilder pb = new ProcessBuilder(command);
            if (stderr == null) {
                pb.redirectErrorStream(true);
            } else {
                pb.redirectError(stderr);
            }
            pb.environment().putAll(env);
            Process p = pb.start();
            if (stdin != null) {
                p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
            }
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("timed out after " + timeoutSeconds + " s: " + command);
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError("cannot run " + command + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted: " + command, e);
        }
    }

    /** Runs and requires exit 0. */
    static String ok(String... command) {
        return okWithInput(null, command);
    }

    static String okWithInput(String stdin, String... command) {
        Result r = run(List.of(command), stdin, Map.of(), 120);
        if (r.code() != 0) {
            throw new AssertionError("command failed (exit " + r.code() + "): " + String.join(" ", command) + "\n"
                    + r.output());
        }
        return r.output();
    }

    /**
     * Runs, requires exit 0 and returns standard output alone, for commands whose output is parsed (JSON): warnings on
     * standard error, such as nix-instantiate's about a missing {@code nixbld} group on a fresh machine, stay out of it
     * and appear only in the failure message.
     */
    static String stdout(String... command) {
        try {
            java.nio.file.Path err = java.nio.file.Files.createTempFile("sh-stderr", ".txt");
            try {
                Result r = run(List.of(command), null, Map.of(), 120, err.toFile());
                if (r.code() != 0) {
                    throw new AssertionError("command failed (exit " + r.code() + "): " + String.join(" ", command)
                            + "\n" + r.output() + java.nio.file.Files.readString(err));
                }
                return r.output();
            } finally {
                java.nio.file.Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new AssertionError("cannot read the standard error of " + String.join(" ", command) + ": "
                    + e.getMessage(), e);
        }
    }

    /** Runs and ignores the result (cleanup). */
    static void quietly(String... command) {
        run(List.of(command), null, Map.of(), 60);
    }

    static boolean isRoot() {
        return "0".equals(run(List.of("id", "-u"), null, Map.of(), 10).output().strip());
    }
}
