package dev.opencode.tuner.cli.suggest;

import dev.opencode.tuner.journal.InstanceUsers;
import dev.opencode.tuner.blocked.InstanceName;
import dev.opencode.tuner.blocked.Transport;
import dev.opencode.tuner.cli.CliException;
import dev.opencode.tuner.cli.DenyOption;
import dev.opencode.tuner.cli.Terminal;
import dev.opencode.tuner.journal.JournalException;
import dev.opencode.tuner.nix.AllowlistRenderer;
import dev.opencode.tuner.suggest.Aggregator;
import dev.opencode.tuner.suggest.Allowlist;
import dev.opencode.tuner.suggest.CidrSuggester;
import dev.opencode.tuner.suggest.Denylist;
import dev.opencode.tuner.suggest.InstanceAggregate;
import dev.opencode.tuner.suggest.InstanceSuggestions;
import dev.opencode.tuner.suggest.SuggestionPolicy;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ./tuner suggest}: journal in, suggested allowlist out, like {@code audit2allow}. */
@Command(name = "suggest", sortOptions = false, mixinStandardHelpOptions = true,
        description = {
            "Suggests the CIDRs to add to each instance's outboundAllowCidrs, from blocked egress in the journal.",
            "Reads kernel log lines 'opencode-<name>-blocked:' and prints suggestions with their evidence.",
            "Only kernel-transport journal entries count; lookalike lines from userspace are reported as spoofed."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:success", "1:an input cannot be read", "2:usage error"})
public final class SuggestCommand implements Callable<Integer> {
    enum Format { text, json, nix }

    static final class Input {
        @Option(names = "--journal", description = "Read the local system journal (the default).")
        boolean journal;

        @Option(names = "--journal-file", paramLabel = "FILE", description = "Read this journal file (repeatable).")
        List<Path> journalFiles;

        @Option(names = "--journal-dir", paramLabel = "DIR", description = "Read every journal file in DIR.")
        Path journalDir;

        @Option(names = "--kernel-log", paramLabel = "FILE|-",
                description = "Read plain text as printed by dmesg, 'journalctl -k -o short' or /var/log/kern.log "
                        + "('-' for standard input). Its transport cannot be checked.")
        String kernelLog;

        @Option(names = "--sample", description = "Read the bundled sample journal (a demo host and a handful"
                + " of instances), on any machine.")
        boolean sample;
    }

    @Spec
    CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "0..1", heading = "%nInput (one of):%n")
    Input input;

    @Option(names = "--since", paramLabel = "TIME", description = "Only entries at or after TIME (" + TimeSpec.FORMATS + ").")
    String since;

    @Option(names = "--host", paramLabel = "HOST", description = "Only this host (as in _HOSTNAME).")
    String host;

    @Option(names = "--instance", paramLabel = "NAME", description = "Only this opencode instance.")
    String instance;

    @Option(names = "--allowlist", paramLabel = "FILE",
            description = "An allowlist module for the selected host (e.g. an earlier --format nix output); "
                    + "what it allows is not suggested again. Needs nix-instantiate.")
    Path allowlist;

    // The engine's defaults, one number each: picocli takes a constant String, and "" + a constant is one.
    @Option(names = "--min-addresses", paramLabel = "N", defaultValue = "" + SuggestionPolicy.DEFAULT_MIN_ADDRESSES,
            description = "Distinct destinations in one group prefix that make the group suggested (default ${DEFAULT-VALUE}).")
    int minAddresses;

    @Option(names = "--max-destinations", paramLabel = "N", defaultValue = "" + Aggregator.DEFAULT_MAX_DESTINATIONS,
            description = "Distinct destinations kept per instance, so that memory stays bounded whatever the input;"
                    + " events to further destinations are counted as overflow and reported"
                    + " (default ${DEFAULT-VALUE}).")
    int maxDestinations;

    @Option(names = "--prefix4", paramLabel = "LEN", defaultValue = "" + SuggestionPolicy.DEFAULT_PREFIX4,
            description = "IPv4 group prefix length, 16..32 (default ${DEFAULT-VALUE}).")
    int prefix4;

    @Option(names = "--prefix6", paramLabel = "LEN", defaultValue = "" + SuggestionPolicy.DEFAULT_PREFIX6,
            description = "IPv6 group prefix length, 48..128 (default ${DEFAULT-VALUE}).")
    int prefix6;

    @Option(names = "--deny", paramLabel = "CIDR",
            description = "Never suggest anything overlapping CIDR, in addition to the built-in denylist (repeatable).")
    List<String> deny;

    @Option(names = "--spoof-scan", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Also scan non-kernel journal entries to count lines that imitate the prefix "
                    + "(default on; --no-spoof-scan reads kernel entries only, which is faster on large journals).")
    boolean spoofScan;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "text",
            description = "text (default), json, or nix (the allowlist module for one host).")
    Format format;

    private final Clock clock;

    public SuggestCommand() {
        this(Clock.systemDefaultZone());
    }

    SuggestCommand(Clock clock) {
        this.clock = clock;
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        SuggestionPolicy policy = policy();
        if (instance != null && !InstanceName.isValid(instance)) {
            throw CliException.usage("--instance '" + instance + "' is not an instance name: " + InstanceName.RULE);
        }
        Instant sinceTime = since == null ? null : TimeSpec.parse(since, clock);

        // Read (and evaluate) the allowlist first: a broken file should fail before a long journal read.
        Map<String, Allowlist> allowlists = allowlist == null ? Map.of() : AllowlistFile.read(allowlist);

        ReadCounters counters = new ReadCounters();
        if (maxDestinations < 1) {
            throw CliException.usage("--max-destinations " + maxDestinations + " is not a count: use 1 or more"
                    + " (default " + Aggregator.DEFAULT_MAX_DESTINATIONS + ")");
        }
        Aggregator aggregator = new Aggregator(maxDestinations);
        EventFilter filter = new EventFilter(sinceTime, host, instance, aggregator, counters);
        Progress progress = new Progress(err, Terminal.isTerminal(2));
        long started = System.nanoTime();
        String description;
        Transport transport;
        try {
            if (input != null && input.kernelLog != null) {
                description = readText(filter, counters, progress);
                transport = Transport.UNKNOWN;
            } else {
                JournalInput journal = journalInput();
                description = journal.description();
                if (journal.verifiesUid()) {
                    filter.requireInstanceUids(new InstanceUsers());
                }
                readJournal(journal, filter, counters, progress);
                transport = Transport.KERNEL;
            }
        } catch (JournalException e) {
            throw CliException.input("cannot read the journal: " + e.getMessage(), e);
        } finally {
            progress.done();
        }

        long readDone = System.nanoTime();
        List<InstanceAggregate> aggregates = aggregator.instances();
        if (allowlist != null) {
            requireSingleHost(filter, "--allowlist");
        }
        CidrSuggester suggester = new CidrSuggester(policy);
        List<InstanceSuggestions> results = new ArrayList<>();
        for (InstanceAggregate aggregate : aggregates) {
            Allowlist existing = allowlists.getOrDefault(aggregate.instance(), Allowlist.empty());
            results.add(suggester.suggest(aggregate, existing));
        }

        switch (format) {
            case json -> new SuggestOutput(description, transport, results, counters, aggregator).json(out);
            case text -> new SuggestOutput(description, transport, results, counters, aggregator).text(out);
            case nix -> {
                String selected = requireSingleHost(filter, "--format nix");
                List<AllowlistRenderer.InstanceAllowlist> lists = new ArrayList<>();
                for (InstanceSuggestions s : results) {
                    if (!s.suggestions().isEmpty()) {
                        lists.add(AllowlistRenderer.fromSuggestions(s));
                    }
                }
                out.print(new AllowlistRenderer().render(selected == null ? "(no blocked egress found)" : selected,
                        lists));
                out.flush();
                if (aggregator.overflowEvents() > 0) {
                    err.println("tuner: " + SuggestOutput.overflowWarning(aggregator));
                }
                if (counters.spoofed + counters.malformed > 0) {
                    err.printf("tuner: skipped %d spoofed and %d malformed lines (see --format text)%n",
                            counters.spoofed, counters.malformed);
                }
            }
            default -> throw new IllegalStateException("unknown format " + format);
        }
        if (out.checkError()) {
            throw CliException.input("cannot write the output (disk full, or the pipe was closed): nothing complete"
                    + " was written", null);
        }
        if (Boolean.getBoolean("tuner.timing")) {
            long now = System.nanoTime();
            err.printf("timing: JVM start to command %d ms, read+parse+aggregate %d ms, suggest+output %d ms%n",
                    java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime()
                            - (now - started) / 1_000_000, (readDone - started) / 1_000_000,
                    (now - readDone) / 1_000_000);
        }
        return 0;
    }

    private SuggestionPolicy policy() {
        Denylist denylist = DenyOption.denylist(deny);
        try {
            return new SuggestionPolicy(minAddresses, prefix4, prefix6, denylist);
        } catch (IllegalArgumentException e) {
            throw CliException.usage(e.getMessage().replace("min-addresses", "--min-addresses")
                    .replace("IPv4 group prefix", "--prefix4").replace("IPv6 group prefix", "--prefix6"));
        }
    }

    private static Path sampleJournal() {
        Path cache = Path.of(System.getProperty("tuner.cache",
                System.getProperty("user.home") + "/.cache/opencode-egress-tuner"));
        return SampleJournal.build(cache);
    }

    /** The one host of the run: --host, or the only host in the input; usage error listing them otherwise. */
    private String requireSingleHost(EventFilter filter, String what) {
        if (host != null) {
            return host;
        }
        if (filter.hostsSeen.size() > 1) {
            throw CliException.usage(what + " is for one host, and the input holds " + filter.hostsSeen.size()
                    + " hosts: " + SuggestOutput.printable(String.join(", ", filter.hostsSeen)) + "; choose one with --host");
        }
        return filter.hostsSeen.isEmpty() ? null : filter.hostsSeen.first();
    }

    private JournalInput journalInput() {
        if (input != null && input.sample) {
            return JournalInput.directory(sampleJournal());
        }
        if (input == null && !JournalInput.localJournalExists()) {
            if (format == Format.nix) {
                throw CliException.input("this machine has no system journal, and --format nix is not made from"
                        + " the bundled demo journal unless asked: pass --sample, --journal-dir, --journal-file or"
                        + " --kernel-log", null);
            }
            Path sample = sampleJournal();
            spec.commandLine().getErr().println("tuner: this machine has no readable system journal; reading the"
                    + " bundled sample journal (" + SampleJournal.RESOURCE.substring(1) + "). Pass --journal to insist"
                    + " on the local journal, or --journal-dir/--kernel-log.");
            return JournalInput.directory(sample);
        }
        if (input == null || input.journal) {
            return JournalInput.localSystem();
        }
        if (input.journalDir != null) {
            if (!Files.isDirectory(input.journalDir)) {
                throw CliException.input("--journal-dir " + input.journalDir + " is not a directory", null);
            }
            return JournalInput.directory(input.journalDir);
        }
        for (Path file : input.journalFiles) {
            if (!Files.isReadable(file)) {
                throw CliException.input("--journal-file " + file + " does not exist or is not readable", null);
            }
        }
        return JournalInput.files(input.journalFiles);
    }

    private void readJournal(JournalInput journal, EventFilter filter, ReadCounters counters, Progress progress) {
        AtomicReference<JournalInput.SideScan> side = new AtomicReference<>();
        AtomicReference<Throwable> spoofFailure = new AtomicReference<>();
        Thread scan = null;
        if (spoofScan) {
            // Its own platform thread and its own sd_journal handle: handles are confined to one thread.
            scan = Thread.ofPlatform().name("spoof-scan").daemon(true).start(() -> {
                try {
                    side.set(journal.scanOtherTransports(filter));
                } catch (Throwable e) { // reported below, whatever it is
                    spoofFailure.set(e);
                }
            });
        }
        journal.readKernel(filter, counters, progress);
        if (scan != null) {
            try {
                scan.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw CliException.input("interrupted", e);
            }
            Throwable failure = spoofFailure.get();
            if (failure instanceof RuntimeException r) {
                throw r;
            } else if (failure != null) {
                throw new JournalException("the spoof scan failed: " + failure);
            }
            counters.spoofed += side.get().spoofed();
            counters.missedKernelMessages += side.get().missedKernelMessages();
        }
    }

    private String readText(EventFilter filter, ReadCounters counters, Progress progress) {
        String name = input.kernelLog;
        KernelLogText reader = new KernelLogText(name.equals("-") ? "stdin" : name, localHostName(), clock);
        try {
            if (name.equals("-")) {
                reader.read(new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)), filter,
                        counters, progress);
            } else {
                Path file = Path.of(name);
                if (!Files.isReadable(file)) {
                    throw CliException.input("--kernel-log " + name + " does not exist or is not readable", null);
                }
                // InputStreamReader replaces invalid UTF-8 instead of failing: kernel logs may hold any bytes.
                try (BufferedReader r = new BufferedReader(new InputStreamReader(Files.newInputStream(file),
                        StandardCharsets.UTF_8))) {
                    reader.read(r, filter, counters, progress);
                }
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            throw CliException.input("cannot read --kernel-log " + name + ": " + e.getMessage(), e);
        }
        return "kernel log " + (name.equals("-") ? "(stdin)" : name);
    }

    private static String localHostName() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
        } catch (IOException e) {
            return "localhost";
        }
    }
}
