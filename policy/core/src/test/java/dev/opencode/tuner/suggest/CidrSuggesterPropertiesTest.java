package dev.opencode.tuner.suggest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opencode.tuner.blocked.BlockedEvent;
import inet.ipaddr.IPAddress;
import inet.ipaddr.ipv4.IPv4Address;
import inet.ipaddr.ipv6.IPv6Address;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.statistics.StatisticsReport;

/**
 * Invariants of the suggestion engine over generated destination sets: clustered so that /24 and /64 groups (and
 * adjacent groups) form, mixed with denylisted addresses and groups that touch the denylist, against random
 * allowlists and policies. Expected sets are computed here from the ipaddress library, not from the engine.
 */
class CidrSuggesterPropertiesTest {
    /** Addresses the default denylist refuses. */
    private static final List<String> DENIED = List.of("169.254.169.254", "169.254.0.1", "127.0.0.1", "127.53.1.9",
            "224.0.0.251", "239.255.255.250", "0.0.0.0", "0.1.2.3", "255.255.255.255", "100.100.100.200",
            "168.63.129.16", "::1", "::", "fe80::1", "fe80::abcd:1234:5678:9abc", "febf::1", "ff02::fb",
            "::ffff:a00:1", "fd00:ec2::254");

    /** A generated case: the policy, distinct canonical destinations and the existing allowlist. */
    record Scenario(SuggestionPolicy policy, List<String> destinations, List<String> allowlist) {
        @Override
        public String toString() {
            return "min=" + policy.minAddresses() + " /" + policy.prefix4() + " /" + policy.prefix6()
                    + "\n destinations=" + destinations + "\n allowlist=" + allowlist;
        }

        InstanceAggregate aggregate(String host) {
            InstanceAggregate a = new InstanceAggregate(host, "web");
            for (BlockedEvent e : events(host)) {
                a.add(e);
            }
            return a;
        }

        /** One to three events per destination, with ports and times varying by position. */
        List<BlockedEvent> events(String host) {
            List<BlockedEvent> events = new ArrayList<>();
            for (int i = 0; i < destinations.size(); i++) {
                for (int k = 0; k <= i % 3; k++) {
                    String protocol = (i + k) % 4 == 0 ? "udp" : "tcp";
                    events.add(BlockedEvents.event(host, "web", destinations.get(i), protocol, 443 + k,
                            BlockedEvents.T0.plusSeconds(i * 7L + k)));
                }
            }
            return events;
        }

        InstanceSuggestions suggest() {
            return new CidrSuggester(policy).suggest(aggregate("vm-1"), Allowlist.of(allowlist));
        }
    }

    // ---------------------------------------------------------------- properties

    @Property(tries = 300)
    void suggestionsCoverEveryDestinationThatIsNeitherRefusedNorAllowed(@ForAll("scenarios") Scenario s) {
        InstanceSuggestions result = s.suggest();
        List<IPAddress> blocks = blocks(result);

        for (String d : s.destinations()) {
            IPAddress ip = Cidrs.address(d);
            if (denied(s, ip) || allowed(ip, s.allowlist())) {
                continue;
            }
            assertThat(blocks.stream().filter(b -> sameFamily(b, ip) && b.contains(ip)))
                    .as("blocks covering %s", d).hasSize(1);
        }
        // Each covered destination is listed as evidence of exactly the block that covers it.
        for (Suggestion suggestion : result.suggestions()) {
            IPAddress block = Cidrs.parse(suggestion.cidr());
            assertThat(suggestion.addresses()).allSatisfy(a -> assertThat(block.contains(a.ip())).isTrue());
        }
        long listed = result.suggestions().stream().mapToLong(x -> x.addresses().size()).sum();
        long candidates = s.destinations().stream().map(Cidrs::address)
                .filter(ip -> !denied(s, ip) && !allowed(ip, s.allowlist())).count();
        assertThat(listed).isEqualTo(candidates);
    }

    @Property(tries = 300)
    void noSuggestionOverlapsTheDenylist(@ForAll("scenarios") Scenario s) {
        for (IPAddress block : blocks(s.suggest())) {
            for (Denylist.Entry entry : s.policy().denylist().entries()) {
                assertThat(sameFamily(block, entry.block()) && block.overlaps(entry.block()))
                        .as("%s overlaps denied %s", Cidrs.format(block), entry.cidr()).isFalse();
            }
        }
    }

