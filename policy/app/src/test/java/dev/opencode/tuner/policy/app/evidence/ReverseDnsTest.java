package dev.opencode.tuner.policy.app.evidence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.opencode.tuner.policy.app.Eventually;
import dev.opencode.tuner.suggest.Cidrs;
import inet.ipaddr.IPAddress;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** Reverse DNS against a real dnsmasq on a loopback port, and against a port where nothing ever answers. */
class ReverseDnsTest {
    private static Dnsmasq dnsmasq;

    @BeforeAll
    static void startDnsmasq() throws Exception {
        dnsmasq = Dnsmasq.start(List.of(
                // Confirmed: the name's own A (AAAA) record holds the address.
                "--ptr-record=" + Dnsmasq.reverseName("203.0.113.7") + ",web-7.example.test",
                "--address=/web-7.example.test/203.0.113.7",
                "--ptr-record=" + Dnsmasq.reverseName("2001:db8::7") + ",v6.example.test",
                "--address=/v6.example.test/2001:db8::7",
                // Confirmed through a CNAME: alias -> web-11, whose A record holds the address.
                "--ptr-record=" + Dnsmasq.reverseName("203.0.113.11") + ",alias.example.test",
                "--cname=alias.example.test,web-11.example.test",
                "--host-record=web-11.example.test,203.0.113.11",
                // Unverified: the reverse zone claims a name whose A record is another address ...
                "--ptr-record=" + Dnsmasq.reverseName("203.0.113.9") + ",api.example.test",
                "--address=/api.example.test/198.51.100.9",
                // ... or a name that does not exist.
                "--ptr-record=" + Dnsmasq.reverseName("203.0.113.10") + ",no-such-name.example.test",
                // A name that exists without a PTR record: NOERROR with an empty answer.
                "--txt-record=" + Dnsmasq.reverseName("203.0.113.8") + ",not a name",
                // These zones are answered locally: what they do not hold is NXDOMAIN.
                "--local=/113.0.203.in-addr.arpa/",
                "--local=/100.51.198.in-addr.arpa/",
                "--local=/2.0.192.in-addr.arpa/",
                "--local=/8.b.d.0.1.0.0.2.ip6.arpa/",
                "--local=/example.test/"));
    }

    @AfterAll
    static void stopDnsmasq() {
        dnsmasq.close();
    }

    private static ReverseDns.Limits limits(Duration timeout, int cacheSize, int perMinute) {
        return new ReverseDns.Limits(timeout, cacheSize, Duration.ofHours(1), Duration.ofMinutes(5), 64, perMinute);
    }

    private static ReverseDns resolver(InetSocketAddress server, Duration timeout, int cacheSize, Ticker ticker,
                                       ConcurrentLinkedQueue<ReverseName.Status> outcomes) {
        return new ReverseDns(server, limits(timeout, cacheSize, 10_000), outcomes::add, skip -> {
            throw new AssertionError("skipped a lookup: " + skip);
        }, ticker);
    }

    static ReverseName settled(ReverseDns dns, String address) {
        IPAddress parsed = Cidrs.address(address);
        ReverseName[] last = {null};
        Eventually.await("the reverse DNS of " + address + " is settled", Duration.ofSeconds(10), () -> {
            last[0] = dns.lookup(parsed);
            return last[0].status() != ReverseName.Status.PENDING;
        }, () -> String.valueOf(last[0]));
        return last[0];
    }

    /**
     * Sends a PTR query for {@code marker} through a resolver of its own and waits until dnsmasq logged it: every
     * query sent before is logged by then (dnsmasq answers one at a time, in order).
     */
    static void logBarrier(Dnsmasq dnsmasq, String marker) {
        ReverseDns own = new ReverseDns(dnsmasq.address(), limits(Duration.ofSeconds(2), 10, 10), status -> {
        }, skip -> {
        });
        settled(own, marker);
        Eventually.await("dnsmasq logged the query for " + marker, Duration.ofSeconds(10),
                () -> dnsmasq.queries("PTR").contains(Dnsmasq.reverseName(marker)));
    }

