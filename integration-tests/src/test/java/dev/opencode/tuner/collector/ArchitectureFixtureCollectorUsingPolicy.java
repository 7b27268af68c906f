package dev.opencode.tuner.collector;

import dev.opencode.tuner.suggest.Aggregator;

/** Not a test: a collector class that imports the policy side, which ArchitectureTest's rule must reject. */
public final class ArchitectureFixtureCollectorUsingPolicy {
    public Aggregator aggregator() {
        return new Aggregator();
    }
}
