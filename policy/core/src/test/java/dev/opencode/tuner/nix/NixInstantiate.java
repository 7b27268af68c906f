package dev.opencode.tuner.nix;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs the real {@code nix-instantiate} on generated files. A missing binary fails the test: skipping would pass a
 * renderer that was never checked by Nix.
 *
 * <p>Every call passes {@code --store dummy://}: parsing and evaluating need no store, and without it Nix opens the
 * default one, which fails for a user who cannot write {@code /nix/var} ("getting status of
 * /nix/var/nix/daemon-socket/socket: Permission denied"). The dummy store also keeps tests from writing to
 * {@code /nix} when they run as root. ({@code --readonly-mode} does not help: it still opens the daemon socket.)
 *
 * <p>Shared with the export and CLI tests through this module's test jar.
 */
public final class NixInstantiate {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Path BINARY = find();

    private NixInstantiate() {
    }

    private static Path find() {
        List<Path> candidates = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(File.pathSeparator)) {
                if (!dir.isEmpty()) {
                    candidates.add(Path.of(dir, "nix-instantiate"));
                }
            }
        }
        candidates.add(Path.of("/usr/bin/nix-instantiate"));
        candidates.add(Path.of("/nix/var/nix/profiles/default/bin/nix-instantiate"));
        for (Path candidate : candidates) {
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    private static Path binary() {
        if (BINARY == null) {
            throw new AssertionError("nix-instantiate is needed to check the rendered Nix and was not found on PATH "
                    + "or in /usr/bin: install it (Debian: apt-get install nix-bin)");
        }
        return BINARY;
    }

    /** {@code nix-instantiate --parse}: fails with Nix's message when the file is not valid Nix. */
    public static void parse(Path file) {
        run(List.of("--parse", file.toString()));
    }

    /** The JSON value of {@code import file {}}, forced deeply. */
    public static JsonNode evalImport(Path file) {
        String json = run(List.of("--eval", "--strict", "--json", "--argstr", "file", file.toString(),
                "-E", "{ file }: import file { }"));
        try {
            return MAPPER.readTree(json);
        } catch (IOException e) {
            throw new AssertionError("nix-instantiate printed no JSON: " + json, e);
        }
    }

    private static String run(List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(binary().toString());
        command.add("--store");
        command.add("dummy://");
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().remove("NIX_PATH");
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        try {
            Process p = pb.start();
            CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("nix-instantiate did not finish in 60 s: " + command);
            }
            if (p.exitValue() != 0) {
                throw new AssertionError("nix-instantiate failed (exit " + p.exitValue() + "): " + command + "\n"
                        + err.join());
            }
            return out.join();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private static String read(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
