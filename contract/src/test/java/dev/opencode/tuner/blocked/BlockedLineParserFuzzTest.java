package dev.opencode.tuner.blocked;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressString;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Without {@code JAZZER_FUZZ} this runs as a regression test on the empty input and on every file under
 * {@code src/test/resources/dev/opencode/tuner/blocked/BlockedLineParserFuzzTestInputs/<method>/}. To fuzz for a
 * bounded time (one fuzz test per run):
 *
 * <pre>
 * JAZZER_FUZZ=1 JAZZER_MAX_DURATION=60s ./mvnw -B -o -pl contract test \
 *     -Dtest='BlockedLineParserFuzzTest#parserNeverThrowsAndOnlyReturnsValidLines'
 * </pre>
 *
 * Findings are written into that inputs directory (commit them: they become regression cases); the generated corpus
 * goes to {@code contract/.cifuzz-corpus/}.
 */
class BlockedLineParserFuzzTest {
    /** Seed files that must exist (and parse): fewer means the inputs directory was lost or renamed. */
    private static final int MIN_SEEDS = 10;
    private static final AtomicInteger FUZZ_RUNS = new AtomicInteger();
    private static final AtomicInteger BLOCKED_LINES = new AtomicInteger();

    private final BlockedLineParser parser = new BlockedLineParser();

    @FuzzTest(maxDuration = "60s")
    void parserNeverThrowsAndOnlyReturnsValidLines(FuzzedDataProvider data) {
        String line = data.consumeRemainingAsString();

        ParseResult result = parser.parse(line);

        FUZZ_RUNS.incrementAndGet();
        assertThat(result).isNotNull();
        if (result instanceof BlockedLine blocked) {
            assertValid(blocked);
            BLOCKED_LINES.incrementAndGet();
        } else if (result instanceof ParseResult.Malformed malformed) {
            assertThat(malformed.reason()).isNotBlank();
            assertThat(malformed.instance() == null || InstanceName.isValid(malformed.instance())).isTrue();
        }
    }

    static void assertValid(BlockedLine l) {
        assertThat(InstanceName.isValid(l.instance())).as("instance %s", l.instance()).isTrue();
        assertThat(l.family()).isIn(4, 6);
        assertCanonical(l.source(), l.family());
        assertCanonical(l.destination(), l.family());
        assertThat(l.outInterface()).isNotNull();
        assertThat(l.inInterface()).isNotNull();
        if (l.sourcePort() != null) {
            assertThat(l.sourcePort()).isBetween(0, 65535);
        }
        if (l.destinationPort() != null) {
            assertThat(l.destinationPort()).isBetween(0, 65535);
        }
        if (l.icmpType() != null) {
            assertThat(l.icmpType()).isBetween(0, 255);
        }
        if (l.uid() != null) {
            assertThat(l.uid()).isBetween(0L, 0xffff_ffffL);
        }
    }

    private static void assertCanonical(String address, int family) {
        IPAddress parsed = new IPAddressString(address).getAddress();
        assertThat(parsed).as("address %s", address).isNotNull();
        assertThat(parsed.getNetworkPrefixLength()).as("prefix of %s", address).isNull();
        assertThat(parsed.isIPv4() ? 4 : parsed.isIPv6() ? 6 : 0).as("family of %s", address).isEqualTo(family);
        assertThat(parsed.toCanonicalString()).as("canonical form of %s", address).isEqualTo(address);
    }

    /** The seed files: real kernel lines, so that regression mode exercises the parser's happy path too. */
    private static List<Path> seedFiles() throws IOException, URISyntaxException {
        Path dir = Path.of(BlockedLineParserFuzzTest.class
                .getResource("BlockedLineParserFuzzTestInputs/parserNeverThrowsAndOnlyReturnsValidLines").toURI());
        try (Stream<Path> files = Files.list(dir)) {
            return files.sorted().toList();
        }
    }

    @Test
    void everySeedInputIsAValidBlockedLine() throws IOException, URISyntaxException {
        List<Path> seeds = seedFiles();

        assertThat(seeds).hasSizeGreaterThanOrEqualTo(MIN_SEEDS);
        for (Path seed : seeds) {
            String line = new String(Files.readAllBytes(seed), StandardCharsets.UTF_8);
            ParseResult result = parser.parse(line);
            assertThat(result).as("seed %s", seed.getFileName()).isInstanceOf(BlockedLine.class);
            assertValid((BlockedLine) result);
        }
    }

    /**
     * Proves Jazzer found the inputs directory: a misnamed one would leave only the empty input, and the fuzz test
     * would pass without ever reaching a valid line.
     */
    @AfterAll
    static void fuzzTestRanOnEverySeed() throws IOException, URISyntaxException {
        if (FUZZ_RUNS.get() > 0) {
            assertThat(BLOCKED_LINES.get()).as("inputs that parsed as blocked lines")
                    .isGreaterThanOrEqualTo(MIN_SEEDS)
                    .isGreaterThanOrEqualTo(seedFiles().size());
        }
    }
}
