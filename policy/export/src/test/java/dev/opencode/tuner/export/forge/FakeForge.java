package dev.opencode.tuner.export.forge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.lib.Repository;

/**
 * A forge in the test: GitHub's, GitLab's or Gitea's pull request endpoints with their real request and response
 * shapes (the fields the docs cited in {@link GitHubForge}, {@link GitLabForge} and {@link GiteaForge} describe), the
 * forge's auth header checked, a second open pull request for the same branch refused as the forges do, the head
 * branch checked in the real bare repository, and every call recorded.
 */
public final class FakeForge implements AutoCloseable {
    public record Call(String method, String path, String query, String body) {
        public boolean isWrite() {
            return !method.equals("GET");
        }
    }

    public static final class Pr {
        public long number;
        public String head;
        public String base;
        public String title;
        public String body;
        public boolean open = true;
        public boolean merged;
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    final ForgeKind kind;
    final String owner;
    final String name;
    final String token;
    final Path bare;
    public final List<Call> calls = new ArrayList<>();
    public final List<Pr> pulls = new ArrayList<>();
    public volatile boolean echoCredentialsInErrors;
    /** Refuse every call with 401, as a forge does after the token was revoked. */
    public volatile boolean refuseAll;
    private final HttpServer server;

    public FakeForge(ForgeKind kind, String repository, String token, Path bare) throws IOException {
        this.kind = kind;
        this.owner = repository.split("/")[0];
        this.name = repository.split("/")[1];
        this.token = token;
        this.bare = bare;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    /** The API base URL a client is configured with. */
    public URI apiBase() {
        String root = "http://127.0.0.1:" + server.getAddress().getPort();
        return URI.create(switch (kind) {
            case GITHUB -> root;
            case GITLAB -> root + "/api/v4";
            case GITEA -> root + "/api/v1";
        });
    }

    public synchronized List<Call> writes() {
        return calls.stream().filter(Call::isWrite).toList();
    }

    public synchronized void close(long number) {
        find(number).open = false;
    }

    public synchronized void merge(long number) {
        Pr pr = find(number);
        pr.open = false;
        pr.merged = true;
    }

    private Pr find(long number) {
        return pulls.stream().filter(p -> p.number == number).findFirst().orElseThrow();
    }

    @Override
    public void close() {
        server.stop(0);
    }

    private synchronized void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String path = ex.getRequestURI().getRawPath();
            String query = ex.getRequestURI().getRawQuery();
            calls.add(new Call(ex.getRequestMethod(), path, query, body));
            if (refuseAll || !authorized(ex)) {
                String sent = String.valueOf(ex.getRequestHeaders().getFirst(kind == ForgeKind.GITLAB
                        ? "PRIVATE-TOKEN" : "Authorization"));
                String message = switch (kind) {
                    case GITHUB -> "Bad credentials";
                    case GITLAB -> "401 Unauthorized";
                    case GITEA -> "user does not exist";
                };
                respond(ex, 401, JSON.createObjectNode().put("message",
                        echoCredentialsInErrors ? message + " (got " + sent + ")" : message));
                return;
            }
            respond(ex, route(ex.getRequestMethod(), path, params(query), body));
        } catch (RuntimeException e) {
            respond(ex, 500, JSON.createObjectNode().put("message", e.toString()));
        }
    }

    private boolean authorized(HttpExchange ex) {
        return switch (kind) {
            // GitHub accepts both schemes for personal access tokens.
            case GITHUB -> ("Bearer " + token).equals(ex.getRequestHeaders().getFirst("Authorization"))
                    || ("token " + token).equals(ex.getRequestHeaders().getFirst("Authorization"));
            case GITLAB -> token.equals(ex.getRequestHeaders().getFirst("PRIVATE-TOKEN"));
            case GITEA -> ("token " + token).equals(ex.getRequestHeaders().getFirst("Authorization"));
        };
    }

    private record Answer(int status, JsonNode body) {
    }

