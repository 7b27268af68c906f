package dev.opencode.tuner.bench;

import dev.opencode.tuner.stack.Stack;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * How a chaos run goes: how long the blocked traffic runs, how often a part is killed, the traffic's rate and number
 * of destinations, which parts may be killed and the seed of their order.
 *
 * @param duration how long the traffic runs (kills happen only meanwhile)
 * @param killEvery the time between two kills, counted from the traffic's start (a kill whose time has passed while
 *     the previous one healed follows at once)
 * @param rate blocked events per second
 * @param destinations distinct destinations the events go to, in turn
 * @param parts the parts killed, in {@link KillOrder}'s random rounds
 * @param seed the seed of the kill order (printed, so that a run can be repeated)
 */
public record ChaosOptions(Duration duration, Duration killEvery, double rate, int destinations, List<String> parts,
                           long seed) {
    /** The stack's parts that carry events: every one but the optional ones (Prometheus). */
    public static final List<String> PIPELINE_PARTS = List.of("kafka", "postgres", "policy", "collector");

    public ChaosOptions {
        if (duration.toSeconds() < 10 || duration.compareTo(Duration.ofHours(2)) > 0) {
            throw new IllegalArgumentException("--minutes must be between 0.17 (10 s) and 120, got "
                    + duration.toMillis() / 60_000.0);
        }
        if (killEvery.toSeconds() < 1) {
            throw new IllegalArgumentException("--kill-every must be at least 1 second, got " + killEvery.toSeconds());
        }
        if (rate <= 0 || rate > 1_000) {
            throw new IllegalArgumentException("--rate must be in (0, 1000] events per second, got " + rate);
        }
        if (destinations < 1 || destinations > 200) {
            throw new IllegalArgumentException("--destinations must be 1..200, got " + destinations);
        }
        parts = List.copyOf(parts);
        for (String part : parts) {
            if (!Stack.partNames().contains(part) || Stack.optionalPartNames().contains(part)) {
                throw new IllegalArgumentException("cannot kill '" + part + "': the parts are "
                        + String.join(", ", PIPELINE_PARTS));
            }
        }
    }

    /**
     * Five minutes at 20 events/s to 40 destinations, a kill every 30 s of a random part of the pipeline. 40 stays
     * under the 50 new destinations an hour of the alert TunerInstanceBlockingManyDestinations: the run's lines stay in
     * the machine's journal, and a later stack that reads the journal's history must not see that alert fire.
     */
    public static ChaosOptions defaults() {
        return new ChaosOptions(Duration.ofMinutes(5), Duration.ofSeconds(30), 20, 40, PIPELINE_PARTS,
                System.nanoTime());
    }

    public ChaosOptions withMinutes(double minutes) {
        return new ChaosOptions(Duration.ofMillis(Math.round(minutes * 60_000)), killEvery, rate, destinations, parts,
                seed);
    }

    public ChaosOptions withKillEvery(Duration every) {
        return new ChaosOptions(duration, every, rate, destinations, parts, seed);
    }

    public ChaosOptions withRate(double eventsPerSecond) {
        return new ChaosOptions(duration, killEvery, eventsPerSecond, destinations, parts, seed);
    }

    public ChaosOptions withDestinations(int count) {
        return new ChaosOptions(duration, killEvery, rate, count, parts, seed);
    }

    public ChaosOptions withSeed(long newSeed) {
        return new ChaosOptions(duration, killEvery, rate, destinations, parts, newSeed);
    }

    /** The command that repeats this run. */
    String command() {
        return String.format(Locale.ROOT, "./tuner bench --only chaos --minutes %s --kill-every %d --rate %s"
                + " --destinations %d --seed %d", trim(duration.toMillis() / 60_000.0), killEvery.toSeconds(), trim(rate),
                destinations, seed);
    }

    private static String trim(double value) {
        return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
    }
}
