package dev.opencode.tuner.cli.stack;

import com.fasterxml.jackson.databind.JsonNode;
import dev.opencode.tuner.blocked.InstanceName;
import dev.opencode.tuner.cli.CliException;
import dev.opencode.tuner.cli.Text;
import dev.opencode.tuner.cli.policy.PolicyApi;
import dev.opencode.tuner.cli.policy.PolicyOptions;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ./tuner suggestions}: the open suggestions of the policy service (PolicyOptions' service and account). */
@Command(name = "suggestions", mixinStandardHelpOptions = true,
        description = "Asks the policy service (by default the one ./tuner up runs) for its open suggestions.")
public final class SuggestionsCommand extends StackCommands.Common implements Callable<Integer> {
    enum Format { text, json }

    @Option(names = "--host", paramLabel = "HOST", description = "Only this host.")
    String host;

    @Option(names = "--instance", paramLabel = "NAME", description = "Only this instance.")
    String instance;

    @Option(names = "--format", defaultValue = "text", description = "text (default) or json.")
    Format format;

    @Option(names = "--state", paramLabel = "STATES", defaultValue = "pending,held",
            description = "Comma-separated review states (default: ${DEFAULT-VALUE}, every open suggestion; held ="
                    + " pending but held back by the stabilisation rule): pending, held, accepted, rejected, snoozed,"
                    + " superseded, exported, merged, deployed, removed, all. Removal suggestions print as 'remove'.")
    String states;

    @Mixin
    PolicyOptions policy;

    @Override
    public Integer call() {
        if (instance != null && !InstanceName.isValid(instance)) {
            throw CliException.usage("--instance '" + instance + "' is not an instance name: " + InstanceName.RULE);
        }
        StringBuilder query = new StringBuilder();
        if (host != null) {
            query.append(query.isEmpty() ? "?" : "&").append("host=").append(URLEncoder.encode(host, StandardCharsets.UTF_8));
        }
        if (instance != null) {
            query.append(query.isEmpty() ? "?" : "&").append("instance=").append(instance);
        }
        query.append(query.isEmpty() ? "?" : "&").append("state=").append(URLEncoder.encode(states,
                StandardCharsets.UTF_8));
        JsonNode answer;
        try (PolicyApi api = policy.connect(state())) {
            answer = api.get("/api/v1/suggestions" + query, PolicyApi.Role.VIEWER);
        }
        if (format == Format.json) {
            out().println(answer);
            out().flush();
            return 0;
        }
        printText(answer);
        return 0;
    }

    private void printText(JsonNode root) {
        int count = 0;
        int held = 0;
        int width = 1;
        for (JsonNode i : root.path("instances")) {
            for (JsonNode s : i.path("suggestions")) {
                width = Math.max(width, Text.width(s.path("events").asLong()));
            }
            for (JsonNode r : i.path("refused")) {
                width = Math.max(width, Text.width(r.path("events").asLong()));
            }
        }
        for (JsonNode i : root.path("instances")) {
            out().printf("%s / %s: %s to %s%n", i.path("host").asText(), i.path("instance").asText(),
                    Text.count(i.path("events").asLong(), "blocked event"),
                    Text.count(i.path("destinations").asLong(), "destination"));
            for (JsonNode s : i.path("suggestions")) {
                count++;
                if (s.path("state").asText("pending").equals("pending") && !s.path("stable").asBoolean(true)) {
                    held++;
                }
                StringBuilder services = new StringBuilder();
                s.path("services").forEach(v -> services.append(services.isEmpty() ? "" : ",").append(v.asText()));
                String state = s.path("state").asText("pending");
                String mark = !state.equals("pending") ? "  (" + state + ")"
                        : s.path("stable").asBoolean(true) ? ""
                        : "  " + Text.paint("(held back by the stabilisation rule)", Text.Colour.YELLOW);
                if (s.path("kind").asText("add").equals("remove")) {
                    JsonNode r = s.path("removal");
                    out().printf("  %s  remove %-23s unused since %s, counter %,d packets%s%n", s.path("id").asText(),
                            s.path("cidr").asText(), r.path("unusedSince").asText(), r.path("packets").asLong(), mark);
                    continue;
                }
                long events = s.path("events").asLong();
                String opens = s.path("opens").asText();
                out().printf("  %s  %s %-24s %," + width + "d %-6s  %d of %s %s  %s%s%n", s.path("id").asText(),
                        Text.paint("allow", Text.Colour.GREEN), s.path("cidr").asText(), events,
                        events == 1 ? "event" : "events", s.path("addresses").size(), opens,
                        opens.equals("1") ? "address" : "addresses", services, mark);
            }
            for (JsonNode r : i.path("refused")) {
                long events = r.path("events").asLong();
                out().printf("  %32s  %s %-23s %," + width + "d %-6s  %s%n", "", Text.paint("refuse", Text.Colour.RED),
                        r.path("address").asText(), events, events == 1 ? "event" : "events",
                        r.path("reason").asText());
            }
        }
        if (states.equals("pending,held")) {
            // Counted as the review UI counts them: pending and past the stabilisation rule; the held ones apart.
            int pending = count - held;
            out().printf("%d pending suggestion%s%s.%n", pending, pending == 1 ? "" : "s",
                    held == 0 ? "" : "; " + held + " more held back by the stabilisation rule");
        } else {
            out().printf("%d %s suggestion%s.%n", count, states, count == 1 ? "" : "s");
        }
        out().flush();
    }
}
