package dev.opencode.tuner.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opencode.tuner.blocked.BlockedLine;
import dev.opencode.tuner.blocked.BlockedLineParser;
import dev.opencode.tuner.blocked.ParseResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs nix/tests/run-host-tests.sh (every .nix file parses; the pure library evaluates with bare nix-instantiate and
 * rejects bad input; the rendered ruleset passes nft -c and, in network namespaces with real users, enforces exactly
 * the allowlists and logs the rest, and closes denied local ports to the instance user only), then feeds the kernel
 * lines it captured to the core parser: the NixOS module's log line is the collector's input contract, and the lines of
 * denied local attempts are no blocked events.
 */
class NixHostTest {
    @TempDir
    Path out;

    @Test
    void nixLibraryAndEgressPolicyPassTheHostTestsAndTheirKernelLinesParse() throws Exception {
        assertThat(Sh.isRoot()).as("the nix host tests need root (namespaces, nftables, test users)").isTrue();
        Path root = Path.of("..").toAbsolutePath().normalize();
        Sh.Result r = Sh.run(List.of("bash", root.resolve("nix/tests/run-host-tests.sh").toString()), null,
                Map.of("OUT_DIR", out.toString()), 600);
        assertThat(r.code()).as(r.output()).isZero();
        assertThat(r.output()).contains(", 0 failed").doesNotContain("not ok");

        List<String> lines = Files.readAllLines(out.resolve("kernel-lines.txt"));
        assertThat(lines).hasSizeGreaterThanOrEqualTo(10);
        BlockedLineParser parser = new BlockedLineParser();
        List<BlockedLine> parsed = new ArrayList<>();
        for (String line : lines) {
            ParseResult result = parser.parse(line);
            assertThat(result).as(line).isInstanceOf(BlockedLine.class);
            parsed.add((BlockedLine) result);
        }
        assertThat(parsed).extracting(BlockedLine::instance).allMatch(name -> name.startsWith("ht-"));
        assertThat(parsed).extracting(BlockedLine::family).contains(4, 6);
        assertThat(parsed).extracting(BlockedLine::protocol).contains("tcp", "udp");
        assertThat(parsed).allSatisfy(l -> assertThat(l.uid()).as("UID= from 'log flags skuid'").isNotNull());

        // Attempts on a denied local port are logged under their own prefix: the collector must never turn them
        // into blocked events (the tuner would then suggest loopback destinations).
        List<String> localDenied = Files.readAllLines(out.resolve("local-denied-lines.txt"));
        assertThat(localDenied).isNotEmpty().allSatisfy(line -> {
            assertThat(line).startsWith("opencode-ht-alpha-local-denied: ");
            assertThat(parser.parse(line)).as(line).isSameAs(ParseResult.Unrelated.INSTANCE);
        });
    }

    /**
     * The NixOS module's Kafka scripts (nix/lib/kafka.nix: the storage format with the broker's SCRAM account, the
     * accounts, per-host topics and ACLs of the policy service and the collectors) rendered by nix-instantiate and run
     * by nix/tests/kafka/run.sh against a real broker from the jars the stack module keeps in target/kafka-lib.
     */
    @Test
    void theNixModulesKafkaScriptsProvisionARealBrokerWithoutPasswordsInArguments() {
        Path root = Path.of("..").toAbsolutePath().normalize();
        Path kafkaLib = root.resolve("stack/target/kafka-lib");
        assertThat(kafkaLib).as("Kafka's jars, which the stack module's build copies there").isDirectory();
        Sh.Result r = Sh.run(List.of("bash", root.resolve("nix/tests/kafka/run.sh").toString()), null,
                Map.of("KAFKA_LIB", kafkaLib.toString(), "JAVA_HOME", System.getProperty("java.home")), 1200);
        assertThat(r.code()).as(r.output()).isZero();
        assertThat(r.output()).contains(", 0 failed").doesNotContain("not ok");
    }

    @Test
    void theNixModuleAndTheParserAcceptExactlyTheSameInstanceNames() {
        Path lib = Path.of("..").toAbsolutePath().normalize().resolve("nix/lib");
        Sh.Result r = Sh.run(List.of("nix-instantiate", "--store", "dummy://", "--eval", "--json", "--expr",
                "{ lib }: (import lib).instanceNamePattern", "--arg", "lib", lib.toString()), null, Map.of(), 60);
        assertThat(r.code()).as(r.output()).isZero();
        assertThat(r.output().strip()).isEqualTo("\"" + dev.opencode.tuner.blocked.InstanceName.PATTERN.pattern()
                + "\"");
    }
}
