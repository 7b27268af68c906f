package dev.opencode.tuner.cli.export;

import com.fasterxml.jackson.databind.JsonNode;
import dev.opencode.tuner.cli.CliException;
import dev.opencode.tuner.stack.PartStatus;
import dev.opencode.tuner.stack.Stack;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The export lines of {@code ./tuner status}: whether export is on, and each host's last run, from the service. */
public final class ExportStatusLines {
    private ExportStatusLines() {
    }

    /** Prints nothing when the policy service is not running; a line saying why when its answer is unavailable. */
    public static void print(PrintWriter out, Path state, List<PartStatus> parts) {
        PartStatus policy = parts.stream().filter(p -> p.part().equals("policy") && p.healthy()).findFirst()
                .orElse(null);
        if (policy == null) {
            return;
        }
        JsonNode status;
        try {
            String password = Files.readString(Stack.policyStateDirectory(state).resolve("initial-admin-password"))
                    .strip();
            status = new PolicyClient(policy.address(), "admin", password).get("/api/v1/exports");
        } catch (IOException | CliException e) {
            out.println("Export: status unavailable (" + e.getMessage() + ")");
            return;
        }
        if (!status.path("enabled").asBoolean()) {
            out.println("Export: off (set tuner.policy.export.repository)");
            return;
        }
        out.println("Export: on" + (status.path("auto").asBoolean() ? ", automatic" : "")
                + (status.hasNonNull("forge") ? ", forge " + status.get("forge").asText() : ", no forge"));
        for (JsonNode h : status.path("hosts")) {
            StringBuilder line = new StringBuilder("  ").append(String.format("%-20s", h.path("host").asText()))
                    .append(' ').append(h.path("result").asText()).append(" at ").append(h.path("lastRun").asText());
            if (h.hasNonNull("commit")) {
                line.append(", commit ").append(h.get("commit").asText(), 0, 12);
            }
            if (h.has("pullRequest")) {
                line.append(", ").append(h.at("/pullRequest/url").asText()).append(" (")
                        .append(h.at("/pullRequest/state").asText()).append(')');
            }
            if (h.hasNonNull("lastError")) {
                line.append(", last error: ").append(h.get("lastError").asText());
            }
            out.println(line);
        }
    }
}
