package dev.opencode.tuner.policy.app.web;

import dev.opencode.tuner.policy.app.review.ReviewErrors;
import dev.opencode.tuner.policy.app.review.ReviewIds;
import dev.opencode.tuner.policy.app.review.ReviewService;
import dev.opencode.tuner.policy.app.review.ReviewViews;
import dev.opencode.tuner.policy.app.review.SuggestionStore;
import dev.opencode.tuner.review.Refusal;
import dev.opencode.tuner.review.ReviewComment;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * The ticked suggestions of a page decided one by one, with one comment: one that cannot be decided (decided
 * meanwhile in another tab, not a suggestion of the page) fails alone, and each gets a result row. Shared by the
 * instance page and the overview's queue.
 */
final class BulkDecisions {
    /** What became of each suggestion, and a summary: "2 of 3 accepted; 1 failed (listed below)." */
    record Outcome(List<WebPages.BulkRow> rows, int failed, String summary) {
    }

    /** A bulk form checked: the comment as stored, or the refusal ({@code field: why}) and its status. */
    record Request(String comment, String refusal, int status) {
    }

    private BulkDecisions() {
    }

    /**
     * The checks of a bulk form: accept or reject, at least one id, a comment by {@link ReviewComment}'s rule, and
     * one at all to reject (400, or 422 for a rejection without a comment).
     */
    static Request check(List<String> ids, String action, String comment) {
        String text = ReviewComment.normalise(comment);
        Refusal refused = ReviewComment.refusal(text);
        if (!"accept".equals(action) && !"reject".equals(action)) {
            return new Request(text, "action: expected accept or reject", 400);
        }
        if (ids == null || ids.isEmpty()) {
            return new Request(text, "id: select at least one suggestion", 400);
        }
        if (refused != null) {
            return new Request(text, refused.field() + ": " + refused.message(), 400);
        }
        if (action.equals("reject") && text == null) {
            return new Request(null, "comment: a rejection needs a comment (why it stays blocked)", 422);
        }
        return new Request(text, null, 200);
    }

    /**
     * Accepts or rejects ({@code action}) each id as {@code actor}; {@code allowed} says whether a suggestion (by its
     * host and instance) belongs to the page the reviewer ticked it on. {@code acrossInstances}: each result names
     * its host and instance.
     */
    static Outcome decide(ReviewService review, List<String> ids, String action, String comment, String actor,
                          Predicate<SuggestionStore.Owner> allowed, String notAllowed, boolean acrossInstances)
            throws SQLException {
        List<WebPages.BulkRow> rows = new ArrayList<>();
        int failed = 0;
        for (String id : ids) {
            UUID uuid = ReviewIds.parse(id == null ? "" : id);
            SuggestionStore.Owner owner = uuid == null ? null : review.owner(uuid);
            if (owner == null || !allowed.test(owner)) {
                rows.add(new WebPages.BulkRow(String.valueOf(id), "", uuid == null ? "not a suggestion id"
                        : notAllowed, true));
                failed++;
                continue;
            }
            try {
                ReviewViews.DecisionResult r = action.equals("accept") ? review.accept(uuid, actor, comment, null)
                        : review.reject(uuid, actor, comment);
                rows.add(new WebPages.BulkRow(ReviewIds.hex(uuid), r.suggestion().cidr(),
                        r.approvalsNeeded() > 0 ? "approved; another reviewer must approve it"
                                : r.decision().outcome() + (acrossInstances ? " (" + owner.host() + " / "
                                + owner.instance() + ")" : ""),
                        false));
            } catch (ReviewErrors.Failure e) {
                rows.add(new WebPages.BulkRow(ReviewIds.hex(uuid), e.suggestion() == null ? ""
                        : e.suggestion().cidr(), e.getMessage(), true));
                failed++;
            }
        }
        String summary = (ids.size() - failed) + " of " + ids.size() + " " + (action.equals("accept") ? "accepted"
                : "rejected") + (failed == 0 ? "." : "; " + failed + " failed (listed below).");
        return new Outcome(rows, failed, summary);
    }
}
