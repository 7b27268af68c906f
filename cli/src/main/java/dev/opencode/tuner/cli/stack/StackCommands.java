package dev.opencode.tuner.cli.stack;

import dev.opencode.tuner.cli.CliException;
import dev.opencode.tuner.cli.policy.PolicyOptions;
import dev.opencode.tuner.cli.suggest.SampleJournal;
import dev.opencode.tuner.stack.DownResult;
import dev.opencode.tuner.stack.PartStatus;
import dev.opencode.tuner.stack.Stack;
import dev.opencode.tuner.stack.StackException;
import dev.opencode.tuner.stack.StackOptions;
import dev.opencode.tuner.stack.StackStatus;
import dev.opencode.tuner.stack.UpResult;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ./tuner up|status|down|logs}: the local pipeline on one machine. */
public final class StackCommands {
    private StackCommands() {
    }

    /** Options every stack command shares. */
    static class Common {
        @Spec
        CommandSpec spec;

        @Option(names = "--state-dir", paramLabel = "DIR",
                description = "Where the stack keeps its data, logs and credentials (default: $TUNER_STATE_DIR, "
                        + "/var/lib/opencode-egress-tuner as root, else ~/.local/state/opencode-egress-tuner).")
        Path stateDir;

        Path state() {
            return StateDirectory.resolve(stateDir);
        }

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        PrintWriter err() {
            return spec.commandLine().getErr();
        }

        static void printParts(PrintWriter out, List<PartStatus> parts) {
            for (PartStatus p : parts) {
                out.printf("  %-10s %-12s %-28s %s%n", p.part(), p.condition(), p.address() == null ? "-" : p.address(),
                        p.detail());
            }
        }

        /** The review UI's address (the policy service's {@code /ui}), when the policy service runs. */
        static void printReviewUi(PrintWriter out, List<PartStatus> parts) {
            parts.stream().filter(p -> p.part().equals("policy") && p.condition() == PartStatus.Condition.RUNNING
                    && p.address() != null).findFirst().ifPresent(p -> out.println("Review UI: " + p.address()
                    + "/ui"));
        }
    }

    @Command(name = "up", mixinStandardHelpOptions = true,
            description = "Starts Kafka, PostgreSQL, the policy service and the collector in the background and "
                    + "returns when all are healthy. Running it again says what already runs.")
    public static final class Up extends Common implements Callable<Integer> {
        @Option(names = "--journal-dir", paramLabel = "DIR",
                description = "The collector reads this journal directory instead of the local system journal.")
        Path journalDir;

        @Option(names = "--host", paramLabel = "HOST",
                description = "The host the collector speaks for: its Kafka account and topics, and the _HOSTNAME its"
                        + " journal entries must carry (entries of other hosts are set aside as malformed). Default:"
                        + " this machine's hostname, or demo-host for the bundled sample journal.")
        String host;

        @Option(names = "--monitoring",
                description = "Also start a local Prometheus (Debian's prometheus package, installed when missing) "
                        + "scraping the collector and the policy service, with the rules of dashboards/prometheus.")
        boolean monitoring;

        @Option(names = "--scrape-interval", paramLabel = "SECONDS",
                description = "With --monitoring: seconds between scrapes and rule evaluations, 1..300 (default 15).")
        Integer scrapeSeconds;

