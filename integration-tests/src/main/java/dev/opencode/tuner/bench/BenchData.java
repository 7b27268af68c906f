package dev.opencode.tuner.bench;

import dev.opencode.tuner.journal.JournalExportFormat;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/** Deterministic benchmark inputs: blocked log lines, destination addresses, and a mixed journal directory. */
public final class BenchData {
    public static final int INSTANCES = 50;
    /**
     * The {@code _HOSTNAME} of every entry. A collector speaks for one host and sets other hosts' entries aside as
     * malformed, so a journal a collector replays is one host's; many instances stand in for many hosts.
     */
    public static final String HOST = "bench-host";
    private static final String BOOT = "5b1a4cfe0e0b4e3f8d6e2c1b0a998877";

    private BenchData() {
    }

    /**
     * One instance's blocked line, IPv4 TCP/UDP or IPv6 TCP, as the kernel prints it. Each instance has its own
     * small set of destinations (what agents really hit: a few dozen endpoints, some of them in one /24).
     */
    public static String blockedLine(SplittableRandom r, String instance) {
        int seed = instance.hashCode() & 0xff;
        int kind = r.nextInt(10);
        if (kind == 0) {
            return "opencode-" + instance + "-blocked: IN= OUT=eth0 SRC=2001:0db8:0000:0000:0000:0000:0000:0002 DST="
                    + String.format("2606:50c0:%04x:0000:0000:0000:0000:%04x", seed, 0x100 + r.nextInt(6))
                    + " LEN=80 TC=0 HOPLIMIT=64 FLOWLBL=" + r.nextInt(1 << 20) + " PROTO=TCP SPT=" + (32768 + r.nextInt(28000))
                    + " DPT=443 WINDOW=64800 RES=0x00 SYN URGP=0 UID=990 GID=990 ";
        }
        // Per instance: 8 addresses in one /24 (suggested as the /24) and 24 scattered ones.
        String dst = kind < 5 ? "140.82." + (100 + seed % 50) + "." + (10 + r.nextInt(8))
                : (50 + seed % 100) + "." + ((seed + r.nextInt(24)) & 0xff) + "." + ((seed * 7) & 0xff) + ".9";
        if (kind < 8) {
            return "opencode-" + instance + "-blocked: IN= OUT=eth0 SRC=10.0.0.2 DST=" + dst
                    + " LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=" + r.nextInt(65536) + " DF PROTO=TCP SPT="
                    + (32768 + r.nextInt(28000)) + " DPT=443 WINDOW=64240 RES=0x00 SYN URGP=0 UID=990 GID=990 ";
        }
        return "opencode-" + instance + "-blocked: IN= OUT=eth0 SRC=10.0.0.2 DST=" + dst
                + " LEN=61 TOS=0x00 PREC=0x00 TTL=64 ID=" + r.nextInt(65536) + " DF PROTO=UDP SPT="
                + (32768 + r.nextInt(28000)) + " DPT=53 LEN=41 UID=990 GID=990 ";
    }

    public static String instance(int i) {
        return String.format("agent-%02d", i + 1);
    }

