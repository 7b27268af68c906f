package dev.opencode.tuner.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * The outcome of a chaos run: the journal's and the policy service's counts per destination compared, the kills and
 * their recovery times; {@link #table()} prints it, {@link #ok()} says whether nothing was lost or counted twice.
 */
public final class ChaosReport {
    private final ChaosOptions options;
    private final Duration chaosTime;
    private final Duration stackStart;
    private final Duration drain;
    private final long sent;
    private final Map<String, Long> journal;
    private final Map<String, Long> policy;
    private final List<Kill> kills;
    private final String guardRepairs;

    ChaosReport(ChaosOptions options, Duration chaosTime, Duration stackStart, Duration drain, long sent,
                Map<String, Long> journal, Map<String, Long> policy, List<Kill> kills, String guardRepairs) {
        this.options = options;
        this.chaosTime = chaosTime;
        this.stackStart = stackStart;
        this.drain = drain;
        this.sent = sent;
        this.journal = Map.copyOf(journal);
        this.policy = Map.copyOf(policy);
        this.kills = List.copyOf(kills);
        this.guardRepairs = guardRepairs;
    }

    /** Blocked lines of the run in the journal. */
    public long events() {
        return journal.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Events of destinations the policy service counted fewer times than the journal holds them. */
    public long lost() {
        long lost = 0;
        for (String d : destinations()) {
            lost += Math.max(0, journal.getOrDefault(d, 0L) - policy.getOrDefault(d, 0L));
        }
        return lost;
    }

    /** Events of destinations the policy service counted more times than the journal holds them. */
    public long doubleCounted() {
        long doubled = 0;
        for (String d : destinations()) {
            doubled += Math.max(0, policy.getOrDefault(d, 0L) - journal.getOrDefault(d, 0L));
        }
        return doubled;
    }

    /** Kills per part, for every part the run could kill (0 for those it did not). */
    public Map<String, Integer> killsPerPart() {
        Map<String, Integer> counts = new java.util.LinkedHashMap<>();
        options.parts().forEach(p -> counts.put(p, 0));
        kills.forEach(k -> counts.merge(k.part, 1, Integer::sum));
        return counts;
    }

    /** True when the run counted events, and none was lost or counted twice. */
    public boolean ok() {
        return events() > 0 && lost() == 0 && doubleCounted() == 0;
    }

    /** The tables, as Markdown. */
    public List<String> table() {
        List<String> out = new ArrayList<>();
        out.add("Chaos run: `" + options.command() + "`");
        out.add("");
        out.add("| duration | events (journal) | sent | destinations | kills | lost | double-counted |");
        out.add("|---|---|---|---|---|---|---|");
        out.add(String.format(Locale.ROOT, "| %.0f s of traffic at %s events/s, kills over %.0f s (before: stack"
                + " start %.1f s; after: counts settled in %.1f s) | %,d | %,d | %d | %d | %,d | %,d |",
                seconds(options.duration()), number(options.rate()), seconds(chaosTime), seconds(stackStart),
                seconds(drain), events(), sent, destinations().size(), kills.size(), lost(), doubleCounted()));
        out.add("");
        out.add("| part | kills | max recovery: healthy again (SIGKILL → `up` returned) | max recovery: counts caught"
                + " up | `up` calls |");
        out.add("|---|---|---|---|---|");
        for (Map.Entry<String, Integer> e : killsPerPart().entrySet()) {
            List<Kill> ofPart = kills.stream().filter(k -> k.part.equals(e.getKey())).toList();
            String healed = ofPart.stream().map(k -> k.healed).max(Duration::compareTo)
                    .map(d -> String.format(Locale.ROOT, "%.1f s", seconds(d))).orElse("—");
            boolean allCaughtUp = ofPart.stream().allMatch(k -> k.caughtUp() != null);
            String caughtUp = ofPart.isEmpty() ? "—" : !allCaughtUp ? "**never**" : String.format(Locale.ROOT,
                    "%.1f s", seconds(ofPart.stream().map(Kill::caughtUp).max(Duration::compareTo).orElseThrow()));
            int calls = ofPart.stream().mapToInt(k -> k.upCalls).max().orElse(0);
            out.add("| " + e.getKey() + " | " + e.getValue() + " | " + healed + " | " + caughtUp + " | "
                    + (ofPart.isEmpty() ? "—" : calls == 1 ? "1" : "up to " + calls) + " |");
        }
        List<String> mismatches = new ArrayList<>();
        for (String d : destinations()) {
            long j = journal.getOrDefault(d, 0L);
            long p = policy.getOrDefault(d, 0L);
            if (j != p) {
                mismatches.add(d + ": journal " + j + ", policy " + p);
            }
        }
        out.add("");
        out.add("Caught up: the policy service counts as many events of the run as the journal held when `up` had"
                + " healed the part (later kills may delay it).");
        out.add("Kernel log guard: " + guardRepairs + ". " + (mismatches.isEmpty()
                ? "Every destination's count matches the journal."
                : mismatches.size() + " destination(s) differ: " + String.join("; ",
                        mismatches.subList(0, Math.min(10, mismatches.size())))));
        return out;
    }

    private TreeSet<String> destinations() {
        TreeSet<String> all = new TreeSet<>(journal.keySet());
        all.addAll(policy.keySet());
        return all;
    }

    private static double seconds(Duration d) {
        return d.toMillis() / 1000.0;
    }

    private static String number(double value) {
        return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
    }
}
