package dev.opencode.tuner.export.forge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.opencode.tuner.export.ExportException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * GitHub REST (also GitHub Enterprise Server), https://docs.github.com/rest/pulls/pulls:
 * <ul>
 * <li>{@code GET /repos/{owner}/{repo}/pulls?head=owner:branch&state=all}: an array of pull requests, newest first
 * (default sort {@code created}, direction {@code desc}), each with {@code number}, {@code html_url}, {@code state}
 * ({@code open}|{@code closed}), {@code merged_at} (null unless merged), {@code title}, {@code body},
 * {@code head.ref};</li>
 * <li>{@code POST /repos/{owner}/{repo}/pulls} with {@code {title, head, base, body}}: 201 and the pull request;</li>
 * <li>{@code PATCH /repos/{owner}/{repo}/pulls/{pull_number}} with {@code {title, body}}: 200 and the pull request.</li>
 * </ul>
 */
final class GitHubForge implements Forge {
    private final ForgeHttp http;
    private final String owner;
    private final String path;

    GitHubForge(ForgeHttp http, String repository) {
        this.http = http;
        String[] parts = Forge.ownerAndName(repository);
        this.owner = parts[0];
        this.path = "/repos/" + parts[0] + "/" + parts[1] + "/pulls";
    }

    @Override
    public ForgeKind kind() {
        return ForgeKind.GITHUB;
    }

    @Override
    public Optional<PullRequest> find(String branch) {
        JsonNode list = http.call("GET", path + "?state=all&per_page=100&head="
                + URLEncoder.encode(owner + ":" + branch, StandardCharsets.UTF_8), null, 200);
        if (!list.isArray()) {
            throw new ExportException("github GET " + path + " answered no array");
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
        ObjectNode request = http.object().put("title", title).put("head", branch).put("base", base).put("body", body);
        return read(http.call("POST", path, request, 201));
    }

    @Override
    public PullRequest update(PullRequest pullRequest, String title, String body) {
        ObjectNode request = http.object().put("title", title).put("body", body);
        return read(http.call("PATCH", path + "/" + pullRequest.number(), request, 200));
    }

    static PullRequest read(JsonNode node) {
        String state = ForgeHttp.text(node, "state");
        PullRequest.State s = "open".equals(state) ? PullRequest.State.OPEN
                : ForgeHttp.text(node, "merged_at") != null ? PullRequest.State.MERGED : PullRequest.State.CLOSED;
        return new PullRequest(node.path("number").asLong(), ForgeHttp.text(node, "html_url"), s,
                node.path("head").path("ref").asText(null), ForgeHttp.text(node, "title"), ForgeHttp.text(node, "body"));
    }
}
