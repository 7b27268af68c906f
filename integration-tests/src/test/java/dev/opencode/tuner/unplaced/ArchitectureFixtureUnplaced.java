package dev.opencode.tuner.unplaced;

/** Not a test: a class in a package of no module, which ArchitectureTest's rule must reject. */
public final class ArchitectureFixtureUnplaced {
}
