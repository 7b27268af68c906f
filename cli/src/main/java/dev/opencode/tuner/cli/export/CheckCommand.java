package dev.opencode.tuner.cli.export;

import com.fasterxml.jackson.databind.JsonNode;
import dev.opencode.tuner.blocked.InstanceName;
import dev.opencode.tuner.blocked.Untrusted;
import dev.opencode.tuner.cli.CliException;
import dev.opencode.tuner.cli.DenyOption;
import dev.opencode.tuner.cli.nix.AllowlistModules;
import dev.opencode.tuner.suggest.Cidrs;
import dev.opencode.tuner.suggest.Denylist;
import dev.opencode.tuner.suggest.SuggestionPolicy;
import inet.ipaddr.IPAddress;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ./tuner check FILE.nix...}: a guardrail for the operator's CI, in the spirit of IAM Access Analyzer's
 * CheckAccessNotGranted / CheckNoNewAccess. Every allowlist module is evaluated by Nix; each entry must be a canonical
 * CIDR, no broader than the limits, and clear of the denylist.
 */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = {"Check allowlist modules (generated or hand-written) before they are merged: each entry of "
                + "services.opencode.instances.<name>.networkIsolation.outboundAllowCidrs must be a canonical CIDR, no "
                + "broader than the limits, and must not overlap the denylist.",
            "Exit 0 and a one-line summary when clean; 1 with one line per finding (file, instance, entry); 2 on a "
                + "usage error. Needs nix-instantiate (Debian: nix-bin)."})
public final class CheckCommand implements Callable<Integer> {
    static final int EXIT_FINDINGS = 1;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FILE.nix", arity = "1..*", description = "Allowlist modules to check.")
    List<Path> files;

    @Option(names = "--max-prefix4", paramLabel = "LEN", defaultValue = "" + SuggestionPolicy.BROADEST_PREFIX4,
            description = "The broadest IPv4 entry allowed: a prefix shorter than LEN is a finding (default: "
                    + "${DEFAULT-VALUE}, 0..32).")
    int maxPrefix4;

    @Option(names = "--max-prefix6", paramLabel = "LEN", defaultValue = "" + SuggestionPolicy.BROADEST_PREFIX6,
            description = "The broadest IPv6 entry allowed (default: ${DEFAULT-VALUE}, 0..128).")
    int maxPrefix6;

    @Option(names = "--deny", paramLabel = "CIDR",
            description = "An entry overlapping CIDR is a finding, in addition to the built-in denylist (repeatable).")
    List<String> deny;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (maxPrefix4 < 0 || maxPrefix4 > 32) {
            throw CliException.usage("--max-prefix4: " + maxPrefix4 + " is not a prefix length: use 0..32");
        }
        if (maxPrefix6 < 0 || maxPrefix6 > 128) {
            throw CliException.usage("--max-prefix6: " + maxPrefix6 + " is not a prefix length: use 0..128");
        }
        Denylist denylist = DenyOption.denylist(deny);
        for (Path file : files) {
            if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
                throw CliException.usage(file + " is not a readable file: give the allowlist modules to check");
            }
        }
        List<String> findings = new ArrayList<>();
        int entries = 0;
        for (Path file : files) {
            AllowlistModules.Evaluation evaluation;
            try {
                evaluation = AllowlistModules.evaluate(file);
            } catch (IOException e) {
                throw CliException.input("check needs nix-instantiate (Debian: apt-get install nix-bin): "
                        + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw CliException.input("interrupted while evaluating " + file, e);
            }
            if (evaluation.error() != null) {
                findings.add(file + ": does not evaluate as an allowlist module: " + evaluation.error());
                continue;
            }
            Iterator<Map.Entry<String, JsonNode>> instances = evaluation.instances().fields();
            while (instances.hasNext()) {
                Map.Entry<String, JsonNode> instance = instances.next();
                // Names and values are echoed only when valid: a module can fill them with any file it may read.
                boolean validName = InstanceName.isValid(instance.getKey());
                String where = file + ": instance " + (validName ? "'" + instance.getKey() + "'"
                        : "named by a string of " + instance.getKey().length() + " characters (not shown)");
                if (!validName) {
                    findings.add(where + ": not a valid instance name (" + InstanceName.RULE + ")");
                }
                if (!instance.getValue().isArray()) {
                    findings.add(where + ": outboundAllowCidrs is not a list");
                    continue;
                }
                for (JsonNode value : instance.getValue()) {
                    entries++;
                    check(where, value, denylist).ifPresent(findings::add);
                }
            }
        }
        for (String finding : findings) {
            out.println(finding);
        }
        String summary = files.size() + (files.size() == 1 ? " file, " : " files, ") + entries
                + (entries == 1 ? " entry" : " entries");
        if (findings.isEmpty()) {
            out.println("tuner check: " + summary + ", no findings");
            return 0;
        }
        out.println("tuner check: " + summary + ", " + findings.size()
                + (findings.size() == 1 ? " finding" : " findings"));
        return EXIT_FINDINGS;
    }

    /** The JSON type of a value, never its content. */
    static String kind(JsonNode value) {
        return switch (value.getNodeType()) {
            case ARRAY -> "a list";
            case OBJECT -> "an attribute set";
            case NUMBER -> "a number";
            case BOOLEAN -> "a Boolean";
            case NULL -> "null";
            default -> "a " + value.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    private Optional<String> check(String where, JsonNode value, Denylist denylist) {
        if (!value.isTextual()) {
            return Optional.of(where + ": an entry is not a string but " + kind(value) + " (not shown)");
        }
        String text = value.textValue();
        if (!Cidrs.isAddressText(text)) {
            return Optional.of(where + ": an entry is not a CIDR: a string of " + text.length()
                    + " characters (not shown): write e.g. 203.0.113.0/24 or 2001:db8::/48");
        }
        String entry = where + ": entry " + Untrusted.quote(text);
        IPAddress block;
        try {
            block = Cidrs.parseCanonical(text);
        } catch (IllegalArgumentException e) {
            return Optional.of(entry + ": not a canonical CIDR: " + e.getMessage());
        }
        int prefix = block.getNetworkPrefixLength();
        int limit = block.isIPv4() ? maxPrefix4 : maxPrefix6;
        if (prefix < limit) {
            return Optional.of(entry + ": broader than /" + limit + " (opens 2^" + (block.getBitCount() - prefix)
                    + " addresses): list narrower blocks, or raise --max-prefix" + (block.isIPv4() ? "4" : "6"));
        }
        Optional<Denylist.Entry> denied = denylist.overlapping(block);
        return denied.map(d -> entry + ": overlaps the denylist entry " + d.cidr() + " (" + d.reason() + ")");
    }
}
