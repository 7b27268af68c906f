package dev.opencode.tuner.cli;

import dev.opencode.tuner.cli.review.ReviewCommands;
import dev.opencode.tuner.cli.review.ShowCommand;
import dev.opencode.tuner.cli.review.UsersCommands;
import dev.opencode.tuner.cli.stack.StackCommands;
import dev.opencode.tuner.cli.suggest.SuggestCommand;
import dev.opencode.tuner.stack.StackException;
import dev.opencode.tuner.blocked.Untrusted;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ./tuner}: the single entry point for users. */
@Command(name = "tuner",
        mixinStandardHelpOptions = true,
        version = "opencode egress tuner 0.1.0",
        description = "Turns blocked egress of opencode instances into reviewed nftables allowlist patches.",
        footer = {"", "Also: ./tuner test (the test suite, as CI runs it), ./tuner bench (the benchmarks)."},
        subcommands = {SuggestCommand.class, dev.opencode.tuner.cli.export.CheckCommand.class,
            dev.opencode.tuner.cli.export.ExportCommand.class,
            StackCommands.Up.class, StackCommands.Status.class, StackCommands.Down.class, StackCommands.Logs.class,
            dev.opencode.tuner.cli.stack.SuggestionsCommand.class, ShowCommand.class,
            ReviewCommands.Accept.class, ReviewCommands.Reject.class, ReviewCommands.Snooze.class,
            ReviewCommands.Decisions.class, ReviewCommands.Allowlist.class, UsersCommands.Users.class,
            CommandLine.HelpCommand.class})
public final class Tuner {
    /** Exit code when an input cannot be read. */
    public static final int EXIT_INPUT = 1;
    /** Exit code of a usage error (picocli's default for invalid input too). */
    public static final int EXIT_USAGE = 2;

    public static void main(String[] args) {
        Text.decideColoursLater(() -> Terminal.isTerminal(1), System.getenv());
        System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs the CLI with the given streams and returns the exit code (used by tests in-process). */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new Tuner());
        PrintWriter visibleOut = new PrintWriter(new VisibleWriter(out), true);
        try {
            return run(cli, visibleOut, err, args);
        } finally {
            visibleOut.flush();
        }
    }

    private static int run(CommandLine cli, PrintWriter out, PrintWriter err, String... args) {
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof CliException failure) {
                cmd.getErr().println("tuner: " + Untrusted.visibleLines(failure.getMessage()));
                return failure.exitCode();
            }
            if (e instanceof StackException failure) { // ./tuner up & co: the message names the part and its log
                cmd.getErr().println("tuner: " + Untrusted.visibleLines(failure.getMessage()));
                return EXIT_INPUT;
            }
            // A bug of ours: still one line for the user; the stack trace only on request.
            cmd.getErr().println("tuner: internal error: " + e.getClass().getSimpleName() + ": "
                    + Untrusted.visibleLines(e.getMessage())
                    + " (rerun with JAVA_TOOL_OPTIONS=-Dtuner.debug=true for details, and please report it)");
            if (Boolean.getBoolean("tuner.debug")) {
                e.printStackTrace(cmd.getErr());
            }
            return EXIT_INPUT;
        });
        cli.setParameterExceptionHandler((e, parsed) -> {
            CommandLine cmd = e.getCommandLine();
            cmd.getErr().println("tuner: " + Untrusted.visibleLines(e.getMessage()));
            cmd.getErr().println("  see: ./tuner " + cmd.getCommandSpec().qualifiedName().replaceFirst("^tuner ?", "")
                    + (cmd.getCommandSpec().qualifiedName().equals("tuner") ? "" : " ") + "--help");
            return EXIT_USAGE;
        });
        return cli.execute(args);
    }
}
