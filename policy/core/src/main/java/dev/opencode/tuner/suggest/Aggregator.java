package dev.opencode.tuner.suggest;

import dev.opencode.tuner.blocked.BlockedEvent;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Groups blocked events per host and instance, counting each event id once. Memory is bounded by the number of
 * distinct destinations kept: at most {@code maxDestinations} per instance (an agent can make up any number of
 * destinations); events to further destinations are counted as overflow, neither aggregated nor remembered (so a
 * duplicate among them is counted twice). Not thread-safe.
 */
public final class Aggregator {
    /** The default cap of distinct destinations per instance. */
    public static final int DEFAULT_MAX_DESTINATIONS = 10_000;

    private record Key(String host, String instance) {
    }

    private final int maxDestinations;
    private final Map<Key, InstanceAggregate> instances = new HashMap<>();
    private final Set<String> seenIds = new HashSet<>();
    private long duplicates;
    private long overflowEvents;

    public Aggregator() {
        this(DEFAULT_MAX_DESTINATIONS);
    }

    /** @throws IllegalArgumentException when {@code maxDestinations} is below 1 */
    public Aggregator(int maxDestinations) {
        if (maxDestinations < 1) {
            throw new IllegalArgumentException("the cap of distinct destinations per instance must be at least 1, got "
                    + maxDestinations);
        }
        this.maxDestinations = maxDestinations;
    }

    /**
     * Adds the event unless an event with the same id was added before, or its destination would exceed the cap;
     * returns whether it was added.
     */
    public boolean add(BlockedEvent event) {
        InstanceAggregate aggregate = instances.computeIfAbsent(new Key(event.host(), event.instance()),
                k -> new InstanceAggregate(k.host(), k.instance()));
        if (aggregate.destinationCount() >= maxDestinations
                && aggregate.isNewDestination(event.line().destination())) {
            aggregate.addOverflow();
            overflowEvents++;
            return false;
        }
        if (!seenIds.add(event.id())) {
            duplicates++;
            return false;
        }
        aggregate.add(event);
        return true;
    }

    /** Events skipped because their id had been seen (the same journal entry read twice). */
    public long duplicates() {
        return duplicates;
    }

    /** Events not aggregated because their instance already had the maximum number of distinct destinations. */
    public long overflowEvents() {
        return overflowEvents;
    }

    public int maxDestinations() {
        return maxDestinations;
    }

    /** The aggregates sorted by host, then instance. */
    public List<InstanceAggregate> instances() {
        List<InstanceAggregate> list = new ArrayList<>(instances.values());
        list.sort(Comparator.comparing(InstanceAggregate::host).thenComparing(InstanceAggregate::instance));
        return list;
    }
}