        @Override
        public Integer call() {
            if (scrapeSeconds != null && !monitoring) {
                throw CliException.usage("--scrape-interval needs --monitoring (it sets how often the local Prometheus"
                        + " scrapes)");
            }
            int scrape = scrapeSeconds == null ? 15 : scrapeSeconds;
            if (scrape < 1 || scrape > 300) {
                throw CliException.usage("--scrape-interval " + scrape + ": must be between 1 and 300 seconds");
            }
            Path state = state();
            StackOptions options = StackOptions.defaults().withProgress(line -> {
                err().println(line);
                err().flush();
            });
            if (journalDir != null) {
                options = options.withCollectorJournal(journalDir.toAbsolutePath().normalize());
            } else if (!Files.isDirectory(Path.of("/var/log/journal")) && !Files.isDirectory(Path.of("/run/log/journal"))) {
                Path cache = Path.of(System.getProperty("tuner.cache",
                        System.getProperty("user.home") + "/.cache/opencode-egress-tuner"));
                Path sample = SampleJournal.buildRecent(cache, java.time.Clock.systemUTC());
                err().println("tuner: this machine has no system journal; the collector follows the bundled sample"
                        + " journal (" + sample + "). Pass --journal-dir to choose another.");
                options = options.withCollectorJournal(sample);
                if (host == null) {
                    host = SampleJournal.HOST;
                }
            }
            if (host != null) {
                try {
                    options = options.withCollectorHost(host);
                } catch (IllegalArgumentException e) {
                    throw CliException.usage("--host: " + e.getMessage());
                }
            }
            if (monitoring) {
                options = options.withMonitoring(java.time.Duration.ofSeconds(scrape));
            }
            UpResult result = Stack.up(state, options);
            PrintWriter out = out();
            for (PartStatus dead : result.foundDead()) {
                out.println("Found dead and started again: " + dead.part() + " (" + dead.detail() + ")");
            }
            out.println(result.alreadyRunning() ? "Already running (state in " + state + "):"
                    : "Running (state in " + state + "):");
            printParts(out, result.parts());
            printReviewUi(out, result.parts());
            result.parts().stream().filter(p -> p.part().equals("policy")).findFirst().ifPresent(p -> {
                out.println("API: " + p.address() + "/api/v1/suggestions");
                out.println("Management (this machine only): " + p.managementAddress() + "/q/openapi, /q/metrics,"
                        + " /q/health");
            });
            result.parts().stream().filter(p -> p.part().equals("prometheus")).findFirst().ifPresent(p ->
                    out.println("Prometheus: " + p.address() + "  (rules: " + p.address() + "/rules, alerts: "
                            + p.address() + "/alerts; Grafana is not installable here, see dashboards/README.md)"));
            out.println("Credentials: admin password in " + Stack.policyStateDirectory(state)
                    .resolve("initial-admin-password") + "; database account in " + state.resolve("credentials")
                    .resolve("policy-db.properties") + " (0600 files)");
            out.println("Next: ./tuner suggestions   Logs: ./tuner logs [part]   Stop: ./tuner down");
            out.flush();
            return 0;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Shows each part of the local stack with its address and health. Exit 0 when all run.")
    public static final class Status extends Common implements Callable<Integer> {
        enum Format { text, json }

        /** For the export lines, which come from the policy service. */
        @Mixin
        PolicyOptions policy;

        @Option(names = "--format", defaultValue = "text",
                description = "text (default) or json: [{\"name\", \"url\", \"healthy\"}] per part up started.")
        Format format;

        @Override
        public Integer call() {
            StackStatus status = Stack.status(state());
            if (format == Format.json) {
                java.util.List<java.util.Map<String, Object>> parts = new java.util.ArrayList<>();
                for (PartStatus p : status.parts()) {
                    if (p.condition() == PartStatus.Condition.NOT_STARTED) {
                        continue; // the parts up started (running or not), not the optional ones it did not
                    }
                    java.util.Map<String, Object> part = new java.util.LinkedHashMap<>();
                    part.put("name", p.part());
                    part.put("url", p.address());
                    part.put("healthy", p.healthy());
                    parts.add(part);
                }
                try {
                    out().println(new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter()
                            .writeValueAsString(parts));
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new IllegalStateException(e);
                }
            } else {
                out().println("State in " + state() + ":");
                printParts(out(), status.parts());
                printReviewUi(out(), status.parts());
                java.util.List<String> dead = status.parts().stream()
                        .filter(p -> p.condition() == PartStatus.Condition.DOWN).map(PartStatus::part).toList();
                if (!dead.isEmpty()) {
                    out().println("Found dead: " + String.join(", ", dead) + ". Run ./tuner up to start "
                            + (dead.size() == 1 ? "it" : "them") + " again; ./tuner logs " + dead.get(0)
                            + " shows why it stopped.");
                }
                dev.opencode.tuner.cli.export.ExportStatusLines.print(out(), policy, state(), status.parts());
            }
            out().flush();
            // An optional part (prometheus) that was never started does not make the stack unhealthy.
            boolean allHealthy = status.parts().stream().allMatch(p -> p.healthy()
                    || (p.condition() == PartStatus.Condition.NOT_STARTED
                    && Stack.optionalPartNames().contains(p.part())));
            return allHealthy ? 0 : 3;
        }
    }

    @Command(name = "down", mixinStandardHelpOptions = true,
            description = "Stops what ./tuner up started, and nothing else.")
    public static final class Down extends Common implements Callable<Integer> {
        @Override
        public Integer call() {
            DownResult result = Stack.down(state());
            if (result.parts().isEmpty()) {
                out().println("Nothing was started by ./tuner up (state in " + state() + ").");
            }
            for (DownResult.PartOutcome p : result.parts()) {
                out().printf("  %-10s %-16s %s%n", p.part(), p.action(), p.detail());
            }
            out().flush();
            return 0;
        }
    }

    @Command(name = "logs", mixinStandardHelpOptions = true,
            description = "Shows the end of the logs of one part (kafka, postgres, policy, collector, prometheus) or of all.")
    public static final class Logs extends Common implements Callable<Integer> {
        @Parameters(arity = "0..1", paramLabel = "PART",
                description = "kafka, postgres, policy, collector or prometheus (default: all)")
        String part;

        @Option(names = {"-n", "--lines"}, defaultValue = "40", description = "Lines per file (default ${DEFAULT-VALUE}).")
        int lines;

        @Override
        public Integer call() {
            List<Path> files;
            try {
                files = Stack.logs(state(), part);
            } catch (StackException e) {
                throw CliException.usage(e.getMessage()); // an unknown part name is a usage error, not a failure
            }
            for (Path file : files) {
                out().println("==> " + file + " <==");
                out().println(Stack.tail(file, lines));
            }
            out().flush();
            return 0;
        }
    }
}
