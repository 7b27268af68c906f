package dev.opencode.tuner.bench;

import dev.opencode.tuner.stack.PartStatus;
import dev.opencode.tuner.stack.Stack;
import dev.opencode.tuner.stack.StackOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * {@code ./tuner bench --only chaos}: real blocked traffic ({@link BlockedTraffic}) through the stack as
 * {@code ./tuner up} runs it, following this machine's journal, while a random part is SIGKILLed every few seconds
 * and healed with {@link Stack#up} ({@link PartKiller}); afterwards the policy service's count of every destination
 * is compared with the journal's ({@link ChaosReport}). Creates and removes its own stack, user and namespaces; the
 * stack's files and logs are kept when the run fails, or when {@code -Dtuner.chaos.keep=true}.
 */
public final class ChaosRun {
    /** How long the counts may take to settle once the traffic has stopped. */
    static final Duration DRAIN_LIMIT = Duration.ofMinutes(3);
    /** Counted again after this quiet time: a redelivery still on its way would show as a double count. */
    static final Duration SETTLE = Duration.ofSeconds(5);
    /** Read by {@code Stack.up} at every start of the policy service, restarts included. */
    private static final String POLICY_JVM_OPTIONS = "tuner.stack.policy.jvm-options";

    private ChaosRun() {
    }

    public static ChaosReport run(ChaosOptions options) throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "chaos");
        // PostgreSQL runs as its own OS user, which must be able to traverse the state directory's parents.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path state = dir.resolve("state");
        // The collector follows this machine's journal and speaks for this machine (the default): the kernel lines of
        // the run carry its hostname.
        StackOptions stack = StackOptions.defaults().withProgress(line -> log(line.replaceFirst("^==> ", "")));
        // The run's destinations are test addresses: the policy service must not ask the machine's resolver for them.
        String previousOptions = System.getProperty(POLICY_JVM_OPTIONS);
        System.setProperty(POLICY_JVM_OPTIONS, ((previousOptions == null ? "" : previousOptions + " ")
                + "-Dtuner.policy.evidence.dns.enabled=false").strip());
        boolean keep = true;
        try (KernelLogGuard guard = KernelLogGuard.start();
             BlockedTraffic traffic = BlockedTraffic.create(options.destinations())) {
            log("instance " + traffic.instance + " (uid " + traffic.uid() + "), " + traffic.destinations.size()
                    + " destinations, stack in " + state + "; seed " + options.seed());
            JournalCounts journal = new JournalCounts(traffic.instance, traffic.uid(), Instant.now().minusSeconds(1));
            try {
                long t0 = System.nanoTime();
                Stack.up(state, stack);
                Duration stackStart = Duration.ofNanos(System.nanoTime() - t0);
                String password = Files.readString(Stack.policyStateDirectory(state)
                        .resolve("initial-admin-password")).strip();
                try (PolicyCounts policy = new PolicyCounts(address(state, "policy"), password, traffic.instance)) {
                    ChaosReport report = chaos(options, state, stack, traffic, journal, policy, stackStart,
                            guard);
                    keep = !report.ok() || Boolean.getBoolean("tuner.chaos.keep");
                    return report;
                }
            } finally {
                Stack.down(state);
                if (keep) {
                    log("the stack's files and logs stay in " + state + " (remove it when done)");
                }
            }
        } finally {
            if (previousOptions == null) {
                System.clearProperty(POLICY_JVM_OPTIONS);
            } else {
                System.setProperty(POLICY_JVM_OPTIONS, previousOptions);
            }
            if (!keep) {
                delete(dir);
            }
        }
    }

    private static ChaosReport chaos(ChaosOptions options, Path state, StackOptions stack, BlockedTraffic traffic,
                                     JournalCounts journal, PolicyCounts policy, Duration stackStart,
                                     KernelLogGuard guard) throws Exception {
        KillOrder order = new KillOrder(options.parts(), options.seed());
        PartKiller killer = new PartKiller(state, stack);
        List<Kill> kills = new ArrayList<>();
        traffic.start(options.rate(), options.duration());
        long start = System.nanoTime();
        long end = start + options.duration().toNanos();
        long nextKill = start + options.killEvery().toNanos();
        while (System.nanoTime() < end) {
            if (System.nanoTime() >= nextKill) {
                String part = order.next();
                log("SIGKILL " + part);
                Kill kill = killer.killAndHeal(part, journal);
                log(String.format("%s healthy again after %.1f s (%d up call(s))", part,
                        kill.healed.toMillis() / 1000.0, kill.upCalls));
                kills.add(kill);
                nextKill += options.killEvery().toNanos();
            }
            markCaughtUp(kills, policy.totalOrUnknown());
            Thread.sleep(250);
        }
        Duration chaosTime = Duration.ofNanos(System.nanoTime() - start);
        long sent = traffic.awaitSent(Duration.ofMinutes(1)).values().stream().mapToLong(Long::longValue).sum();
        log("traffic done: " + sent + " events sent, " + kills.size() + " kills; waiting for the counts to settle");

        long drainStart = System.nanoTime();
        Thread.sleep(2_000); // journald reads the kernel's last lines
        long inJournal = journal.total(Instant.now());
        long counted = policy.totalOrUnknown();
        while (counted < inJournal && System.nanoTime() - drainStart < DRAIN_LIMIT.toNanos()) {
            Thread.sleep(500);
            counted = policy.totalOrUnknown();
            markCaughtUp(kills, counted);
            inJournal = journal.total(Instant.now());
        }
        Duration drain = Duration.ofNanos(System.nanoTime() - drainStart);
        Thread.sleep(SETTLE.toMillis());
        markCaughtUp(kills, policy.totalOrUnknown());
        Map<String, Long> inPolicy = policyPerDestination(policy);
        return new ChaosReport(options, chaosTime, stackStart, drain, sent, journal.perDestination(), inPolicy,
                kills, guard.repairs());
    }

    private static void markCaughtUp(List<Kill> kills, long counted) {
        Instant now = Instant.now();
        for (Kill kill : kills) {
            if (counted >= kill.journalAtHeal) {
                kill.caughtUpAt(now);
            }
        }
    }

    /** Asked a few times: the suggestions are recomputed on request, and may lag the event count for a moment. */
    private static Map<String, Long> policyPerDestination(PolicyCounts policy) throws Exception {
        IOException last = null;
        for (int attempt = 0; attempt < 10; attempt++) {
            try {
                return policy.perDestination();
            } catch (IOException e) {
                last = e;
                Thread.sleep(1_000);
            }
        }
        throw last;
    }

    private static String address(Path state, String part) {
        return Stack.status(state).parts().stream().filter(p -> p.part().equals(part)).map(PartStatus::address)
                .findFirst().orElseThrow(() -> new IllegalStateException(part + " is not running in " + state));
    }

    private static void log(String line) {
        System.err.println("chaos: " + line);
    }

    private static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
