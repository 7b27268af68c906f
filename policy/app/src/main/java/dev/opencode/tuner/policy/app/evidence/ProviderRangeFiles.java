package dev.opencode.tuner.policy.app.evidence;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opencode.tuner.blocked.Untrusted;
import dev.opencode.tuner.suggest.Cidrs;
import inet.ipaddr.AddressStringParameters.RangeParameters;
import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressString;
import inet.ipaddr.IPAddressStringParameters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Readers of the providers' published range files, in their real formats. Each checks every field it uses and
 * refuses the whole file on the first problem, naming the file and the field ({@code prefixes[12].ip_prefix}):
 * labels from a half-read file would be silently wrong.
 */
public final class ProviderRangeFiles {
    private static final ObjectMapper JSON = new ObjectMapper();
    // CIDRs only, no wildcards, ranges or inet_aton forms; a published block with host bits set is taken as its block.
    private static final IPAddressStringParameters CIDR = new IPAddressStringParameters.Builder()
            .allowEmpty(false).allowAll(false).allowSingleSegment(false)
            .setRangeOptions(RangeParameters.NO_RANGE)
            .getIPv4AddressParametersBuilder().allow_inet_aton(false).getParentBuilder()
            .toParams();

    private ProviderRangeFiles() {
    }

    /**
     * AWS {@code ip-ranges.json}: {@code prefixes[]} of {@code {ip_prefix, region, service, network_border_group}}
     * and {@code ipv6_prefixes[]} of {@code {ipv6_prefix, ...}}.
     */
    public static List<ProviderRanges.Parsed> readAws(String key, Path file) throws InvalidRangeFile {
        JsonNode root = read(key, file);
        List<ProviderRanges.Parsed> ranges = new ArrayList<>();
        for (String[] list : new String[][] {{"prefixes", "ip_prefix", "4"}, {"ipv6_prefixes", "ipv6_prefix", "6"}}) {
            JsonNode array = root.get(list[0]);
            if (array == null || !array.isArray()) {
                throw new InvalidRangeFile(key, file, list[0], "expected an array (is this AWS' ip-ranges.json?)");
            }
            for (int i = 0; i < array.size(); i++) {
                String at = list[0] + "[" + i + "]";
                JsonNode entry = object(key, file, at, array.get(i));
                IPAddress block = cidr(key, file, at + "." + list[1], text(key, file, at, entry, list[1], true),
                        list[2]);
                String region = text(key, file, at, entry, "region", true);
                String service = text(key, file, at, entry, "service", true);
                ranges.add(new ProviderRanges.Parsed(block, new ProviderRange(format(block), "aws", service, region)));
            }
        }
        return ranges;
    }

