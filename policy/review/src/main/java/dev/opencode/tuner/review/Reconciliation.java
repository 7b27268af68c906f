package dev.opencode.tuner.review;

import dev.opencode.tuner.suggest.Cidrs;
import dev.opencode.tuner.suggest.DestinationAggregate;
import dev.opencode.tuner.suggest.InstanceAggregate;
import inet.ipaddr.IPAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Function;

/**
 * How an instance's stored additions meet the suggestions the engine computes again from its aggregates: what is
 * held back before the engine runs (the allowlist, remembered rejections, entries an accepted removal took out),
 * what state a suggestion computed again takes, and which open ones the engine no longer makes (superseded).
 */
public final class Reconciliation {
    private Reconciliation() {
    }

    /**
     * A stored addition as recomputation reads it.
     *
     * @param rejectedDecision the decision that rejected it (kept after a reopening), or null
     * @param rejectedAt       when that decision was made, or null
     * @param updatedAt        when the row last changed (for a removed entry: when the removal took it out)
     */
    public record Stored(UUID id, String cidr, SuggestionState state, Instant snoozedUntil, Set<Integer> decidedPorts,
                         Long rejectedDecision, Instant rejectedAt, String acceptedCidr, Instant updatedAt) {
        public Stored {
            decidedPorts = Set.copyOf(decidedPorts);
        }

        /** A rejection this suggestion carries from before it was reopened. */
        public boolean reopened() {
            return rejectedDecision != null && state != SuggestionState.REJECTED;
        }
    }

    /**
     * What is subtracted from the instance's destinations before the engine runs: the effective allowlist, the
     * rejections still remembered, and entries taken out by an accepted removal and not blocked again since. The
     * rejections that no longer hold back are {@code reopening}.
     */
    public record HeldBack(List<String> subtracted, List<Stored> reopening) {
    }

    /** {@link HeldBack} for the stored additions of an instance with this aggregate and effective allowlist. */
    public static HeldBack holdBack(Collection<Stored> stored, InstanceAggregate aggregate, List<String> effective,
                                    Instant now, RejectionMemory memory) {
        List<String> subtracted = new ArrayList<>(effective);
        List<Stored> reopening = new ArrayList<>();
        for (Stored row : stored) {
            if (row.state() == SuggestionState.REMOVED) {
                // An entry taken out by an accepted removal stays out until it is blocked again after that.
                String removed = row.acceptedCidr() != null ? row.acceptedCidr() : row.cidr();
                if (!blockedSince(aggregate, removed, row.updatedAt())) {
                    subtracted.add(removed);
                }
                continue;
            }
            if (row.state() != SuggestionState.REJECTED) {
                continue;
            }
            if (memory.reopens(row.rejectedAt(), now, row.decidedPorts(), ports(aggregate, row.cidr()))) {
                reopening.add(row);
            } else {
                subtracted.add(row.cidr());
            }
        }
        return new HeldBack(List.copyOf(subtracted), List.copyOf(reopening));
    }

    /** The state of a stored addition the engine computed again, and whether it carries an earlier rejection. */
    public record Next(SuggestionState state, boolean reopened) {
    }

    /**
     * {@link Next} of a stored addition computed again: a snooze holds until its time; a rejection computed again
     * reopened, a fold undone and a removed entry blocked again are pending; anything else keeps its state (new
     * events never reopen a decision by themselves).
     */
    public static Next next(Stored row, Instant now) {
        SuggestionState state = switch (row.state()) {
            case SNOOZED -> row.snoozedUntil() != null && row.snoozedUntil().isAfter(now) ? SuggestionState.SNOOZED
                    : SuggestionState.PENDING;
            case REJECTED, SUPERSEDED, REMOVED -> SuggestionState.PENDING;
            default -> row.state();
        };
        boolean reopened = row.state() == SuggestionState.REJECTED
                || (row.reopened() && state == SuggestionState.PENDING);
        return new Next(state, reopened);
    }

    /** The reopening rejection a new suggestion of {@code cidr} carries (it overlaps it), or null. */
    public static Stored overlappingRejection(List<Stored> reopening, String cidr) {
        IPAddress block = Cidrs.parse(cidr);
        for (Stored row : reopening) {
            if (Cidrs.parse(row.cidr()).overlaps(block)) {
                return row;
            }
        }
        return null;
    }

    /**
     * Whether a stored addition the engine no longer makes is superseded: it was open (pending, snoozed, or a
     * rejection reopening), so it was folded into a broader suggestion or is covered by the allowlist now.
     */
    public static boolean supersededUnlessComputed(Stored row, HeldBack heldBack) {
        return row.state().isOpen()
                || (row.state() == SuggestionState.REJECTED && heldBack.reopening().contains(row));
    }

    /**
     * The suggestion that covers a superseded {@code cidr} now: a computed one ({@code idOf} gives its id), else an
     * accepted one; null when neither.
     */
    public static UUID covering(String cidr, Collection<String> computed, Collection<Stored> stored,
                                Function<String, UUID> idOf) {
        IPAddress block = Cidrs.parse(cidr);
        for (String c : computed) {
            if (Cidrs.parse(c).overlaps(block)) {
                return idOf.apply(c);
            }
        }
        for (Stored row : stored) {
            if (row.acceptedCidr() != null && Cidrs.parse(row.acceptedCidr()).overlaps(block)) {
                return row.id();
            }
        }
        return null;
    }

    /** Whether a destination inside the CIDR was blocked after {@code since}. */
    static boolean blockedSince(InstanceAggregate aggregate, String cidr, Instant since) {
        IPAddress block = Cidrs.parse(cidr);
        for (DestinationAggregate d : aggregate.destinations()) {
            if (block.contains(d.ip()) && d.lastSeen() != null && since != null && d.lastSeen().isAfter(since)) {
                return true;
            }
        }
        return false;
    }

    /** The ports seen inside a CIDR. */
    static Set<Integer> ports(InstanceAggregate aggregate, String cidr) {
        IPAddress block = Cidrs.parse(cidr);
        Set<Integer> ports = new TreeSet<>();
        for (DestinationAggregate d : aggregate.destinations()) {
            if (block.contains(d.ip())) {
                ports.addAll(d.ports());
            }
        }
        return ports;
    }
}
