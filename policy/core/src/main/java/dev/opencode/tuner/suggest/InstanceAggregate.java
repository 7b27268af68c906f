package dev.opencode.tuner.suggest;

import dev.opencode.tuner.blocked.BlockedEvent;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

/** All blocked destinations of one instance on one host. Aggregates are never merged across hosts. */
public final class InstanceAggregate {
    private final String host;
    private final String instance;
    private final Map<String, DestinationStats> destinations = new HashMap<>();
    private long events;

    public InstanceAggregate(String host, String instance) {
        this.host = host;
        this.instance = instance;
    }

    public void add(BlockedEvent event) {
        events++;
        destinations.computeIfAbsent(event.line().destination(), DestinationStats::new).add(event);
    }

    public String host() {
        return host;
    }

    public String instance() {
        return instance;
    }

    public long events() {
        return events;
    }

    public Collection<DestinationStats> destinations() {
        return Collections.unmodifiableCollection(destinations.values());
    }
}
