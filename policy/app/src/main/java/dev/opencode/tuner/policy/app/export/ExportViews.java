package dev.opencode.tuner.policy.app.export;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/** The JSON of {@code /api/v1/exports}. */
public final class ExportViews {
    private ExportViews() {
    }

    /** {@code POST /api/v1/exports}: both fields optional (all hosts; a real run). */
    public record ExportRequest(String host, Boolean dryRun) {
    }

    /** What one run did for one host. */
    @JsonPropertyOrder({"host", "result", "change", "branch", "commit", "entries", "pullRequest", "error", "diff",
        "pullRequestTitle", "pullRequestBody"})
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record HostRun(String host, String result, String change, String branch, String commit, Integer entries,
            PullRequestView pullRequest, String error, String diff, String pullRequestTitle, String pullRequestBody) {
    }

    @JsonPropertyOrder({"number", "url", "state", "result"})
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record PullRequestView(Long number, String url, String state, String result) {
    }

    public record Runs(List<HostRun> runs) {
    }

    /** {@code GET /api/v1/exports}: whether export is on, and each host's last run. */
    public record Status(boolean enabled, boolean auto, String forge, List<HostStatus> hosts) {
    }

    @JsonPropertyOrder({"host", "lastRun", "lastSuccess", "result", "change", "branch", "commit", "pullRequest",
        "lastError"})
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record HostStatus(String host, String lastRun, String lastSuccess, String result, String change,
            String branch, String commit, PullRequestView pullRequest, String lastError) {
    }
}