    @Property(tries = 300)
    void noSuggestionOverlapsTheAllowlist(@ForAll("scenarios") Scenario s) {
        for (IPAddress block : blocks(s.suggest())) {
            for (String cidr : s.allowlist()) {
                IPAddress allowed = Cidrs.parse(cidr);
                assertThat(sameFamily(block, allowed) && block.overlaps(allowed))
                        .as("%s overlaps allowed %s", Cidrs.format(block), cidr).isFalse();
            }
        }
    }

    @Property(tries = 300)
    void suggestionsArePairwiseDisjointCanonicalAndCannotBeMergedFurther(@ForAll("scenarios") Scenario s) {
        InstanceSuggestions result = s.suggest();
        List<IPAddress> blocks = blocks(result);

        for (int i = 0; i < blocks.size(); i++) {
            IPAddress b = blocks.get(i);
            assertThat(b.isSinglePrefixBlock()).as("%s is one CIDR block", b).isTrue();
            assertThat(Cidrs.format(b)).isEqualTo(result.suggestions().get(i).cidr());
            for (int j = i + 1; j < blocks.size(); j++) {
                assertThat(sameFamily(b, blocks.get(j)) && b.overlaps(blocks.get(j)))
                        .as("%s and %s overlap", b, blocks.get(j)).isFalse();
            }
        }
        for (boolean v4 : new boolean[] {true, false}) {
            List<IPAddress> family = blocks.stream().filter(b -> b.isIPv4() == v4).toList();
            if (family.isEmpty()) {
                continue;
            }
            IPAddress[] merged = family.get(0).mergeToPrefixBlocks(family.toArray(new IPAddress[0]));
            assertThat(Stream.of(merged).map(Cidrs::format).toList())
                    .as("merging the suggestions changes nothing")
                    .containsExactlyInAnyOrderElementsOf(family.stream().map(Cidrs::format).toList());
        }
    }

    @Property(tries = 300)
    void everySuggestedAddressWasObservedOrLiesInAGroupWithEnoughObservedDestinations(
            @ForAll("scenarios") Scenario s) {
        List<IPAddress> observed = s.destinations().stream().map(Cidrs::address).toList();
        for (IPAddress block : blocks(s.suggest())) {
            int groupPrefix = s.policy().groupPrefix(block.isIPv4() ? 4 : 6);
            for (IPAddress group : groupsTouching(block, groupPrefix, observed.size())) {
                long inGroup = observed.stream().filter(ip -> sameFamily(ip, group) && group.contains(ip)).count();
                if (inGroup >= s.policy().minAddresses()) {
                    continue; // a widened group may open unobserved addresses
                }
                IPAddress part = group.contains(block) ? block : group;
                long observedInPart = observed.stream().filter(ip -> sameFamily(ip, part) && part.contains(ip))
                        .count();
                assertThat(BigInteger.valueOf(observedInPart))
                        .as("%s lies in group %s with %d < %d observed destinations, so every address in it must"
                                + " have been observed", Cidrs.format(block), Cidrs.format(group), inGroup,
                                s.policy().minAddresses())
                        .isEqualTo(part.getCount());
            }
        }
    }

    @Property(tries = 300)
    void refusedDestinationsAreExactlyTheDenylistedOnes(@ForAll("scenarios") Scenario s) {
        InstanceSuggestions result = s.suggest();

        Set<String> expected = new HashSet<>();
        for (String d : s.destinations()) {
            if (denied(s, Cidrs.address(d))) {
                expected.add(d);
            }
        }
        assertThat(result.refused()).extracting(Refusal::address).containsExactlyInAnyOrderElementsOf(expected);
        for (Refusal r : result.refused()) {
            IPAddress deniedBy = Cidrs.parse(r.deniedBy());
            assertThat(deniedBy.contains(Cidrs.address(r.address()))).isTrue();
            assertThat(r.reason()).isNotBlank();
            assertThat(r.events()).isPositive();
        }
    }

