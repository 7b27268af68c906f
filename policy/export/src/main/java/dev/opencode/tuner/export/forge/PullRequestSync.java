package dev.opencode.tuner.export.forge;

import dev.opencode.tuner.export.ExportPlan;
import java.util.Optional;

/**
 * Opens or updates the one pull request of a host after its branch was pushed. Writes to the forge only when
 * something changed: an export with nothing new makes one read and no write.
 */
public final class PullRequestSync {
    private final Forge forge;
    private final String reviewUrlTemplate;

    public PullRequestSync(Forge forge, String reviewUrlTemplate) {
        this.forge = forge;
        this.reviewUrlTemplate = reviewUrlTemplate;
    }

    public Forge forge() {
        return forge;
    }

    /** What happened on the forge. */
    public enum Result {
        OPENED, UPDATED, UNCHANGED,
        /** Nothing to propose (on the default branch already, a branch edited by others, or a closed proposal). */
        NONE
    }

    /** The result and the pull request it concerns (for NONE, the newest one if any). */
    public record Outcome(Result result, Optional<PullRequest> pullRequest) {
    }

    /** The pull request of the host's branch as the forge has it now (open, else the newest closed or merged). */
    public Optional<PullRequest> current(String branch) {
        return forge.find(branch);
    }

    /** After {@code plan} was pushed: opens, updates or leaves the pull request. */
    public Outcome sync(ExportPlan plan) {
        String title = PullRequestBody.title(plan);
        String body = PullRequestBody.body(plan, forge.kind(), reviewUrlTemplate);
        Optional<PullRequest> existing = forge.find(plan.branch());
        if (existing.isPresent() && existing.get().state() == PullRequest.State.OPEN) {
            PullRequest pr = existing.get();
            if (plan.change() == ExportPlan.Change.ON_DEFAULT_BRANCH) {
                return new Outcome(Result.NONE, existing);
            }
            if (same(title, pr.title()) && same(body, pr.body())) {
                return new Outcome(Result.UNCHANGED, existing);
            }
            return new Outcome(Result.UPDATED, Optional.of(forge.update(pr, title, body)));
        }
        boolean proposal = plan.change() == ExportPlan.Change.COMMIT
                || (plan.change() == ExportPlan.Change.BRANCH_CURRENT && existing.isEmpty());
        if (!proposal) {
            return new Outcome(Result.NONE, existing);
        }
        return new Outcome(Result.OPENED, Optional.of(forge.open(plan.branch(), plan.defaultBranch(), title, body)));
    }

    /** Forges may store the body with CRLF or without the final newline. */
    private static boolean same(String ours, String theirs) {
        return theirs != null && normalize(ours).equals(normalize(theirs));
    }

    private static String normalize(String text) {
        return text.replace("\r\n", "\n").strip();
    }
}
