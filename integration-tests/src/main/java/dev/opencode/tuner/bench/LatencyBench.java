package dev.opencode.tuner.bench;

import dev.opencode.tuner.journal.JournalExportFormat;
import dev.opencode.tuner.stack.PartStatus;
import dev.opencode.tuner.stack.Stack;
import dev.opencode.tuner.stack.StackOptions;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
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
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Latency on a live run: blocked kernel entries are appended to a journal at a steady rate while the stack
 * ({@code ./tuner up}: collector, Kafka, policy service, PostgreSQL) follows it, and the policy API is polled every
 * 10 ms. Each instance's events go through one partition in order, so an instance's k-th appended event is visible
 * when the API first counts k events for it; its latency is that moment minus the moment the append completed.
 */
final class LatencyBench {
    private static final String BOOT = "7c0ffee0c0ffee0c0ffee0c0ffee0c0f";
    private static final String HOST = "latency-host";
    private static final int INSTANCES = 4;
    private static final Pattern INSTANCE = Pattern.compile(
            "\"host\"\\s*:\\s*\"" + HOST + "\"\\s*,\\s*\"instance\"\\s*:\\s*\"lat-(\\d+)\"\\s*,\\s*\"events\"\\s*:\\s*(\\d+)");

    private LatencyBench() {
    }

