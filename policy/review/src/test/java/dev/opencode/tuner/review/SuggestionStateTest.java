package dev.opencode.tuner.review;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class SuggestionStateTest {
    @Test
    void keepsTheStoredAndWireValuesOfEveryState() {
        assertThat(Arrays.stream(SuggestionState.values()).map(SuggestionState::text)).containsExactly("pending",
                "accepted", "rejected", "snoozed", "superseded", "exported", "merged", "deployed", "removed");
        for (SuggestionState s : SuggestionState.values()) {
            assertThat(SuggestionState.of(s.text())).isSameAs(s);
            assertThat(s).hasToString(s.text());
        }
        assertThat(Arrays.stream(SuggestionKind.values()).map(SuggestionKind::text)).containsExactly("add", "remove");
        assertThat(SuggestionKind.of("remove")).isSameAs(SuggestionKind.REMOVE);
        assertThat(Arrays.stream(DecisionOutcome.values()).map(DecisionOutcome::text)).containsExactly("accepted",
                "approved", "rejected", "snoozed", "withdrawn");
    }

    @Test
    void listsTheFiltersWithHeldAfterPendingInTheOrderTheApiNamesThem() {
        assertThat(SuggestionState.filters()).containsExactly("pending", "held", "accepted", "rejected", "snoozed",
                "superseded", "exported", "merged", "deployed", "removed");
    }

    @Test
    void refusesAnUnknownValueNamingIt() {
        assertThatThrownBy(() -> SuggestionState.of("held")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("held");
        assertThatThrownBy(() -> SuggestionKind.of("Add")).hasMessageContaining("Add");
    }

    @Test
    void onlyPendingAndSnoozedAreOpenAndTheExportStepsAreInForce() {
        assertThat(Arrays.stream(SuggestionState.values()).filter(SuggestionState::isOpen))
                .containsExactly(SuggestionState.PENDING, SuggestionState.SNOOZED);
        assertThat(Arrays.stream(SuggestionState.values()).filter(SuggestionState::isInForce))
                .containsExactly(SuggestionState.ACCEPTED, SuggestionState.EXPORTED, SuggestionState.MERGED,
                        SuggestionState.DEPLOYED);
        assertThat(SuggestionState.inForceSql()).isEqualTo("'accepted', 'exported', 'merged', 'deployed'");
    }
}
