package dev.opencode.tuner.suggest;

import dev.opencode.tuner.blocked.BlockedEvent;
import dev.opencode.tuner.blocked.BlockedLine;
import dev.opencode.tuner.blocked.Transport;
import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressString;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** Builds blocked events for the suggestion tests, as the parser would produce them (canonical addresses). */
final class BlockedEvents {
    static final Instant T0 = Instant.parse("2026-11-20T08:00:00Z");
    private static final AtomicLong NEXT_ID = new AtomicLong();

    private BlockedEvents() {
    }

    static String canonical(String address) {
        IPAddress ip = new IPAddressString(address).getAddress();
        if (ip == null || ip.getNetworkPrefixLength() != null) {
            throw new IllegalArgumentException(address + " is not an address");
        }
        return ip.toCanonicalString();
    }

    static BlockedEvent event(String host, String instance, String destination, String protocol, Integer port,
                              Instant time) {
        String dst = canonical(destination);
        boolean v6 = dst.indexOf(':') >= 0;
        BlockedLine line = new BlockedLine(instance, v6 ? 6 : 4, protocol, v6 ? "fd00::2" : "10.211.0.2", dst,
                port == null ? null : 40000, port, 984L, 984L, "eth0", "", null, null, null);
        String id = String.format("%032x", NEXT_ID.incrementAndGet());
        return new BlockedEvent(id, host, time, Transport.KERNEL, line);
    }

    static BlockedEvent tcp(String destination, int port, Instant time) {
        return event("vm-1", "web", destination, "tcp", port, time);
    }

    static BlockedEvent tcp(String destination, int port) {
        return tcp(destination, port, T0);
    }

    /** One aggregate for host vm-1, instance web, one TCP/443 event per destination. */
    static InstanceAggregate aggregate(String... destinations) {
        return aggregate(List.of(destinations));
    }

    static InstanceAggregate aggregate(List<String> destinations) {
        InstanceAggregate aggregate = new InstanceAggregate("vm-1", "web");
        for (String d : destinations) {
            aggregate.add(tcp(d, 443));
        }
        return aggregate;
    }
}
