package dev.opencode.tuner.review;

import dev.opencode.tuner.suggest.Allowlist;
import dev.opencode.tuner.suggest.Cidrs;
import inet.ipaddr.IPAddress;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;

/**
 * The impact preview of an instance's suggestions over a window of days: of the blocked events, how many a
 * suggestion would have allowed, how many the instance's whole pending patch would have, how many the effective
 * allowlist covers by now, and which destinations stay blocked. Built once per instance from what was read, then
 * asked for each suggestion ({@link #of}).
 *
 * <p>Each destination is parsed once; the destinations are sorted by address so that each suggestion finds the ones
 * it covers by two binary searches, and the first two suggestions of the patch covering each destination are kept,
 * so that whether the patch without one suggestion still covers it is known without asking every suggestion again.
 */
public final class ImpactPreview {
    /** The most destinations that stay blocked listed by name. */
    static final int STAYS_LISTED = 20;

    /** The blocked events of one destination (a canonical address) over the window. */
    public record Blocked(String destination, long events) {
    }

    /** A suggestion of the patch: the instance's pending, stable additions. */
    public record PatchSuggestion(UUID id, String cidr) {
    }

    /** The impact of one suggestion; the fields of the API's {@code Impact}. */
    public record Impact(int days, LocalDate since, String cidr, long blockedEvents, long allowedBySuggestion,
                         long allowedByPatch, int patchSuggestions, long allowedNow, long staysBlockedEvents,
                         int staysBlockedDestinations, List<Blocked> staysBlocked) {
    }

    private final int days;
    private final LocalDate since;
    /** Most events first, then by destination: the order of the destinations that stay blocked. */
    private final List<Blocked> blocked;
    private final IPAddress[] addresses;
    /** Indexes into {@link #blocked} in address order. */
    private final int[] byAddress;
    private final IPAddress[] sorted;
    private final boolean[] allowedNow;
    private final int[][] coveredBy;
    private final List<UUID> patchIds;

    /**
     * The preview over {@code days} days from {@code since}, of these blocked destinations, with the effective
     * allowlist (the host's and the accepted CIDRs) and the pending patch.
     */
    public ImpactPreview(int days, LocalDate since, List<Blocked> blocked, List<String> effectiveAllowlist,
                         List<PatchSuggestion> patch) {
        this.days = days;
        this.since = since;
        List<Blocked> ordered = new ArrayList<>(blocked);
        ordered.sort(Comparator.comparingLong(Blocked::events).reversed().thenComparing(Blocked::destination));
        this.blocked = List.copyOf(ordered);
        int n = ordered.size();
        addresses = new IPAddress[n];
        allowedNow = new boolean[n];
        coveredBy = new int[n][];
        Allowlist now = Allowlist.of(effectiveAllowlist);
        for (int d = 0; d < n; d++) {
            addresses[d] = Cidrs.address(ordered.get(d).destination()).withoutPrefixLength();
            allowedNow[d] = addresses[d].isIPv4() ? now.coversIpv4(addresses[d].toIPv4().longValue())
                    : now.covers(addresses[d]);
            coveredBy[d] = new int[] {-1, -1};
        }
        Integer[] order = new Integer[n];
        for (int d = 0; d < n; d++) {
            order[d] = d;
        }
        Arrays.sort(order, (x, y) -> Addresses.ORDER.compare(addresses[x], addresses[y]));
        byAddress = new int[n];
        sorted = new IPAddress[n];
        for (int i = 0; i < n; i++) {
            byAddress[i] = order[i];
            sorted[i] = addresses[order[i]];
        }
        List<UUID> ids = new ArrayList<>();
        for (int p = 0; p < patch.size(); p++) {
            ids.add(patch.get(p).id());
            int[] range = range(Cidrs.parse(patch.get(p).cidr()));
            for (int i = range[0]; i < range[1]; i++) {
                int[] covers = coveredBy[byAddress[i]];
                if (covers[0] < 0) {
                    covers[0] = p;
                } else if (covers[1] < 0) {
                    covers[1] = p;
                }
            }
        }
        this.patchIds = List.copyOf(ids);
    }

    /** The positions in address order of the destinations inside the block: [from, to). */
    private int[] range(IPAddress block) {
        return new int[] {firstAfter(block.getLower().withoutPrefixLength(), false),
            firstAfter(block.getUpper().withoutPrefixLength(), true)};
    }

    /** The first position whose address is at least (or, {@code strictly}, above) {@code bound}. */
    private int firstAfter(IPAddress bound, boolean strictly) {
        int lo = 0;
        int hi = sorted.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            int c = Addresses.ORDER.compare(sorted[mid], bound);
            if (c < 0 || (strictly && c == 0)) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** The impact of a suggestion of the instance ({@code id}, of the patch or not) with this CIDR. */
    public Impact of(UUID id, String cidr) {
        boolean[] inBlock = new boolean[blocked.size()];
        int[] range = range(Cidrs.parse(cidr));
        for (int i = range[0]; i < range[1]; i++) {
            inBlock[byAddress[i]] = true;
        }
        int self = patchIds.indexOf(id);
        int patchSize = patchIds.size() - (self < 0 ? 0 : 1) + 1;
        long total = 0;
        long bySuggestion = 0;
        long byPatch = 0;
        long allowed = 0;
        long staysEvents = 0;
        int staysCount = 0;
        List<Blocked> stays = new ArrayList<>();
        for (int d = 0; d < blocked.size(); d++) {
            Blocked b = blocked.get(d);
            total += b.events();
            if (inBlock[d]) {
                bySuggestion += b.events();
            }
            int[] covers = coveredBy[d];
            boolean byOthers = covers[0] >= 0 && (covers[0] != self || covers[1] >= 0);
            if (inBlock[d] || byOthers) {
                byPatch += b.events();
            } else if (allowedNow[d]) {
                allowed += b.events();
            } else {
                staysEvents += b.events();
                staysCount++;
                if (stays.size() < STAYS_LISTED) {
                    stays.add(b);
                }
            }
        }
        return new Impact(days, since, cidr, total, bySuggestion, byPatch, patchSize, allowed, staysEvents,
                staysCount, List.copyOf(stays));
    }
}
