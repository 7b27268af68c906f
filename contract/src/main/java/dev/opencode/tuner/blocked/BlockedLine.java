package dev.opencode.tuner.blocked;

/**
 * The packet description of one {@code opencode-<name>-blocked:} kernel log line, as parsed. Addresses are canonical
 * (IPv4 dotted quad, IPv6 RFC 5952); absent fields are {@code null}.
 *
 * @param instance        the opencode instance named in the prefix
 * @param family          4 or 6, from the destination address
 * @param protocol        lowercase protocol name as the kernel printed it ({@code tcp}, {@code udp}, {@code icmp},
 *                        {@code icmpv6}, ...), the protocol number for others, {@code null} when absent
 * @param source          source address
 * @param destination     destination address
 * @param sourcePort      {@code SPT}, TCP/UDP only
 * @param destinationPort {@code DPT}, TCP/UDP only
 * @param uid             {@code UID}, present with {@code log flags skuid} and a live local socket
 * @param gid             {@code GID}, as {@code uid}
 * @param outInterface    {@code OUT}, empty when none
 * @param inInterface     {@code IN}, empty when none
 * @param mac             {@code MAC}, present only on lines with an input device
 * @param icmpType        ICMP / ICMPv6 {@code TYPE}
 * @param icmpCode        ICMP / ICMPv6 {@code CODE}
 */
public record BlockedLine(
        String instance,
        int family,
        String protocol,
        String source,
        String destination,
        Integer sourcePort,
        Integer destinationPort,
        Long uid,
        Long gid,
        String outInterface,
        String inInterface,
        String mac,
        Integer icmpType,
        Integer icmpCode) implements ParseResult {
}
