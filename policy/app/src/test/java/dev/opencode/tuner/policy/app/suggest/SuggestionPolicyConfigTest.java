package dev.opencode.tuner.policy.app.suggest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.opencode.tuner.suggest.SuggestionPolicy;
import java.util.List;
import org.junit.jupiter.api.Test;

class SuggestionPolicyConfigTest {
    private static SuggestionPolicy policy(List<String> deny) {
        return SuggestionService.policy(4, 24, 64, deny);
    }

    @Test
    void addsConfiguredCidrsToTheDefaultDenylist() {
        var policy = policy(List.of("10.0.0.0/8", "2001:db8::/32"));
        assertThat(policy.denylist().entries()).anySatisfy(e -> {
            assertThat(e.cidr()).isEqualTo("10.0.0.0/8");
            assertThat(e.reason()).contains("tuner.policy.suggest.deny");
        });
        assertThat(policy.denylist().entries()).anyMatch(e -> e.cidr().equals("169.254.0.0/16"));
    }

    @Test
    void aBadDenyEntryNamesTheKeyAndTheValue() {
        assertThatThrownBy(() -> policy(List.of("10.0.0.1/8")))
                .hasMessageContaining("tuner.policy.suggest.deny").hasMessageContaining("'10.0.0.1/8' has host bits set");
    }

    @Test
    void suggestionIdsAreStableAndDependOnHostInstanceAndCidr() {
        String id = SuggestionViews.id("vm-1", "web", "140.82.112.0/24");
        assertThat(id).isEqualTo(SuggestionViews.id("vm-1", "web", "140.82.112.0/24")).matches("[0-9a-f]{32}");
        assertThat(id).isNotEqualTo(SuggestionViews.id("vm-2", "web", "140.82.112.0/24"))
                .isNotEqualTo(SuggestionViews.id("vm-1", "docs", "140.82.112.0/24"))
                .isNotEqualTo(SuggestionViews.id("vm-1", "web", "140.82.113.0/24"))
                .isNotEqualTo(SuggestionViews.id("vm-1w", "eb", "140.82.112.0/24"));
    }
}