    @Test
    void answersPendingAtOnceThenANameItsOwnAddressRecordsConfirm() {
        var outcomes = new ConcurrentLinkedQueue<ReverseName.Status>();
        ReverseDns dns = resolver(dnsmasq.address(), Duration.ofSeconds(2), 100, Ticker.systemTicker(), outcomes);

        assertThat(dns.lookup(Cidrs.address("203.0.113.7")).status()).isEqualTo(ReverseName.Status.PENDING);
        ReverseName name = settled(dns, "203.0.113.7");

        assertThat(name).isEqualTo(new ReverseName(ReverseName.Status.FOUND, "web-7.example.test", null));
        assertThat(name.describe()).isEqualTo("web-7.example.test");
        assertThat(settled(dns, "2001:db8::7").name()).isEqualTo("v6.example.test");
        assertThat(settled(dns, "203.0.113.11"))
                .isEqualTo(new ReverseName(ReverseName.Status.FOUND, "alias.example.test", null));
        assertThat(outcomes).containsOnly(ReverseName.Status.FOUND).hasSize(3);
        // Each name was asked for with the address family of its address: the confirmation is a real query.
        assertThat(dnsmasq.queries("A")).contains("web-7.example.test", "alias.example.test");
        assertThat(dnsmasq.queries("AAAA")).contains("v6.example.test");
    }

    @Test
    void aNameWhoseAddressRecordsDoNotHoldTheAddressIsUnverified() {
        var outcomes = new ConcurrentLinkedQueue<ReverseName.Status>();
        ReverseDns dns = resolver(dnsmasq.address(), Duration.ofSeconds(2), 100, Ticker.systemTicker(), outcomes);

        ReverseName elsewhere = settled(dns, "203.0.113.9");
        ReverseName nowhere = settled(dns, "203.0.113.10");

        assertThat(elsewhere.status()).isEqualTo(ReverseName.Status.FOUND_UNCONFIRMED);
        assertThat(elsewhere.status().text()).isEqualTo("unverified");
        assertThat(elsewhere.name()).isEqualTo("api.example.test");
        assertThat(elsewhere.describe()).isEqualTo("api.example.test (unverified)");
        assertThat(elsewhere.detail()).isEqualTo("the name's addresses do not include this one");
        assertThat(nowhere.status()).isEqualTo(ReverseName.Status.FOUND_UNCONFIRMED);
        assertThat(nowhere.name()).isEqualTo("no-such-name.example.test");
        assertThat(nowhere.detail()).isEqualTo("the name's own lookup answered NXDOMAIN");
        assertThat(outcomes).containsExactlyInAnyOrder(ReverseName.Status.FOUND_UNCONFIRMED,
                ReverseName.Status.FOUND_UNCONFIRMED);
        // The fault happened as staged: both names were asked for, and dnsmasq answered them as configured.
        assertThat(dnsmasq.queries("A")).contains("api.example.test", "no-such-name.example.test");
    }

    @Test
    void addressRecordsOfOtherOwnersInTheAnswerConfirmNothing() throws Exception {
        // A resolver's answer may carry records the name's chain does not lead to; only the chain counts.
        Name name = Name.fromString("claimed.example.test.");
        InetAddress address = InetAddress.getByName("203.0.113.50");
        Message answer = Message.newQuery(Record.newRecord(name, Type.A, DClass.IN));
        answer.addRecord(new ARecord(Name.fromString("other.example.test."), DClass.IN, 60, address), Section.ANSWER);

        assertThat(ReverseDns.confirmed("claimed.example.test", name, address, answer).status())
                .isEqualTo(ReverseName.Status.FOUND_UNCONFIRMED);

        Message chained = Message.newQuery(Record.newRecord(name, Type.A, DClass.IN));
        chained.addRecord(new ARecord(Name.fromString("end.example.test."), DClass.IN, 60, address), Section.ANSWER);
        chained.addRecord(new CNAMERecord(Name.fromString("middle.example.test."), DClass.IN, 60,
                Name.fromString("end.example.test.")), Section.ANSWER);
        chained.addRecord(new CNAMERecord(name, DClass.IN, 60, Name.fromString("middle.example.test.")),
                Section.ANSWER);
        assertThat(ReverseDns.confirmed("claimed.example.test", name, address, chained).status())
                .isEqualTo(ReverseName.Status.FOUND);
    }

