package dev.opencode.tuner.review;

import dev.opencode.tuner.suggest.Cidrs;
import inet.ipaddr.IPAddress;
import java.math.BigInteger;
import java.util.Collection;

/**
 * What allowing a CIDR opens: {@code opens} addresses, {@code observed} of them the suggestion's observed (blocked)
 * destinations. A reviewer weighs a {@code /24} that opens 256 addresses for 3 observed ones.
 */
public record Opening(BigInteger opens, int observed) {
    /** The opening of {@code cidr} for a suggestion whose observed destinations are {@code addresses}. */
    public static Opening of(String cidr, Collection<String> addresses) {
        IPAddress block = Cidrs.parse(cidr);
        int observed = 0;
        for (String address : addresses) {
            if (block.contains(Cidrs.address(address))) {
                observed++;
            }
        }
        return new Opening(block.getCount(), observed);
    }
}
