package dev.opencode.tuner.policy.app.review;

import com.github.difflib.DiffUtils;
import com.github.difflib.UnifiedDiffUtils;
import com.github.difflib.patch.Patch;
import dev.opencode.tuner.export.AcceptedEntry;
import dev.opencode.tuner.export.GeneratedFile;
import dev.opencode.tuner.export.HostExport;
import dev.opencode.tuner.export.HostNames;
import dev.opencode.tuner.nix.AllowlistRenderer;
import dev.opencode.tuner.suggest.Cidrs;
import java.math.BigInteger;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The host's generated Nix allowlist file, exactly as the exporter writes it ({@link GeneratedFile}, rendered by the
 * core's {@link AllowlistRenderer}): per instance, the CIDRs in force by decision, sorted by address, each under who
 * accepted it and its evidence. No name or comment can change what the file evaluates to.
 */
public final class AllowlistFiles {
    private static final GeneratedFile FILE = new GeneratedFile(GeneratedFile.DEFAULT_PATH_TEMPLATE);
    private static final AllowlistRenderer RENDERER = new AllowlistRenderer();

    /** One CIDR in force (or previewed) for an instance. */
    public record Line(String instance, String cidr, String suggestionId, String acceptedBy, Instant acceptedAt,
                       String comment, String evidence) {
    }

    private AllowlistFiles() {
    }

    public static String render(String host, List<Line> lines) {
        if (HostNames.isValid(host)) {
            List<AcceptedEntry> entries = new ArrayList<>();
            for (Line l : lines) {
                entries.add(new AcceptedEntry(l.instance(), l.cidr(), l.suggestionId(), l.acceptedBy(), l.acceptedAt(),
                        l.comment(), l.evidence()));
            }
            return FILE.render(new HostExport(host, entries));
        }
        // A host name the exporter refuses (it would never write a file for it): the core's renderer alone.
        Map<String, List<AllowlistRenderer.Line>> byInstance = new TreeMap<>();
        List<Line> sorted = new ArrayList<>(lines);
        sorted.sort(java.util.Comparator.comparing((Line l) -> Cidrs.parse(l.cidr())));
        for (Line l : sorted) {
            byInstance.computeIfAbsent(l.instance(), k -> new ArrayList<>()).add(new AllowlistRenderer.Line(
                    Cidrs.format(Cidrs.parse(l.cidr())), "accepted by " + l.acceptedBy() + ": " + l.evidence()));
        }
        List<AllowlistRenderer.InstanceAllowlist> instances = new ArrayList<>();
        byInstance.forEach((i, e) -> instances.add(new AllowlistRenderer.InstanceAllowlist(i, e)));
        return RENDERER.render(host, instances);
    }

    /** The file's path in the operator's repository (the exporter's default), or {@code <host>.nix}. */
    public static String path(String host) {
        return HostNames.isValid(host) ? FILE.path(host) : host.replaceAll("[^A-Za-z0-9._-]", "_") + ".nix";
    }

    /** The unified diff from one rendering to another (empty when equal). */
    public static String diff(String host, String before, String after) {
        List<String> a = before.lines().toList();
        List<String> b = after.lines().toList();
        Patch<String> patch = DiffUtils.diff(a, b);
        if (patch.getDeltas().isEmpty()) {
            return "";
        }
        String name = path(host);
        List<String> unified = UnifiedDiffUtils.generateUnifiedDiff("a/" + name, "b/" + name, a, patch, 3);
        return String.join("\n", unified) + "\n";
    }

    /** The lines of the accepted entries, without the one of the suggestion {@code without} (null: all of them). */
    static List<Line> lines(List<AcceptedEntryStore.Accepted> accepted, UUID without) {
        List<Line> lines = new ArrayList<>();
        for (AcceptedEntryStore.Accepted a : accepted) {
            if (!a.suggestionId().equals(without)) {
                lines.add(a.line());
            }
        }
        return lines;
    }

    /**
     * The diff a reviewer sees for a suggestion shown with {@code cidr}: the host's file without the suggestion,
     * and with it (as previewed, or as accepted); for a removal, the file as it is and without the entry.
     * {@code beforeAll} is the file of every accepted line, which is the file without the suggestion when it is
     * not accepted; a line not accepted yet is written as accepted by "(pending review)" at {@code now}, with the
     * evidence of {@code cidr} (the suggestion's destinations inside it).
     */
    static String preview(String host, String instance, String cidr, ReviewViews.ReviewSuggestion s, Instant now,
                          List<AcceptedEntryStore.Accepted> accepted, String beforeAll) {
        if (s.removal() != null) {
            // A removal: the file as it is, and without the entry (the addition it removes).
            UUID addition = s.removal().removes() == null ? null : ReviewIds.parse(s.removal().removes());
            return diff(host, beforeAll, render(host, lines(accepted, addition)));
        }
        UUID id = ReviewIds.parse(s.id());
        List<Line> before = lines(accepted, id);
        List<Line> after = new ArrayList<>(before);
        Line self = null;
        for (AcceptedEntryStore.Accepted a : accepted) {
            if (a.suggestionId().equals(id)) {
                self = a.line();
            }
        }
        String beforeText = self == null ? beforeAll : render(host, before);
        if (self == null || !self.cidr().equals(cidr)) {
            self = new Line(instance, cidr, s.id(), "(pending review)", now, null,
                    DecisionEvidence.line(DecisionEvidence.ofSuggestion(s, cidr)));
        }
        after.add(self);
        return diff(host, beforeText, render(host, after));
    }
}
