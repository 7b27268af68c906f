package dev.opencode.tuner.collector;

import dev.opencode.tuner.blocked.BlockedLineParser;
import dev.opencode.tuner.journal.Journal;

/** Not a test: a collector class importing only what the collector may (the contract, the journal binding). */
public final class ArchitectureFixtureCollectorUsingContract {
    public BlockedLineParser parser() {
        return new BlockedLineParser();
    }

    public Journal.FieldName message() {
        return Journal.MESSAGE;
    }
}
