package dev.opencode.tuner.suggest;

import static dev.opencode.tuner.suggest.BlockedEvents.T0;
import static dev.opencode.tuner.suggest.BlockedEvents.aggregate;
import static dev.opencode.tuner.suggest.BlockedEvents.event;
import static dev.opencode.tuner.suggest.BlockedEvents.tcp;
import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class CidrSuggesterTest {
    private static final SuggestionPolicy DEFAULTS = SuggestionPolicy.defaults();

    private static InstanceSuggestions suggest(SuggestionPolicy policy, InstanceAggregate aggregate,
                                               Allowlist allowlist) {
        return new CidrSuggester(policy).suggest(aggregate, allowlist);
    }

    private static InstanceSuggestions suggest(InstanceAggregate aggregate) {
        return suggest(DEFAULTS, aggregate, Allowlist.empty());
    }

    private static List<String> cidrs(InstanceSuggestions s) {
        return s.suggestions().stream().map(Suggestion::cidr).toList();
    }

    private static List<String> addresses(Suggestion s) {
        return s.addresses().stream().map(DestinationAggregate::address).toList();
    }

    @Test
    void fourAddressesInOneSlash24BecomeThatSlash24() {
        InstanceSuggestions s = suggest(aggregate("203.0.113.9", "203.0.113.200", "203.0.113.7", "203.0.113.64"));

        assertThat(cidrs(s)).containsExactly("203.0.113.0/24");
        Suggestion only = s.suggestions().get(0);
        assertThat(only.opens()).isEqualTo(BigInteger.valueOf(256));
        assertThat(addresses(only)).containsExactly("203.0.113.7", "203.0.113.9", "203.0.113.64", "203.0.113.200");
    }

    @Test
    void threeAddressesInOneSlash24StayThreeHostRoutes() {
        InstanceSuggestions s = suggest(aggregate("203.0.113.9", "203.0.113.200", "203.0.113.7"));

        assertThat(cidrs(s)).containsExactly("203.0.113.7/32", "203.0.113.9/32", "203.0.113.200/32");
        assertThat(s.suggestions()).allSatisfy(one -> assertThat(one.opens()).isEqualTo(BigInteger.ONE));
    }

    @Test
    void fourAddressesSpreadOverFourSlash24sStayHostRoutes() {
        InstanceSuggestions s = suggest(aggregate("203.0.113.9", "203.0.114.9", "203.0.115.9", "203.0.116.9"));

        assertThat(cidrs(s)).containsExactly("203.0.113.9/32", "203.0.114.9/32", "203.0.115.9/32", "203.0.116.9/32");
    }

    @Test
    void adjacentHostRoutesMergeIntoTheirCommonBlockOnly() {
        // .6 and .7 form exactly 203.0.113.6/31: the merge opens nothing that was not observed.
        InstanceSuggestions s = suggest(aggregate("203.0.113.6", "203.0.113.7", "203.0.113.8"));

        assertThat(cidrs(s)).containsExactly("203.0.113.6/31", "203.0.113.8/32");
        assertThat(addresses(s.suggestions().get(0))).containsExactly("203.0.113.6", "203.0.113.7");
        assertThat(s.suggestions().get(0).opens()).isEqualTo(BigInteger.TWO);
    }

    @Test
    void twoAdjacentWidenedGroupsMergeIntoOneSlash23() {
        InstanceSuggestions s = suggest(aggregate("198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4",
                "198.51.101.1", "198.51.101.2", "198.51.101.3", "198.51.101.4"));

        assertThat(cidrs(s)).containsExactly("198.51.100.0/23");
        assertThat(s.suggestions().get(0).addresses()).hasSize(8);
    }

    @Test
    void minAddressesIsConfigurable() {
        SuggestionPolicy three = new SuggestionPolicy(3, 24, 64, Denylist.defaults());

        InstanceSuggestions s = suggest(three, aggregate("203.0.113.9", "203.0.113.200", "203.0.113.7"),
                Allowlist.empty());

        assertThat(cidrs(s)).containsExactly("203.0.113.0/24");
    }

    @Test
    void groupPrefixIsConfigurable() {
        SuggestionPolicy slash28 = new SuggestionPolicy(4, 28, 64, Denylist.defaults());
        // 0..15 is one /28; 16, 100 and 200 are alone in theirs.
        InstanceAggregate a = aggregate("203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.15",
                "203.0.113.16", "203.0.113.100", "203.0.113.200");

        InstanceSuggestions s = suggest(slash28, a, Allowlist.empty());

        assertThat(cidrs(s)).containsExactly("203.0.113.0/28", "203.0.113.16/32", "203.0.113.100/32",
                "203.0.113.200/32");
        assertThat(s.suggestions().get(0).opens()).isEqualTo(BigInteger.valueOf(16));
    }

    @Test
    void widerGroupPrefixGroupsAcrossSlash24s() {
        SuggestionPolicy slash16 = new SuggestionPolicy(4, 16, 64, Denylist.defaults());

        InstanceSuggestions s = suggest(slash16,
                aggregate("198.18.1.1", "198.18.2.1", "198.18.3.1", "198.18.200.1"), Allowlist.empty());

        assertThat(cidrs(s)).containsExactly("198.18.0.0/16");
        assertThat(s.suggestions().get(0).opens()).isEqualTo(BigInteger.valueOf(65536));
    }

    @Test
    void slash24OverlappingTheDenylistIsNotWidened() {
        // 100.100.100.200 (Alibaba Cloud metadata) lies in this /24; the four observed addresses do not.
        InstanceSuggestions s = suggest(aggregate("100.100.100.10", "100.100.100.20", "100.100.100.30",
                "100.100.100.40"));

        assertThat(cidrs(s)).containsExactly("100.100.100.10/32", "100.100.100.20/32", "100.100.100.30/32",
                "100.100.100.40/32");
        assertThat(s.refused()).isEmpty();
    }

    @Test
    void customDenylistEntryStopsWideningToo() {
        SuggestionPolicy policy = new SuggestionPolicy(4, 24, 64,
                Denylist.defaults().plus("203.0.113.128/25", "the office network"));

        InstanceSuggestions s = suggest(policy, aggregate("203.0.113.1", "203.0.113.2", "203.0.113.3",
                "203.0.113.4", "203.0.113.200"), Allowlist.empty());

        assertThat(cidrs(s)).containsExactly("203.0.113.1/32", "203.0.113.2/31", "203.0.113.4/32");
        assertThat(s.refused()).singleElement().satisfies(r -> {
            assertThat(r.address()).isEqualTo("203.0.113.200");
            assertThat(r.deniedBy()).isEqualTo("203.0.113.128/25");
            assertThat(r.reason()).isEqualTo("the office network");
        });
    }

    @Test
    void denylistedDestinationsAreRefusedWithTheirReasonAndNeverSuggested() {
        InstanceAggregate a = new InstanceAggregate("vm-1", "web");
        a.add(tcp("169.254.169.254", 80));
        a.add(tcp("169.254.169.254", 80));
        a.add(tcp("127.0.0.53", 53));
        a.add(tcp("fe80::1", 443));
        a.add(tcp("::ffff:203.0.113.7", 443));
        a.add(tcp("203.0.113.7", 443));

        InstanceSuggestions s = suggest(a);

        assertThat(cidrs(s)).containsExactly("203.0.113.7/32");
        assertThat(s.refused()).extracting(Refusal::address)
                .containsExactly("127.0.0.53", "169.254.169.254", "::ffff:cb00:7107", "fe80::1");
        Refusal metadata = s.refused().get(1);
        assertThat(metadata.deniedBy()).isEqualTo("169.254.0.0/16");
        assertThat(metadata.reason()).contains("metadata");
        assertThat(metadata.events()).isEqualTo(2);
        assertThat(s.refused().get(0).reason()).contains("loopback");
    }

    @Test
    void destinationsAlreadyAllowedAreReportedNotSuggested() {
        InstanceAggregate a = aggregate("203.0.113.7", "198.51.100.1", "198.51.100.2");

        InstanceSuggestions s = suggest(DEFAULTS, a, Allowlist.of(List.of("198.51.100.0/30")));

        assertThat(cidrs(s)).containsExactly("203.0.113.7/32");
        assertThat(s.alreadyAllowed()).extracting(DestinationAggregate::address)
                .containsExactly("198.51.100.1", "198.51.100.2");
    }

    @Test
    void widenedGroupLeavesOutWhatTheAllowlistAlreadyCovers() {
        InstanceAggregate a = aggregate("203.0.113.130", "203.0.113.140", "203.0.113.150", "203.0.113.160");

        InstanceSuggestions s = suggest(DEFAULTS, a, Allowlist.of(List.of("203.0.113.0/25")));

        assertThat(cidrs(s)).containsExactly("203.0.113.128/25");
        assertThat(s.suggestions().get(0).addresses()).hasSize(4);
    }

    @Test
    void allowedHostInsideAWidenedGroupIsCutOutOfIt() {
        // Four new addresses widen to the /24; 203.0.113.7 is allowed already, so the rest of the /24 is suggested
        // as the prefix blocks that exactly make up 203.0.113.0/24 minus 203.0.113.7.
        InstanceAggregate a = aggregate("203.0.113.7", "203.0.113.1", "203.0.113.20", "203.0.113.100",
                "203.0.113.200");

        InstanceSuggestions s = suggest(DEFAULTS, a, Allowlist.of(List.of("203.0.113.7/32")));

        assertThat(cidrs(s)).containsExactly("203.0.113.0/30", "203.0.113.4/31", "203.0.113.6/32",
                "203.0.113.8/29", "203.0.113.16/28", "203.0.113.32/27", "203.0.113.64/26", "203.0.113.128/25");
        BigInteger opened = s.suggestions().stream().map(Suggestion::opens).reduce(BigInteger.ZERO, BigInteger::add);
        assertThat(opened).isEqualTo(BigInteger.valueOf(255));
        assertThat(s.alreadyAllowed()).extracting(DestinationAggregate::address).containsExactly("203.0.113.7");
        assertThat(s.suggestions().stream().mapToInt(x -> x.addresses().size()).sum()).isEqualTo(4);
    }

    @Test
    void ipv6AddressesGroupByTheirSlash64() {
        InstanceSuggestions s = suggest(aggregate("2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:aaaa::3",
                "2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:3::1"));

        assertThat(cidrs(s)).containsExactly("2001:db8:1:2::/64", "2001:db8:1:3::1/128");
        assertThat(s.suggestions().get(0).opens()).isEqualTo(BigInteger.TWO.pow(64));
    }

    @Test
    void threeIpv6AddressesInOneSlash64StayHostRoutes() {
        InstanceSuggestions s = suggest(aggregate("2001:db8::1", "2001:db8::3", "2001:db8::5"));

        assertThat(cidrs(s)).containsExactly("2001:db8::1/128", "2001:db8::3/128", "2001:db8::5/128");
    }

    @Test
    void ipv6GroupPrefixIsConfigurable() {
        SuggestionPolicy slash56 = new SuggestionPolicy(4, 24, 56, Denylist.defaults());

        InstanceSuggestions s = suggest(slash56, aggregate("2001:db8:0:1::1", "2001:db8:0:2::1", "2001:db8:0:3::1",
                "2001:db8:0:4::1"), Allowlist.empty());

        assertThat(cidrs(s)).containsExactly("2001:db8::/56");
    }

    @Test
    void ipv4SuggestionsComeBeforeIpv6AndEachFamilyIsSortedByAddress() {
        InstanceSuggestions s = suggest(aggregate("2001:db8::9", "203.0.113.9", "2001:db8::1", "9.9.9.9",
                "198.51.100.1"));

        assertThat(cidrs(s)).containsExactly("9.9.9.9/32", "198.51.100.1/32", "203.0.113.9/32", "2001:db8::1/128",
                "2001:db8::9/128");
    }

    @Test
    void suggestionCarriesTheEvidenceOfTheDestinationsItCovers() {
        InstanceAggregate a = new InstanceAggregate("vm-1", "web");
        a.add(tcp("203.0.113.1", 443, T0.plusSeconds(50)));
        a.add(tcp("203.0.113.1", 443, T0.plusSeconds(10)));
        a.add(tcp("203.0.113.2", 8443, T0.plusSeconds(30)));
        a.add(event("vm-1", "web", "203.0.113.3", "udp", 53, T0.plusSeconds(90)));
        a.add(event("vm-1", "web", "203.0.113.4", "icmp", null, T0.plusSeconds(20)));
        a.add(tcp("198.51.100.9", 22, T0)); // not covered by the /24: must not leak into its evidence

        InstanceSuggestions s = suggest(a);

        assertThat(cidrs(s)).containsExactly("198.51.100.9/32", "203.0.113.0/24");
        Suggestion group = s.suggestions().get(1);
        assertThat(group.events()).isEqualTo(5);
        assertThat(group.ports()).containsExactly(53, 443, 8443);
        assertThat(group.protocols()).containsExactly("icmp", "tcp", "udp");
        assertThat(group.services()).containsExactly("icmp", "tcp/443", "tcp/8443", "udp/53");
        assertThat(group.firstSeen()).isEqualTo(T0.plusSeconds(10));
        assertThat(group.lastSeen()).isEqualTo(T0.plusSeconds(90));
        Suggestion host = s.suggestions().get(0);
        assertThat(host.events()).isEqualTo(1);
        assertThat(host.ports()).containsExactly(22);
        assertThat(host.firstSeen()).isEqualTo(T0).isEqualTo(host.lastSeen());
    }

    @Test
    void destinationStatsCountEventsAndKeepTheirTimeRange() {
        InstanceAggregate a = new InstanceAggregate("vm-1", "web");
        for (int i = 0; i < 10; i++) {
            a.add(tcp("203.0.113.1", 443, T0.plus(Duration.ofMinutes(10 - i))));
        }

        DestinationAggregate d = a.destinations().iterator().next();

        assertThat(d.events()).isEqualTo(10);
        assertThat(d.firstSeen()).isEqualTo(T0.plus(Duration.ofMinutes(1)));
        assertThat(d.lastSeen()).isEqualTo(T0.plus(Duration.ofMinutes(10)));
        assertThat(d.uids()).containsExactly(984L);
        assertThat(d.sampleSources()).containsExactly("10.211.0.2");
    }

    @Test
    void totalsCountEveryEventAndDistinctDestination() {
        InstanceAggregate a = aggregate("203.0.113.1", "203.0.113.1", "169.254.169.254", "2001:db8::1");

        InstanceSuggestions s = suggest(a);

        assertThat(s.events()).isEqualTo(4);
        assertThat(s.destinations()).isEqualTo(3);
        assertThat(s.host()).isEqualTo("vm-1");
        assertThat(s.instance()).isEqualTo("web");
    }

    @Test
    void noDestinationsGiveNoSuggestions() {
        InstanceSuggestions s = suggest(new InstanceAggregate("vm-1", "web"));

        assertThat(s.suggestions()).isEmpty();
        assertThat(s.refused()).isEmpty();
    }

    @Test
    void aggregatorKeepsHostsApartSoEvidenceOfTwoHostsNeverWidensAGroup() {
        Aggregator aggregator = new Aggregator();
        aggregator.add(event("vm-1", "web", "203.0.113.1", "tcp", 443, T0));
        aggregator.add(event("vm-1", "web", "203.0.113.2", "tcp", 443, T0));
        aggregator.add(event("vm-2", "web", "203.0.113.3", "tcp", 443, T0));
        aggregator.add(event("vm-2", "web", "203.0.113.4", "tcp", 443, T0));

        List<InstanceAggregate> instances = aggregator.instances();

        assertThat(instances).extracting(InstanceAggregate::host).containsExactly("vm-1", "vm-2");
        assertThat(cidrs(suggest(instances.get(0)))).containsExactly("203.0.113.1/32", "203.0.113.2/32");
        assertThat(cidrs(suggest(instances.get(1)))).containsExactly("203.0.113.3/32", "203.0.113.4/32");
    }

    @Test
    void aggregatorCountsAnEventIdOnce() {
        Aggregator aggregator = new Aggregator();
        var event = event("vm-1", "web", "203.0.113.1", "tcp", 443, T0);

        assertThat(aggregator.add(event)).isTrue();
        assertThat(aggregator.add(event)).isFalse();

        assertThat(aggregator.duplicates()).isEqualTo(1);
        assertThat(aggregator.instances()).singleElement().satisfies(i -> assertThat(i.events()).isEqualTo(1));
    }
}
