package dev.opencode.tuner.export.forge;

import dev.opencode.tuner.blocked.Untrusted;
import dev.opencode.tuner.export.AcceptedEntry;
import dev.opencode.tuner.export.ExportPlan;
import dev.opencode.tuner.export.RemovalNotice;
import dev.opencode.tuner.export.UnusedHandWrittenEntry;
import dev.opencode.tuner.suggest.Cidrs;
import inet.ipaddr.IPAddress;
import java.math.BigInteger;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.List;

/**
 * The title and body of a host's pull request: a table of the entries (added or kept), their evidence, how many
 * addresses each opens, who accepted them with their comment, and a link back to the review UI. Deterministic: the
 * same plan gives the same text, so an export with nothing new writes nothing to the forge.
 */
public final class PullRequestBody {
    /** The marker on the first line, so a person can tell the bot's pull requests apart. */
    public static final String MARKER = "<!-- opencode-egress-tuner -->";

    private PullRequestBody() {
    }

    public static String title(ExportPlan plan) {
        return plan.message().lines().findFirst().orElse("opencode-egress: allowlist of " + plan.export().host());
    }

    /**
     * @param reviewUrlTemplate a URL with {@code {id}} for the suggestion id (e.g.
     *        {@code https://tuner.example.org/ui/suggestions/{id}}), or null for no links
     */
    public static String body(ExportPlan plan, ForgeKind forge, String reviewUrlTemplate) {
        String host = plan.export().host();
        StringBuilder out = new StringBuilder();
        out.append(MARKER).append('\n');
        out.append("Allowlist entries for **").append(cell(host)).append("**, accepted in the review of "
                + "opencode-egress-tuner. This changes only `").append(plan.path()).append("`.\n\n");
        out.append("- **Merge** and deploy to put them in force; the entries are then marked `merged`.\n");
        out.append("- **Close without merging** to reject the entries this adds (and the removals it announces or"
                + " makes): they are recorded as rejected by `forge:")
                .append(forge.label()).append("` and not suggested again.\n");
        out.append("- Do not push to this branch: the exporter leaves a branch with other people's commits alone.\n\n");
        out.append("| | instance | CIDR | opens | evidence | accepted by | comment |\n");
        out.append("|---|---|---|---|---|---|---|\n");
        List<AcceptedEntry> entries = plan.export().entries().stream()
                .sorted(Comparator.comparing(AcceptedEntry::instance)
                        .thenComparing(e -> Cidrs.parse(e.cidr())))
                .toList();
        for (AcceptedEntry e : entries) {
            boolean added = plan.diff().contains("+    \"" + e.cidr() + "\"\n");
            out.append("| ").append(added ? "added" : "kept").append(" | ").append(cell(e.instance())).append(" | `")
                    .append(e.cidr()).append("` | ").append(opens(e.cidr())).append(" | ").append(cell(e.evidence()))
                    .append(" | ").append(cell(e.acceptedBy())).append(' ')
                    .append(e.acceptedAt().truncatedTo(ChronoUnit.DAYS).toString(), 0, 10).append(" | ")
                    .append(e.comment() == null ? "" : cell(e.comment()));
            if (reviewUrlTemplate != null && e.suggestionId() != null) {
                out.append(" [review](").append(reviewUrlTemplate.replace("{id}", urlPart(e.suggestionId()))).append(')');
            }
            out.append(" |\n");
        }
        List<RemovalNotice> removals = plan.export().removals().stream()
                .sorted(Comparator.comparing(RemovalNotice::instance).thenComparing(n -> Cidrs.parse(n.cidr())))
                .toList();
        if (!removals.isEmpty()) {
            out.append("\n**Removals** of entries whose counter on the host has not moved (accepted in the review). An"
                    + " announced entry stays in the file until the date shown; if the host reports it in use before"
                    + " then, the removal is withdrawn and the entry stays.\n\n");
            out.append("| | instance | CIDR | unused since | removal accepted by | comment |\n");
            out.append("|---|---|---|---|---|---|\n");
            for (RemovalNotice n : removals) {
                out.append("| ").append(n.removed() ? "removed" : "will be removed after " + n.removeAfter())
                        .append(" | ").append(cell(n.instance())).append(" | `").append(n.cidr()).append("` | ")
                        .append(n.unusedSince() == null ? "" : n.unusedSince().truncatedTo(ChronoUnit.SECONDS)
                                .toString())
                        .append(" | ").append(cell(n.acceptedBy())).append(" | ")
                        .append(n.comment() == null ? "" : cell(n.comment()));
                if (reviewUrlTemplate != null && n.suggestionId() != null) {
                    out.append(" [review](").append(reviewUrlTemplate.replace("{id}", urlPart(n.suggestionId())))
                            .append(')');
                }
                out.append(" |\n");
            }
        }
        List<UnusedHandWrittenEntry> handWritten = plan.export().unusedHandWritten().stream()
                .sorted(Comparator.comparing(UnusedHandWrittenEntry::instance).thenComparing(e -> Cidrs.parse(e.cidr())))
                .toList();
        if (!handWritten.isEmpty()) {
            out.append("\n**Unused hand-written entries**: the host allows them from your own files, not from this"
                    + " one, and their counters have not moved. The exporter never removes them: remove them by hand"
                    + " if they are no longer needed.\n\n");
            out.append("| instance | CIDR | unused since | packets |\n");
            out.append("|---|---|---|---|\n");
            for (UnusedHandWrittenEntry e : handWritten) {
                out.append("| ").append(cell(e.instance())).append(" | `").append(e.cidr()).append("` | ")
                        .append(e.unusedSince() == null ? "" : e.unusedSince().truncatedTo(ChronoUnit.SECONDS)
                                .toString())
                        .append(" | ").append(e.packets()).append(" |\n");
            }
        }
        out.append("\nGenerated by opencode-egress-tuner; the branch is `").append(plan.branch())
                .append("`, the target `").append(plan.defaultBranch()).append("`.\n");
        return out.toString();
    }

    /** {@code 256 addresses}, or {@code 2^64 addresses} for large IPv6 blocks. */
    static String opens(String cidr) {
        IPAddress block = Cidrs.parse(cidr);
        int hostBits = block.getBitCount() - block.getNetworkPrefixLength();
        if (hostBits > 20) {
            return "2^" + hostBits + " addresses";
        }
        BigInteger n = BigInteger.ONE.shiftLeft(hostBits);
        return n.equals(BigInteger.ONE) ? "1 address" : n + " addresses";
    }

    /**
     * Untrusted text in a Markdown table cell: one line, no cell break, no HTML, no mention or reference that would
     * notify someone ({@code @user}, {@code #123}), no code span or link syntax.
     */
    static String cell(String text) {
        if (text == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(text.length());
        Untrusted.visible(text).codePoints().forEach(c -> {
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '|' -> out.append("&#124;");
                case '@' -> out.append("&#64;");
                case '#' -> out.append("&#35;");
                case '`' -> out.append("&#96;");
                case '[' -> out.append("&#91;");
                case ']' -> out.append("&#93;");
                case '\\' -> out.append("&#92;");
                case '*', '_', '~' -> out.append("&#").append(c).append(';');
                default -> out.appendCodePoint(c);
            }
        });
        return out.toString().strip();
    }

    private static String urlPart(String id) {
        return java.net.URLEncoder.encode(id, java.nio.charset.StandardCharsets.UTF_8);
    }
}
