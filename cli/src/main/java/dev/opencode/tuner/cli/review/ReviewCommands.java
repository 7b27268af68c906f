package dev.opencode.tuner.cli.review;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opencode.tuner.blocked.InstanceName;
import dev.opencode.tuner.cli.CliException;
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

    static String join(JsonNode array) {
        StringBuilder text = new StringBuilder();
        array.forEach(v -> text.append(text.isEmpty() ? "" : ",").append(v.asText()));
        return text.toString();
    }

    static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "One suggestion: its evidence, what it opens, the impact preview, earlier decisions and"
                    + " the diff of the host's generated Nix file.")
    public static final class Show extends Common implements Callable<Integer> {
        @Parameters(paramLabel = "ID", description = "The suggestion's id.")
        String id;

        @Option(names = "--cidr", paramLabel = "CIDR", description = "Preview an edited CIDR.")
        String cidr;

        @Option(names = "--format", defaultValue = "text", description = "text (default) or json.")
        Format format;

        @Override
        public Integer call() {
            Map<String, String> q = new LinkedHashMap<>();
            q.put("cidr", cidr);
            String path = "/api/v1/suggestions/" + id(id) + query(q);
            JsonNode d;
            try (PolicyApi api = client()) {
                d = api.get(path, Role.VIEWER);
            }
            if (format == Format.json) {
                print(d);
                return 0;
            }
            JsonNode s = d.path("suggestion");
            PrintWriter out = out();
            boolean removal = s.path("kind").asText("add").equals("remove");
            out.printf("%s  %s / %s  %s %s  (%s%s)%n", s.path("id").asText(), d.path("host").asText(),
                    d.path("instance").asText(), removal ? "remove" : "allow", s.path("cidr").asText(),
                    s.path("state").asText(), s.path("stable").asBoolean() ? "" : ", held back");
            if (removal) {
                JsonNode r = s.path("removal");
                out.printf("unused since %s: counter %,d packets, %s; announced %s, removed after %s%n",
                        r.path("unusedSince").asText(), r.path("packets").asLong(),
                        r.path("lastUsed").isNull() ? "never used" : "last used " + r.path("lastUsed").asText(),
                        r.path("announcedAt").isNull() ? "not yet" : r.path("announcedAt").asText(),
                        r.path("removeAfter").isNull() ? "(the announcement + the notice period)"
                                : r.path("removeAfter").asText());
            }
            out.printf("opens %s addresses, %d observed; %,d events, %s%n", d.path("opens").asText(),
                    d.path("observed").asInt(), s.path("events").asLong(), join(s.path("services")));
            for (JsonNode a : s.path("addresses")) {
                out.printf("  %-39s %,7d events  %-12s first %s  last %s  from %s%n", a.path("address").asText(),
                        a.path("events").asLong(), join(a.path("ports")), a.path("firstSeen").asText(),
                        a.path("lastSeen").asText(), join(a.path("sampleSources")));
            }
            JsonNode rejection = s.path("earlierRejection");
            if (!rejection.isMissingNode() && !rejection.isNull()) {
                out.printf("rejected before by %s at %s: %s%n", rejection.path("actor").asText(),
                        rejection.path("decidedAt").asText(), rejection.path("comment").asText());
            }
            JsonNode i = d.path("impact");
            out.printf("impact over %d days: of %,d blocked events, this allows %,d, the pending patch %,d; %,d"
                            + " destinations stay blocked%n", i.path("days").asInt(), i.path("blockedEvents").asLong(),
                    i.path("allowedBySuggestion").asLong(), i.path("allowedByPatch").asLong(),
                    i.path("staysBlockedDestinations").asInt());
            for (JsonNode e : d.path("earlierDecisions")) {
                out.printf("earlier: %s %s by %s at %s: %s%n", e.path("outcome").asText(), e.path("cidr").asText(),
                        e.path("actor").asText(), e.path("decidedAt").asText(), e.path("comment").asText(""));
            }
            out.print(d.path("diff").asText());
            out.flush();
            return 0;
        }
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
            ids.forEach(ReviewCommands::id);
            try (PolicyApi api = client()) {
                for (String id : ids) {
                    Map<String, String> body = new LinkedHashMap<>();
                    body.put("comment", comment);
                    body.put("cidr", cidr);
                    JsonNode r = api.post("/api/v1/suggestions/" + id(id) + "/accept", body, Role.REVIEWER);
                    JsonNode s = r.path("suggestion");
                    if (r.path("approvalsNeeded").asInt() > 0) {
                        out().printf("%s  approved %s: %d more approval needed from another reviewer%n", id,
                                r.path("decision").path("decidedCidr").asText(), r.path("approvalsNeeded").asInt());
                    } else if (s.path("kind").asText("add").equals("remove")) {
                        out().printf("%s  accepted the removal of %s: announced in the next export, removed after"
                                + " the notice period%n", id, s.path("cidr").asText());
                    } else {
                        out().printf("%s  accepted %s%n", id, s.path("acceptedCidr").asText());
                    }
                    out().flush(); // each decision as it is made: a later one may fail
                }
            }
            return 0;
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
            ids.forEach(ReviewCommands::id);
            try (PolicyApi api = client()) {
                for (String id : ids) {
                    JsonNode r = api.post("/api/v1/suggestions/" + id(id) + "/reject", Map.of("comment", comment),
                            Role.REVIEWER);
                    out().printf("%s  rejected %s%n", id, r.path("suggestion").path("cidr").asText());
                    out().flush(); // each decision as it is made: a later one may fail
                }
            }
            return 0;
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
                        e.path("outcome").asText(), e.path("decidedCidr").isNull() ? e.path("cidr").asText()
                                : e.path("decidedCidr").asText(), e.path("host").asText(), e.path("instance").asText(),
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
