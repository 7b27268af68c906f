package dev.opencode.tuner.review;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opencode.tuner.suggest.DestinationAggregate;
import dev.opencode.tuner.suggest.InstanceAggregate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class ReconciliationTest {
    private static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    private static final RejectionMemory MEMORY = new RejectionMemory(Duration.ofDays(90));

    private static DestinationAggregate destination(String address, int port, Instant lastSeen) {
        return DestinationAggregate.restore(address, 3, List.of(port), List.of("tcp"), List.of("tcp/" + port),
                List.of(), List.of(), lastSeen.minusSeconds(60), lastSeen);
    }

    private static Reconciliation.Stored stored(String cidr, SuggestionState state, Set<Integer> ports,
                                                Instant rejectedAt, Instant updatedAt) {
        return new Reconciliation.Stored(UUID.nameUUIDFromBytes(cidr.getBytes()), cidr, state, null, ports,
                state == SuggestionState.REJECTED ? 7L : null, rejectedAt, null, updatedAt);
    }

    @Test
    void aRejectionIsSubtractedUntilANewPortOrItsAgeReopensIt() {
        InstanceAggregate aggregate = InstanceAggregate.restore("h", "web", List.of(
                destination("198.51.100.7", 443, NOW.minusSeconds(10)),
                destination("203.0.113.9", 22, NOW.minusSeconds(10))));
        Reconciliation.Stored held = stored("198.51.100.7/32", SuggestionState.REJECTED, Set.of(443),
                NOW.minus(Duration.ofDays(1)), NOW);
        Reconciliation.Stored newPort = stored("203.0.113.9/32", SuggestionState.REJECTED, Set.of(443),
                NOW.minus(Duration.ofDays(1)), NOW);
        Reconciliation.Stored old = stored("192.0.2.1/32", SuggestionState.REJECTED, Set.of(),
                NOW.minus(Duration.ofDays(91)), NOW);
        Reconciliation.HeldBack heldBack = Reconciliation.holdBack(List.of(held, newPort, old), aggregate,
                List.of("100.64.0.0/10"), NOW, MEMORY);
        assertThat(heldBack.subtracted()).containsExactly("100.64.0.0/10", "198.51.100.7/32");
        assertThat(heldBack.reopening()).containsExactly(newPort, old);
        assertThat(Reconciliation.supersededUnlessComputed(newPort, heldBack)).isTrue();
        assertThat(Reconciliation.supersededUnlessComputed(held, heldBack)).isFalse();
    }

    @Test
    void anEntryTakenOutByARemovalStaysOutUntilBlockedAgainAfterThat() {
        Instant removedAt = NOW.minus(Duration.ofHours(1));
        Reconciliation.Stored removed = stored("198.51.100.0/24", SuggestionState.REMOVED, Set.of(), null, removedAt);
        InstanceAggregate before = InstanceAggregate.restore("h", "web", List.of(
                destination("198.51.100.7", 443, removedAt.minusSeconds(1))));
        assertThat(Reconciliation.holdBack(List.of(removed), before, List.of(), NOW, MEMORY).subtracted())
                .containsExactly("198.51.100.0/24");
        InstanceAggregate after = InstanceAggregate.restore("h", "web", List.of(
                destination("198.51.100.7", 443, removedAt.plusSeconds(1))));
        assertThat(Reconciliation.holdBack(List.of(removed), after, List.of(), NOW, MEMORY).subtracted()).isEmpty();
    }

    @Test
    void aSuggestionComputedAgainKeepsItsDecisionButReopensWhatTheEngineMakesAgain() {
        Reconciliation.Stored snoozed = new Reconciliation.Stored(UUID.randomUUID(), "192.0.2.1/32",
                SuggestionState.SNOOZED, NOW.plusSeconds(60), Set.of(), null, null, null, NOW);
        assertThat(Reconciliation.next(snoozed, NOW)).isEqualTo(new Reconciliation.Next(SuggestionState.SNOOZED,
                false));
        assertThat(Reconciliation.next(snoozed, NOW.plusSeconds(60)).state()).isEqualTo(SuggestionState.PENDING);
        for (SuggestionState s : List.of(SuggestionState.SUPERSEDED, SuggestionState.REMOVED)) {
            assertThat(Reconciliation.next(stored("192.0.2.1/32", s, Set.of(), null, NOW), NOW))
                    .isEqualTo(new Reconciliation.Next(SuggestionState.PENDING, false));
        }
        assertThat(Reconciliation.next(stored("192.0.2.1/32", SuggestionState.REJECTED, Set.of(), null, NOW), NOW))
                .isEqualTo(new Reconciliation.Next(SuggestionState.PENDING, true));
        for (SuggestionState s : List.of(SuggestionState.ACCEPTED, SuggestionState.EXPORTED,
                SuggestionState.DEPLOYED)) {
            assertThat(Reconciliation.next(stored("192.0.2.1/32", s, Set.of(), null, NOW), NOW).state())
                    .isEqualTo(s);
        }
        Reconciliation.Stored reopenedPending = new Reconciliation.Stored(UUID.randomUUID(), "192.0.2.1/32",
                SuggestionState.PENDING, null, Set.of(), 7L, NOW, null, NOW);
        assertThat(Reconciliation.next(reopenedPending, NOW).reopened()).isTrue();
    }

    @Test
    void aSupersededSuggestionPointsAtTheNewOneElseAtAnAcceptedOne() {
        UUID accepted = UUID.randomUUID();
        List<Reconciliation.Stored> stored = List.of(new Reconciliation.Stored(accepted, "198.51.100.0/25",
                SuggestionState.ACCEPTED, null, Set.of(), null, null, "198.51.100.0/24", NOW));
        UUID computedId = UUID.randomUUID();
        assertThat(Reconciliation.covering("203.0.113.7/32", List.of("203.0.113.0/24"), stored, c -> computedId))
                .isEqualTo(computedId);
        assertThat(Reconciliation.covering("198.51.100.200/32", List.of("203.0.113.0/24"), stored, c -> computedId))
                .isEqualTo(accepted);
        assertThat(Reconciliation.covering("192.0.2.1/32", List.of("203.0.113.0/24"), stored, c -> computedId))
                .isNull();
        Reconciliation.Stored rejection = stored("203.0.113.0/28", SuggestionState.REJECTED, Set.of(), NOW, NOW);
        assertThat(Reconciliation.overlappingRejection(List.of(rejection), "203.0.113.0/24")).isEqualTo(rejection);
        assertThat(Reconciliation.overlappingRejection(List.of(rejection), "203.0.113.128/25")).isNull();
    }
}