    @Test
    void lookupsBeyondTheLimitOfAMinuteAreNeverSent() {
        AtomicLong nanos = new AtomicLong();
        var skipped = new ConcurrentLinkedQueue<ReverseDns.Skip>();
        ReverseDns dns = new ReverseDns(dnsmasq.address(), limits(Duration.ofSeconds(2), 100, 3), status -> {
        }, skipped::add, nanos::get);
        List<String> addresses = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            addresses.add("198.51.100." + i);
        }

        List<ReverseName.Status> first = new ArrayList<>();
        for (String a : addresses) {
            first.add(dns.lookup(Cidrs.address(a)).status());
        }
        for (String a : addresses.subList(0, 3)) {
            assertThat(settled(dns, a).status()).isEqualTo(ReverseName.Status.NXDOMAIN);
        }
        // Refused again within the minute: a refusal is not cached, and it sends nothing either.
        ReverseName again = dns.lookup(Cidrs.address("198.51.100.4"));
        logBarrier(dnsmasq, "192.0.2.1");

        assertThat(first.subList(0, 3)).containsOnly(ReverseName.Status.PENDING);
        assertThat(first.subList(3, 10)).containsOnly(ReverseName.Status.RATE_LIMITED);
        assertThat(again.status()).isEqualTo(ReverseName.Status.RATE_LIMITED);
        assertThat(again.describe()).isEqualTo("not looked up: rate limit");
        assertThat(skipped).hasSize(8).containsOnly(ReverseDns.Skip.RATE_LIMIT);
        assertThat(sentFor(addresses)).containsExactly("198.51.100.1", "198.51.100.2", "198.51.100.3");

        // A minute after the first three, three more may go; the rest still waits.
        nanos.addAndGet(Duration.ofSeconds(61).toNanos());
        List<ReverseName.Status> later = new ArrayList<>();
        for (String a : addresses.subList(3, 10)) {
            later.add(dns.lookup(Cidrs.address(a)).status());
        }
        for (String a : addresses.subList(3, 6)) {
            settled(dns, a);
        }
        logBarrier(dnsmasq, "192.0.2.2");

