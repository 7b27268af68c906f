package dev.opencode.tuner.bench;

import dev.opencode.tuner.stack.KafkaAccounts;
import dev.opencode.tuner.stack.KafkaServer;
import dev.opencode.tuner.stack.StackOptions;
import dev.opencode.tuner.stack.TunerTopics;
import java.io.IOException;
import java.io.Writer;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The collector half of the pipeline benchmark: a kernel-only journal of {@code entries} entries (10% blocked, one
 * host x {@value #INSTANCES} instances) replayed by the packaged collector into the stack's real Kafka broker;
 * sustained blocked events/s, the collector's peak RSS, and Kafka's own {@code ProducerPerformance} on the same broker
 * with the same record size, producer settings and login (SASL/SCRAM-SHA-512) for comparison.
 *
 * <p>One host: a collector speaks for its own host only (other hosts' entries are set aside as malformed, and the
 * broker lets it write only its host's topics), and the stack runs one collector. The 1,000 instances keep as many
 * aggregates as the 20 hosts x 50 instances of earlier runs.
 */
final class PipelineBench {
    /** Instances of the pipeline journal's one host ({@link BenchData#HOST}). */
    static final int INSTANCES = 1_000;

    /** The collector's JVM options, as the NixOS module's default jvmOptions (override: -Dtuner.bench.collector-jvm). */
    static final String COLLECTOR_JVM = System.getProperty("tuner.bench.collector-jvm",
            "-Xms16m -Xmx40m -XX:+UseSerialGC -XX:MaxMetaspaceSize=96m -XX:ReservedCodeCacheSize=32m"
            + " -XX:TieredStopAtLevel=1 -Xss512k");

    private PipelineBench() {
    }

    /** The directory of the generated journal of the pipeline benchmarks (one host: not the 20-host journal of old). */
    static Path pipelineJournalDirectory(Path work, int entries) {
        return work.resolve("pipeline-journal-" + BenchData.HOST + "-" + entries);
    }

    /** The generated journal of the pipeline benchmarks (made once, then reused); returns its blocked events. */
    static long pipelineJournal(Path work, int entries) throws Exception {
        Path journal = pipelineJournalDirectory(work, entries);
        Path marker = journal.resolve("complete");
        if (Files.exists(marker)) {
            return Long.parseLong(Files.readString(marker).strip());
        }
        System.err.printf("generating a %,d-entry kernel journal in %s ...%n", entries, journal);
        long blocked = BenchData.writeJournal(journal, entries, 10, 3, true, INSTANCES);
        Files.writeString(marker, Long.toString(blocked));
        return blocked;
    }

    /** The stack's options for the journal's host: Kafka's start provisions that host's collector account. */
    private static StackOptions stackOptions() {
        return StackOptions.defaults().withCollectorHost(BenchData.HOST);
    }

    static List<String> run(Path root, Path work, int entries) throws Exception {
        Path journal = pipelineJournalDirectory(work, entries);
        long blocked = pipelineJournal(work, entries);
        Path run = Files.createTempDirectory(Path.of("/tmp"), "pipeline-bench");
        List<String> out = new ArrayList<>();
        try (KafkaServer kafka = KafkaServer.start(run.resolve("kafka"))) {
            KafkaAccounts.Login login = kafka.accounts().collector(BenchData.HOST, TunerTopics.defaults());
            kafka.createTopics(Map.of("perf", 3));
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            Path jar = root.resolve("collector/app/target/quarkus-app/quarkus-run.jar");
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString()));
            command.addAll(List.of(COLLECTOR_JVM.split(" ")));
            command.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-Dquarkus.http.port=" + port,
                    "-Dtuner.collector.journal.directory=" + journal,
                    "-Dtuner.collector.state-directory=" + run.resolve("collector-state"),
                    "-Dtuner.collector.host=" + BenchData.HOST,
                    "-Dtuner.collector.kafka.bootstrap-servers=" + kafka.bootstrapServers(),
                    "-Dtuner.collector.kafka.username=" + login.username(),
                    "-Dtuner.collector.kafka.password-file=" + login.passwordFile(), "-jar", jar.toString()));
            long t0 = System.nanoTime();
            ProcessBuilder builder = new ProcessBuilder(command);
            builder.environment().put("MALLOC_ARENA_MAX", "2"); // as ./tuner up and the NixOS module run it
            Process collector = builder.redirectErrorStream(true)
                    .redirectOutput(run.resolve("collector.log").toFile()).start();
            double produced = 0;
            long firstNanos = -1;
            long peakRssKb = 0;
            long peakAnonKb = 0;
            long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
            while (produced < blocked && System.nanoTime() < deadline && collector.isAlive()) {
                Thread.sleep(100);
                peakRssKb = Math.max(peakRssKb, statusKb(collector.pid(), "VmHWM:"));
                peakAnonKb = Math.max(peakAnonKb, statusKb(collector.pid(), "RssAnon:"));
                produced = metric(port, "tuner_collector_blocked_produced_total");
                if (produced > 0 && firstNanos < 0) {
                    firstNanos = System.nanoTime();
                }
            }
            long done = System.nanoTime();
            collector.destroy();
            collector.waitFor();
            if (produced < blocked) {
                throw new IllegalStateException("the collector produced " + produced + " of " + blocked + "; see "
                        + run.resolve("collector.log"));
            }
            double seconds = (done - firstNanos) / 1e9;
            double total = (done - t0) / 1e9;
            double perf = producerPerformance(kafka.bootstrapServers(), kafka.accounts().broker(), run, (int) blocked,
                    560);
            out.add(String.format(Locale.ROOT, "Collector into a real Kafka broker (SASL/SCRAM-SHA-512): %,d kernel"
                    + " entries (%,d blocked, one host x %,d instances), from a cold start:", entries, blocked,
                    INSTANCES));
            out.add("| what | result | target |");
            out.add("|---|---|---|");
            out.add(String.format(Locale.ROOT, "| collector, blocked events produced (acks=all, idempotent) |"
                    + " %,.0f events/s (%.1f s from the first ack; %.1f s with JVM start) | (the target is end to end: next"
                    + " rows) |", blocked / seconds, seconds, total));
            out.add(String.format(Locale.ROOT, "| Kafka's ProducerPerformance, same broker, 560-byte records, same"
                    + " producer settings and login | %,.0f records/s | |", perf));
            out.add(String.format(Locale.ROOT, "| collector peak RSS (VmHWM), JVM options `%s` | %,d MiB, of which at"
                    + " most %,d MiB anonymous (sampled RssAnon); the rest is the journal files libsystemd maps"
                    + " (page cache) | <= 150 MiB |", COLLECTOR_JVM, peakRssKb / 1024, peakAnonKb / 1024));
        }
        return out;
    }

    /**
     * The whole loop as {@code ./tuner up} runs it: the same journal through collector, Kafka, policy service and
     * PostgreSQL, until the API counts every blocked event; sustained end-to-end events/s and both services' peak
     * memory.
     */
    static List<String> endToEnd(Path work, int entries) throws Exception {
        Path journal = pipelineJournalDirectory(work, entries);
        long blocked = Long.parseLong(Files.readString(journal.resolve("complete")).strip());
        Path root = Files.createTempDirectory(Path.of("/tmp"), "e2e-bench");
        Files.setPosixFilePermissions(root, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Path state = root.resolve("state");
        List<String> out = new ArrayList<>();
        try {
            // Kafka and PostgreSQL first; then the services, so that the clock starts with the collector.
            dev.opencode.tuner.stack.Stack.up(state, stackOptions().withParts("kafka", "postgres", "policy"));
            String password = Files.readString(dev.opencode.tuner.stack.Stack.policyStateDirectory(state)
                    .resolve("initial-admin-password")).strip();
            long t0 = System.nanoTime();
            dev.opencode.tuner.stack.Stack.up(state, stackOptions().withCollectorJournal(journal));
            String api = null;
            long collectorPid = 0;
            long policyPid = 0;
            for (dev.opencode.tuner.stack.PartStatus p : dev.opencode.tuner.stack.Stack.status(state).parts()) {
                if (p.part().equals("policy")) {
                    api = p.address();
                    policyPid = p.pid();
                } else if (p.part().equals("collector")) {
                    collectorPid = p.pid();
                }
            }
            long counted = 0;
            long peakCollector = 0;
            long peakPolicy = 0;
            long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
            while (counted < blocked && System.nanoTime() < deadline) {
                Thread.sleep(250);
                peakCollector = Math.max(peakCollector, statusKb(collectorPid, "RssAnon:"));
                peakPolicy = Math.max(peakPolicy, statusKb(policyPid, "RssAnon:"));
                counted = countedEvents(api, password);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (counted < blocked) {
                throw new IllegalStateException("the policy service counted " + counted + " of " + blocked);
            }
            out.add(String.format(Locale.ROOT, "| end to end: journal -> collector -> Kafka -> policy -> PostgreSQL,"
                    + " until the API counts all %,d blocked events (collector start included) | %,.0f events/s"
                    + " (%.1f s) | >= 20,000 events/s |", blocked, blocked / seconds, seconds));
            out.add(String.format(Locale.ROOT, "| peak anonymous memory (sampled RssAnon) | collector %,d MiB, policy"
                    + " service %,d MiB | collector <= 150 MiB |", peakCollector / 1024, peakPolicy / 1024));
        } finally {
            dev.opencode.tuner.stack.Stack.down(state);
        }
        return out;
    }

    /**
     * The policy service alone: the collector first fills the topic with every blocked event of the journal, then the
     * policy service starts and drains it into PostgreSQL; events/s from its first counted event to the last.
     */
    static List<String> policyAlone(Path work, int entries) throws Exception {
        Path journal = pipelineJournalDirectory(work, entries);
        long blocked = pipelineJournal(work, entries);
        Path root = Files.createTempDirectory(Path.of("/tmp"), "policy-bench");
        Files.setPosixFilePermissions(root, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Path state = root.resolve("state");
        try {
            dev.opencode.tuner.stack.Stack.up(state, stackOptions().withParts("kafka", "postgres", "collector")
                    .withCollectorJournal(journal));
            int collectorPort = URI.create(address(state, "collector")).getPort();
            long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
            while (metric(collectorPort, "tuner_collector_blocked_produced_total") < blocked) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the collector did not produce all " + blocked + " events");
                }
                Thread.sleep(250);
            }
            long t0 = System.nanoTime();
            dev.opencode.tuner.stack.Stack.up(state, stackOptions());
            String api = address(state, "policy");
            String password = Files.readString(dev.opencode.tuner.stack.Stack.policyStateDirectory(state)
                    .resolve("initial-admin-password")).strip();
            long counted = 0;
            long first = -1;
            deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
            while (counted < blocked && System.nanoTime() < deadline) {
                Thread.sleep(100);
                counted = countedEvents(api, password);
                if (counted > 0 && first < 0) {
                    first = System.nanoTime();
                }
            }
            long done = System.nanoTime();
            if (counted < blocked) {
                throw new IllegalStateException("the policy service counted " + counted + " of " + blocked);
            }
            return List.of(String.format(Locale.ROOT, "| policy service alone: drains %,d blocked events from the"
                    + " topic into PostgreSQL | %,.0f events/s (%.1f s from its first counted event; %.1f s with JVM"
                    + " start) | |", blocked, blocked / ((done - first) / 1e9), (done - first) / 1e9,
                    (done - t0) / 1e9));
        } finally {
            dev.opencode.tuner.stack.Stack.down(state);
        }
    }

    private static String address(Path state, String part) {
        for (dev.opencode.tuner.stack.PartStatus p : dev.opencode.tuner.stack.Stack.status(state).parts()) {
            if (p.part().equals(part)) {
                return p.address();
            }
        }
        throw new IllegalStateException(part + " is not running in " + state);
    }

    /** The sum of the events the policy service has counted, from GET /api/v1/instances. */
    private static long countedEvents(String api, String password) throws InterruptedException {
        String basic = java.util.Base64.getEncoder().encodeToString(("admin:" + password)
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        try (HttpClient http = HttpClient.newHttpClient()) {
            String body = http.send(HttpRequest.newBuilder(URI.create(api + "/api/v1/instances"))
                    .header("Authorization", "Basic " + basic).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            long sum = 0;
            Matcher m = Pattern.compile("\"events\"\\s*:\\s*(\\d+)").matcher(body);
            while (m.find()) {
                sum += Long.parseLong(m.group(1));
            }
            return sum;
        } catch (IOException notYet) {
            return 0;
        }
    }

    private static long statusKb(long pid, String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException gone) {
            return 0; // the process just exited
        }
        return 0;
    }

    private static double metric(int port, String name) throws InterruptedException {
        try (HttpClient http = HttpClient.newHttpClient()) {
            String body = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/q/metrics"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
            Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " ([0-9.eE+-]+)$").matcher(body);
            return m.find() ? Double.parseDouble(m.group(1)) : 0;
        } catch (IOException notYet) {
            return 0;
        }
    }

    /**
     * Runs org.apache.kafka.tools.ProducerPerformance from the stack's Kafka jars, logged in as {@code login}; returns
     * records/s. The login is in a 0600 producer configuration file in {@code dir}, never a process argument.
     */
    private static double producerPerformance(String bootstrap, KafkaAccounts.Login login, Path dir, int records,
                                              int recordSize) throws Exception {
        Path lib = Path.of(System.getProperty("tuner.root", ".")).resolve("stack/target/kafka-lib");
        Path config = dir.resolve("perf-producer.properties");
        Files.deleteIfExists(config);
        Files.createFile(config, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Properties settings = new Properties();
        settings.putAll(login.clientProperties());
        try (Writer writer = Files.newBufferedWriter(config, StandardCharsets.UTF_8)) {
            settings.store(writer, "ProducerPerformance's login to the benchmark's broker");
        }
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-cp", lib.toAbsolutePath() + "/*", "org.apache.kafka.tools.ProducerPerformance",
                "--topic", "perf", "--num-records", Integer.toString(records), "--record-size",
                Integer.toString(recordSize), "--throughput", "-1", "--producer.config", config.toString(),
                "--producer-props", "bootstrap.servers=" + bootstrap, "acks=all", "enable.idempotence=true",
                "linger.ms=10", "compression.type=lz4");
        String output;
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            output = new String(p.getInputStream().readAllBytes());
            p.waitFor();
        } finally {
            Files.deleteIfExists(config);
        }
        Matcher m = Pattern.compile("([0-9.]+) records/sec \\(").matcher(output);
        double last = -1;
        while (m.find()) {
            last = Double.parseDouble(m.group(1));
        }
        if (last < 0) {
            throw new IllegalStateException("ProducerPerformance printed no result:\n" + output);
        }
        return last;
    }
}
