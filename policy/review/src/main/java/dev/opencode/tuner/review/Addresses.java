package dev.opencode.tuner.review;

import inet.ipaddr.Address;
import inet.ipaddr.IPAddress;
import java.util.Comparator;

/** Address order for searches over many destinations: IPv4 before IPv6, then by value. */
final class Addresses {
    /** Orders addresses without prefix lengths (destinations, and the bounds of a block). */
    static final Comparator<IPAddress> ORDER = (x, y) -> x.isIPv4() != y.isIPv4() ? (x.isIPv4() ? -1 : 1)
            : Address.ADDRESS_LOW_VALUE_COMPARATOR.compare(x, y);

    private Addresses() {
    }
}
