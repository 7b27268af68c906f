package dev.opencode.tuner.policy.app.review;

import com.github.difflib.DiffUtils;
import com.github.difflib.UnifiedDiffUtils;
import com.github.difflib.patch.Patch;
import dev.opencode.tuner.nix.AllowlistRenderer;
import dev.opencode.tuner.suggest.Cidrs;
import inet.ipaddr.IPAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The host's generated Nix allowlist file: one module per host listing, per instance, the CIDRs in force by decision
 * (the {@code accepted_entry} view), sorted by address, each with who accepted it as its comment. Rendered by the
 * core's {@link AllowlistRenderer}, so no name or comment can change what the file evaluates to.
 */
public final class AllowlistFiles {
    private static final AllowlistRenderer RENDERER = new AllowlistRenderer();

    /** One CIDR in force for an instance, with its comment. */
    public record Line(String instance, String cidr, String comment) {
    }

    private AllowlistFiles() {
    }

    public static String render(String host, List<Line> lines) {
        Map<String, Map<String, String>> byInstance = new TreeMap<>();
        List<Line> sorted = new ArrayList<>(lines);
        sorted.sort(Comparator.comparing((Line l) -> Cidrs.parse(l.cidr()), AllowlistFiles::compare));
        for (Line line : sorted) {
            // The same CIDR accepted twice (an edit that equals another suggestion) is listed once.
            byInstance.computeIfAbsent(line.instance(), k -> new LinkedHashMap<>())
                    .putIfAbsent(Cidrs.format(Cidrs.parse(line.cidr())), line.comment());
        }
        List<AllowlistRenderer.InstanceAllowlist> instances = new ArrayList<>();
        byInstance.forEach((instance, entries) -> {
            List<AllowlistRenderer.Entry> list = new ArrayList<>();
            entries.forEach((cidr, comment) -> list.add(new AllowlistRenderer.Entry(cidr, comment)));
            instances.add(new AllowlistRenderer.InstanceAllowlist(instance, list));
        });
        return RENDERER.render(host, instances);
    }

    /** The unified diff from one rendering to another (empty when equal). */
    public static String diff(String host, String before, String after) {
        List<String> a = before.lines().toList();
        List<String> b = after.lines().toList();
        Patch<String> patch = DiffUtils.diff(a, b);
        if (patch.getDeltas().isEmpty()) {
            return "";
        }
        String name = host.replaceAll("[^A-Za-z0-9._-]", "_") + ".nix";
        List<String> unified = UnifiedDiffUtils.generateUnifiedDiff("a/" + name, "b/" + name, a, patch, 3);
        return String.join("\n", unified) + "\n";
    }

    /** The comment of an accepted CIDR in the file: who and when, and why. */
    static String comment(String acceptedBy, String acceptedAt, String comment) {
        StringBuilder text = new StringBuilder("accepted by ").append(acceptedBy).append(' ').append(acceptedAt);
        if (comment != null && !comment.isBlank()) {
            text.append(": ").append(comment.strip());
        }
        return text.toString();
    }

    private static int compare(IPAddress a, IPAddress b) {
        if (a.isIPv4() != b.isIPv4()) {
            return a.isIPv4() ? -1 : 1;
        }
        return IPAddress.ADDRESS_LOW_VALUE_COMPARATOR.compare(a, b);
    }

    static Set<String> instances(List<Line> lines) {
        Set<String> names = new LinkedHashSet<>();
        lines.forEach(l -> names.add(l.instance()));
        return names;
    }
}
