package dev.opencode.tuner.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opencode.tuner.bench.ChaosOptions;
import dev.opencode.tuner.bench.ChaosReport;
import dev.opencode.tuner.bench.ChaosRun;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The short form of {@code ./tuner bench --only chaos}: 90 s of real blocked traffic (kernel lines from a test network
 * namespace into this machine's journal) through the stack of {@code ./tuner up}, a random part SIGKILLed every 15 s
 * and healed with {@code Stack.up}; then every destination's count in the policy service equals the journal's. About
 * two and a half minutes with the stack's start. Needs root.
 */
class ChaosTest {
    @Test
    void killingRandomPartsEvery15SecondsLosesNoEventAndCountsNoneTwice() throws Exception {
        assertThat(Sh.isRoot()).as("the chaos run needs root (network namespaces, nftables, journald)").isTrue();
        ChaosOptions options = ChaosOptions.defaults().withMinutes(1.5).withKillEvery(Duration.ofSeconds(15));
        ChaosReport report = ChaosRun.run(options);
        String table = String.join("\n", report.table());
        System.out.println(table);
        assertThat(report.killsPerPart()).as("a chaos run that killed nothing proves nothing:\n" + table)
                .allSatisfy((part, kills) -> assertThat(kills).as(part).isPositive());
        assertThat(report.events()).as("blocked lines of the run in the journal\n" + table).isPositive();
        assertThat(report.lost()).as("events lost\n" + table).isZero();
        assertThat(report.doubleCounted()).as("events counted twice\n" + table).isZero();
    }
}
