package dev.opencode.tuner.export.forge;

/**
 * A pull request (GitHub, Gitea) or merge request (GitLab) as the exporter needs it.
 *
 * @param number GitHub's and Gitea's {@code number}, GitLab's {@code iid}
 * @param url the page a reviewer opens ({@code html_url}, GitLab {@code web_url})
 */
public record PullRequest(long number, String url, State state, String branch, String title, String body) {

    /** Open, closed without merge (a rejection), or merged. */
    public enum State {
        OPEN, CLOSED, MERGED
    }
}