    /** {@code count} lines, a fixed mix: 70% IPv4 TCP, 20% UDP, 10% IPv6. */
    public static List<String> blockedLines(int count, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<String> lines = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            lines.add(blockedLine(r, instance(r.nextInt(INSTANCES))));
        }
        return lines;
    }

    /**
     * {@code count} distinct IPv4 addresses: a third fill whole /24s densely (they fold into /24 blocks), the rest
     * are scattered (they stay /32), in random order.
     */
    public static List<String> distinctIpv4(int count, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        java.util.BitSet used = new java.util.BitSet();
        List<String> out = new ArrayList<>(count);
        int dense = count / 3;
        int block = 0x2d000000; // 45.0.0.0: public space
        while (out.size() < dense) {
            int base = block + (r.nextInt(1 << 16) << 8);
            for (int h = 0; h < 256 && out.size() < dense; h++) {
                add(out, used, base + h, block);
            }
        }
        while (out.size() < count) {
            add(out, used, block + r.nextInt(1 << 24), block);
        }
        java.util.Collections.shuffle(out, new java.util.Random(seed));
        return out;
    }

    private static void add(List<String> out, java.util.BitSet used, int address, int block) {
        int index = address - block;
        if (!used.get(index)) {
            used.set(index);
            out.add(((address >>> 24) & 255) + "." + ((address >>> 16) & 255) + "." + ((address >>> 8) & 255) + "."
                    + (address & 255));
        }
    }

    /**
     * Writes a journal directory of {@code entries} entries of host {@link #HOST}, {@code blockedPercent}% of them
     * kernel blocked lines of {@link #INSTANCES} instances and the rest application output (stdout transport), through
     * systemd-journal-remote. Returns the number of blocked lines.
     */
    public static long writeJournal(Path dir, int entries, int blockedPercent, long seed)
            throws IOException, InterruptedException {
        return writeJournal(dir, entries, blockedPercent, seed, false, INSTANCES);
    }

    /**
     * As {@link #writeJournal(Path, int, int, long)}; with {@code otherKernelLines} the other entries are ordinary
     * kernel messages (a kernel-only journal), and blocked lines come from {@code instances} instances.
     */
    public static long writeJournal(Path dir, int entries, int blockedPercent, long seed, boolean otherKernelLines,
                                    int instances) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path file = dir.resolve("system.journal");
        Files.deleteIfExists(file);
        Process p = new ProcessBuilder(JournalExportFormat.JOURNAL_REMOTE.toString(), "--output=" + file, "-")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        SplittableRandom r = new SplittableRandom(seed);
        long blocked = 0;
        // Relative to now, never a fixed date: the policy service drops events older than its dedupe retention.
        long realtime = Math.multiplyExact(Instant.now().truncatedTo(ChronoUnit.HOURS).minus(2, ChronoUnit.HOURS)
                .getEpochSecond(), 1_000_000L);
        long monotonic = 10_000_000L;
        try (OutputStream out = new BufferedOutputStream(p.getOutputStream(), 1 << 20)) {
            for (int i = 0; i < entries; i++) {
                Map<String, byte[]> fields = new LinkedHashMap<>();
                boolean kernel = r.nextInt(100) < blockedPercent;
                String instance = instance(r.nextInt(instances));
                if (kernel) {
                    blocked++;
                    fields.put("_TRANSPORT", b("kernel"));
                    fields.put("PRIORITY", b("4"));
                    fields.put("SYSLOG_FACILITY", b("0"));
                    fields.put("SYSLOG_IDENTIFIER", b("kernel"));
                    fields.put("_HOSTNAME", b(HOST));
                    fields.put("_SOURCE_MONOTONIC_TIMESTAMP", b(Long.toString(monotonic - 5)));
                    fields.put("MESSAGE", b(blockedLine(r, instance)));
                } else if (otherKernelLines) {
                    fields.put("_TRANSPORT", b("kernel"));
                    fields.put("PRIORITY", b("6"));
                    fields.put("SYSLOG_FACILITY", b("0"));
                    fields.put("SYSLOG_IDENTIFIER", b("kernel"));
                    fields.put("_HOSTNAME", b(HOST));
                    fields.put("MESSAGE", b("eth0: rx " + r.nextInt(1 << 20) + " packets, queue " + r.nextInt(8)
                            + " irq " + (30 + r.nextInt(8))));
                } else {
                    fields.put("_TRANSPORT", b("stdout"));
                    fields.put("PRIORITY", b("6"));
                    fields.put("SYSLOG_IDENTIFIER", b("opencode"));
                    fields.put("_SYSTEMD_UNIT", b("opencode-" + instance + ".service"));
                    fields.put("_HOSTNAME", b(HOST));
                    fields.put("_PID", b(Integer.toString(1000 + r.nextInt(50))));
                    fields.put("MESSAGE", b("INFO  service=session request " + Long.toHexString(r.nextLong())
                            + " tool=bash duration=" + r.nextInt(5000) + "ms status=ok"));
                }
                JournalExportFormat.writeEntry(out, realtime, monotonic, BOOT, fields);
                realtime += 1_000;
                monotonic += 1_000;
            }
        }
        if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IOException("systemd-journal-remote failed writing " + file);
        }
        return blocked;
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
