package dev.opencode.tuner.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One measured load of the review bench: {@code wrk} (Debian package) in a second process against the policy
 * service, after a warm-up, with the CPU time of the service and of PostgreSQL and the machine's load average around
 * it, read from {@code /proc}.
 */
final class WrkLoad {
    private WrkLoad() {
    }

    /**
     * p50, p99, requests/s and errors of {@code GET path} for random instances, from wrk's --latency report. The
     * credential ({@code header: value}) reaches only a 0600 script file and wrk's memory, never a command line.
     * {@code path} is a Lua expression of {@code k}, the random instance's number. With {@code thinkMs} above 0,
     * each connection waits after every answer (wrk's {@code delay}; not part of the latency) for a random time
     * between half and one and a half times {@code thinkMs}: a fixed time keeps the connections, which all start
     * together, in step, so that they arrive in bursts of 16 as no group of people does.
     */
    static String[] run(Path root, String name, long[] pids, String api, String header, String value,
                        String path, int instances, int seconds, int connections, int thinkMs)
            throws Exception {
        Path script = root.resolve(name + ".lua");
        // Every answer but a 2xx is an error here; wrk's own count has only 4xx and 5xx. Each thread has its own
        // Lua state: the counts are summed in done(), and each thread seeds its own random numbers.
        Files.writeString(script, """
                wrk.headers["%1$s"] = "%2$s"
                local threads = {}
                function setup(thread)
                  table.insert(threads, thread)
                  thread:set("id", #threads)
                end
                function init(args)
                  bad = 0
                  math.randomseed(os.time() * 100 + id)
                end
                request = function()
                  local k = math.random(0, %3$d - 1)
                  return wrk.format("GET", "%4$s)
                end
                %5$s
                response = function(status, headers, body)
                  if status < 200 or status > 299 then
                    bad = bad + 1
                  end
                end
                function done(summary, latency, requests)
                  local n = 0
                  for _, t in ipairs(threads) do
                    n = n + t:get("bad")
                  end
                  io.write(string.format("non-2xx answers: %%d\\nbytes per answer: %%d\\n", n,
                    math.floor(summary.bytes / math.max(1, summary.requests))))
                end
                """.formatted(header, value, instances, path,
                thinkMs > 0 ? "delay = function() return math.random(" + thinkMs / 2 + ", " + thinkMs * 3 / 2
                        + ") end" : ""));
        Files.setPosixFilePermissions(script, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        // Warm-up, not measured: the JIT, the pool, and the first bcrypt verification of the password (16
        // connections asking at once would otherwise all pay bcrypt's 0.25 s before the first one is remembered).
        Process warm = new ProcessBuilder("wrk", "-t1", "-c1", "-d5s", "-s", script.toString(), api)
                .redirectErrorStream(true).start();
        warm.getInputStream().readAllBytes();
        warm.waitFor(60, TimeUnit.SECONDS);
        // A 10 s timeout instead of wrk's 2 s: a slow answer is measured, not dropped from the percentiles.
        String loadBefore = loadAverage();
        long serviceBefore = cpuTicks(pids[0], false);
        long databaseBefore = cpuTicks(pids[1], true);
        Process p = new ProcessBuilder("wrk", "-t" + Math.min(2, connections), "-c" + connections,
                "-d" + seconds + "s", "--latency", "--timeout", "10s", "-s", script.toString(), api)
                .redirectErrorStream(true).start();
        String report = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(seconds + 60L, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("wrk failed: " + report);
        }
        long serviceTicks = cpuTicks(pids[0], false) - serviceBefore;
        long databaseTicks = cpuTicks(pids[1], true) - databaseBefore;
        String loadAfter = loadAverage();
        System.err.println(name + ":\n" + report);
        List<String> problems = new ArrayList<>();
        String non2xx = group(report, "non-2xx answers: (\\d+)");
        if (!non2xx.equals("0")) {
            problems.add(non2xx + " answers not 2xx");
        }
        Matcher socket = Pattern.compile("Socket errors: (.*)").matcher(report);
        if (socket.find()) {
            problems.add("socket errors: " + socket.group(1).strip() + " (timeout: no answer within 10 s)");
        }
        String bytes = group(report, "bytes per answer: (\\d+)");
        String size = bytes.equals("?") ? "" : String.format(Locale.ROOT, "; %,d bytes per answer",
                Long.parseLong(bytes));
        long requests = Long.parseLong(group(report, "(\\d+) requests in").replace("?", "0"));
        // CPU time per answer (clock ticks of 10 ms, from /proc): what the closed loop's latency is made of on 2
        // cores, however busy the machine is (a busy machine makes it longer, but less than the latency).
        String cpu = requests == 0 ? "" : String.format(Locale.ROOT, "; CPU per answer: service %.1f ms,"
                + " PostgreSQL %.1f ms", serviceTicks * 10.0 / requests, databaseTicks * 10.0 / requests);
        String errors = (problems.isEmpty() ? "no errors" : String.join(", ", problems)) + size + cpu
                + "; load average " + loadBefore + " before, " + loadAfter + " after";
        return new String[] {group(report, "\\s50%\\s+(\\S+)"), group(report, "\\s99%\\s+(\\S+)"),
            group(report, "Requests/sec:\\s+(\\S+)"), errors};
    }

    /** The 1-minute load average ({@code /proc/loadavg}): the machine is shared, and this says how much. */
    private static String loadAverage() throws IOException {
        return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    }

    /**
     * User and system CPU time of a process, in clock ticks ({@code /proc/<pid>/stat}), with that of its children
     * still running when asked (PostgreSQL's backends).
     */
    private static long cpuTicks(long pid, boolean children) throws IOException {
        long ticks = 0;
        try (var processes = Files.list(Path.of("/proc"))) {
            for (Path dir : processes.filter(d -> d.getFileName().toString().chars().allMatch(Character::isDigit))
                    .toList()) {
                String[] fields;
                try {
                    String stat = Files.readString(dir.resolve("stat"));
                    fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                } catch (IOException e) {
                    continue; // it ended meanwhile
                }
                long self = Long.parseLong(dir.getFileName().toString());
                if (self == pid || (children && Long.parseLong(fields[1]) == pid)) {
                    ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
                }
            }
        }
        return ticks;
    }

    private static String group(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        return m.find() ? m.group(1) : "?";
    }
}
