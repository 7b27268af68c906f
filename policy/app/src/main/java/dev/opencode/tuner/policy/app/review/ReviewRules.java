package dev.opencode.tuner.policy.app.review;

import dev.opencode.tuner.policy.app.PolicyConfig;
import dev.opencode.tuner.policy.app.suggest.SuggestionService;
import dev.opencode.tuner.suggest.CidrEdit;
import dev.opencode.tuner.suggest.CidrSuggester;
import dev.opencode.tuner.suggest.Suggestion;
import dev.opencode.tuner.suggest.SuggestionPolicy;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.List;

/** The review's rules from {@code tuner.policy.review.*} and {@code tuner.policy.suggest.*}, built once. */
@ApplicationScoped
public class ReviewRules {
    private final PolicyConfig.Review config;
    private final CidrSuggester suggester;
    private final CidrEdit edit;

    ReviewRules(PolicyConfig config) {
        this.config = config.review();
        PolicyConfig.Suggest suggest = config.suggest();
        SuggestionPolicy policy = SuggestionService.policy(suggest.minAddresses(), suggest.prefix4(),
                suggest.prefix6(), suggest.deny().orElse(List.of()));
        this.suggester = new CidrSuggester(policy);
        this.edit = new CidrEdit(policy.denylist(), this.config.broadestPrefix4(), this.config.broadestPrefix6());
    }

    public CidrSuggester suggester() {
        return suggester;
    }

    /** The guardrails of an edited accept: the same denylist as the suggestions. */
    public CidrEdit edit() {
        return edit;
    }

    public PolicyConfig.Review config() {
        return config;
    }

    /** The stabilisation rule: enough events, or events spread over enough time. */
    public boolean stable(Suggestion s) {
        if (s.events() >= config.stableEvents()) {
            return true;
        }
        return s.firstSeen() != null && s.lastSeen() != null
                && Duration.between(s.firstSeen(), s.lastSeen()).compareTo(config.stableSpan()) >= 0;
    }
}
