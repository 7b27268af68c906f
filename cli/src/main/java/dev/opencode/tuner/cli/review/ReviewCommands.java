package dev.opencode.tuner.cli.review;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opencode.tuner.blocked.InstanceName;
import dev.opencode.tuner.cli.CliException;
import dev.opencode.tuner.cli.Text;
import dev.opencode.tuner.cli.Tuner;
import dev.opencode.tuner.cli.policy.PolicyApi;
import dev.opencode.tuner.cli.policy.PolicyApi.Role;
import dev.opencode.tuner.cli.policy.PolicyOptions;
import dev.opencode.tuner.cli.stack.StateDirectory;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ./tuner show|accept|reject|snooze|decisions|allowlist}: thin over the policy service's review API. */
public final class ReviewCommands {
    private static final ObjectMapper JSON = PolicyApi.json();
    private static final Pattern ID = Pattern.compile("[0-9a-fA-F]{32}|[0-9a-fA-F-]{36}");

    private ReviewCommands() {
    }

    enum Format { text, json }

    /** The options every review command shares: the service, the account, the stack's state. */
    abstract static class Common {
        @Spec
        CommandSpec spec;

        @Mixin
        PolicyOptions policy;

        @Option(names = "--state-dir", paramLabel = "DIR",
                description = "The stack's state, for the service's address and the local admin password (default:"
                        + " as ./tuner up).")
        Path stateDir;

        /** The service and the account (PolicyOptions' rule); close it. */
        PolicyApi client() {
            return policy.connect(StateDirectory.resolve(stateDir));
        }

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        PrintWriter err() {
            return spec.commandLine().getErr();
        }

        /** One suggestion's decision: the result line after the id, or a CliException. */
        interface Decide {
            String decide(PolicyApi api, String id);
        }

        /**
         * Decides each suggestion in turn and prints one line per id as it is made ({@code ID  accepted ...} on
         * stdout, {@code ID  failed: why} on stderr), then, for several ids, a summary naming the failed ones. A
         * refusal that concerns one suggestion (400, 404, 409, 422: decided already, an edit refused) fails that id
         * and the others go on; any other failure (the login, the service) stops at once. Exit 1 when one failed;
         * a single id fails as the refusal itself (its message and exit code).
         */
        int decideEach(List<String> ids, String verb, Decide decide) {
            ids.forEach(ReviewCommands::id);
            List<String> failed = new ArrayList<>();
            try (PolicyApi api = client()) {
                for (String id : ids) {
                    String line;
                    try {
                        line = decide.decide(api, id(id));
                    } catch (CliException e) {
                        if (ids.size() == 1 || !concernsOneSuggestion(e.httpStatus())) {
                            throw e;
                        }
                        failed.add(id);
                        err().printf("%s  failed: %s%n", id, e.getMessage());
                        err().flush();
                        continue;
                    }
                    out().printf("%s  %s%n", id, Text.paint(line, Text.Colour.GREEN));
                    out().flush(); // each decision as it is made: a later one may fail
                }
            }
            if (ids.size() > 1) {
                int done = ids.size() - failed.size();
                String summary = done + " " + verb + ", " + failed.size() + " failed"
                        + (failed.isEmpty() ? "." : ": " + String.join(" ", failed));
                (failed.isEmpty() ? out() : err()).println(summary);
                (failed.isEmpty() ? out() : err()).flush();
            }
            return failed.isEmpty() ? 0 : Tuner.EXIT_INPUT;
        }

        private static boolean concernsOneSuggestion(int status) {
            return status == 400 || status == 404 || status == 409 || status == 422;
        }

        void print(JsonNode json) {
            try {
                out().println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(json));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            out().flush();
        }
    }

    static String id(String id) {
        if (!ID.matcher(id).matches()) {
            throw CliException.usage("'" + id + "' is not a suggestion id (32 hex digits, as ./tuner suggestions"
                    + " prints them)");
        }
        return id.toLowerCase(java.util.Locale.ROOT);
    }

