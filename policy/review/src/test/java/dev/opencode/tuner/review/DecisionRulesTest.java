package dev.opencode.tuner.review;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opencode.tuner.suggest.CidrEdit;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.Test;

class DecisionRulesTest {
    private static final DecisionRules ONE = new DecisionRules(CidrEdit.defaults(), 1);
    private static final DecisionRules FOUR_EYES = new DecisionRules(CidrEdit.defaults(), 2);

    private static DecisionRules.Found pending(String cidr, List<String> approvedBy, String approvedCidr) {
        return new DecisionRules.Found(SuggestionKind.ADD, SuggestionState.PENDING, cidr, approvedBy, approvedCidr);
    }

    private static Refusal refusal(DecisionRules.Verdict verdict) {
        assertThat(verdict).isInstanceOf(DecisionRules.Refuse.class);
        return ((DecisionRules.Refuse) verdict).refusal();
    }

    @Test
    void acceptsTheSuggestedCidrOrAnEditWithinTheGuardrailsInCanonicalForm() {
        assertThat(ONE.accept(pending("203.0.113.0/24", List.of(), null), "alice", null))
                .isEqualTo(new DecisionRules.Accept("203.0.113.0/24"));
        assertThat(ONE.accept(pending("203.0.113.0/24", List.of(), null), "alice", "203.0.113.20"))
                .isEqualTo(new DecisionRules.Accept("203.0.113.20/32"));
        assertThat(ONE.accept(pending("203.0.113.0/24", List.of(), null), "alice", "203.0.0.0/17"))
                .isEqualTo(new DecisionRules.Accept("203.0.0.0/17"));
    }

    @Test
    void refusesAnEditBeyondTheGuardrailsNamingTheCidrField() {
        DecisionRules.Found found = pending("203.0.113.0/24", List.of(), null);
        Refusal broad = refusal(ONE.accept(found, "alice", "202.0.0.0/15"));
        assertThat(broad.kind()).isEqualTo(Refusal.Kind.REFUSED);
        assertThat(broad.field()).isEqualTo("cidr");
        assertThat(broad.message()).contains("broader than /16");
        DecisionRules.Found nearMetadata = pending("169.253.255.1/32", List.of(), null);
        assertThat(refusal(ONE.accept(nearMetadata, "alice", "169.252.0.0/14")).message()).isEqualTo(
                "169.252.0.0/14 overlaps the denylist entry 169.254.0.0/16 (link-local, home of cloud instance"
                        + " metadata (169.254.169.254))");
        assertThat(ONE.accept(nearMetadata, "alice", "169.253.0.0/16"))
                .isEqualTo(new DecisionRules.Accept("169.253.0.0/16"));
        assertThat(refusal(ONE.accept(found, "alice", "2001:db8::/64")).message()).contains("same family");
        assertThat(refusal(ONE.accept(found, "alice", "198.51.100.0/24")).message()).contains("shares no address");
        assertThat(refusal(ONE.accept(found, "alice", "not a cidr")).field()).isEqualTo("cidr");
    }

    @Test
    void aRemovalIsAcceptedAsItIsAndNeverEdited() {
        DecisionRules.Found removal = new DecisionRules.Found(SuggestionKind.REMOVE, SuggestionState.PENDING,
                "203.0.113.0/24", List.of(), null);
        assertThat(ONE.accept(removal, "alice", " 203.0.113.0/24 ")).isEqualTo(new DecisionRules.Accept(
                "203.0.113.0/24"));
        Refusal edited = refusal(ONE.accept(removal, "alice", "203.0.113.0/25"));
        assertThat(edited.field()).isEqualTo("cidr");
        assertThat(edited.message()).contains("a removal takes the entry 203.0.113.0/24 out as it is");
    }

    @Test
    void onlyAnOpenSuggestionIsDecided() {
        for (SuggestionState state : SuggestionState.values()) {
            DecisionRules.Verdict verdict = ONE.accept(new DecisionRules.Found(SuggestionKind.ADD, state,
                    "203.0.113.0/24", List.of(), null), "alice", null);
            if (state.isOpen()) {
                assertThat(verdict).isInstanceOf(DecisionRules.Accept.class);
            } else {
                Refusal r = refusal(verdict);
                assertThat(r.kind()).isEqualTo(Refusal.Kind.CONFLICT);
                assertThat(r.message()).isEqualTo("cannot accept: the suggestion is " + state.text()
                        + " already (only a pending or snoozed suggestion can be decided)");
            }
        }
    }

