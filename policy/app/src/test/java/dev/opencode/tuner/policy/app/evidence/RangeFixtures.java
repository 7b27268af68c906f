package dev.opencode.tuner.policy.app.evidence;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Small range files in the providers' real formats, written by code: AWS ip-ranges.json (syncToken, createDate,
 * prefixes[ip_prefix, region, service, network_border_group], ipv6_prefixes[ipv6_prefix, ...]), Google cloud.json
 * (syncToken, creationTime, prefixes[ipv4Prefix|ipv6Prefix, service, scope]) and GitHub's GET /meta answer
 * (verifiable_password_authentication, ssh_key_fingerprints, ssh_keys, hooks, web, api, git, ..., domains).
 */
final class RangeFixtures {
    static final ObjectMapper JSON = new ObjectMapper();

    private RangeFixtures() {
    }

    static ObjectNode aws() {
        ObjectNode root = JSON.createObjectNode();
        root.put("syncToken", "1764000000");
        root.put("createDate", "2026-11-24-12-00-00");
        ArrayNode v4 = root.putArray("prefixes");
        awsPrefix(v4, "ip_prefix", "3.5.140.0/22", "ap-northeast-2", "AMAZON");
        awsPrefix(v4, "ip_prefix", "52.94.0.0/16", "us-east-1", "AMAZON");
        awsPrefix(v4, "ip_prefix", "52.94.0.0/22", "us-east-1", "AMAZON");
        awsPrefix(v4, "ip_prefix", "52.94.0.0/22", "us-east-1", "EC2");
        awsPrefix(v4, "ip_prefix", "13.32.0.0/15", "GLOBAL", "CLOUDFRONT");
        ArrayNode v6 = root.putArray("ipv6_prefixes");
        awsPrefix(v6, "ipv6_prefix", "2600:1f18::/33", "us-east-1", "EC2");
        return root;
    }

    static void awsPrefix(ArrayNode array, String field, String cidr, String region, String service) {
        ObjectNode entry = array.addObject();
        entry.put(field, cidr);
        entry.put("region", region);
        entry.put("service", service);
        entry.put("network_border_group", region);
    }

    static ObjectNode google() {
        ObjectNode root = JSON.createObjectNode();
        root.put("syncToken", "1764000000000");
        root.put("creationTime", "2026-11-24T12:00:00.000000");
        ArrayNode prefixes = root.putArray("prefixes");
        prefixes.addObject().put("ipv4Prefix", "34.1.208.0/20").put("service", "Google Cloud")
                .put("scope", "africa-south1");
        prefixes.addObject().put("ipv4Prefix", "35.190.0.0/17").put("service", "Google Cloud")
                .put("scope", "us-central1");
        prefixes.addObject().put("ipv6Prefix", "2600:1900:8000::/44").put("service", "Google Cloud")
                .put("scope", "africa-south1");
        return root;
    }

    static ObjectNode github() {
        ObjectNode root = JSON.createObjectNode();
        root.put("verifiable_password_authentication", false);
        root.putObject("ssh_key_fingerprints").put("SHA256_ED25519", "+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU");
        root.putArray("ssh_keys").add("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl");
        root.putArray("hooks").add("192.30.252.0/22").add("185.199.108.0/22").add("2a0a:a440::/29");
        root.putArray("web").add("192.30.252.0/22").add("140.82.112.0/20");
        root.putArray("api").add("192.30.252.0/22").add("140.82.112.0/20");
        root.putArray("git").add("192.30.252.0/22");
        root.putArray("actions").add("4.148.0.0/16");
        root.putArray("actions_macos").add("13.105.117.0/31");
        root.putObject("domains").putArray("website").add("*.github.com");
        return root;
    }

    static Path write(Path directory, String name, Object content) {
        try {
            Path file = directory.resolve(name);
            Files.writeString(file, content instanceof String s ? s : JSON.writeValueAsString(content));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
