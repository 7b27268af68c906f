package dev.opencode.tuner.blocked;

import dev.opencode.tuner.journal.Journal;

/** Not a test: a contract class that imports another tuner module, which ArchitectureTest's rule must reject. */
public final class ArchitectureFixtureContractUsingJournal {
    public Journal.FieldName message() {
        return Journal.MESSAGE;
    }

    public Class<?> journal() {
        return Journal.class;
    }
}
