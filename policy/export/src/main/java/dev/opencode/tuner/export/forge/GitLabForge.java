package dev.opencode.tuner.export.forge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.opencode.tuner.export.ExportException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

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
final class GitLabForge extends RestForge {
    private static final int PAGE = 100;

    GitLabForge(ForgeHttp http, String project) {
        super(http, "/projects/" + URLEncoder.encode(checked(project), StandardCharsets.UTF_8) + "/merge_requests",
                PAGE, 1);
    }

    private static String checked(String project) {
        if (project == null || !project.matches("[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+")) {
            throw new ExportException("forge repository " + (project == null ? "missing" : "'" + project + "'")
                    + " is not a GitLab project path (group/name or group/subgroup/name)");
        }
        return project;
    }

    @Override
    String listQuery(String branch, int page) {
        return "?state=all&per_page=" + PAGE + "&source_branch=" + URLEncoder.encode(branch, StandardCharsets.UTF_8);
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

    @Override
    PullRequest read(JsonNode node) {
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