    /**
     * Google {@code cloud.json}: {@code prefixes[]} of {@code {ipv4Prefix | ipv6Prefix, service, scope}};
     * {@code goog.json} has the same shape without service and scope.
     */
    public static List<ProviderRanges.Parsed> readGoogle(String key, Path file) throws InvalidRangeFile {
        JsonNode root = read(key, file);
        JsonNode array = root.get("prefixes");
        if (array == null || !array.isArray()) {
            throw new InvalidRangeFile(key, file, "prefixes", "expected an array (is this Google's cloud.json?)");
        }
        List<ProviderRanges.Parsed> ranges = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            String at = "prefixes[" + i + "]";
            JsonNode entry = object(key, file, at, array.get(i));
            boolean v4 = entry.has("ipv4Prefix");
            boolean v6 = entry.has("ipv6Prefix");
            if (v4 == v6) {
                throw new InvalidRangeFile(key, file, at, "expected exactly one of ipv4Prefix and ipv6Prefix");
            }
            String field = v4 ? "ipv4Prefix" : "ipv6Prefix";
            IPAddress block = cidr(key, file, at + "." + field, text(key, file, at, entry, field, true),
                    v4 ? "4" : "6");
            String service = text(key, file, at, entry, "service", false);
            String scope = text(key, file, at, entry, "scope", false);
            ranges.add(new ProviderRanges.Parsed(block, new ProviderRange(format(block), "google",
                    service == null ? "Google" : service, scope)));
        }
        return ranges;
    }

    /**
     * GitHub's {@code GET /meta} answer: each top-level array of CIDRs ({@code hooks}, {@code web}, {@code api},
     * {@code git}, {@code actions}, ...) is a service. Arrays of other things ({@code ssh_keys}) and objects
     * ({@code domains}) are not ranges and are passed over; an array that mixes CIDRs with other values is refused.
     */
    public static List<ProviderRanges.Parsed> readGitHub(String key, Path file) throws InvalidRangeFile {
        JsonNode root = read(key, file);
        List<ProviderRanges.Parsed> ranges = new ArrayList<>();
        boolean anyRangeList = false;
        Iterator<Map.Entry<String, JsonNode>> fields = root.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            JsonNode array = field.getValue();
            if (!array.isArray() || array.isEmpty()) {
                continue;
            }
            List<IPAddress> blocks = new ArrayList<>();
            int firstBad = -1;
            for (int i = 0; i < array.size(); i++) {
                IPAddress block = array.get(i).isTextual() ? tryCidr(array.get(i).asText()) : null;
                if (block == null) {
                    firstBad = firstBad < 0 ? i : firstBad;
                } else {
                    blocks.add(block);
                }
            }
            if (blocks.isEmpty()) {
                continue; // not a list of ranges (ssh_keys and the like)
            }
            if (firstBad >= 0) {
                throw new InvalidRangeFile(key, file, field.getKey() + "[" + firstBad + "]",
                        describe(array.get(firstBad)) + " is not a CIDR, in a list of CIDRs");
            }
            anyRangeList = true;
            for (IPAddress block : blocks) {
                ranges.add(new ProviderRanges.Parsed(block, new ProviderRange(format(block), "github",
                        field.getKey(), null)));
            }
        }
        if (!anyRangeList) {
            throw new InvalidRangeFile(key, file, "$", "no array of CIDRs (hooks, web, api, git, actions, ...):"
                    + " is this GitHub's meta API answer?");
        }
        return ranges;
    }

    private static JsonNode read(String key, Path file) throws InvalidRangeFile {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(file));
        } catch (JsonProcessingException e) {
            throw new InvalidRangeFile(key, file, "$", "not JSON: " + e.getOriginalMessage() + " at line "
                    + (e.getLocation() == null ? "?" : e.getLocation().getLineNr()));
        } catch (IOException e) {
            throw new InvalidRangeFile(key, file, "cannot read it (" + e.getClass().getSimpleName() + ": "
                    + e.getMessage() + ")", e);
        }
        if (root == null || !root.isObject()) {
            throw new InvalidRangeFile(key, file, "$", "expected a JSON object");
        }
        return root;
    }

    private static JsonNode object(String key, Path file, String at, JsonNode node) throws InvalidRangeFile {
        if (!node.isObject()) {
            throw new InvalidRangeFile(key, file, at, "expected an object, got " + describe(node));
        }
        return node;
    }

    private static String text(String key, Path file, String at, JsonNode entry, String field, boolean required)
            throws InvalidRangeFile {
        JsonNode value = entry.get(field);
        if (value == null || value.isNull()) {
            if (required) {
                throw new InvalidRangeFile(key, file, at + "." + field, "missing");
            }
            return null;
        }
        if (!value.isTextual() || value.asText().isBlank() || value.asText().length() > 200
                || value.asText().chars().anyMatch(Character::isISOControl)) {
            throw new InvalidRangeFile(key, file, at + "." + field, "expected a short line of text, got "
                    + describe(value));
        }
        return value.asText();
    }

    private static IPAddress cidr(String key, Path file, String at, String text, String family)
            throws InvalidRangeFile {
        IPAddress block = tryCidr(text);
        if (block == null) {
            throw new InvalidRangeFile(key, file, at, Untrusted.quote(text, 80) + " is not a CIDR");
        }
        if (family.equals("4") != block.isIPv4()) {
            throw new InvalidRangeFile(key, file, at, Untrusted.quote(text, 80) + " is not an IPv" + family
                    + " CIDR");
        }
        return block;
    }

    private static IPAddress tryCidr(String text) {
        IPAddress address = new IPAddressString(text, CIDR).getAddress();
        if (address == null || text.indexOf('%') >= 0 || (!address.isIPv4() && !address.isIPv6())) {
            return null;
        }
        if (address.getNetworkPrefixLength() == null) {
            return address.toPrefixBlock(address.getBitCount());
        }
        return address.toPrefixBlock();
    }

    private static String format(IPAddress block) {
        return Cidrs.format(block);
    }

    private static String describe(JsonNode node) {
        return node.isTextual() ? Untrusted.quote(node.asText(), 80) : node.getNodeType().toString().toLowerCase()
                + (node.isValueNode() ? " " + Untrusted.quote(node.asText(), 40) : "");
    }
}
