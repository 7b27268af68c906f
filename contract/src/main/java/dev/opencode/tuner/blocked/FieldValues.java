package dev.opencode.tuner.blocked;

import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressString;

/**
 * The values of a blocked line's fields, read between two indexes of the line: decimal numbers, and IPv4 and IPv6
 * addresses in their canonical text. Each answers -1 or null for text that is not such a value, and
 * {@link BlockedLineParser} says why. Stateless.
 */
final class FieldValues {
    private FieldValues() {
    }

    /** Decimal digits in [from, to) as a number, or -1 when empty, not all digits or longer than 10 digits. */
    static long digits(String line, int from, int to) {
        if (from >= to || to - from > 10) {
            return -1;
        }
        long value = 0;
        for (int i = from; i < to; i++) {
            char c = line.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    /** A dotted quad in canonical form (no leading zeros), or null. */
    static String ipv4(String line, int from, int to) {
        int octets = 0;
        int value = -1;
        boolean leadingZero = false;
        int digitsInOctet = 0;
        for (int i = from; i < to; i++) {
            char c = line.charAt(i);
            if (c >= '0' && c <= '9') {
                if (digitsInOctet == 1 && value == 0) {
                    leadingZero = true;
                }
                value = (value < 0 ? 0 : value * 10) + (c - '0');
                if (value > 255 || ++digitsInOctet > 3) {
                    return null;
                }
            } else if (c == '.' && value >= 0 && octets < 3) {
                octets++;
                value = -1;
                digitsInOctet = 0;
            } else {
                return null;
            }
        }
        if (octets != 3 || value < 0) {
            return null;
        }
        String text = line.substring(from, to);
        if (!leadingZero) {
            return text;
        }
        String[] parts = text.split("\\.");
        return Integer.parseInt(parts[0]) + "." + Integer.parseInt(parts[1]) + "."
                + Integer.parseInt(parts[2]) + "." + Integer.parseInt(parts[3]);
    }

    /** An IPv6 address (the kernel prints 8 uncompressed groups) in RFC 5952 form, or null. */
    static String ipv6(String line, int from, int to) {
        if (to - from < 2 || to - from > 45) {
            return null;
        }
        for (int i = from; i < to; i++) {
            char c = line.charAt(i);
            boolean ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
                    || c == ':' || c == '.';
            if (!ok) {
                return null;
            }
        }
        IPAddress address = new IPAddressString(line.substring(from, to)).getAddress();
        if (address == null || !address.isIPv6() || address.getNetworkPrefixLength() != null) {
            return null;
        }
        return address.toCanonicalString();
    }
}
