package dev.opencode.tuner.bench;

import dev.opencode.tuner.blocked.BlockedLineParser;
import dev.opencode.tuner.blocked.ParseResult;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/** Parser throughput on one thread, in lines per second, over a fixed mix of real-format lines. */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ParserBenchmark {
    static final int LINES = 10_000;
    private List<String> lines;
    private final BlockedLineParser parser = new BlockedLineParser();

    @Setup
    public void setUp() {
        lines = BenchData.blockedLines(LINES, 42);
    }

    @Benchmark
    @OperationsPerInvocation(LINES)
    public void parse(Blackhole bh) {
        for (int i = 0; i < LINES; i++) {
            ParseResult r = parser.parse(lines.get(i));
            bh.consume(r);
        }
    }
}