    static String query(Map<String, String> parameters) {
        StringBuilder q = new StringBuilder();
        parameters.forEach((k, v) -> {
            if (v != null) {
                q.append(q.isEmpty() ? "?" : "&").append(k).append('=').append(URLEncoder.encode(v,
                        StandardCharsets.UTF_8));
            }
        });
        return q.toString();
    }

    /** A decision's CIDR: {@code X}, or {@code suggested X -> decided Y} when the reviewer edited it. */
    static String decided(JsonNode decision) {
        String cidr = decision.path("cidr").asText();
        JsonNode decided = decision.path("decidedCidr");
        return decided.isTextual() && !decided.asText().equals(cidr)
                ? "suggested " + cidr + " -> decided " + decided.asText() : cidr;
    }

    static String join(JsonNode array) {
        StringBuilder text = new StringBuilder();
        array.forEach(v -> text.append(text.isEmpty() ? "" : ",").append(v.asText()));
        return text.toString();
    }

    static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    @Command(name = "accept", mixinStandardHelpOptions = true,
            description = "Accepts suggestions (with four-eyes on, the first accept is an approval).")
    public static final class Accept extends Common implements Callable<Integer> {
        @Parameters(paramLabel = "ID", arity = "1..*", description = "The suggestions' ids.")
        List<String> ids;

        @Option(names = "--cidr", paramLabel = "CIDR",
                description = "Accept this CIDR instead (narrower or wider, within the guardrails); one ID only.")
        String cidr;

        @Option(names = "--comment", paramLabel = "TEXT", description = "Why.")
        String comment;

        @Override
        public Integer call() {
            if (cidr != null && ids.size() != 1) {
                throw CliException.usage("--cidr edits one suggestion: give exactly one ID");
            }
            return decideEach(ids, "accepted", (api, id) -> {
                Map<String, String> body = new LinkedHashMap<>();
                body.put("comment", comment);
                body.put("cidr", cidr);
                JsonNode r = api.post("/api/v1/suggestions/" + id + "/accept", body, Role.REVIEWER);
                JsonNode s = r.path("suggestion");
                if (r.path("approvalsNeeded").asInt() > 0) {
                    return String.format("approved %s: %d more approval needed from another reviewer",
                            r.path("decision").path("decidedCidr").asText(), r.path("approvalsNeeded").asInt());
                }
                if (s.path("kind").asText("add").equals("remove")) {
                    return "accepted the removal of " + s.path("cidr").asText() + ": announced in the next export,"
                            + " removed after the notice period";
                }
                return "accepted " + s.path("acceptedCidr").asText();
            });
        }
    }

    @Command(name = "reject", mixinStandardHelpOptions = true,
            description = "Rejects suggestions; the destination is not suggested again unless a new port is seen.")
    public static final class Reject extends Common implements Callable<Integer> {
        @Parameters(paramLabel = "ID", arity = "1..*", description = "The suggestions' ids.")
        List<String> ids;

        @Option(names = "--comment", paramLabel = "TEXT", required = true, description = "Why (required).")
        String comment;

        @Override
        public Integer call() {
            if (comment.isBlank()) {
                throw CliException.usage("--comment must say why");
            }
            return decideEach(ids, "rejected", (api, id) -> "rejected " + api.post("/api/v1/suggestions/" + id
                    + "/reject", Map.of("comment", comment), Role.REVIEWER).path("suggestion").path("cidr").asText());
        }
    }

    @Command(name = "snooze", mixinStandardHelpOptions = true,
            description = "Hides a suggestion from the pending list until a time.")
    public static final class Snooze extends Common implements Callable<Integer> {
        private static final Pattern RELATIVE = Pattern.compile("\\+?(\\d{1,6})\\s*(m|h|d|w)");

        @Parameters(paramLabel = "ID", description = "The suggestion's id.")
        String id;

        @Option(names = "--until", paramLabel = "TIME", required = true,
                description = "2026-12-01T00:00:00Z, or from now: 30m, 12h, 7d, 2w.")
        String until;

