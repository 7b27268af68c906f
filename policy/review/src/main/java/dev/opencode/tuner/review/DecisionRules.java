package dev.opencode.tuner.review;

import dev.opencode.tuner.suggest.CidrEdit;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The rules of a reviewer's decision on one suggestion, over the state found under the suggestion's lock: only an
 * open suggestion is decided; an edited accept stays within the guardrails ({@link CidrEdit}); a removal is never
 * edited; under four-eyes ({@code approvalsRequired} 2) the first accept is an approval and a second, different
 * reviewer accepts the CIDR the first approved; a rejection says why; a snooze ends in the future.
 *
 * @param guardrails        the checks of an edited CIDR (the suggestions' denylist, the broadest prefixes)
 * @param approvalsRequired 1, or 2 for four-eyes
 */
public record DecisionRules(CidrEdit guardrails, int approvalsRequired) {
    public DecisionRules {
        if (guardrails == null) {
            throw new IllegalArgumentException("guardrails are required");
        }
        if (approvalsRequired < 1) {
            throw new IllegalArgumentException("approvals required must be at least 1, got " + approvalsRequired);
        }
    }

    /**
     * A suggestion as a decision finds it.
     *
     * @param kind         addition or removal
     * @param state        its effective state (an expired snooze reads as pending)
     * @param cidr         the CIDR suggested, canonical
     * @param approvedBy   four-eyes: who approved it so far
     * @param approvedCidr four-eyes: the CIDR the first approval was for, or null
     */
    public record Found(SuggestionKind kind, SuggestionState state, String cidr, List<String> approvedBy,
                        String approvedCidr) {
        public Found {
            approvedBy = List.copyOf(approvedBy);
        }
    }

    /** What an accept comes to. */
    public sealed interface Verdict {
    }

    /** The accept takes effect with this CIDR. */
    public record Accept(String cidr) implements Verdict {
    }

    /** Four-eyes: recorded as an approval of this CIDR; {@code approvalsNeeded} more before it takes effect. */
    public record Approve(String cidr, int approvalsNeeded) implements Verdict {
    }

    /** Refused: nothing is recorded. */
    public record Refuse(Refusal refusal) implements Verdict {
    }

    /**
     * The accept of {@code found} by {@code actor}, with the CIDR as suggested ({@code edited} null) or edited.
     */
    public Verdict accept(Found found, String actor, String edited) {
        Optional<Refusal> closed = requireOpen(found.state(), "accept");
        if (closed.isPresent()) {
            return new Refuse(closed.get());
        }
        boolean removal = found.kind() == SuggestionKind.REMOVE;
        if (edited != null && removal && !edited.strip().equals(found.cidr())) {
            return new Refuse(Refusal.refused("cidr", "a removal takes the entry " + found.cidr() + " out as it is:"
                    + " it cannot be edited (reject it, and narrow the entry by another suggestion)"));
        }
        String cidr = found.cidr();
        if (edited != null && !removal) {
            CidrEdit.Outcome outcome = guardrails.check(found.cidr(), edited);
            if (outcome.refused()) {
                return new Refuse(Refusal.refused("cidr", outcome.refusal()));
            }
            cidr = outcome.cidr();
        }
        List<String> approvals = found.approvedBy();
        if (approvalsRequired > 1 && approvals.size() + 1 < approvalsRequired) {
            if (approvals.contains(actor)) {
                return new Refuse(Refusal.conflict(actor + " already approved this suggestion: a second, different"
                        + " reviewer must approve it"));
            }
            return new Approve(cidr, approvalsRequired - approvals.size() - 1);
        }
        if (approvals.contains(actor)) {
            return new Refuse(Refusal.conflict(actor + " already approved this suggestion: a second, different"
                    + " reviewer must approve it (tuner.policy.review.approvals-required = " + approvalsRequired
                    + ")"));
        }
        if (!approvals.isEmpty() && found.approvedCidr() != null) {
            if (edited != null && !cidr.equals(found.approvedCidr())) {
                return new Refuse(Refusal.refused("cidr", "the first approval was for " + found.approvedCidr()
                        + ": approve that CIDR, or reject the suggestion"));
            }
            cidr = found.approvedCidr();
        }
        return new Accept(cidr);
    }

    /** A reviewer's decision ({@code accept}, {@code reject}, {@code snooze}) needs an open suggestion. */
    public static Optional<Refusal> requireOpen(SuggestionState state, String action) {
        if (state.isOpen()) {
            return Optional.empty();
        }
        return Optional.of(Refusal.conflict("cannot " + action + ": the suggestion is " + state
                + " already (only a pending or snoozed suggestion can be decided)"));
    }

    /** A rejection says why: for the audit trail and for whoever sees the destination again. */
    public static Optional<Refusal> requireComment(String comment) {
        if (comment != null && !comment.isBlank()) {
            return Optional.empty();
        }
        return Optional.of(Refusal.malformed("comment", "required for a rejection: say why, for the audit trail and"
                + " for whoever sees this destination again"));
    }

    /** A snooze ends in the future. */
    public static Optional<Refusal> requireFuture(Instant until, Instant now) {
        if (until.isAfter(now)) {
            return Optional.empty();
        }
        return Optional.of(Refusal.refused("until", until + " is not in the future (now " + now + ")"));
    }

    /**
     * The forge's rejection (a closed pull request) applies to a suggestion in force before it is merged, or still
     * open; {@code name} names the suggestion in the refusal.
     */
    public static Optional<Refusal> forgeMayReject(SuggestionState state, String name) {
        if (state == SuggestionState.ACCEPTED || state == SuggestionState.EXPORTED || state == SuggestionState.MERGED
                || state.isOpen()) {
            return Optional.empty();
        }
        return Optional.of(Refusal.conflict("suggestion " + name + " is " + state
                + ": only one in force or still open can be rejected"));
    }
}
