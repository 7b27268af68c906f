package dev.opencode.tuner.bench;

import dev.opencode.tuner.blocked.BlockedEvent;
import dev.opencode.tuner.blocked.BlockedLine;
import dev.opencode.tuner.blocked.Transport;
import dev.opencode.tuner.suggest.Allowlist;
import dev.opencode.tuner.suggest.CidrSuggester;
import dev.opencode.tuner.suggest.InstanceAggregate;
import dev.opencode.tuner.suggest.InstanceSuggestions;
import dev.opencode.tuner.suggest.SuggestionPolicy;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** The CIDR engine on one instance with {@code addresses} distinct blocked destinations. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class SuggesterBenchmark {
    @Param("1000000")
    public int addresses;

    private InstanceAggregate aggregate;
    private final CidrSuggester suggester = new CidrSuggester(SuggestionPolicy.defaults());

    @Setup
    public void setUp() {
        aggregate = aggregate(BenchData.distinctIpv4(addresses, 7));
    }

    static InstanceAggregate aggregate(List<String> destinations) {
        InstanceAggregate aggregate = new InstanceAggregate("bench-host", "agent-01");
        Instant t = Instant.parse("2026-11-25T10:00:00Z");
        long n = 0;
        for (String dst : destinations) {
            BlockedLine line = new BlockedLine("agent-01", 4, "tcp", "10.0.0.2", dst, 40000, 443, 990L, 990L,
                    "eth0", "", null, null, null);
            aggregate.add(new BlockedEvent(Long.toHexString(n++), "bench-host", t, Transport.KERNEL, line));
        }
        return aggregate;
    }

    @Benchmark
    public InstanceSuggestions suggest() {
        return suggester.suggest(aggregate, Allowlist.empty());
    }
}