    @Property(tries = 300)
    void alreadyAllowedAreExactlyTheAllowlistedDestinationsThatAreNotRefused(@ForAll("scenarios") Scenario s) {
        InstanceSuggestions result = s.suggest();

        List<String> expected = s.destinations().stream()
                .filter(d -> !denied(s, Cidrs.address(d)) && allowed(Cidrs.address(d), s.allowlist())).toList();
        assertThat(result.alreadyAllowed()).extracting(DestinationAggregate::address)
                .containsExactlyInAnyOrderElementsOf(expected);
    }

    @Property(tries = 300)
    void everyEventIsCountedOnceAsSuggestedRefusedOrAllowed(@ForAll("scenarios") Scenario s) {
        InstanceSuggestions result = s.suggest();

        long suggested = result.suggestions().stream().mapToLong(Suggestion::events).sum();
        long refused = result.refused().stream().mapToLong(Refusal::events).sum();
        long allowed = result.alreadyAllowed().stream().mapToLong(DestinationAggregate::events).sum();
        assertThat(suggested + refused + allowed).isEqualTo(result.events())
                .isEqualTo(s.events("vm-1").size());
        assertThat(result.destinations()).isEqualTo(s.destinations().size());
    }

    @Property(tries = 200)
    void resultsNeverMixHosts(@ForAll("scenarios") Scenario a, @ForAll("scenarios") Scenario b) {
        // Host vm-2 sees b's destinations; vm-1 sees a's. Together they could widen groups neither widens alone.
        Aggregator aggregator = new Aggregator();
        a.events("vm-1").forEach(aggregator::add);
        b.events("vm-2").forEach(aggregator::add);
        CidrSuggester suggester = new CidrSuggester(a.policy());
        Allowlist allowlist = Allowlist.of(a.allowlist());

        Map<String, InstanceAggregate> byHost = new HashMap<>();
        aggregator.instances().forEach(i -> byHost.put(i.host(), i));

        assertThat(byHost.containsKey("vm-1")).isEqualTo(!a.destinations().isEmpty());
        assertThat(byHost.containsKey("vm-2")).isEqualTo(!b.destinations().isEmpty());
        for (var host : List.of(Map.entry("vm-1", a), Map.entry("vm-2", b))) {
            InstanceAggregate together = byHost.get(host.getKey());
            if (together == null) {
                continue;
            }
            InstanceSuggestions result = suggester.suggest(together, allowlist);
            assertThat(cidrs(result)).as(host.getKey())
                    .isEqualTo(cidrs(suggester.suggest(host.getValue().aggregate(host.getKey()), allowlist)));
            assertThat(result.suggestions()).flatExtracting(Suggestion::addresses)
                    .extracting(DestinationAggregate::address)
                    .allSatisfy(d -> assertThat(host.getValue().destinations()).contains(d));
        }
    }

    @Property(tries = 100)
    void sameInputGivesTheSameSuggestionsInAddressOrder(@ForAll("scenarios") Scenario s) {
        List<String> first = cidrs(s.suggest());

        assertThat(cidrs(s.suggest())).isEqualTo(first);
        List<IPAddress> blocks = first.stream().map(Cidrs::parse).toList();
        for (int i = 1; i < blocks.size(); i++) {
            IPAddress prev = blocks.get(i - 1);
            IPAddress next = blocks.get(i);
            boolean ordered = prev.isIPv4() && next.isIPv6()
                    || sameFamily(prev, next) && prev.getValue().compareTo(next.getValue()) < 0;
            assertThat(ordered).as("%s before %s", prev, next).isTrue();
        }
    }

