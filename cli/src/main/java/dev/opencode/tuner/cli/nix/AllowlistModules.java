package dev.opencode.tuner.cli.nix;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Evaluates an allowlist module with the real {@code nix-instantiate}, as NixOS would import it, and returns the raw
 * values of every instance's {@code outboundAllowCidrs} (strings or not: the caller judges them). The path reaches Nix
 * as a string argument ({@code --argstr}), never as expression text.
 *
 * <p>A module under check is untrusted code (a pull request's): it is evaluated with {@code restrict-eval}, allowed
 * to read its own directory only, in an empty environment ({@code builtins.getEnv} gives ""), and Nix's error text is
 * never passed on, because a module can make it carry the text of any file it may read ({@code throw}, or an
 * {@code import} whose code frame Nix prints). Only the kind of error and its location are.
 */
public final class AllowlistModules {
    private static final String EXPRESSION = """
            { file }:
            let
              m = import (/. + file);
              v = if builtins.isFunction m then m { config = { }; lib = { }; pkgs = { }; } else m;
              instances = ((v.services or { }).opencode or { }).instances or { };
            in builtins.mapAttrs (name: i: (i.networkIsolation or { }).outboundAllowCidrs or [ ]) instances
            """;
    private static final Pattern LOCATION = Pattern.compile("\\n\\s*at (/[^\\n]*?):(\\d+):(\\d+):");
    /** The first line of Nix's message (a fixed wording) → what is shown instead of the message. */
    private static final List<Map.Entry<Pattern, String>> KINDS = List.of(
            Map.entry(Pattern.compile("forbidden in restricted mode"),
                    "it reads or imports a path outside its own directory, which a module under check may not"),
            Map.entry(Pattern.compile("^error: syntax error"), "a syntax error"),
            Map.entry(Pattern.compile("^error: undefined variable"), "an undefined variable"),
            Map.entry(Pattern.compile("^error: assertion .* failed"), "an assertion failed"),
            Map.entry(Pattern.compile("^error: infinite recursion"), "infinite recursion"),
            Map.entry(Pattern.compile("^error: (value is|cannot coerce|expected a)"), "a value of the wrong type"),
            Map.entry(Pattern.compile("^error: attribute .* missing"), "a missing attribute"),
            Map.entry(Pattern.compile("^error: (function|anonymous function) .* called"),
                    "a function called with the wrong arguments"));

    /** The evaluation's JSON, or why the file does not evaluate (never Nix's own text, see the type's note). */
    public record Evaluation(JsonNode instances, String error) {
    }

    private AllowlistModules() {
    }

    /** @throws IOException when nix-instantiate cannot be started at all */
    public static Evaluation evaluate(Path file) throws IOException, InterruptedException {
        Path real = file.toRealPath();
        Path dir = real.getParent();
        if (dir == null || dir.getParent() == null) {
            return new Evaluation(null, "a module directly in / would be allowed to read the whole file system:"
                    + " move it into a directory of its own");
        }
        // --store dummy://: evaluation needs no store, and without it a non-root user fails on the daemon socket.
        // restrict-eval with -I DIR: the module may read and import files under its own directory and nothing else.
        List<String> command = List.of("nix-instantiate", "--store", "dummy://", "--eval", "--strict", "--json",
                "--option", "restrict-eval", "true", "-I", dir.toString(),
                "--expr", EXPRESSION, "--argstr", "file", real.toString());
        Path err = Files.createTempFile("tuner-check", ".err");
        Path out = Files.createTempFile("tuner-check", ".json");
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectError(err.toFile()).redirectOutput(out.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            Map<String, String> env = pb.environment();
            String path = env.get("PATH");
            String home = env.get("HOME");
            env.clear(); // CI secrets live in the environment: the module gets none of it
            env.put("PATH", path == null ? "/usr/bin:/bin" : path);
            if (home != null) {
                env.put("HOME", home);
            }
            Process process = pb.start();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return new Evaluation(null, "nix-instantiate did not finish in 60 s");
            }
            if (process.exitValue() != 0) {
                return new Evaluation(null, describe(Files.readString(err), dir));
            }
            return new Evaluation(new ObjectMapper().readTree(Files.readString(out, StandardCharsets.UTF_8)), null);
        } finally {
            Files.deleteIfExists(err);
            Files.deleteIfExists(out);
        }
    }

    /** The kind and location of Nix's error, in our own words: none of Nix's text, which the module controls. */
    static String describe(String nixMessage, Path dir) {
        String message = nixMessage.strip();
        String first = message.lines().findFirst().orElse("");
        String kind = "an evaluation error (such as a throw)";
        for (Map.Entry<Pattern, String> k : KINDS) {
            if (k.getKey().matcher(first).find()) {
                kind = k.getValue();
                break;
            }
        }
        StringBuilder out = new StringBuilder(kind);
        Matcher at = LOCATION.matcher(message);
        if (at.find() && Path.of(at.group(1)).normalize().startsWith(dir)) {
            out.append(" at ").append(at.group(1)).append(':').append(at.group(2)).append(':').append(at.group(3));
        }
        return out.append(" (Nix's message is not shown, as the module could make it carry a file's text; evaluate"
                + " the file yourself to read it)").toString();
    }
}
