package dev.opencode.tuner.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opencode.tuner.hoststate.HostState;
import dev.opencode.tuner.hoststate.HostStateJson;
import dev.opencode.tuner.journal.JournalFixture;
import dev.opencode.tuner.stack.KafkaAccounts;
import dev.opencode.tuner.stack.KafkaServer;
import dev.opencode.tuner.stack.TunerTopics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The collector reads the nftables egress table that nix/lib renders, loaded with the real {@code nft} in a test
 * network namespace, after an unprivileged user's connections: it publishes the allowlist entries with their counters
 * and the exactly counted blocked destinations to its host's host-state topic
 * ({@code opencode.egress.host-state.<host>}, logged in as the host's collector). A missing table is published as a
 * problem.
 */
class HostStateTest {
    private static final String NS = "tuner-hs-" + ProcessHandle.current().pid();
    private static final TunerTopics TOPICS = TunerTopics.defaults();
    private static Path root;
    private static KafkaServer kafka;

    @BeforeAll
    static void namespaceAndBroker() throws Exception {
        assertThat(Sh.isRoot()).as("network namespaces and nft need root").isTrue();
        root = Files.createTempDirectory("host-state");
        Path repo = Path.of(System.getProperty("tuner.root", "..")).toAbsolutePath().normalize();
        // The ruleset exactly as the NixOS module renders it, for one instance confined to the user nobody.
        String ruleset = Sh.stdout("nix-instantiate", "--eval", "--strict", "--json", "-E",
                "(import " + repo.resolve("nix/lib") + ").egressRuleset { web = { user = \"nobody\";"
                        + " outboundAllowCidrs = [ \"10.0.0.0/8\" \"151.101.0.223/32\" \"2606:50c0:8000::154/128\" ]; };"
                        + " }");
        ruleset = new com.fasterxml.jackson.databind.ObjectMapper().readValue(ruleset, String.class);
        Sh.ok("ip", "netns", "add", NS);
        Sh.ok("ip", "netns", "exec", NS, "ip", "link", "add", "va", "type", "veth", "peer", "name", "vb");
        Sh.ok("ip", "netns", "exec", NS, "ip", "addr", "add", "10.9.9.1/24", "dev", "va");
        Sh.ok("ip", "netns", "exec", NS, "ip", "link", "set", "va", "up");
        Sh.ok("ip", "netns", "exec", NS, "ip", "link", "set", "vb", "up");
        Sh.ok("ip", "netns", "exec", NS, "ip", "route", "add", "default", "via", "10.9.9.2", "dev", "va");
        Sh.okWithInput(ruleset, "ip", "netns", "exec", NS, "nft", "-f", "-");
        // SYNs out of the namespace (nobody answers): two to one blocked address, one to another, one allowed.
        for (String destination : List.of("192.0.2.5", "192.0.2.5", "198.51.100.7", "10.1.2.3")) {
            Sh.run(List.of("ip", "netns", "exec", NS, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                    "timeout", "1", "bash", "-c", "echo > /dev/tcp/" + destination + "/443"), null, Map.of(), 10);
        }
        kafka = KafkaServer.start(root.resolve("kafka"));
    }

    @AfterAll
    static void cleanUp() {
        if (kafka != null) {
            kafka.close();
        }
        Sh.quietly("ip", "netns", "del", NS);
    }

    @Test
    void publishesTheAllowlistInForceWithCountersAndTheExactBlockedCounts() throws Exception {
        HostState state = collect("ip netns exec " + NS + " nft -j list table inet opencode-egress", "hs-host");
        assertThat(state.host()).isEqualTo("hs-host");
        assertThat(state.problems()).isEmpty();
        assertThat(state.instances()).hasSize(1);
        HostState.InstanceState web = state.instances().get(0);
        assertThat(web.instance()).isEqualTo("web");
        assertThat(web.allow()).extracting(HostState.AllowCounter::cidr)
                .containsExactly("10.0.0.0/8", "151.101.0.223/32", "2606:50c0:8000::154/128");
        assertThat(web.allow().get(0).packets()).as("the SYN to 10.1.2.3").isEqualTo(1);
        assertThat(web.allow().get(1).packets()).isZero(); // unused so far: a removal candidate one day
        assertThat(web.blocked()).extracting(HostState.BlockedDestination::address, HostState.BlockedDestination::packets)
                .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple("192.0.2.5", 2L),
                        org.assertj.core.groups.Tuple.tuple("198.51.100.7", 1L));
        assertThat(web.blocked()).allSatisfy(d -> assertThat(d.expiresSeconds()).isPositive());
    }

    @Test
    void aHostWithoutTheTableIsPublishedWithTheProblem() throws Exception {
        Sh.ok("ip", "netns", "add", NS + "-empty");
        try {
            HostState state = collect("ip netns exec " + NS + "-empty nft -j list table inet opencode-egress",
                    "bare-host");
            assertThat(state.instances()).isEmpty();
            assertThat(state.problems()).singleElement().asString().contains("exited with 1");
        } finally {
            Sh.quietly("ip", "netns", "del", NS + "-empty");
        }
    }

    /** Runs the packaged collector with this host-state command and returns the first state it publishes. */
    private static HostState collect(String command, String host) throws Exception {
        Path dir = Files.createTempDirectory(root, host);
        Path journal = Files.createDirectories(dir.resolve("journal"));
        new JournalFixture().kernel("an unrelated kernel line").writeJournal(journal.resolve("system.journal"));
        KafkaAccounts.Login login = kafka.accounts().collector(host, TOPICS); // the host's account and topics
        try (CollectorProcess collector = new CollectorProcess(journal, dir.resolve("state"), kafka.bootstrapServers(),
                host, login, TOPICS.blocked(), TOPICS.malformed(), dir.resolve("collector.log"))
                .withProperty("tuner.collector.host-state.enabled", "true")
                .withProperty("tuner.collector.host-state.command", command)
                .withProperty("tuner.collector.host-state.interval", "1s")) {
            collector.start();
            Properties p = new Properties();
            p.putAll(kafka.accounts().broker().clientProperties());
            p.put("bootstrap.servers", kafka.bootstrapServers());
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p, new StringDeserializer(),
                    new StringDeserializer())) {
                TopicPartition partition = new TopicPartition(TOPICS.hostState() + "." + host, 0);
                consumer.assign(List.of(partition));
                consumer.seekToBeginning(List.of(partition));
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (System.nanoTime() < deadline) {
                    for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                        if (host.equals(r.key())) {
                            return HostStateJson.read(r.value());
                        }
                    }
                }
            }
            throw new AssertionError("no host state of " + host + " published; collector log:\n"
                    + Optional.of(Files.readString(dir.resolve("collector.log"))).get());
        }
    }
}
