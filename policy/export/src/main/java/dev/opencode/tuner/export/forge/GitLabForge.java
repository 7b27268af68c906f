package dev.opencode.tuner.export.forge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.opencode.tuner.export.ExportException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * GitLab merge requests API v4 (https://docs.gitlab.com/api/merge_requests/); {@code :id} is the URL-encoded
 * project path ({@code group%2Fname}):
 * <ul>
 * <li>{@code GET /projects/:id/merge_requests?source_branch=B&state=all}: an array with {@code iid},
 * {@code web_url}, {@code state} ({@code opened}|{@code closed}|{@code merged}|{@code locked}), {@code title},
 * {@code description}, {@code source_branch};</li>
 * <li>{@code POST /projects/:id/merge_requests} with {@code {source_branch, target_branch, title, description}}:
 * 201;</li>
 * <li>{@code PUT /projects/:id/merge_requests/:merge_request_iid} with {@code {title, description}}: 200.</li>
 * </ul>
 */
final class GitLabForge implements Forge {
    private final ForgeHttp http;
    private final String path;

    GitLabForge(ForgeHttp http, String project) {
        this.http = http;
        if (project == null || !project.matches("[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+")) {
            throw new ExportException("forge repository " + (project == null ? "missing" : "'" + project + "'")
                    + " is not a GitLab project path (group/name or group/subgroup/name)");
        }
        this.path = "/projects/" + URLEncoder.encode(project, StandardCharsets.UTF_8) + "/merge_requests";
    }

    @Override
    public ForgeKind kind() {
        return ForgeKind.GITLAB;
    }

    @Override
    public Optional<PullRequest> find(String branch) {
        JsonNode list = http.call("GET", path + "?state=all&per_page=100&source_branch="
                + URLEncoder.encode(branch, StandardCharsets.UTF_8), null, 200);
        if (!list.isArray()) {
            throw new ExportException("gitlab GET " + path + " answered no array");
        }
        PullRequest newest = null;
        for (JsonNode node : list) {
            PullRequest pr = read(node);
            if (!branch.equals(pr.branch())) {
                continue;
            }
            if (pr.state() == PullRequest.State.OPEN) {
                return Optional.of(pr);
            }
            if (newest == null || pr.number() > newest.number()) {
                newest = pr;
            }
        }
        return Optional.ofNullable(newest);
    }

    @Override
    public PullRequest open(String branch, String base, String title, String body) {
        ObjectNode request = http.object().put("source_branch", branch).put("target_branch", base)
                .put("title", title).put("description", body);
        return read(http.call("POST", path, request, 201));
    }

    @Override
    public PullRequest update(PullRequest pullRequest, String title, String body) {
        ObjectNode request = http.object().put("title", title).put("description", body);
        return read(http.call("PUT", path + "/" + pullRequest.number(), request, 200));
    }

    static PullRequest read(JsonNode node) {
        String state = ForgeHttp.text(node, "state");
        PullRequest.State s = switch (state == null ? "" : state) {
            case "opened", "locked" -> PullRequest.State.OPEN;
            case "merged" -> PullRequest.State.MERGED;
            default -> PullRequest.State.CLOSED;
        };
        return new PullRequest(node.path("iid").asLong(), ForgeHttp.text(node, "web_url"), s,
                ForgeHttp.text(node, "source_branch"), ForgeHttp.text(node, "title"),
                ForgeHttp.text(node, "description"));
    }
}