        assertThat(later.subList(0, 3)).containsOnly(ReverseName.Status.PENDING);
        assertThat(later.subList(3, 7)).containsOnly(ReverseName.Status.RATE_LIMITED);
        assertThat(sentFor(addresses)).containsExactly("198.51.100.1", "198.51.100.2", "198.51.100.3",
                "198.51.100.4", "198.51.100.5", "198.51.100.6");
    }

    /** The addresses among these whose PTR query dnsmasq received, in the order received. */
    private static List<String> sentFor(List<String> addresses) {
        List<String> queried = dnsmasq.queries("PTR");
        List<String> sent = new ArrayList<>();
        for (String name : queried) {
            for (String a : addresses) {
                if (name.equals(Dnsmasq.reverseName(a))) {
                    sent.add(a);
                }
            }
        }
        return sent;
    }

    @Test
    void tellsNxdomainFromANameWithoutPtrRecord() {
        ReverseDns dns = resolver(dnsmasq.address(), Duration.ofSeconds(2), 100, Ticker.systemTicker(),
                new ConcurrentLinkedQueue<>());

        ReverseName missing = settled(dns, "203.0.113.200");
        ReverseName noPtr = settled(dns, "203.0.113.8");

        assertThat(missing.status()).isEqualTo(ReverseName.Status.NXDOMAIN);
        assertThat(missing.name()).isNull();
        assertThat(missing.describe()).isEqualTo("no reverse name (NXDOMAIN)");
        assertThat(noPtr.status()).isEqualTo(ReverseName.Status.NO_NAME);
        assertThat(settled(dns, "2001:db8::99").status()).isEqualTo(ReverseName.Status.NXDOMAIN);
    }

    @Test
    void aServerThatNeverAnswersIsATimeoutNotAHang() throws Exception {
        // A bound UDP socket that nobody reads: queries are accepted by the kernel and never answered.
        try (DatagramSocket silent = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            var outcomes = new ConcurrentLinkedQueue<ReverseName.Status>();
            ReverseDns dns = resolver(new InetSocketAddress(InetAddress.getLoopbackAddress(), silent.getLocalPort()),
                    Duration.ofMillis(300), 100, Ticker.systemTicker(), outcomes);

            ReverseName first = dns.lookup(Cidrs.address("203.0.113.7"));
            ReverseName settled = settled(dns, "203.0.113.7");

            assertThat(first.status()).isEqualTo(ReverseName.Status.PENDING); // returned before the timeout
            assertThat(settled.status()).isEqualTo(ReverseName.Status.TIMEOUT);
            assertThat(settled.describe()).isEqualTo("reverse DNS timed out");
            assertThat(outcomes).containsExactly(ReverseName.Status.TIMEOUT);
        }
    }

    @Test
    void answersComeFromTheCacheUntilTheirTtlEnds() {
        var outcomes = new ConcurrentLinkedQueue<ReverseName.Status>();
        AtomicLong nanos = new AtomicLong();
        ReverseDns dns = resolver(dnsmasq.address(), Duration.ofSeconds(2), 100, nanos::get, outcomes);

        settled(dns, "203.0.113.7");
        for (int i = 0; i < 5; i++) {
            assertThat(dns.lookup(Cidrs.address("203.0.113.7")).name()).isEqualTo("web-7.example.test");
        }
        assertThat(dns.cached(Cidrs.address("203.0.113.7")).name()).isEqualTo("web-7.example.test");
        assertThat(outcomes).hasSize(1); // asked once

        nanos.addAndGet(Duration.ofHours(1).plusSeconds(1).toNanos());
        assertThat(dns.cached(Cidrs.address("203.0.113.7"))).isNull(); // expired, and cached() starts nothing
        assertThat(dns.lookup(Cidrs.address("203.0.113.7")).status()).isEqualTo(ReverseName.Status.PENDING);
        assertThat(settled(dns, "203.0.113.7").name()).isEqualTo("web-7.example.test");
        assertThat(outcomes).hasSize(2); // asked again after the TTL
    }

    @Test
    void theCacheIsBounded() {
        ReverseDns dns = resolver(dnsmasq.address(), Duration.ofSeconds(2), 3, Ticker.systemTicker(),
                new ConcurrentLinkedQueue<>());

        for (int i = 1; i <= 20; i++) {
            settled(dns, "203.0.113." + (100 + i));
        }

        assertThat(dns.cachedEntries()).isLessThanOrEqualTo(3);
    }

    @Test
    void serverSettingTakesIpLiteralsWithPortsOnly() {
        assertThat(ReverseDns.parseServer("127.0.0.1:5353"))
                .isEqualTo(new InetSocketAddress(InetAddress.getLoopbackAddress(), 5353));
        assertThat(ReverseDns.parseServer("[::1]:53").getPort()).isEqualTo(53);
        assertThat(ReverseDns.parseServer("::1").getPort()).isEqualTo(53);
        assertThat(ReverseDns.parseServer("192.0.2.53").getPort()).isEqualTo(53);
        assertThatThrownBy(() -> ReverseDns.parseServer("dns.example:53"))
                .hasMessageContaining("tuner.policy.evidence.dns.server").hasMessageContaining("'dns.example:53'");
        assertThatThrownBy(() -> ReverseDns.parseServer("127.0.0.1:70000"))
                .hasMessageContaining("port 70000 is not in 1..65535");
    }
}
