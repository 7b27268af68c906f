package dev.opencode.tuner.suggest;

import dev.opencode.tuner.blocked.Untrusted;
import inet.ipaddr.AddressStringParameters.RangeParameters;
import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressString;
import inet.ipaddr.IPAddressStringParameters;

/** Parsing and printing of CIDR blocks through the ipaddress library; printed CIDRs are canonical. */
public final class Cidrs {
    /**
     * Addresses and CIDRs only: the library's defaults also take wildcards and ranges ({@code 10.0.*.0/24},
     * {@code 10.0.0.1-5}, which are not one block) and inet_aton forms ({@code 0x0a.1}, {@code 10.1}).
     */
    private static final IPAddressStringParameters CIDR = new IPAddressStringParameters.Builder()
            .allowEmpty(false).allowAll(false).allowSingleSegment(false)
            .setRangeOptions(RangeParameters.NO_RANGE)
            .getIPv4AddressParametersBuilder().allow_inet_aton(false).getParentBuilder()
            .toParams();

    private Cidrs() {
    }

    /**
     * Parses a canonical CIDR ({@code 10.0.0.0/24}, {@code 2001:db8::/48}) or a bare address (a host block).
     *
     * @throws IllegalArgumentException naming the value and the fix when it is not one
     */
    public static IPAddress parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty CIDR: expected e.g. 203.0.113.0/24 or 2001:db8::/48");
        }
        String trimmed = text.strip();
        IPAddress address = new IPAddressString(trimmed, CIDR).getAddress();
        if (address == null || trimmed.indexOf('%') >= 0 || (!address.isIPv4() && !address.isIPv6())) {
            throw new IllegalArgumentException(Untrusted.quote(text)
                    + " is not a CIDR: expected e.g. 203.0.113.0/24 or 2001:db8::/48");
        }
        if (address.getNetworkPrefixLength() == null) {
            return hostBlock(address);
        }
        if (!address.isPrefixBlock()) {
            IPAddress block = address.toPrefixBlock();
            throw new IllegalArgumentException(Untrusted.quote(text) + " has host bits set: did you mean "
                    + format(block) + "?");
        }
        return address;
    }

    /**
     * Whether {@code text} is written as an address or a CIDR (canonical or not, host bits or not): such text may be
     * echoed in a message; anything else from an untrusted file is described, never shown.
     */
    public static boolean isAddressText(String text) {
        return text != null && !text.isBlank() && text.indexOf('%') < 0
                && new IPAddressString(text.strip(), CIDR).getAddress() != null;
    }

    /** Parses a canonical CIDR and rejects any other spelling of it (used where files must stay canonical). */
    public static IPAddress parseCanonical(String text) {
        IPAddress block = parse(text);
        String canonical = format(block);
        if (!canonical.equals(text)) {
            throw new IllegalArgumentException(Untrusted.quote(text) + " is not canonical: write " + canonical);
        }
        return block;
    }

    /** The address itself (no prefix length) of a canonical address string. */
    public static IPAddress address(String canonicalAddress) {
        if (canonicalAddress == null || canonicalAddress.isBlank()) {
            // The library reads an empty string as the loopback address: never accept it.
            throw new IllegalArgumentException("empty IP address");
        }
        IPAddress address = new IPAddressString(canonicalAddress, CIDR).getAddress();
        if (address == null || address.getNetworkPrefixLength() != null) {
            throw new IllegalArgumentException(Untrusted.quote(canonicalAddress) + " is not an IP address");
        }
        return address;
    }

    /** The host block ({@code /32}, {@code /128}) of an address. */
    public static IPAddress hostBlock(IPAddress address) {
        return address.withoutPrefixLength().toPrefixBlock(address.getBitCount());
    }

    /** Canonical text with an explicit prefix length: {@code 203.0.113.7/32}, {@code 2001:db8::/48}. */
    public static String format(IPAddress block) {
        Integer prefix = block.getNetworkPrefixLength();
        if (prefix == null) {
            return block.toCanonicalString() + "/" + block.getBitCount();
        }
        if (block.isPrefixBlock()) {
            return block.toCanonicalString(); // e.g. 192.0.2.0/24, 2001:db8::/48 (cached by the library)
        }
        return block.getLower().withoutPrefixLength().toCanonicalString() + "/" + prefix;
    }
}
