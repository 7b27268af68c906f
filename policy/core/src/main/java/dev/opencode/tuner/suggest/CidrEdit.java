package dev.opencode.tuner.suggest;

import inet.ipaddr.IPAddress;
import java.util.Optional;

/**
 * The guardrails of a reviewer's edit of a suggestion (narrow a {@code /24} to a {@code /32}, or widen it): the
 * edited CIDR must be a valid block of the same family that shares addresses with the suggestion, no broader than
 * the configured limits, and must not touch the denylist. The same denylist as the suggestions decides.
 *
 * @param denylist  never allowed, whatever the reviewer says
 * @param broadest4 the broadest IPv4 prefix length an edit may reach (default 16)
 * @param broadest6 the broadest IPv6 prefix length an edit may reach (default 48)
 */
public record CidrEdit(Denylist denylist, int broadest4, int broadest6) {
    /** The outcome: the canonical CIDR to allow, or the reason it is refused. */
    public record Outcome(String cidr, String refusal) {
        public boolean refused() {
            return refusal != null;
        }
    }

    public CidrEdit {
        if (denylist == null) {
            throw new IllegalArgumentException("denylist is required");
        }
        if (broadest4 < 1 || broadest4 > 32) {
            throw new IllegalArgumentException("broadest IPv4 prefix must be in 1..32, got " + broadest4);
        }
        if (broadest6 < 1 || broadest6 > 128) {
            throw new IllegalArgumentException("broadest IPv6 prefix must be in 1..128, got " + broadest6);
        }
    }

    public static CidrEdit defaults() {
        return new CidrEdit(Denylist.defaults(), SuggestionPolicy.BROADEST_PREFIX4, SuggestionPolicy.BROADEST_PREFIX6);
    }

    /** Checks {@code edited} as a replacement of the suggested CIDR {@code suggested} (canonical). */
    public Outcome check(String suggested, String edited) {
        IPAddress original = Cidrs.parse(suggested);
        IPAddress block;
        try {
            block = Cidrs.parse(edited);
        } catch (IllegalArgumentException e) {
            return new Outcome(null, e.getMessage());
        }
        String canonical = Cidrs.format(block);
        if (block.getIPVersion() != original.getIPVersion()) {
            return new Outcome(null, canonical + " is " + family(block) + " but the suggestion " + suggested + " is "
                    + family(original) + ": edit within the same family");
        }
        Optional<Denylist.Entry> denied = denylist.overlapping(block);
        if (denied.isPresent()) {
            return new Outcome(null, canonical + " overlaps the denylist entry " + denied.get().cidr() + " ("
                    + denied.get().reason() + ")");
        }
        int prefix = block.getNetworkPrefixLength() == null ? block.getBitCount() : block.getNetworkPrefixLength();
        int broadest = block.isIPv4() ? broadest4 : broadest6;
        if (prefix < broadest) {
            return new Outcome(null, canonical + " is broader than /" + broadest + ", the broadest " + family(block)
                    + " block a reviewer may allow (tuner.policy.review.broadest-prefix" + (block.isIPv4() ? 4 : 6)
                    + ")");
        }
        if (!block.overlaps(original)) {
            return new Outcome(null, canonical + " shares no address with the suggestion " + suggested
                    + ": narrow or widen it, or reject it and let a new suggestion come");
        }
        return new Outcome(canonical, null);
    }

    private static String family(IPAddress block) {
        return block.isIPv4() ? "IPv4" : "IPv6";
    }
}
