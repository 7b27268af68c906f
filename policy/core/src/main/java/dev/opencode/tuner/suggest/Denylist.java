package dev.opencode.tuner.suggest;

import inet.ipaddr.IPAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Destinations never suggested, whatever the evidence: each entry with the reason shown to the operator. */
public final class Denylist {
    /** One denied block. */
    public record Entry(IPAddress block, String cidr, String reason) {
    }

    private final List<Entry> entries;

    private Denylist(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    /** Link-local and cloud metadata, loopback, "this network", multicast, broadcast and their IPv6 twins. */
    public static Denylist defaults() {
        List<Entry> e = new ArrayList<>();
        add(e, "0.0.0.0/8", "'this network' (0.0.0.0/8) is not a destination");
        add(e, "127.0.0.0/8", "loopback: the egress policy always accepts it, never list it");
        add(e, "169.254.0.0/16", "link-local, home of cloud instance metadata (169.254.169.254)");
        add(e, "224.0.0.0/4", "multicast");
        add(e, "255.255.255.255/32", "limited broadcast");
        add(e, "168.63.129.16/32", "Azure platform endpoint (WireServer/metadata)");
        add(e, "100.100.100.200/32", "Alibaba Cloud instance metadata");
        add(e, "::/128", "unspecified address");
        add(e, "::1/128", "loopback: the egress policy always accepts it, never list it");
        add(e, "::ffff:0:0/96", "IPv4-mapped IPv6: allow the IPv4 address instead");
        add(e, "fe80::/10", "IPv6 link-local");
        add(e, "fd00:ec2::254/128", "AWS instance metadata (IPv6)");
        add(e, "ff00::/8", "IPv6 multicast");
        return new Denylist(e);
    }

    public static Denylist empty() {
        return new Denylist(List.of());
    }

    /** A copy with one more entry; {@code cidr} must be a canonical CIDR. */
    public Denylist plus(String cidr, String reason) {
        List<Entry> e = new ArrayList<>(entries);
        add(e, cidr, reason);
        return new Denylist(e);
    }

    private static void add(List<Entry> entries, String cidr, String reason) {
        IPAddress block = Cidrs.parse(cidr);
        entries.add(new Entry(block, Cidrs.format(block), reason));
    }

    public List<Entry> entries() {
        return entries;
    }

    /** The first entry that contains {@code address}. */
    public Optional<Entry> containing(IPAddress address) {
        for (Entry entry : entries) {
            if (entry.block().getIPVersion() == address.getIPVersion() && entry.block().contains(address)) {
                return Optional.of(entry);
            }
        }
        return Optional.empty();
    }

    /** The first entry that shares at least one address with {@code block}. */
    public Optional<Entry> overlapping(IPAddress block) {
        for (Entry entry : entries) {
            if (entry.block().getIPVersion() == block.getIPVersion() && entry.block().overlaps(block)) {
                return Optional.of(entry);
            }
        }
        return Optional.empty();
    }
}
