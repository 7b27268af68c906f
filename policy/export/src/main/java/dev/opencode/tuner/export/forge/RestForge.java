package dev.opencode.tuner.export.forge;

import com.fasterxml.jackson.databind.JsonNode;
import dev.opencode.tuner.export.ExportException;
import java.util.Optional;

/**
 * A forge reached over its REST API: the search for a branch's pull request is the same on every forge; each forge
 * says only where its list is, how a page of it is asked for, and how its fields read.
 */
abstract class RestForge implements Forge {
    final ForgeHttp http;
    /** The API path of the pull requests' collection, e.g. {@code /repos/OWNER/NAME/pulls}. */
    final String path;
    private final int pageSize;
    private final int maxPages;

    /**
     * @param pageSize the number of pull requests a full page holds: a shorter one is the last
     * @param maxPages how many pages are read at most
     */
    RestForge(ForgeHttp http, String path, int pageSize, int maxPages) {
        this.http = http;
        this.path = path;
        this.pageSize = pageSize;
        this.maxPages = maxPages;
    }

    @Override
    public ForgeKind kind() {
        return http.kind();
    }

    /** The query (from {@code ?}) of page {@code page}, counted from 1, of the list that holds {@code branch}'s. */
    abstract String listQuery(String branch, int page);

    /** One pull request of the forge's JSON. */
    abstract PullRequest read(JsonNode node);

    @Override
    public Optional<PullRequest> find(String branch) {
        PullRequest newest = null;
        for (int page = 1; page <= maxPages; page++) {
            JsonNode list = http.call("GET", path + listQuery(branch, page), null, 200);
            if (!list.isArray()) {
                throw new ExportException(kind().label() + " GET " + path + " answered no array");
            }
            for (JsonNode node : list) {
                PullRequest pr = read(node);
                // A forge's filter may match more than the branch (or, Gitea, there is none): check it here.
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
            if (list.size() < pageSize) {
                break;
            }
        }
        return Optional.ofNullable(newest);
    }

    /** A pull request as GitHub's API shapes it, which Gitea's copies; only how a merge shows differs. */
    static PullRequest githubShaped(JsonNode node, boolean merged) {
        PullRequest.State state = "open".equals(ForgeHttp.text(node, "state")) ? PullRequest.State.OPEN
                : merged ? PullRequest.State.MERGED : PullRequest.State.CLOSED;
        return new PullRequest(node.path("number").asLong(), ForgeHttp.text(node, "html_url"), state,
                node.path("head").path("ref").asText(null), ForgeHttp.text(node, "title"),
                ForgeHttp.text(node, "body"));
    }
}
