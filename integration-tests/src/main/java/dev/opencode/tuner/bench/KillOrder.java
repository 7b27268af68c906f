package dev.opencode.tuner.bench;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.Random;

/**
 * Which part to kill next: random, drawn without replacement in rounds (every part once per round, each round in a
 * new random order), so that any run of at least as many kills as parts kills every part, and no part is killed
 * twice as often as another by chance. The seed makes a run repeatable.
 */
final class KillOrder {
    private final List<String> parts;
    private final Random random;
    private final Deque<String> round = new ArrayDeque<>();

    KillOrder(List<String> parts, long seed) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("no parts to kill");
        }
        this.parts = List.copyOf(parts);
        this.random = new Random(seed);
    }

    String next() {
        if (round.isEmpty()) {
            List<String> shuffled = new ArrayList<>(parts);
            Collections.shuffle(shuffled, random);
            round.addAll(shuffled);
        }
        return round.removeFirst();
    }
}
