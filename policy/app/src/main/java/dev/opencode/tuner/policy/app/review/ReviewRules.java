package dev.opencode.tuner.policy.app.review;

import dev.opencode.tuner.policy.app.PolicyConfig;
import dev.opencode.tuner.policy.app.suggest.SuggestionService;
import dev.opencode.tuner.review.DecisionRules;
import dev.opencode.tuner.review.RejectionMemory;
import dev.opencode.tuner.review.Stabilisation;
import dev.opencode.tuner.suggest.CidrEdit;
import dev.opencode.tuner.suggest.CidrSuggester;
import dev.opencode.tuner.suggest.Suggestion;
import dev.opencode.tuner.suggest.SuggestionPolicy;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;

/**
 * The review domain's rules configured from {@code tuner.policy.review.*} and {@code tuner.policy.suggest.*}, built
 * once.
 */
@ApplicationScoped
public class ReviewRules {
    private final PolicyConfig.Review config;
    private final CidrSuggester suggester;
    private final CidrEdit edit;
    private final Stabilisation stabilisation;
    private final RejectionMemory rejections;
    private final DecisionRules decisions;

    ReviewRules(PolicyConfig config) {
        this.config = config.review();
        PolicyConfig.Suggest suggest = config.suggest();
        SuggestionPolicy policy = SuggestionService.policy(suggest.minAddresses(), suggest.prefix4(),
                suggest.prefix6(), suggest.deny().orElse(List.of()));
        this.suggester = new CidrSuggester(policy);
        this.edit = new CidrEdit(policy.denylist(), this.config.broadestPrefix4(), this.config.broadestPrefix6());
        this.stabilisation = new Stabilisation(this.config.stableEvents(), this.config.stableSpan());
        this.rejections = new RejectionMemory(this.config.reopenAfter());
        this.decisions = new DecisionRules(edit, this.config.approvalsRequired());
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

    /** Remembered rejections and when they expire ({@code reopen-after}). */
    public RejectionMemory rejections() {
        return rejections;
    }

    /** The rules of a reviewer's decision: open states, guardrails, four-eyes. */
    public DecisionRules decisions() {
        return decisions;
    }

    /** The stabilisation rule: enough events, or events spread over enough time. */
    public boolean stable(Suggestion s) {
        return stabilisation.isStable(s.events(), s.firstSeen(), s.lastSeen());
    }
}
