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
    private final Map<String, DestinationAggregate> destinations = new HashMap<>();
    private long events;
    private long overflowEvents;

    public InstanceAggregate(String host, String instance) {
        this.host = host;
        this.instance = instance;
    }

    /**
     * Rebuilds an instance's aggregate from stored destinations ({@link DestinationAggregate#restore}); its event count
     * is the sum of theirs, as when the events are added one by one.
     *
     * @throws IllegalArgumentException when two destinations have the same address
     */
    public static InstanceAggregate restore(String host, String instance, Collection<DestinationAggregate> destinations) {
        InstanceAggregate aggregate = new InstanceAggregate(host, instance);
        for (DestinationAggregate d : destinations) {
            if (aggregate.destinations.putIfAbsent(d.address(), d) != null) {
                throw new IllegalArgumentException("destination " + d.address() + " of " + host + "/" + instance
                        + " appears twice");
            }
            aggregate.events += d.events();
        }
        return aggregate;
    }

    public void add(BlockedEvent event) {
        events++;
        destinations.computeIfAbsent(event.line().destination(), DestinationAggregate::new).add(event);
    }

    /** Whether an event to {@code destination} would add a destination not held yet. */
    public boolean isNewDestination(String destination) {
        return !destinations.containsKey(destination);
    }

    /** The number of distinct destinations held. */
    public int destinationCount() {
        return destinations.size();
    }

    /** Counts an event that was not aggregated because its destination was beyond the cap. */
    public void addOverflow() {
        overflowEvents++;
    }

    /** Events to destinations beyond the cap of distinct destinations: counted here, not aggregated. */
    public long overflowEvents() {
        return overflowEvents;
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

    public Collection<DestinationAggregate> destinations() {
        return Collections.unmodifiableCollection(destinations.values());
    }
}
