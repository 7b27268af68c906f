package dev.opencode.tuner.cli.stack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opencode.tuner.blocked.InstanceName;
import dev.opencode.tuner.cli.CliException;
import dev.opencode.tuner.stack.PartStatus;
import dev.opencode.tuner.stack.Stack;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./tuner suggestions}: the pending suggestions of the running policy service, with the local credentials. */
@Command(name = "suggestions", mixinStandardHelpOptions = true,
        description = "Asks the policy service started by ./tuner up for its pending suggestions.")
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

    @Option(names = "--user", defaultValue = "admin", description = "Account (default: ${DEFAULT-VALUE}).")
    String user;

    @Option(names = "--password-file", paramLabel = "FILE",
            description = "File holding the password (default: the admin password written at the first start).")
    Path passwordFile;

    @Override
    public Integer call() {
        if (instance != null && !InstanceName.isValid(instance)) {
            throw CliException.usage("--instance '" + instance + "' is not an instance name: " + InstanceName.RULE);
        }
        Path state = state();
        PartStatus policy = Stack.status(state).parts().stream().filter(p -> p.part().equals("policy")).findFirst()
                .filter(PartStatus::healthy)
                .orElseThrow(() -> CliException.input("the policy service is not running (state in " + state
                        + "): start it with ./tuner up", null));
        String password;
        String envUser = System.getenv("TUNER_USER");
        String envPassword = System.getenv("TUNER_PASSWORD");
        if (passwordFile == null && envUser != null && !envUser.isBlank() && envPassword != null
                && !envPassword.isEmpty()) {
            user = envUser; // as every review command: TUNER_USER/TUNER_PASSWORD when both are set
            password = envPassword;
        } else {
            Path file = passwordFile != null ? passwordFile
                    : Stack.policyStateDirectory(state).resolve("initial-admin-password");
            try {
                password = Files.readString(file).strip();
            } catch (IOException e) {
                throw CliException.input("cannot read the password from " + file + " (" + e.getMessage()
                        + "): pass --user and --password-file, or set TUNER_USER and TUNER_PASSWORD", e);
            }
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
        String body = get(policy.address() + "/api/v1/suggestions" + query, user, password);
        if (format == Format.json) {
            out().println(body);
            out().flush();
            return 0;
        }
        printText(body);
        return 0;
    }

    private static String get(String url, String user, String password) {
        String basic = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url))
                    .header("Authorization", "Basic " + basic).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 401 || r.statusCode() == 403) {
                throw CliException.input("the policy service refused the account '" + user + "' (" + r.statusCode()
                        + "): check --user and --password-file", null);
            }
            if (r.statusCode() != 200) {
                throw CliException.input("the policy service answered " + r.statusCode() + ": " + r.body(), null);
            }
            return r.body();
        } catch (IOException e) {
            throw CliException.input("cannot reach the policy service at " + url + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CliException.input("interrupted", e);
        }
    }

    private void printText(String body) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(body);
        } catch (IOException e) {
            throw CliException.input("the policy service answered something that is not JSON: " + e.getMessage(), e);
        }
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
