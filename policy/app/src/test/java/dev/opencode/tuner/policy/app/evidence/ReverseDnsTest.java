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
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ReverseMap;

/** Reverse DNS against a real dnsmasq on a loopback port, and against a port where nothing ever answers. */
class ReverseDnsTest {
    private static Dnsmasq dnsmasq;

    @BeforeAll
    static void startDnsmasq() throws Exception {
        String v6 = ReverseMap.fromAddress(InetAddress.getByName("2001:db8::7")).toString(true);
        dnsmasq = Dnsmasq.start(List.of(
                "--ptr-record=7.113.0.203.in-addr.arpa,web-7.example.test",
                "--ptr-record=9.113.0.203.in-addr.arpa,api.example.test",
                "--ptr-record=" + v6 + ",v6.example.test",
                // A name that exists without a PTR record: NOERROR with an empty answer.
                "--txt-record=8.113.0.203.in-addr.arpa,not a name",
                // These reverse zones are answered locally: what they do not hold is NXDOMAIN.
                "--local=/113.0.203.in-addr.arpa/",
                "--local=/8.b.d.0.1.0.0.2.ip6.arpa/"));
    }

    @AfterAll
    static void stopDnsmasq() {
        dnsmasq.close();
    }

    private static ReverseDns resolver(InetSocketAddress server, Duration timeout, int cacheSize, Ticker ticker,
                                       ConcurrentLinkedQueue<ReverseName.Status> outcomes) {
        return new ReverseDns(server, timeout, cacheSize, Duration.ofHours(1), Duration.ofMinutes(5), 64,
                outcomes::add, ticker);
    }

    private static ReverseName settled(ReverseDns dns, String address) {
        IPAddress parsed = Cidrs.address(address);
        ReverseName[] last = {null};
        Eventually.await("the reverse DNS of " + address + " is settled", Duration.ofSeconds(10), () -> {
            last[0] = dns.lookup(parsed);
            return last[0].status() != ReverseName.Status.PENDING;
        }, () -> String.valueOf(last[0]));
        return last[0];
    }

    @Test
    void answersPendingAtOnceThenTheNameFromThePtrRecord() {
        var outcomes = new ConcurrentLinkedQueue<ReverseName.Status>();
        ReverseDns dns = resolver(dnsmasq.address(), Duration.ofSeconds(2), 100, Ticker.systemTicker(), outcomes);

        assertThat(dns.lookup(Cidrs.address("203.0.113.9")).status()).isEqualTo(ReverseName.Status.PENDING);
        ReverseName name = settled(dns, "203.0.113.9");

        assertThat(name.status()).isEqualTo(ReverseName.Status.FOUND);
        assertThat(name.name()).isEqualTo("api.example.test");
        assertThat(settled(dns, "203.0.113.7").name()).isEqualTo("web-7.example.test");
        assertThat(settled(dns, "2001:db8::7").name()).isEqualTo("v6.example.test");
        assertThat(outcomes).containsOnly(ReverseName.Status.FOUND).hasSize(3);
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
        assertThat(outcomes).hasSize(1); // asked once

        nanos.addAndGet(Duration.ofHours(1).plusSeconds(1).toNanos());
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
