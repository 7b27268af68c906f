package dev.opencode.tuner.suggest;

import dev.opencode.tuner.collector.JournalFollower;

/** Not a test: a policy-engine class that imports the collector, which ArchitectureTest's rule must reject. */
public final class ArchitectureFixturePolicyUsingCollector {
    public boolean running(JournalFollower follower) {
        return follower.isRunning();
    }
}
