package dev.opencode.tuner.policy.app.evidence;

import dev.opencode.tuner.policy.app.PolicyStack;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.xbill.DNS.ReverseMap;

/**
 * The policy stack (real Kafka and PostgreSQL) plus evidence sources: a real dnsmasq with PTR records for the test
 * addresses and provider range files in the real formats. Tests of evidence and of the web UI share it (one start).
 * Reverse DNS runs in its default scope ({@code suggestions}), with a rate limit high enough that the tests sharing
 * the service never reach it (the limit itself is tested in {@code ReverseDnsTest}).
 */
public class EvidenceStack implements QuarkusTestResourceLifecycleManager {
    /** Reverse names dnsmasq holds. */
    public static final Map<String, String> PTR = Map.of(
            "203.0.113.7", "web-7.example.test",
            "203.0.113.9", "api.example.test",
            "52.94.1.10", "ec2-52-94-1-10.compute.example.test",
            "2001:db8::7", "v6.example.test");
    /**
     * The addresses of those names: all but api.example.test hold their own address (forward-confirmed);
     * api.example.test is claimed by 203.0.113.9's reverse zone but resolves elsewhere (unverified).
     */
    public static final Map<String, String> FORWARD = Map.of(
            "web-7.example.test", "203.0.113.7",
            "api.example.test", "198.51.100.9",
            "ec2-52-94-1-10.compute.example.test", "52.94.1.10",
            "v6.example.test", "2001:db8::7");

    /** The dnsmasq of the running stack, for tests that read its query log. */
    private static volatile Dnsmasq running;

    private final PolicyStack policy = new PolicyStack();
    private Dnsmasq dnsmasq;
    private Path ranges;

    /** The reverse names the stack's dnsmasq was asked for (PTR queries), in order. */
    public static List<String> ptrQueries() {
        Dnsmasq d = running;
        if (d == null) {
            throw new IllegalStateException("the evidence stack is not running");
        }
        return d.queries("PTR");
    }

    /** The reverse name a PTR query for this address asks for. */
    public static String reverseName(String address) {
        return Dnsmasq.reverseName(address);
    }

    @Override
    public Map<String, String> start() {
        Map<String, String> config = new HashMap<>(policy.start());
        try {
            List<String> options = new java.util.ArrayList<>();
            for (Map.Entry<String, String> e : PTR.entrySet()) {
                options.add("--ptr-record=" + ReverseMap.fromAddress(InetAddress.getByName(e.getKey())).toString(true)
                        + "," + e.getValue());
            }
            for (Map.Entry<String, String> e : FORWARD.entrySet()) {
                options.add("--address=/" + e.getKey() + "/" + e.getValue());
            }
            options.add("--local=/in-addr.arpa/"); // everything else is NXDOMAIN, never asked further
            options.add("--local=/ip6.arpa/");
            options.add("--local=/example.test/");
            dnsmasq = Dnsmasq.start(options);
            running = dnsmasq;
            ranges = Files.createTempDirectory("tuner-ranges-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        config.put("tuner.policy.evidence.dns.enabled", "true");
        config.put("tuner.policy.evidence.dns.server", "127.0.0.1:" + dnsmasq.address().getPort());
        config.put("tuner.policy.evidence.dns.timeout", "1s");
        config.put("tuner.policy.evidence.dns.max-lookups-per-minute", "100000");
        config.put("tuner.policy.evidence.providers.aws",
                RangeFixtures.write(ranges, "ip-ranges.json", RangeFixtures.aws()).toString());
        config.put("tuner.policy.evidence.providers.google",
                RangeFixtures.write(ranges, "cloud.json", RangeFixtures.google()).toString());
        config.put("tuner.policy.evidence.providers.github",
                RangeFixtures.write(ranges, "meta.json", RangeFixtures.github()).toString());
        return config;
    }

    @Override
    public void stop() {
        try {
            if (dnsmasq != null) {
                running = null;
                dnsmasq.close();
            }
        } finally {
            policy.stop();
        }
    }
}
