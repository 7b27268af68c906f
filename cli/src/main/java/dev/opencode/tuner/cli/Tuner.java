package dev.opencode.tuner.cli;

import dev.opencode.tuner.cli.suggest.SuggestCommand;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ./tuner}: the single entry point for users. */
@Command(name = "tuner",
        mixinStandardHelpOptions = true,
        version = "opencode egress tuner 0.1.0",
        description = "Turns blocked egress of opencode instances into reviewed nftables allowlist patches.",
        subcommands = {SuggestCommand.class, CommandLine.HelpCommand.class})
public final class Tuner {
    /** Exit code when an input cannot be read. */
    public static final int EXIT_INPUT = 1;
    /** Exit code of a usage error (picocli's default for invalid input too). */
    public static final int EXIT_USAGE = 2;

    public static void main(String[] args) {
        System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs the CLI with the given streams and returns the exit code (used by tests in-process). */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new Tuner());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof CliException failure) {
                cmd.getErr().println("tuner: " + failure.getMessage());
                return failure.exitCode();
            }
            throw e;
        });
        return cli.execute(args);
    }
}
