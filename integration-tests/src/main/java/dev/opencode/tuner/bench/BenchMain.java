package dev.opencode.tuner.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * {@code ./tuner bench}: the benchmark harness. Generates its inputs, measures, and prints one table.
 * <ol>
 *   <li>wall time of {@code ./tuner suggest --journal-dir D --format json} against the shell pipelines operators
 *   use, on a 1,000,000-entry journal directory (10% blocked kernel lines, 50 instances);</li>
 *   <li>JMH: parser lines/s on one core; CIDR engine on 1,000,000 addresses, against {@code iprange --optimize}
 *   on the same addresses.</li>
 * </ol>
 * Options: {@code --entries N} (default 1000000), {@code --runs N} (default 3), {@code --only wall|jmh|pipeline|collector|policy|latency|review}, {@code --connections 1,4,16} (the
 * review bench's loads). {@code ./tuner bench --only closed-loop} runs integration-tests' ClosedLoopTest instead (the
 * tuner script does that, not this class) and prints its timings. {@code --only chaos} runs {@link ChaosRun} (root:
 * real blocked traffic while parts are killed), with {@code --minutes M --kill-every S --rate R --destinations N
 * --seed X}, and exits 1 when an event was lost or counted twice.
 */
public final class BenchMain {
    record Row(String what, String command, double seconds, String note) {
    }

    public static void main(String[] args) throws Exception {
        int entries = 1_000_000;
        int runs = 3;
        String only = "";
        int[] connections = {1, 4, 16};
        ChaosOptions chaos = ChaosOptions.defaults();
        Path root = Path.of(System.getProperty("tuner.root", ".")).toAbsolutePath().normalize();
        Path work = Path.of(System.getProperty("tuner.cache", System.getProperty("java.io.tmpdir"))).resolve("bench");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--entries" -> entries = Integer.parseInt(args[++i]);
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--only" -> only = args[++i];
                case "--connections" -> connections = java.util.Arrays.stream(args[++i].split(","))
                        .mapToInt(Integer::parseInt).toArray();
                case "--minutes" -> chaos = chaos.withMinutes(Double.parseDouble(args[++i]));
                case "--kill-every" -> chaos = chaos.withKillEvery(java.time.Duration.ofSeconds(
                        Long.parseLong(args[++i])));
                case "--rate" -> chaos = chaos.withRate(Double.parseDouble(args[++i]));
                case "--destinations" -> chaos = chaos.withDestinations(Integer.parseInt(args[++i]));
                case "--seed" -> chaos = chaos.withSeed(Long.parseLong(args[++i]));
                default -> {
                    System.err.println("usage: ./tuner bench [--entries N] [--runs N] [--only wall|jmh|pipeline|collector|policy|latency|review|closed-loop|chaos] [--connections 1,4,16]"
                            + " [--minutes M --kill-every S --rate R --destinations N --seed X (chaos)]");
                    System.exit(2);
                }
            }
        }
        if (only.equals("chaos")) { // not in the default run: it needs root and kills the stack's parts for minutes
            ChaosReport report = ChaosRun.run(chaos);
            System.out.println();
            report.table().forEach(System.out::println);
            System.exit(report.ok() ? 0 : 1);
        }
        Files.createDirectories(work);
        List<String> table = new ArrayList<>();
        if (only.isEmpty() || only.equals("wall")) {
            table.addAll(wall(root, work, entries, runs));
        }
        if (only.isEmpty() || only.equals("jmh")) {
            table.addAll(jmh(work));
        }
        if (only.isEmpty() || only.equals("pipeline")) {
            table.add("");
            table.addAll(PipelineBench.run(root, work, entries));
            table.addAll(PipelineBench.policyAlone(work, entries));
            table.addAll(PipelineBench.endToEnd(work, entries));
            table.addAll(LatencyBench.run(1_000, 30, 5));
        }
        if (only.equals("collector")) { // the collector alone into Kafka, and its memory
            table.addAll(PipelineBench.run(root, work, entries));
        }
        if (only.equals("latency")) {
            table.addAll(LatencyBench.run(1_000, 30, 5));
        }
        if (only.equals("review")) { // the review API under load (not in the default run: it loads 1M rows)
            table.addAll(ReviewBench.run(1_000, 1_000, 30, connections));
        }
        if (only.equals("policy")) { // the policy service's consumption alone, for profiling it
            table.addAll(PipelineBench.policyAlone(work, entries));
        }
        System.out.println();
        table.forEach(System.out::println);
    }

    private static List<String> wall(Path root, Path work, int entries, int runs) throws Exception {
        Path dir = work.resolve("journal-" + entries);
        Path marker = dir.resolve("complete");
        long blocked;
        if (Files.exists(marker)) {
            blocked = Long.parseLong(Files.readString(marker).strip());
        } else {
            System.err.printf("generating a %,d-entry journal in %s ...%n", entries, dir);
            long t = System.nanoTime();
            blocked = BenchData.writeJournal(dir, entries, 10, 1);
            Files.writeString(marker, Long.toString(blocked));
            System.err.printf("  done in %.1f s (%,d blocked lines)%n", (System.nanoTime() - t) / 1e9, blocked);
        }
        String d = dir.toString();
        String tuner = root.resolve("tuner").toString();
        List<Row> rows = List.of(
                new Row("tuner suggest (json, with spoof scan)", tuner + " suggest --journal-dir " + d
                        + " --format json > /dev/null", 0, ""),
                new Row("tuner suggest (json, --no-spoof-scan)", tuner + " suggest --journal-dir " + d
                        + " --format json --no-spoof-scan > /dev/null", 0, ""),
                new Row("journalctl -k -o cat | grep -c", "journalctl -D " + d
                        + " -k -o cat | grep -c -- -blocked:", 0, ""),
                new Row("journalctl -o json | grep -c", "journalctl -D " + d
                        + " -o json | grep -c -- -blocked:", 0, ""));
        // Warm-up: builds the CLI if needed, fills the page cache and the class-data archive.
        run(tuner + " suggest --journal-dir " + d + " --format json --no-spoof-scan > /dev/null");
        List<Row> measured = new ArrayList<>();
        for (Row row : rows) {
            double[] times = new double[runs];
            String output = "";
            for (int i = 0; i < runs; i++) {
                long t = System.nanoTime();
                output = run(row.command());
                times[i] = (System.nanoTime() - t) / 1e9;
            }
            Arrays.sort(times);
            String note = row.command().contains("grep -c") ? output.strip() + " lines counted" : "";
            measured.add(new Row(row.what(), row.command(), times[runs / 2], note));
            System.err.printf("  %-42s median %.3f s%n", row.what(), times[runs / 2]);
        }
        double baseline = measured.get(2).seconds();
        List<String> out = new ArrayList<>();
        out.add(String.format("Wall time on %,d journal entries (%,d blocked kernel lines, %d instances), median of %d:",
                entries, blocked, BenchData.INSTANCES, runs));
        out.add("| what | median wall time | vs `journalctl -k -o cat \\| grep -c` | notes |");
        out.add("|---|---|---|---|");
        for (Row r : measured) {
            out.add(String.format(Locale.ROOT, "| %s | %.3f s | %.2fx | %s |", r.what(), r.seconds(),
                    r.seconds() / baseline, r.note()));
        }
        out.add("");
        return out;
    }

    private static List<String> jmh(Path work) throws Exception {
        // Each runner includes exactly one benchmark class (includes of a parent would be inherited).
        Options options = new OptionsBuilder()
                .forks(1)
                .jvmArgsAppend("-Xmx6g", "-XX:+UseParallelGC")
                .warmupIterations(3).warmupTime(TimeValue.seconds(2))
                .measurementIterations(5).measurementTime(TimeValue.seconds(2))
                .build();
        Options suggesterOptions = new OptionsBuilder().parent(options)
                .include(SuggesterBenchmark.class.getSimpleName() + ".suggest")
                .warmupIterations(5).measurementIterations(10).build();
        List<String> out = new ArrayList<>();
        out.add("JMH (1 fork, JDK " + Runtime.version().feature() + "):");
        out.add("| benchmark | result | target |");
        out.add("|---|---|---|");
        for (RunResult r : new Runner(new OptionsBuilder().parent(options)
                .include(ParserBenchmark.class.getSimpleName() + ".parse").build()).run()) {
            out.add(String.format(Locale.ROOT, "| parser, one thread | %,.0f ± %,.0f lines/s | ≥ 1,000,000 lines/s |",
                    r.getPrimaryResult().getScore(), r.getPrimaryResult().getScoreError()));
        }
        double engineMs = 0;
        for (RunResult r : new Runner(suggesterOptions).run()) {
            engineMs = r.getPrimaryResult().getScore();
            out.add(String.format(Locale.ROOT, "| CIDR engine, 1,000,000 distinct IPv4 destinations | %,.0f ± %,.0f ms |"
                    + " ≤ 2x iprange |", engineMs, r.getPrimaryResult().getScoreError()));
        }
        Path addresses = work.resolve("addresses-1000000.txt");
        if (!Files.exists(addresses)) {
            Files.write(addresses, BenchData.distinctIpv4(1_000_000, 7));
        }
        run("iprange --optimize " + addresses + " > /dev/null"); // warm the page cache
        double[] times = new double[5];
        for (int i = 0; i < times.length; i++) {
            long t = System.nanoTime();
            run("iprange --optimize " + addresses + " > /dev/null");
            times[i] = (System.nanoTime() - t) / 1e6;
        }
        Arrays.sort(times);
        String merged = run("iprange --optimize " + addresses + " | wc -l").strip();
        out.add(String.format(Locale.ROOT, "| `iprange --optimize` on the same addresses (median of 5, whole process)"
                + " | %,.0f ms (%s CIDRs) | engine/iprange = %.2fx |", times[2], merged, engineMs / times[2]));
        return out;
    }

    static String run(String shell) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("bash", "-o", "pipefail", "-c", shell)
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.MINUTES) || (p.exitValue() != 0 && !shell.contains("grep -c"))) {
            throw new IOException("failed: " + shell);
        }
        return out;
    }
}