    private Answer route(String method, String path, Map<String, String> query, String body) throws IOException {
        String collection = switch (kind) {
            case GITHUB -> "/repos/" + owner + "/" + name + "/pulls";
            case GITLAB -> "/api/v4/projects/" + owner + "%2F" + name + "/merge_requests";
            case GITEA -> "/api/v1/repos/" + owner + "/" + name + "/pulls";
        };
        if (path.equals(collection) && method.equals("GET")) {
            ArrayNode list = JSON.createArrayNode();
            List<Pr> newestFirst = new ArrayList<>(pulls);
            newestFirst.sort((a, b) -> Long.compare(b.number, a.number));
            String state = query.getOrDefault("state", kind == ForgeKind.GITLAB ? "all" : "open");
            for (Pr pr : newestFirst) {
                boolean stateOk = state.equals("all") || (pr.open ? state.equals(kind == ForgeKind.GITLAB ? "opened"
                        : "open") : !state.startsWith("open"));
                boolean headOk = switch (kind) {
                    case GITHUB -> !query.containsKey("head") || query.get("head").equals(owner + ":" + pr.head);
                    case GITLAB -> !query.containsKey("source_branch") || query.get("source_branch").equals(pr.head);
                    case GITEA -> true; // Gitea's list has no head filter
                };
                if (stateOk && headOk) {
                    list.add(render(pr));
                }
            }
            if (kind == ForgeKind.GITEA) {
                int limit = Integer.parseInt(query.getOrDefault("limit", "30"));
                int page = Integer.parseInt(query.getOrDefault("page", "1"));
                ArrayNode slice = JSON.createArrayNode();
                for (int i = (page - 1) * limit; i < Math.min(list.size(), page * limit); i++) {
                    slice.add(list.get(i));
                }
                return new Answer(200, slice);
            }
            return new Answer(200, list);
        }
        if (path.equals(collection) && method.equals("POST")) {
            JsonNode request = JSON.readTree(body);
            String head = request.path(kind == ForgeKind.GITLAB ? "source_branch" : "head").asText(null);
            String base = request.path(kind == ForgeKind.GITLAB ? "target_branch" : "base").asText(null);
            String title = request.path("title").asText(null);
            String text = request.path(kind == ForgeKind.GITLAB ? "description" : "body").asText(null);
            if (head == null || base == null || title == null) {
                return new Answer(422, JSON.createObjectNode().put("message", "Validation Failed"));
            }
            if (!branchExists(head) || !branchExists(base)) {
                return new Answer(422, JSON.createObjectNode().put("message", "head or base branch does not exist"));
            }
            if (pulls.stream().anyMatch(p -> p.open && p.head.equals(head))) {
                return new Answer(kind == ForgeKind.GITHUB ? 422 : 409, JSON.createObjectNode().put("message",
                        "A pull request already exists for " + owner + ":" + head + "."));
            }
            Pr pr = new Pr();
            pr.number = pulls.size() + 1;
            pr.head = head;
            pr.base = base;
            pr.title = title;
            pr.body = text;
            pulls.add(pr);
            return new Answer(201, render(pr));
        }
        if (path.startsWith(collection + "/")) {
            long number = Long.parseLong(path.substring(collection.length() + 1));
            Pr pr = pulls.stream().filter(p -> p.number == number).findFirst().orElse(null);
            String update = switch (kind) {
                case GITHUB, GITEA -> "PATCH";
                case GITLAB -> "PUT";
            };
            if (pr == null) {
                return new Answer(404, JSON.createObjectNode().put("message", "Not Found"));
            }
            if (method.equals(update)) {
                JsonNode request = JSON.readTree(body);
                if (request.has("title")) {
                    pr.title = request.get("title").asText();
                }
                String field = kind == ForgeKind.GITLAB ? "description" : "body";
                if (request.has(field)) {
                    pr.body = request.get(field).asText();
                }
                // Gitea answers an edit with 201 (routers/api/v1/repo/pull.go, EditPullRequest).
                return new Answer(kind == ForgeKind.GITEA ? 201 : 200, render(pr));
            }
        }
        return new Answer(404, JSON.createObjectNode().put("message", "Not Found"));
    }

    private JsonNode render(Pr pr) {
        String web = "https://forge.example.org/" + owner + "/" + name;
        ObjectNode node = JSON.createObjectNode();
        switch (kind) {
            case GITHUB -> {
                node.put("id", 1000 + pr.number).put("number", pr.number)
                        .put("html_url", web + "/pull/" + pr.number)
                        .put("state", pr.open ? "open" : "closed").put("title", pr.title).put("body", pr.body);
                node.putNull("closed_at");
                if (pr.merged) {
                    node.put("merged_at", "2026-11-25T12:00:00Z");
                } else {
                    node.putNull("merged_at");
                }
                node.putObject("head").put("ref", pr.head).put("label", owner + ":" + pr.head);
                node.putObject("base").put("ref", pr.base).put("label", owner + ":" + pr.base);
                node.putObject("user").put("login", "tuner-bot");
            }
            case GITLAB -> {
                node.put("id", 1000 + pr.number).put("iid", pr.number).put("project_id", 7)
                        .put("web_url", web + "/-/merge_requests/" + pr.number)
                        .put("state", pr.merged ? "merged" : pr.open ? "opened" : "closed")
                        .put("title", pr.title).put("description", pr.body)
                        .put("source_branch", pr.head).put("target_branch", pr.base);
            }
            case GITEA -> {
                node.put("id", 1000 + pr.number).put("number", pr.number)
                        .put("html_url", web + "/pulls/" + pr.number)
                        .put("state", pr.open ? "open" : "closed").put("merged", pr.merged)
                        .put("title", pr.title).put("body", pr.body);
                if (pr.merged) {
                    node.put("merged_at", "2026-11-25T12:00:00Z");
                } else {
                    node.putNull("merged_at");
                }
                node.putObject("head").put("ref", pr.head).put("label", pr.head);
                node.putObject("base").put("ref", pr.base).put("label", pr.base);
            }
        }
        return node;
    }

    private boolean branchExists(String branch) {
        try (Repository repo = Git.open(bare.toFile()).getRepository()) {
            return repo.exactRef("refs/heads/" + branch) != null;
        } catch (IOException e) {
            return false;
        }
    }

    private static Map<String, String> params(String query) {
        Map<String, String> out = new LinkedHashMap<>();
        if (query != null) {
            for (String pair : query.split("&")) {
                int eq = pair.indexOf('=');
                out.put(URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8),
                        eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    private static void respond(HttpExchange ex, Answer answer) throws IOException {
        respond(ex, answer.status(), answer.body());
    }

    private static void respond(HttpExchange ex, int status, JsonNode body) throws IOException {
        byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
    }
}