    /** Appends {@code rate} events/s for {@code seconds}; percentiles exclude the first {@code warmup} seconds. */
    static List<String> run(int rate, int seconds, int warmup) throws Exception {
        Path root = Files.createTempDirectory(Path.of("/tmp"), "latency-bench");
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path state = root.resolve("state");
        Path journal = Files.createDirectories(root.resolve("journal"));
        Path file = journal.resolve("system.journal");
        long monotonic = 10_000_000L;
        int[] appended = new int[INSTANCES];
        List<long[]> appends = new ArrayList<>(); // per batch: done nanos, then the cumulative count per instance
        int batchesPerSecond = 10;
        int perBatch = rate / batchesPerSecond;
        try {
            monotonic = append(file, monotonic, 1, appended, 0); // something to open (before the warm-up)
            appends.add(row(appended));
            // The collector speaks for the journal's one host: its Kafka account and topics.
            Stack.up(state, StackOptions.defaults().withCollectorJournal(journal).withCollectorHost(HOST));
            String api = address(state, "policy");
            String auth = "Basic " + Base64.getEncoder().encodeToString(("admin:" + Files.readString(
                    Stack.policyStateDirectory(state).resolve("initial-admin-password")).strip())
                    .getBytes(StandardCharsets.UTF_8));
            List<long[]> polls = new ArrayList<>(); // nanos, then counts per instance
            Thread poller = Thread.ofPlatform().daemon().start(() -> poll(api, auth, polls));
            long start = System.nanoTime();
            int event = 1;
            for (int batch = 0; batch < seconds * batchesPerSecond; batch++) {
                long due = start + batch * 1_000_000_000L / batchesPerSecond;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                monotonic = append(file, monotonic, perBatch, appended, event);
                event += perBatch;
                appends.add(row(appended));
            }
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (!allCounted(polls, appended) && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            poller.interrupt();
            poller.join();
            if (!allCounted(polls, appended)) {
                throw new IllegalStateException("the policy service did not count every appended event in time");
            }
            long[] latencies = latencies(appends, polls, start + warmup * 1_000_000_000L);
            return List.of(String.format(Locale.ROOT, "| latency, journal append -> aggregate visible in the API, live"
                    + " at %,d events/s for %d s (%,d events after a %d-s warm-up; API polled every 10 ms) | p50"
                    + " %,.0f ms, p99 %,.0f ms, max %,.0f ms | p99 <= 1 s |", rate, seconds, latencies.length, warmup,
                    percentile(latencies, 50), percentile(latencies, 99), percentile(latencies, 100)));
        } finally {
            Stack.down(state);
        }
    }

    /** Now, then the cumulative count of events appended per instance. */
    private static long[] row(int[] appended) {
        long[] row = new long[INSTANCES + 1];
        row[0] = System.nanoTime();
        for (int i = 0; i < INSTANCES; i++) {
            row[i + 1] = appended[i];
        }
        return row;
    }

    private static long append(Path file, long monotonic, int count, int[] appended, int first)
            throws IOException, InterruptedException {
        Process p = new ProcessBuilder(JournalExportFormat.JOURNAL_REMOTE.toString(), "--output=" + file, "-")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        long realtime = System.currentTimeMillis() * 1000;
        try (OutputStream out = new BufferedOutputStream(p.getOutputStream(), 1 << 16)) {
            for (int i = 0; i < count; i++) {
                int n = first + i;
                int instance = n % INSTANCES;
                Map<String, byte[]> fields = new LinkedHashMap<>();
                fields.put("_TRANSPORT", b("kernel"));
                fields.put("PRIORITY", b("4"));
                fields.put("SYSLOG_FACILITY", b("0"));
                fields.put("SYSLOG_IDENTIFIER", b("kernel"));
                fields.put("_HOSTNAME", b(HOST));
                fields.put("MESSAGE", b("opencode-lat-" + instance + "-blocked: IN= OUT=eth0 SRC=10.0.0.2 DST=198.18."
                        + (n / 250 % 250) + "." + (n % 250 + 1) + " LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=1 DF PROTO=TCP"
                        + " SPT=40000 DPT=443 WINDOW=64240 RES=0x00 SYN URGP=0 UID=990 GID=990 "));
                JournalExportFormat.writeEntry(out, realtime + i, monotonic++, BOOT, fields);
                appended[instance]++;
            }
        }
        if (!p.waitFor(1, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IOException("systemd-journal-remote failed appending to " + file);
        }
        return monotonic;
    }

    private static void poll(String api, String auth, List<long[]> polls) {
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpRequest request = HttpRequest.newBuilder(URI.create(api + "/api/v1/instances"))
                    .header("Authorization", auth).timeout(Duration.ofSeconds(10)).build();
            while (!Thread.currentThread().isInterrupted()) {
                String body = http.send(request, HttpResponse.BodyHandlers.ofString()).body();
                long[] row = new long[INSTANCES + 1];
                row[0] = System.nanoTime();
                Matcher m = INSTANCE.matcher(body);
                while (m.find()) {
                    row[1 + Integer.parseInt(m.group(1))] = Long.parseLong(m.group(2));
                }
                synchronized (polls) {
                    polls.add(row);
                }
                Thread.sleep(10);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            throw new IllegalStateException("polling " + api + " failed: " + e.getMessage(), e);
        }
    }

    private static boolean allCounted(List<long[]> polls, int[] appended) {
        synchronized (polls) {
            if (polls.isEmpty()) {
                return false;
            }
            long[] last = polls.get(polls.size() - 1);
            for (int i = 0; i < INSTANCES; i++) {
                if (last[i + 1] < appended[i]) {
                    return false;
                }
            }
            return true;
        }
    }

    /** For every event appended after {@code from}: the first poll that counts it, minus its append. */
    private static long[] latencies(List<long[]> appends, List<long[]> polls, long from) {
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < INSTANCES; i++) {
            int p = 0;
            long before = 0;
            for (long[] append : appends) {
                for (long k = before + 1; k <= append[i + 1]; k++) {
                    while (polls.get(p)[i + 1] < k) {
                        p++;
                    }
                    if (append[0] >= from) {
                        out.add(Math.max(0, polls.get(p)[0] - append[0]));
                    }
                }
                before = append[i + 1];
            }
        }
        long[] sorted = out.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(sorted);
        return sorted;
    }

    private static double percentile(long[] sorted, int percent) {
        int index = (int) Math.ceil(percent / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))] / 1e6;
    }

    private static String address(Path state, String part) {
        for (PartStatus p : Stack.status(state).parts()) {
            if (p.part().equals(part)) {
                return p.address();
            }
        }
        throw new IllegalStateException(part + " is not running in " + state);
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
