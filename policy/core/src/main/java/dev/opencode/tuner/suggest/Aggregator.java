package dev.opencode.tuner.suggest;

import dev.opencode.tuner.blocked.BlockedEvent;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Groups blocked events per host and instance, counting each event id once. Not thread-safe. */
public final class Aggregator {
    private record Key(String host, String instance) {
    }

    private final Map<Key, InstanceAggregate> instances = new HashMap<>();
    private final Set<String> seenIds = new HashSet<>();
    private long duplicates;

    /** Adds the event unless an event with the same id was added before; returns whether it was added. */
    public boolean add(BlockedEvent event) {
        if (!seenIds.add(event.id())) {
            duplicates++;
            return false;
        }
        instances.computeIfAbsent(new Key(event.host(), event.instance()),
                k -> new InstanceAggregate(k.host(), k.instance())).add(event);
        return true;
    }

    /** Events skipped because their id had been seen (the same journal entry read twice). */
    public long duplicates() {
        return duplicates;
    }

    /** The aggregates sorted by host, then instance. */
    public List<InstanceAggregate> instances() {
        List<InstanceAggregate> list = new ArrayList<>(instances.values());
        list.sort(Comparator.comparing(InstanceAggregate::host).thenComparing(InstanceAggregate::instance));
        return list;
    }
}
