package dev.opencode.tuner.export.forge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Gitea and Forgejo, API v1 (the swagger at {@code /api/swagger}; models {@code PullRequest},
 * {@code CreatePullRequestOption}, {@code EditPullRequestOption}):
 * <ul>
 * <li>{@code GET /repos/{owner}/{repo}/pulls?state=all&page=N&limit=50}: an array of {@code PullRequest} with
 * {@code number}, {@code html_url}, {@code state} ({@code open}|{@code closed}), {@code merged} (boolean),
 * {@code title}, {@code body}, {@code head.ref}; there is no head filter, so the list is filtered here;</li>
 * <li>{@code POST /repos/{owner}/{repo}/pulls} with {@code {head, base, title, body}}: 201;</li>
 * <li>{@code PATCH /repos/{owner}/{repo}/pulls/{index}} with {@code {title, body}}: 201 (go-gitea/gitea
 * routers/api/v1/repo/pull.go, EditPullRequest: "TODO this should be 200, not 201"); 200 is accepted too, in case a
 * release or Forgejo fixes it.</li>
 * </ul>
 */
final class GiteaForge extends RestForge {
    private static final int PAGE = 50;
    private static final int MAX_PAGES = 20;

    GiteaForge(ForgeHttp http, String repository) {
        this(http, Forge.ownerAndName(repository));
    }

    private GiteaForge(ForgeHttp http, String[] ownerAndName) {
        super(http, "/repos/" + ownerAndName[0] + "/" + ownerAndName[1] + "/pulls", PAGE, MAX_PAGES);
    }

    @Override
    String listQuery(String branch, int page) {
        return "?state=all&limit=" + PAGE + "&page=" + page;
    }

    @Override
    public PullRequest open(String branch, String base, String title, String body) {
        ObjectNode request = http.object().put("head", branch).put("base", base).put("title", title).put("body", body);
        return read(http.call("POST", path, request, 201));
    }

    @Override
    public PullRequest update(PullRequest pullRequest, String title, String body) {
        ObjectNode request = http.object().put("title", title).put("body", body);
        return read(http.call("PATCH", path + "/" + pullRequest.number(), request, 201, 200));
    }

    @Override
    PullRequest read(JsonNode node) {
        return githubShaped(node, node.path("merged").asBoolean(false));
    }
}
