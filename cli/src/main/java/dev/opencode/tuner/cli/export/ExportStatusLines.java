package dev.opencode.tuner.cli.export;

import com.fasterxml.jackson.databind.JsonNode;
import dev.opencode.tuner.cli.CliException;
import dev.opencode.tuner.cli.Tuner;
import dev.opencode.tuner.cli.policy.PolicyApi;
import dev.opencode.tuner.cli.policy.PolicyOptions;
import dev.opencode.tuner.stack.PartStatus;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;

/** The export lines of {@code ./tuner status}: whether export is on, and each host's last run, from the service. */
public final class ExportStatusLines {
    private ExportStatusLines() {
    }

    /**
     * Asks the service and account of {@code policy} (PolicyOptions' rule; {@code parts} are the stack's, already
     * probed). Prints nothing when no service is named and the stack's is not running; a line saying why when the
     * answer is unavailable. A bad flag is still a usage error (exit 2).
     */
    public static void print(PrintWriter out, PolicyOptions policy, Path state, List<PartStatus> parts) {
        JsonNode status;
        try (PolicyApi api = policy.connectIfRunning(state, parts)) {
            if (api == null) {
                return;
            }
            status = api.get("/api/v1/exports", PolicyApi.Role.VIEWER);
        } catch (CliException e) {
            if (e.exitCode() == Tuner.EXIT_USAGE) {
                throw e;
            }
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
