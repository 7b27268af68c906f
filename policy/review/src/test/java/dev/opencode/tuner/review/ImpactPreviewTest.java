package dev.opencode.tuner.review;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class ImpactPreviewTest {
    private static final LocalDate SINCE = LocalDate.now(ZoneOffset.UTC).minusDays(13);
    private static final UUID A = UUID.randomUUID();
    private static final UUID B = UUID.randomUUID();
    private static final UUID OTHER = UUID.randomUUID();

    private static final List<ImpactPreview.Blocked> BLOCKED = List.of(
            new ImpactPreview.Blocked("203.0.113.7", 10),
            new ImpactPreview.Blocked("203.0.113.200", 5),
            new ImpactPreview.Blocked("2001:db8::1", 7),
            new ImpactPreview.Blocked("2001:db8:1::1", 1),
            new ImpactPreview.Blocked("198.51.100.1", 3),
            new ImpactPreview.Blocked("192.0.2.9", 2));

    @Test
    void countsWhatASuggestionThePatchAndTheAllowlistCoverAndWhatStaysBlocked() {
        ImpactPreview preview = new ImpactPreview(14, SINCE, BLOCKED, List.of("192.0.2.0/24"), List.of(
                new ImpactPreview.PatchSuggestion(A, "203.0.113.0/24"),
                new ImpactPreview.PatchSuggestion(B, "2001:db8::/64")));
        ImpactPreview.Impact a = preview.of(A, "203.0.113.0/24");
        assertThat(a.days()).isEqualTo(14);
        assertThat(a.since()).isEqualTo(SINCE);
        assertThat(a.blockedEvents()).isEqualTo(28);
        assertThat(a.allowedBySuggestion()).isEqualTo(15);
        assertThat(a.allowedByPatch()).isEqualTo(22);
        assertThat(a.patchSuggestions()).isEqualTo(2);
        assertThat(a.allowedNow()).isEqualTo(2);
        assertThat(a.staysBlockedEvents()).isEqualTo(4);
        assertThat(a.staysBlockedDestinations()).isEqualTo(2);
        assertThat(a.staysBlocked()).containsExactly(new ImpactPreview.Blocked("198.51.100.1", 3),
                new ImpactPreview.Blocked("2001:db8:1::1", 1));
    }

    @Test
    void anEditedCidrReplacesTheSuggestionInThePatchAndOneOutsideThePatchIsAdded() {
        ImpactPreview preview = new ImpactPreview(14, SINCE, BLOCKED, List.of(), List.of(
                new ImpactPreview.PatchSuggestion(A, "203.0.113.0/24"),
                new ImpactPreview.PatchSuggestion(B, "2001:db8::/64")));
        ImpactPreview.Impact narrowed = preview.of(A, "203.0.113.7/32");
        assertThat(narrowed.allowedBySuggestion()).isEqualTo(10);
        assertThat(narrowed.allowedByPatch()).isEqualTo(17);
        assertThat(narrowed.patchSuggestions()).isEqualTo(2);
        assertThat(narrowed.staysBlocked()).extracting(ImpactPreview.Blocked::destination)
                .startsWith("203.0.113.200");
        ImpactPreview.Impact outside = preview.of(OTHER, "198.51.100.0/24");
        assertThat(outside.allowedBySuggestion()).isEqualTo(3);
        assertThat(outside.allowedByPatch()).isEqualTo(25);
        assertThat(outside.patchSuggestions()).isEqualTo(3);
    }

    @Test
    void aDestinationCoveredByTwoSuggestionsOfThePatchStaysCoveredWithoutOne() {
        ImpactPreview preview = new ImpactPreview(14, SINCE, BLOCKED, List.of(), List.of(
                new ImpactPreview.PatchSuggestion(A, "203.0.113.0/24"),
                new ImpactPreview.PatchSuggestion(B, "203.0.113.0/25")));
        ImpactPreview.Impact narrowed = preview.of(A, "203.0.113.200/32");
        assertThat(narrowed.allowedBySuggestion()).isEqualTo(5);
        assertThat(narrowed.allowedByPatch()).isEqualTo(15);
    }

    @Test
    void anIpv6BlockNeverCoversIpv4DestinationsAndTheEdgesOfABlockCount() {
        List<ImpactPreview.Blocked> edges = List.of(new ImpactPreview.Blocked("0.0.0.0", 1),
                new ImpactPreview.Blocked("255.255.255.255", 1), new ImpactPreview.Blocked("::", 1),
                new ImpactPreview.Blocked("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1),
                new ImpactPreview.Blocked("::ffff:c000:201", 1), new ImpactPreview.Blocked("192.0.2.1", 1));
        ImpactPreview preview = new ImpactPreview(1, SINCE, edges, List.of(), List.of());
        assertThat(preview.of(OTHER, "::/0").allowedBySuggestion()).isEqualTo(3);
        assertThat(preview.of(OTHER, "0.0.0.0/0").allowedBySuggestion()).isEqualTo(3);
        assertThat(preview.of(OTHER, "192.0.2.0/24").allowedBySuggestion()).isEqualTo(1);
        assertThat(preview.of(OTHER, "255.255.255.255/32").allowedBySuggestion()).isEqualTo(1);
        assertThat(preview.of(OTHER, "ffff::/16").allowedBySuggestion()).isEqualTo(1);
    }

    @Test
    void listsAtMostTwentyDestinationsThatStayBlockedMostEventsFirst() {
        List<ImpactPreview.Blocked> many = new ArrayList<>();
        for (int i = 1; i <= 30; i++) {
            many.add(new ImpactPreview.Blocked("198.51.100." + i, i));
        }
        ImpactPreview.Impact impact = new ImpactPreview(14, SINCE, many, List.of(), List.of()).of(OTHER,
                "192.0.2.0/24");
        assertThat(impact.staysBlockedDestinations()).isEqualTo(30);
        assertThat(impact.staysBlockedEvents()).isEqualTo(465);
        assertThat(impact.staysBlocked()).hasSize(ImpactPreview.STAYS_LISTED);
        assertThat(impact.staysBlocked().get(0)).isEqualTo(new ImpactPreview.Blocked("198.51.100.30", 30));
    }

    @Test
    void equalEventCountsAreListedByDestination() {
        ImpactPreview.Impact impact = new ImpactPreview(14, SINCE, List.of(
                new ImpactPreview.Blocked("198.51.100.9", 2), new ImpactPreview.Blocked("198.51.100.10", 2)),
                List.of(), List.of()).of(OTHER, "192.0.2.0/24");
        assertThat(impact.staysBlocked()).extracting(ImpactPreview.Blocked::destination)
                .containsExactly("198.51.100.10", "198.51.100.9");
    }

    @Test
    void opensTheBlocksAddressesAndCountsTheObservedOnesInside() {
        assertThat(Opening.of("203.0.113.0/24", List.of("203.0.113.7", "203.0.113.200", "198.51.100.1")))
                .isEqualTo(new Opening(BigInteger.valueOf(256), 2));
        assertThat(Opening.of("2001:db8::/64", List.of("2001:db8::1", "203.0.113.7")))
                .isEqualTo(new Opening(BigInteger.ONE.shiftLeft(64), 1));
        assertThat(Opening.of("203.0.113.7/32", List.of())).isEqualTo(new Opening(BigInteger.ONE, 0));
    }
}
