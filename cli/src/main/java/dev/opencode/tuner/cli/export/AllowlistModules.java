package dev.opencode.tuner.cli.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Evaluates an allowlist module with the real {@code nix-instantiate}, as NixOS would import it, and returns the raw
 * values of every instance's {@code outboundAllowCidrs} (strings or not: the caller judges them). The path reaches Nix
 * as a string argument ({@code --argstr}), never as expression text.
 */
final class AllowlistModules {
    private static final String EXPRESSION = """
            { file }:
            let
              m = import (/. + file);
              v = if builtins.isFunction m then m { config = { }; lib = { }; pkgs = { }; } else m;
              instances = ((v.services or { }).opencode or { }).instances or { };
            in builtins.mapAttrs (name: i: (i.networkIsolation or { }).outboundAllowCidrs or [ ]) instances
            """;

    /** The evaluation's JSON, or the evaluator's message when the file does not evaluate. */
    record Evaluation(JsonNode instances, String error) {
    }

    private AllowlistModules() {
    }

    /** @throws IOException when nix-instantiate cannot be started at all */
    static Evaluation evaluate(Path file) throws IOException, InterruptedException {
        // --store dummy://: evaluation needs no store, and without it a non-root user fails on the daemon socket.
        List<String> command = List.of("nix-instantiate", "--store", "dummy://", "--eval", "--strict", "--json",
                "--expr", EXPRESSION, "--argstr", "file", file.toAbsolutePath().normalize().toString());
        Path err = Files.createTempFile("tuner-check", ".err");
        Path out = Files.createTempFile("tuner-check", ".json");
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectError(err.toFile()).redirectOutput(out.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            pb.environment().remove("NIX_PATH");
            Process process = pb.start();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return new Evaluation(null, "nix-instantiate did not finish in 60 s");
            }
            if (process.exitValue() != 0) {
                return new Evaluation(null, Files.readString(err).strip().replaceAll("\\s*\\n\\s*", " "));
            }
            return new Evaluation(new ObjectMapper().readTree(Files.readString(out, StandardCharsets.UTF_8)), null);
        } finally {
            Files.deleteIfExists(err);
            Files.deleteIfExists(out);
        }
    }
}
