package dev.opencode.tuner.export;

import org.eclipse.jgit.lib.ObjectId;

/**
 * What an export of one host would do, computed after a fetch and before any push: the commit is already in the
 * local cache (which is harmless), nothing has left the machine. {@link GitExporter#push} carries it out.
 *
 * @param change what the branch needs
 * @param defaultBranch the branch the pull request goes into
 * @param branch the bot's branch, {@code opencode-egress/<host>}
 * @param path the generated file
 * @param content the generated file's text
 * @param diff the unified diff from the default branch's file to {@code content} (empty when equal)
 * @param branchTip the bot branch's commit on the remote when fetched, or null: the lease for the push
 * @param commit the new commit, or null when {@code change} is not {@link Change#COMMIT}
 * @param message the commit message (also when no commit is needed: it describes the content)
 */
public record ExportPlan(HostExport export, Change change, String defaultBranch, String branch, String path,
        String content, String diff, ObjectId branchTip, ObjectId commit, String message) {

    /** What the bot branch needs. */
    public enum Change {
        /** The default branch holds this content already (merged, or nothing accepted and no file): nothing to do. */
        ON_DEFAULT_BRANCH,
        /** The bot branch holds this content on an unchanged base file: no commit, no push (no rebase storm). */
        BRANCH_CURRENT,
        /** A new commit on top of the default branch, pushed to the bot branch with a lease. */
        COMMIT,
        /** Someone else committed to the bot branch: it is left alone until they remove their commits. */
        BRANCH_EDITED_BY_OTHERS
    }
}
