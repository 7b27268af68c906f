package dev.opencode.tuner.cli.review;

import static dev.opencode.tuner.cli.review.ReviewCommands.decided;
import static dev.opencode.tuner.cli.review.ReviewCommands.id;
import static dev.opencode.tuner.cli.review.ReviewCommands.join;
import static dev.opencode.tuner.cli.review.ReviewCommands.query;

import com.fasterxml.jackson.databind.JsonNode;
import dev.opencode.tuner.cli.Text;
import dev.opencode.tuner.cli.policy.PolicyApi;
import dev.opencode.tuner.cli.policy.PolicyApi.Role;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "show", mixinStandardHelpOptions = true,
        description = "One suggestion: its evidence, what it opens, the impact preview, earlier decisions and"
                + " the diff of the host's generated Nix file.")
public final class ShowCommand extends ReviewCommands.Common implements Callable<Integer> {
    @Parameters(paramLabel = "ID", description = "The suggestion's id.")
    String id;

    @Option(names = "--cidr", paramLabel = "CIDR", description = "Preview an edited CIDR.")
    String cidr;

    @Option(names = "--format", defaultValue = "text", description = "text (default) or json.")
    ReviewCommands.Format format;

    @Override
    public Integer call() {
        Map<String, String> q = new LinkedHashMap<>();
        q.put("cidr", cidr);
        String path = "/api/v1/suggestions/" + id(id) + query(q);
        JsonNode d;
        try (PolicyApi api = client()) {
            d = api.get(path, Role.VIEWER);
        }
        if (format == ReviewCommands.Format.json) {
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
        String opens = d.path("opens").asText();
        out.printf("opens %s %s, %,d observed; %s, %s%n", opens, opens.equals("1") ? "address" : "addresses",
                d.path("observed").asInt(), Text.count(s.path("events").asLong(), "event"),
                join(s.path("services")));
        int width = 1;
        for (JsonNode a : s.path("addresses")) {
            width = Math.max(width, Text.width(a.path("events").asLong()));
        }
        for (JsonNode a : s.path("addresses")) {
            long events = a.path("events").asLong();
            out.printf("  %-39s %," + width + "d %-6s  %-12s first %s  last %s  from %s%n",
                    a.path("address").asText(), events, events == 1 ? "event" : "events", join(a.path("ports")),
                    a.path("firstSeen").asText(), a.path("lastSeen").asText(), join(a.path("sampleSources")));
        }
        JsonNode rejection = s.path("earlierRejection");
        if (!rejection.isMissingNode() && !rejection.isNull()) {
            out.printf("rejected before by %s at %s: %s%n", rejection.path("actor").asText(),
                    rejection.path("decidedAt").asText(), rejection.path("comment").asText());
        }
        JsonNode i = d.path("impact");
        int stay = i.path("staysBlockedDestinations").asInt();
        out.printf("impact over %s: of %s, this allows %,d, the pending patch %,d; %s %s blocked%n",
                Text.count(i.path("days").asInt(), "day"), Text.count(i.path("blockedEvents").asLong(),
                        "blocked event"), i.path("allowedBySuggestion").asLong(), i.path("allowedByPatch").asLong(),
                Text.count(stay, "destination"), stay == 1 ? "stays" : "stay");
        for (JsonNode e : d.path("earlierDecisions")) {
            out.printf("earlier: %s %s by %s at %s: %s%n", e.path("outcome").asText(), decided(e),
                    e.path("actor").asText(), e.path("decidedAt").asText(), e.path("comment").asText(""));
        }
        out.print(d.path("diff").asText());
        out.flush();
        return 0;
    }
}