    /** Guards the generators: the properties above mean little unless groups widen and lists take effect. */
    @Property(tries = 300)
    @StatisticsReport(onFailureOnly = true)
    void generatedScenariosWidenGroupsRefuseAndFindAllowedDestinations(@ForAll("scenarios") Scenario s) {
        InstanceSuggestions result = s.suggest();
        boolean widened4 = false;
        boolean widened6 = false;
        for (Suggestion x : result.suggestions()) {
            boolean wide = x.opens().compareTo(BigInteger.valueOf(x.addresses().size())) > 0;
            widened4 |= wide && x.cidr().indexOf(':') < 0;
            widened6 |= wide && x.cidr().indexOf(':') >= 0;
        }
        Statistics.label("IPv4 group widened").collect(widened4);
        Statistics.label("IPv6 group widened").collect(widened6);
        Statistics.label("destination refused").collect(!result.refused().isEmpty());
        Statistics.label("destination already allowed").collect(!result.alreadyAllowed().isEmpty());

        Statistics.label("IPv4 group widened").coverage(c -> c.check(true).percentage(p -> p >= 20));
        Statistics.label("IPv6 group widened").coverage(c -> c.check(true).percentage(p -> p >= 15));
        Statistics.label("destination refused").coverage(c -> c.check(true).percentage(p -> p >= 30));
        Statistics.label("destination already allowed").coverage(c -> c.check(true).percentage(p -> p >= 15));
    }

    // ---------------------------------------------------------------- expectations computed independently

    private static boolean sameFamily(IPAddress a, IPAddress b) {
        return a.isIPv4() == b.isIPv4();
    }

    /** Denied by an entry of the policy, checked with the library's contains(), not the engine's lookup. */
    private static boolean denied(Scenario s, IPAddress ip) {
        return s.policy().denylist().entries().stream()
                .anyMatch(e -> sameFamily(e.block(), ip) && e.block().contains(ip));
    }

    private static boolean allowed(IPAddress ip, List<String> allowlist) {
        return allowlist.stream().map(Cidrs::parse).anyMatch(b -> sameFamily(b, ip) && b.contains(ip));
    }

    private static List<IPAddress> blocks(InstanceSuggestions result) {
        return result.suggestions().stream().map(x -> Cidrs.parse(x.cidr())).toList();
    }

    private static List<String> cidrs(InstanceSuggestions result) {
        return result.suggestions().stream().map(Suggestion::cidr).toList();
    }

    /** The group-prefix blocks that share addresses with {@code block} (one, or several when it is wider). */
    private static List<IPAddress> groupsTouching(IPAddress block, int groupPrefix, int limit) {
        int prefix = block.getNetworkPrefixLength();
        if (prefix >= groupPrefix) {
            return List.of(block.toPrefixBlock(groupPrefix));
        }
        // Wider than one group: it can only be a merge of widened groups, at most one per observed destination.
        assertThat(groupPrefix - prefix).as("%s spans too many groups", block).isLessThanOrEqualTo(20);
        List<IPAddress> groups = new ArrayList<>();
        Iterator<? extends IPAddress> it = block.setPrefixLength(groupPrefix, false).prefixBlockIterator();
        while (it.hasNext()) {
            groups.add(it.next());
            assertThat(groups.size()).as("%s spans more groups than there are destinations", block)
                    .isLessThanOrEqualTo(limit);
        }
        return groups;
    }

    // ---------------------------------------------------------------- generators

