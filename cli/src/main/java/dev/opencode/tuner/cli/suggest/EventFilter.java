package dev.opencode.tuner.cli.suggest;

import dev.opencode.tuner.journal.InstanceUsers;
import dev.opencode.tuner.blocked.BlockedEvent;
import dev.opencode.tuner.suggest.Aggregator;
import java.time.Instant;
import java.util.TreeSet;

/** Applies {@code --since}, {@code --host} and {@code --instance} and feeds what passes to the aggregator. */
final class EventFilter {
    private final Instant since;
    private final String host;
    private final String instance;
    private final Aggregator aggregator;
    private final ReadCounters counters;
    /** When set (this machine's own journal), lines must carry the instance user's uid. */
    private InstanceUsers users;
    /** Every host seen in the input, selected or not, to list them when a choice is needed. */
    final TreeSet<String> hostsSeen = new TreeSet<>();

    EventFilter(Instant since, String host, String instance, Aggregator aggregator, ReadCounters counters) {
        this.since = since;
        this.host = host;
        this.instance = instance;
        this.aggregator = aggregator;
        this.counters = counters;
    }

    void requireInstanceUids(InstanceUsers instanceUsers) {
        this.users = instanceUsers;
    }

    Instant since() {
        return since;
    }

    boolean hostSelected(String h) {
        return host == null || host.equals(h);
    }

    boolean selected(String h, String i) {
        return hostSelected(h) && (instance == null || instance.equals(i));
    }

    void accept(BlockedEvent event) {
        if (since != null && event.time() != null && event.time().isBefore(since)) {
            return;
        }
        hostsSeen.add(event.host());
        if (!hostSelected(event.host())) {
            counters.otherHosts++;
            return;
        }
        if (instance != null && !instance.equals(event.instance())) {
            counters.otherInstances++;
            return;
        }
        if (users != null) {
            Long expected = users.uidOf(event.instance());
            if (expected == null || !expected.equals(event.line().uid())) {
                counters.uidMismatch++; // a kernel line, but not caused by the instance user's own socket
                return;
            }
        }
        counters.blocked++;
        aggregator.add(event);
    }
}
