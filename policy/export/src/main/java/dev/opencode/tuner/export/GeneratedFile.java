package dev.opencode.tuner.export;

import dev.opencode.tuner.blocked.Untrusted;
import dev.opencode.tuner.nix.AllowlistRenderer;
import dev.opencode.tuner.nix.AllowlistRenderer.Line;
import dev.opencode.tuner.nix.AllowlistRenderer.InstanceAllowlist;
import dev.opencode.tuner.suggest.Cidrs;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where the generated allowlist module of a host lives in the operator's repository, and its text. The text depends
 * only on the entries (sorted by instance, then by address), so an export with nothing new renders the same bytes.
 */
public final class GeneratedFile {
    public static final String HOST_PLACEHOLDER = "<host>";
    public static final String DEFAULT_PATH_TEMPLATE = "hosts/<host>/opencode-egress-allowlist.nix";

    private static final AllowlistRenderer RENDERER = new AllowlistRenderer();
    private final String pathTemplate;

    /**
     * @param pathTemplate a relative path with {@code <host>} in it, e.g. {@value #DEFAULT_PATH_TEMPLATE}
     * @throws IllegalArgumentException naming the template and the fix when it could leave the repository or does not
     *         name the host
     */
    public GeneratedFile(String pathTemplate) {
        this.pathTemplate = requireTemplate(pathTemplate);
    }

    static String requireTemplate(String template) {
        String problem = null;
        if (template == null || template.isBlank()) {
            problem = "is empty";
        } else if (!template.contains(HOST_PLACEHOLDER)) {
            problem = "does not contain " + HOST_PLACEHOLDER + " (one file per host)";
        } else if (template.startsWith("/") || template.contains("\\")) {
            problem = "must be a path relative to the repository root, with '/' as separator";
        } else if (!template.endsWith(".nix")) {
            problem = "must end in .nix";
        } else {
            for (String segment : template.split("/", -1)) {
                if (segment.isEmpty() || segment.equals(".") || segment.equals("..") || segment.equals(".git")) {
                    problem = "has an empty, '.', '..' or '.git' path segment";
                    break;
                }
            }
            for (int i = 0; i < template.length() && problem == null; i++) {
                char c = template.charAt(i);
                if (c < 0x20 || c == 0x7f) {
                    problem = "contains a control character";
                }
            }
        }
        if (problem != null) {
            throw new IllegalArgumentException("path template " + (template == null ? "null" : Untrusted.quote(template))
                    + " " + problem + ": use e.g. " + DEFAULT_PATH_TEMPLATE);
        }
        return template;
    }

    /** The file's path in the repository for {@code host}. */
    public String path(String host) {
        return pathTemplate.replace(HOST_PLACEHOLDER, HostNames.require(host));
    }

    /** The module for the host: one list per instance, one entry per CIDR with its evidence as a comment. */
    public String render(HostExport export) {
        Map<String, List<AcceptedEntry>> byInstance = new TreeMap<>();
        for (AcceptedEntry entry : export.entries()) {
            byInstance.computeIfAbsent(entry.instance(), k -> new ArrayList<>()).add(entry);
        }
        List<InstanceAllowlist> instances = new ArrayList<>();
        for (Map.Entry<String, List<AcceptedEntry>> instance : byInstance.entrySet()) {
            List<AcceptedEntry> sorted = new ArrayList<>(instance.getValue());
            sorted.sort(Comparator.comparing((AcceptedEntry e) -> Cidrs.parse(e.cidr())));
            List<Line> entries = new ArrayList<>();
            String previous = null;
            for (AcceptedEntry entry : sorted) {
                if (entry.cidr().equals(previous)) {
                    continue; // the same CIDR decided twice: Nix would accept it, but the list is clearer without
                }
                previous = entry.cidr();
                RemovalNotice removal = export.announced(entry.instance(), entry.cidr());
                entries.add(new Line(entry.cidr(), removal == null ? comment(entry)
                        : comment(entry) + "; " + announcement(removal)));
            }
            instances.add(new InstanceAllowlist(instance.getKey(), entries));
        }
        return RENDERER.render(export.host(), instances, List.of(
                "Written by the exporter on branch " + GitExporter.BRANCH_PREFIX + export.host()
                        + ": do not edit by hand, the next export overwrites it.",
                "To change it, accept or reject suggestions in the review UI (the entries in force by decision)."));
    }

    /** {@code to be removed after 2026-12-11T14:03:05Z: unused since ..., removal accepted by bob}. */
    public static String announcement(RemovalNotice removal) {
        return "to be removed after " + removal.removeAfter() + ": unused since "
                + (removal.unusedSince() == null ? "?" : removal.unusedSince().truncatedTo(ChronoUnit.SECONDS))
                + ", removal accepted by " + removal.acceptedBy();
    }

    /** {@code accepted by alice 2026-11-25: 12 events, tcp/443, ...}. */
    static String comment(AcceptedEntry entry) {
        return "accepted by " + entry.acceptedBy() + " " + entry.acceptedAt().truncatedTo(ChronoUnit.DAYS)
                .toString().substring(0, 10) + (entry.evidence().isEmpty() ? "" : ": " + entry.evidence());
    }
}