    @Provide
    Arbitrary<Scenario> scenarios() {
        Arbitrary<Integer> prefix4 = Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.just(24)), Tuple.of(1, Arbitraries.integers().between(16, 32)));
        Arbitrary<Integer> prefix6 = Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.just(64)), Tuple.of(1, Arbitraries.integers().between(48, 128)));
        Arbitrary<SuggestionPolicy> policies = Combinators.combine(Arbitraries.integers().between(2, 6), prefix4,
                prefix6).as((min, p4, p6) -> new SuggestionPolicy(min, p4, p6, Denylist.defaults()));
        Arbitrary<List<String>> destinations = Combinators.combine(
                        v4Cluster().list().ofMaxSize(4).withSizeDistribution(RandomDistribution.uniform()),
                        v6Cluster().list().ofMaxSize(3).withSizeDistribution(RandomDistribution.uniform()),
                        Arbitraries.of(DENIED).list().ofMaxSize(4),
                        Arbitraries.integers().withDistribution(RandomDistribution.uniform())
                                .map(v -> new IPv4Address(v).toCanonicalString()).list().ofMaxSize(3))
                .as((c4, c6, denied, random) -> {
                    Set<String> all = new LinkedHashSet<>();
                    c4.forEach(all::addAll);
                    c6.forEach(all::addAll);
                    all.addAll(denied);
                    all.addAll(random);
                    return List.copyOf(all);
                });
        return Combinators.combine(policies, destinations).flatAs((policy, ds) ->
                Combinators.combine(cidrsAround(ds), cidrsAround(ds).map(l -> l.subList(0, Math.min(1, l.size()))))
                        .as((allow, deny) -> {
                    // Extra denylist entries around observed destinations: inside, covering or beside groups.
                    Denylist denylist = policy.denylist();
                    for (String cidr : deny) {
                        denylist = denylist.plus(cidr, "test entry " + cidr);
                    }
                    SuggestionPolicy p = new SuggestionPolicy(policy.minAddresses(), policy.prefix4(),
                            policy.prefix6(), denylist);
                    return new Scenario(p, ds, allow);
                }));
    }

    /** 1..10 addresses in one /24, sometimes with a second cluster in the adjacent /24. */
    private static Arbitrary<List<String>> v4Cluster() {
        Arbitrary<Integer> bases = Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.integers().between(0, 0xffffff).withDistribution(RandomDistribution.uniform())),
                // /24s that hold or touch a denied address: 100.100.100.200, 168.63.129.16, 169.254.169.254
                Tuple.of(1, Arbitraries.of(0x646464, 0xa83f81, 0xa9fea9, 0x7f0000, 0xe00000, 0xc00002)));
        Arbitrary<Set<Integer>> octets = Arbitraries.integers().between(0, 255).set().ofMinSize(1).ofMaxSize(10)
                .withSizeDistribution(RandomDistribution.uniform());
        return Combinators.combine(bases, octets, octets, Arbitraries.of(false, true))
                .as((base, first, second, adjacent) -> {
                    List<String> out = new ArrayList<>();
                    first.forEach(o -> out.add(v4(base, o)));
                    if (adjacent) {
                        second.forEach(o -> out.add(v4(base ^ 1, o)));
                    }
                    return out;
                });
    }

    private static String v4(int base24, int lastOctet) {
        return new IPv4Address((base24 << 8) | lastOctet).toCanonicalString();
    }

    /** 1..8 addresses in one /64, sometimes with a second cluster in the adjacent /64. */
    private static Arbitrary<List<String>> v6Cluster() {
        Arbitrary<Long> bases = Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.longs().withDistribution(RandomDistribution.uniform())),
                Tuple.of(1, Arbitraries.of(0x20010db800000000L, 0xfe80000000000000L, 0xfd000ec200000000L, 0L)));
        Arbitrary<Set<Long>> hosts = Arbitraries.oneOf(Arbitraries.longs(), Arbitraries.longs().between(0, 300))
                .set().ofMinSize(1).ofMaxSize(8).withSizeDistribution(RandomDistribution.uniform());
        return Combinators.combine(bases, hosts, hosts, Arbitraries.of(false, true))
                .as((base, first, second, adjacent) -> {
                    List<String> out = new ArrayList<>();
                    first.forEach(h -> out.add(v6(base, h)));
                    if (adjacent) {
                        second.forEach(h -> out.add(v6(base ^ 1, h)));
                    }
                    return out;
                });
    }

    private static String v6(long high, long low) {
        return new IPv6Address(ByteBuffer.allocate(16).putLong(high).putLong(low).array()).toCanonicalString();
    }

    /** 0..4 CIDRs: around observed destinations (so they matter), plus random ones. */
    private static Arbitrary<List<String>> cidrsAround(List<String> destinations) {
        Arbitrary<String> random = Arbitraries.integers().flatMap(v -> Arbitraries.integers().between(8, 32)
                .map(len -> Cidrs.format(new IPv4Address(v).toPrefixBlock(len))));
        if (destinations.isEmpty()) {
            return random.list().ofMaxSize(2);
        }
        Arbitrary<String> around = Combinators.combine(Arbitraries.of(destinations),
                Arbitraries.integers().between(0, 100)).as((d, r) -> {
                    IPAddress ip = Cidrs.address(d);
                    int bits = ip.getBitCount();
                    // v4: /20../32, v6: /44../128
                    int len = ip.isIPv4() ? 20 + r % 13 : 44 + r % 85;
                    return Cidrs.format(ip.toPrefixBlock(Math.min(len, bits)));
                });
        return Arbitraries.oneOf(around, around, random).list().ofMaxSize(4);
    }
}
