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
 */
public class EvidenceStack implements QuarkusTestResourceLifecycleManager {
    /** Reverse names dnsmasq holds. */
    public static final Map<String, String> PTR = Map.of(
            "203.0.113.7", "web-7.example.test",
            "203.0.113.9", "api.example.test",
            "52.94.1.10", "ec2-52-94-1-10.compute.example.test",
            "2001:db8::7", "v6.example.test");

    private final PolicyStack policy = new PolicyStack();
    private Dnsmasq dnsmasq;
    private Path ranges;

    @Override
    public Map<String, String> start() {
        Map<String, String> config = new HashMap<>(policy.start());
        try {
            List<String> options = new java.util.ArrayList<>();
            for (Map.Entry<String, String> e : PTR.entrySet()) {
                options.add("--ptr-record=" + ReverseMap.fromAddress(InetAddress.getByName(e.getKey())).toString(true)
                        + "," + e.getValue());
            }
            options.add("--local=/in-addr.arpa/"); // everything else is NXDOMAIN, never asked further
            options.add("--local=/ip6.arpa/");
            dnsmasq = Dnsmasq.start(options);
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
                dnsmasq.close();
            }
        } finally {
            policy.stop();
        }
    }
}
