package dev.opencode.tuner.export.forge;

import dev.opencode.tuner.export.ExportException;
import dev.opencode.tuner.export.Secret;
import java.net.URI;
import java.util.Optional;

/** The three calls the exporter makes on a forge: find the pull request of a branch, open one, update one. */
public interface Forge {
    ForgeKind kind();

    /**
     * The pull request whose source is {@code branch}: the open one if there is one, else the newest closed or
     * merged one, else empty.
     */
    Optional<PullRequest> find(String branch);

    /** Opens a pull request from {@code branch} into {@code base}. */
    PullRequest open(String branch, String base, String title, String body);

    /** Sets the title and body of an open pull request. */
    PullRequest update(PullRequest pullRequest, String title, String body);

    /**
     * A client for {@code kind}.
     *
     * @param apiBase the API root: {@code https://api.github.com} (or {@code https://HOST/api/v3} for GitHub
     *        Enterprise), {@code https://gitlab.com/api/v4}, {@code https://HOST/api/v1} for Gitea and Forgejo
     * @param repository {@code OWNER/NAME}; for GitLab the project path ({@code group/subgroup/name})
     * @throws IllegalArgumentException naming the field when the URL or the repository is malformed
     */
    static Forge of(ForgeKind kind, URI apiBase, String repository, Secret token) {
        return switch (kind) {
            case GITHUB -> new GitHubForge(new ForgeHttp(kind, apiBase, token), repository);
            case GITLAB -> new GitLabForge(new ForgeHttp(kind, apiBase, token), repository);
            case GITEA -> new GiteaForge(new ForgeHttp(kind, apiBase, token), repository);
        };
    }

    /** Shared by the clients: {@code OWNER/NAME} split, checked. */
    static String[] ownerAndName(String repository) {
        String[] parts = repository == null ? new String[0] : repository.split("/", -1);
        if (parts.length != 2 || !parts[0].matches("[A-Za-z0-9_.-]+") || !parts[1].matches("[A-Za-z0-9_.-]+")) {
            throw new ExportException("forge repository " + (repository == null ? "missing" : "'" + repository + "'")
                    + " is not OWNER/NAME (letters, digits, '.', '-', '_')");
        }
        return parts;
    }
}
