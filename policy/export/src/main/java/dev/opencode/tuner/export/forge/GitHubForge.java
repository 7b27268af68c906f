package dev.opencode.tuner.export.forge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

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
final class GitHubForge extends RestForge {
    private static final int PAGE = 100;
    private final String owner;

    GitHubForge(ForgeHttp http, String repository) {
        this(http, Forge.ownerAndName(repository));
    }

    private GitHubForge(ForgeHttp http, String[] ownerAndName) {
        super(http, "/repos/" + ownerAndName[0] + "/" + ownerAndName[1] + "/pulls", PAGE, 1);
        this.owner = ownerAndName[0];
    }

    @Override
    String listQuery(String branch, int page) {
        return "?state=all&per_page=" + PAGE + "&head="
                + URLEncoder.encode(owner + ":" + branch, StandardCharsets.UTF_8);
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

    @Override
    PullRequest read(JsonNode node) {
        return githubShaped(node, ForgeHttp.text(node, "merged_at") != null);
    }
}
