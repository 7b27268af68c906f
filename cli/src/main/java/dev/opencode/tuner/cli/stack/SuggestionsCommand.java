package dev.opencode.tuner.cli.stack;

import com.fasterxml.jackson.databind.JsonNode;
import dev.opencode.tuner.blocked.InstanceName;
import dev.opencode.tuner.cli.CliException;
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
        for (JsonNode i : root.path("instances")) {
            out().printf("%s / %s: %,d blocked events to %,d destinations%n", i.path("host").asText(),
                    i.path("instance").asText(), i.path("events").asLong(), i.path("destinations").asLong());
            for (JsonNode s : i.path("suggestions")) {
                count++;
                StringBuilder services = new StringBuilder();
                s.path("services").forEach(v -> services.append(services.isEmpty() ? "" : ",").append(v.asText()));
                String state = s.path("state").asText("pending");
                String mark = !state.equals("pending") ? "  (" + state + ")"
                        : s.path("stable").asBoolean(true) ? "" : "  (held back by the stabilisation rule)";
                if (s.path("kind").asText("add").equals("remove")) {
                    JsonNode r = s.path("removal");
                    out().printf("  %s  remove %-23s unused since %s, counter %,d packets%s%n", s.path("id").asText(),
                            s.path("cidr").asText(), r.path("unusedSince").asText(), r.path("packets").asLong(), mark);
                    continue;
                }
                out().printf("  %s  allow %-24s %,7d events  %d of %s addresses  %s%s%n", s.path("id").asText(),
                        s.path("cidr").asText(), s.path("events").asLong(), s.path("addresses").size(),
                        s.path("opens").asText(), services, mark);
            }
            for (JsonNode r : i.path("refused")) {
                out().printf("  %32s  refuse %-23s %,7d events  %s%n", "", r.path("address").asText(),
                        r.path("events").asLong(), r.path("reason").asText());
            }
        }
        out().printf("%d %s suggestion%s.%n", count, states.equals("pending,held") ? "pending" : states,
                count == 1 ? "" : "s");
        out().flush();
    }
}
