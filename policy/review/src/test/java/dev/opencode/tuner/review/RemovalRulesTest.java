package dev.opencode.tuner.review;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.junit.jupiter.api.Test;

class RemovalRulesTest {
    private static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    private static final RemovalRules RULES = new RemovalRules(Duration.ofDays(30), Duration.ofDays(7));
    private static final RejectionMemory MEMORY = new RejectionMemory(Duration.ofDays(90));

    @Test
    void refusesANonPositiveUnusedAfterOrNoticePeriodNamingTheKeyAndValue() {
        for (Duration bad : new Duration[] {Duration.ZERO, Duration.ofDays(-1), null}) {
            assertThatThrownBy(() -> new RemovalRules(bad, Duration.ofDays(7)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("tuner.policy.removal.unused-after").hasMessageContaining(String.valueOf(bad));
            assertThatThrownBy(() -> new RemovalRules(Duration.ofDays(30), bad))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("tuner.policy.removal.notice-period")
                    .hasMessageContaining(String.valueOf(bad));
        }
    }

    @Test
    void aCounterMovingAfterTheEntryWasFoundUnusedWithdrawsTheRemoval() {
        Instant unusedSince = NOW.minus(Duration.ofDays(40));
        assertThat(RULES.withdrawal(unusedSince, NOW.minusSeconds(5), 12, SuggestionState.ACCEPTED)).hasValueSatisfying(
                why -> assertThat(why).startsWith("used again:").contains("12 packets").endsWith("the entry stays"));
        assertThat(RULES.withdrawal(unusedSince, unusedSince, 12, SuggestionState.ACCEPTED)).isEmpty();
        assertThat(RULES.withdrawal(unusedSince, null, 0, SuggestionState.DEPLOYED)).isEmpty();
    }

    @Test
    void anEntryWhoseAdditionIsNoLongerInForceWithdrawsTheRemoval() {
        for (SuggestionState state : SuggestionState.values()) {
            assertThat(RULES.withdrawal(NOW.minus(Duration.ofDays(40)), null, 0, state).isPresent()).as(state.text())
                    .isEqualTo(!state.isInForce());
        }
        assertThat(RULES.withdrawal(NOW, null, 0, SuggestionState.REJECTED)).hasValue(
                "the entry is no longer in the generated file (its addition is rejected)");
        assertThat(RULES.withdrawal(NOW, null, 0, null)).hasValueSatisfying(why -> assertThat(why).contains("null"));
    }

    @Test
    void aWithdrawnOrEarlierRemovalReopensAndARejectedOneOnlyOnceTheRejectionExpired() {
        assertThat(RemovalRules.reopens(SuggestionState.SUPERSEDED, null, NOW, MEMORY)).isTrue();
        assertThat(RemovalRules.reopens(SuggestionState.EXPORTED, null, NOW, MEMORY)).isTrue();
        assertThat(RemovalRules.reopens(SuggestionState.DEPLOYED, null, NOW, MEMORY)).isTrue();
        assertThat(RemovalRules.reopens(SuggestionState.REJECTED, NOW.minus(Duration.ofDays(89)), NOW, MEMORY))
                .isFalse();
        assertThat(RemovalRules.reopens(SuggestionState.REJECTED, NOW.minus(Duration.ofDays(91)), NOW, MEMORY))
                .isTrue();
        assertThat(RemovalRules.reopens(SuggestionState.ACCEPTED, null, NOW, MEMORY)).isFalse();
        assertThat(RemovalRules.reopens(SuggestionState.PENDING, null, NOW, MEMORY)).isFalse();
        assertThat(RemovalRules.refreshed(SuggestionState.PENDING, false)).isTrue();
        assertThat(RemovalRules.refreshed(SuggestionState.SNOOZED, false)).isTrue();
        assertThat(RemovalRules.refreshed(SuggestionState.ACCEPTED, false)).isFalse();
        assertThat(RemovalRules.refreshed(SuggestionState.REJECTED, true)).isTrue();
    }

    @Test
    void anAnnouncedRemovalIsDueOnceTheNoticePeriodEndedUnlessUsedSince() {
        Instant announced = NOW.minus(Duration.ofDays(8));
        Instant removeAfter = announced.plus(RULES.noticePeriod());
        assertThat(RemovalRules.due(announced, removeAfter, false, NOW)).isTrue();
        assertThat(RemovalRules.due(announced, removeAfter, false, removeAfter)).isTrue();
        assertThat(RemovalRules.due(announced, removeAfter, false, removeAfter.minusSeconds(1))).isFalse();
        assertThat(RemovalRules.due(announced, removeAfter, true, NOW)).isFalse();
        assertThat(RemovalRules.due(null, removeAfter, false, NOW)).isFalse();
        assertThat(RemovalRules.due(announced, null, false, NOW)).isFalse();
    }
}