        @Option(names = "--comment", paramLabel = "TEXT", description = "Why.")
        String comment;

        @Override
        public Integer call() {
            Instant time = until(until, Instant.now());
            Map<String, String> body = new LinkedHashMap<>();
            body.put("until", time.toString());
            body.put("comment", comment);
            String path = "/api/v1/suggestions/" + id(id) + "/snooze";
            JsonNode r;
            try (PolicyApi api = client()) {
                r = api.post(path, body, Role.REVIEWER);
            }
            out().printf("%s  snoozed %s until %s%n", id, r.path("suggestion").path("cidr").asText(),
                    r.path("suggestion").path("snoozedUntil").asText());
            out().flush();
            return 0;
        }

        static Instant until(String text, Instant now) {
            Matcher m = RELATIVE.matcher(text.strip());
            if (m.matches()) {
                long n = Long.parseLong(m.group(1));
                Duration d = switch (m.group(2)) {
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    case "d" -> Duration.ofDays(n);
                    default -> Duration.ofDays(7 * n);
                };
                return now.plus(d);
            }
            try {
                return OffsetDateTime.parse(text.strip()).toInstant();
            } catch (DateTimeParseException e) {
                throw CliException.usage("--until '" + text + "' is not a time: expected 2026-12-01T00:00:00Z, or"
                        + " from now 30m, 12h, 7d, 2w");
            }
        }
    }

    @Command(name = "decisions", mixinStandardHelpOptions = true,
            description = "The audit trail: who decided what, when and why, newest first.")
    public static final class Decisions extends Common implements Callable<Integer> {
        @Option(names = "--host", paramLabel = "HOST", description = "Only this host.")
        String host;

        @Option(names = "--instance", paramLabel = "NAME", description = "Only this instance.")
        String instance;

        @Option(names = "--limit", paramLabel = "N", defaultValue = "200", description = "At most N (default 200).")
        int limit;

        @Option(names = "--format", defaultValue = "text", description = "text (default) or json.")
        Format format;

        @Override
        public Integer call() {
            if (instance != null && !InstanceName.isValid(instance)) {
                throw CliException.usage("--instance '" + instance + "' is not an instance name: " + InstanceName.RULE);
            }
            Map<String, String> q = new LinkedHashMap<>();
            q.put("host", host);
            q.put("instance", instance);
            q.put("limit", String.valueOf(limit));
            JsonNode d;
            try (PolicyApi api = client()) {
                d = api.get("/api/v1/decisions" + query(q), Role.VIEWER);
            }
            if (format == Format.json) {
                print(d);
                return 0;
            }
            for (JsonNode e : d.path("decisions")) {
                out().printf("%s  %-8s %-24s %s / %s  by %s%s%n", e.path("decidedAt").asText(),
                        e.path("outcome").asText(), decided(e), e.path("host").asText(), e.path("instance").asText(),
                        e.path("actor").asText(), e.path("comment").isNull() ? "" : ": " + e.path("comment").asText());
            }
            out().printf("%d decision%s.%n", d.path("decisions").size(), d.path("decisions").size() == 1 ? "" : "s");
            out().flush();
            return 0;
        }
    }

    @Command(name = "allowlist", mixinStandardHelpOptions = true,
            description = "A host's allowlist: the generated NixOS module (nix, default) or JSON.")
    public static final class Allowlist extends Common implements Callable<Integer> {
        enum AllowlistFormat { nix, json }

        @Option(names = "--host", paramLabel = "HOST", required = true, description = "The host.")
        String host;

        @Option(names = "--format", defaultValue = "nix", description = "nix (default) or json.")
        AllowlistFormat format;

        @Override
        public Integer call() {
            try (PolicyApi api = client()) {
                if (format == AllowlistFormat.json) {
                    print(api.get("/api/v1/allowlists/" + encode(host), Role.VIEWER));
                } else {
                    out().print(api.getText("/api/v1/allowlists/" + encode(host) + "?format=nix", "text/plain",
                            Role.VIEWER));
                    out().flush();
                }
            }
            return 0;
        }
    }
}