    @Test
    void underFourEyesTheFirstAcceptIsAnApprovalAndASecondDifferentReviewerAccepts() {
        assertThat(FOUR_EYES.accept(pending("198.51.100.50/32", List.of(), null), "alice", null))
                .isEqualTo(new DecisionRules.Approve("198.51.100.50/32", 1));
        Refusal twice = refusal(FOUR_EYES.accept(pending("198.51.100.50/32", List.of("alice"), "198.51.100.50/32"),
                "alice", null));
        assertThat(twice.kind()).isEqualTo(Refusal.Kind.CONFLICT);
        assertThat(twice.message()).contains("a second, different reviewer")
                .contains("tuner.policy.review.approvals-required = 2");
        assertThat(FOUR_EYES.accept(pending("198.51.100.50/32", List.of("alice"), "198.51.100.50/32"), "bob", null))
                .isEqualTo(new DecisionRules.Accept("198.51.100.50/32"));
    }

    @Test
    void theSecondApproverCannotSwapTheCidrTheFirstApprovedButAcceptsItUnedited() {
        DecisionRules.Found approved = pending("203.0.113.0/24", List.of("alice"), "203.0.113.20/32");
        Refusal swapped = refusal(FOUR_EYES.accept(approved, "bob", "203.0.113.0/25"));
        assertThat(swapped.field()).isEqualTo("cidr");
        assertThat(swapped.message()).contains("the first approval was for 203.0.113.20/32");
        assertThat(FOUR_EYES.accept(approved, "bob", "203.0.113.20/32"))
                .isEqualTo(new DecisionRules.Accept("203.0.113.20/32"));
        assertThat(FOUR_EYES.accept(approved, "bob", null)).isEqualTo(new DecisionRules.Accept("203.0.113.20/32"));
    }

    @Test
    void withOneApprovalRequiredAnEarlierApproverStillCannotAcceptAlone() {
        // Approvals left over from a stricter setting: the approver may not be the one who completes it.
        Refusal r = refusal(ONE.accept(pending("198.51.100.50/32", List.of("alice"), null), "alice", null));
        assertThat(r.message()).contains("approvals-required = 1");
        assertThat(ONE.accept(pending("198.51.100.50/32", List.of("alice"), null), "bob", null))
                .isEqualTo(new DecisionRules.Accept("198.51.100.50/32"));
    }

    @Test
    void aRejectionNeedsAComment() {
        assertThat(DecisionRules.requireComment("not ours")).isEmpty();
        for (String missing : new String[] {null, "", "  \n"}) {
            Refusal r = DecisionRules.requireComment(missing).orElseThrow();
            assertThat(r.kind()).isEqualTo(Refusal.Kind.MALFORMED);
            assertThat(r.field()).isEqualTo("comment");
        }
    }

    @Test
    void aSnoozeEndsInTheFuture() {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        assertThat(DecisionRules.requireFuture(now.plusSeconds(1), now)).isEmpty();
        Refusal r = DecisionRules.requireFuture(now, now).orElseThrow();
        assertThat(r.field()).isEqualTo("until");
        assertThat(r.message()).contains("is not in the future");
        assertThat(DecisionRules.requireFuture(now.minusSeconds(60), now)).isPresent();
    }

    @Test
    void theForgeRejectsASuggestionInForceBeforeItIsMergedOrStillOpen() {
        for (SuggestionState state : SuggestionState.values()) {
            boolean allowed = List.of(SuggestionState.ACCEPTED, SuggestionState.EXPORTED, SuggestionState.MERGED,
                    SuggestionState.PENDING, SuggestionState.SNOOZED).contains(state);
            assertThat(DecisionRules.forgeMayReject(state, "ab12").isEmpty()).as(state.text()).isEqualTo(allowed);
        }
        assertThat(DecisionRules.forgeMayReject(SuggestionState.DEPLOYED, "ab12").orElseThrow().message())
                .isEqualTo("suggestion ab12 is deployed: only one in force or still open can be rejected");
    }
}
