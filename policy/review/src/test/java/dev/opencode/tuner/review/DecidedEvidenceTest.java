package dev.opencode.tuner.review;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DecidedEvidenceTest {
    private static final Instant T = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    private static final List<DecidedEvidence.Destination> GITHUB = List.of(
            destination("140.82.112.3", 2, Set.of(443), Set.of("tcp"), 0, 10),
            destination("140.82.112.4", 1, Set.of(443), Set.of("tcp"), 20, 20),
            destination("140.82.112.5", 2, Set.of(22), Set.of("tcp"), 5, 30),
            destination("140.82.112.9", 1, Set.of(53), Set.of("udp"), 40, 40));
    private static final List<String> SERVICES = List.of("tcp/22", "tcp/443", "udp/53");

    @Test
    void aNarrowedDecisionCarriesOnlyTheEvidenceOfTheDecidedAddresses() {
        DecidedEvidence one = DecidedEvidence.within("140.82.112.3/32", GITHUB, SERVICES);

        assertThat(one.cidr()).isEqualTo("140.82.112.3/32");
        assertThat(one.events()).isEqualTo(2);
        assertThat(one.addresses()).containsExactly("140.82.112.3");
        assertThat(one.opens()).isEqualTo(BigInteger.ONE);
        assertThat(one.services()).containsExactly("tcp/443");
        assertThat(one.ports()).containsExactly(443);
        assertThat(one.firstSeen()).isEqualTo(T);
        assertThat(one.lastSeen()).isEqualTo(T.plus(Duration.ofMinutes(10)));
    }

    @Test
    void aNarrowerBlockSumsItsDestinationsAndKeepsTheirServices() {
        DecidedEvidence half = DecidedEvidence.within("140.82.112.0/29", GITHUB, SERVICES);

        assertThat(half.cidr()).isEqualTo("140.82.112.0/29");
        assertThat(half.events()).isEqualTo(5);
        assertThat(half.addresses()).containsExactly("140.82.112.3", "140.82.112.4", "140.82.112.5");
        assertThat(half.opens()).isEqualTo(BigInteger.valueOf(8));
        assertThat(half.services()).containsExactly("tcp/22", "tcp/443");
        assertThat(half.protocols()).containsExactly("tcp");
        assertThat(half.firstSeen()).isEqualTo(T);
        assertThat(half.lastSeen()).isEqualTo(T.plus(Duration.ofMinutes(30)));
    }

    @Test
    void aWidenedDecisionKeepsEveryObservedDestination() {
        DecidedEvidence wide = DecidedEvidence.within("140.82.112.0/23", GITHUB, SERVICES);

        assertThat(wide.events()).isEqualTo(6);
        assertThat(wide.addresses()).hasSize(4);
        assertThat(wide.opens()).isEqualTo(BigInteger.valueOf(512));
        assertThat(wide.services()).containsExactly("tcp/22", "tcp/443", "udp/53");
        assertThat(wide.lastSeen()).isEqualTo(T.plus(Duration.ofMinutes(40)));
    }

    @Test
    void aCidrWithoutObservedDestinationsHasNoEvents() {
        DecidedEvidence none = DecidedEvidence.within("2001:db8::/64", GITHUB, SERVICES);

        assertThat(none.events()).isZero();
        assertThat(none.addresses()).isEmpty();
        assertThat(none.services()).isEmpty();
        assertThat(none.firstSeen()).isNull();
    }

    @Test
    void servicesWithoutAPortCountByProtocol() {
        List<DecidedEvidence.Destination> pings = List.of(
                destination("2001:db8::1", 3, Set.of(), Set.of("icmpv6"), 0, 1),
                destination("2001:db8::2", 1, Set.of(443), Set.of("tcp"), 0, 1));

        assertThat(DecidedEvidence.within("2001:db8::1/128", pings, List.of("icmpv6", "tcp/443")).services())
                .containsExactly("icmpv6");
    }

    private static DecidedEvidence.Destination destination(String address, long events, Set<Integer> ports,
                                                           Set<String> protocols, int firstMinute, int lastMinute) {
        return new DecidedEvidence.Destination(address, events, ports, protocols,
                T.plus(Duration.ofMinutes(firstMinute)), T.plus(Duration.ofMinutes(lastMinute)));
    }
}
