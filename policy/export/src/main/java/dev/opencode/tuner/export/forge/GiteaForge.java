package dev.opencode.tuner.export.forge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.opencode.tuner.export.ExportException;
import java.util.Optional;

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
final class GiteaForge implements Forge {
    private static final int PAGE = 50;
    private static final int MAX_PAGES = 20;
    private final ForgeHttp http;
    private final String path;

    GiteaForge(ForgeHttp http, String repository) {
        this.http = http;
        String[] parts = Forge.ownerAndName(repository);
        this.path = "/repos/" + parts[0] + "/" + parts[1] + "/pulls";
    }

    @Override
    public ForgeKind kind() {
        return ForgeKind.GITEA;
    }

    @Override
    public Optional<PullRequest> find(String branch) {
        PullRequest newest = null;
        for (int page = 1; page <= MAX_PAGES; page++) {
            JsonNode list = http.call("GET", path + "?state=all&limit=" + PAGE + "&page=" + page, null, 200);
            if (!list.isArray()) {
                throw new ExportException("gitea GET " + path + " answered no array");
            }
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
            if (list.size() < PAGE) {
                break;
            }
        }
        return Optional.ofNullable(newest);
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

    static PullRequest read(JsonNode node) {
        String state = ForgeHttp.text(node, "state");
        PullRequest.State s = "open".equals(state) ? PullRequest.State.OPEN
                : node.path("merged").asBoolean(false) ? PullRequest.State.MERGED : PullRequest.State.CLOSED;
        return new PullRequest(node.path("number").asLong(), ForgeHttp.text(node, "html_url"), s,
                node.path("head").path("ref").asText(null), ForgeHttp.text(node, "title"), ForgeHttp.text(node, "body"));
    }
}
