package dev.opencode.tuner.journal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds real journal files for tests: entries are written in the Journal Export Format and converted by systemd's
 * own {@code systemd-journal-remote}, so the files are exactly what libsystemd reads in production.
 */
public final class JournalFixture {
    public static final String BOOT_ID = "2f9e8a068eab4377a1987196b3a4cdd3";
    /**
     * The first entry's time, in microseconds: the start of the hour before this JVM started. Relative to now, never a
     * fixed date: the policy service drops events older than its dedupe retention, so a fixed instant would make every
     * whole-loop test fail once the calendar passes it. Whole hours keep a test's entries on one UTC day.
     */
    public static final long T0_USEC = t0Usec(Clock.systemUTC());

    /** One journal entry: the address fields plus ordinary fields (values may be binary). */
    public record Entry(long realtimeUsec, long monotonicUsec, String bootId, Map<String, byte[]> fields) {
        public Entry with(String field, String value) {
            Map<String, byte[]> copy = new LinkedHashMap<>(fields);
            copy.put(field, value.getBytes(StandardCharsets.UTF_8));
            return new Entry(realtimeUsec, monotonicUsec, bootId, copy);
        }
    }

    private final List<Entry> entries = new ArrayList<>();
    private long realtime;
    private long monotonic = 1_000_000L;
    private String bootId = BOOT_ID;
    private String hostname = "web-1";

    /** A fixture whose first entry is at {@link #T0_USEC}. */
    public JournalFixture() {
        this(T0_USEC);
    }

    /** A fixture whose first entry is at {@link #t0Usec(Clock)} of the given clock (a test's "now"). */
    public JournalFixture(Clock clock) {
        this(t0Usec(clock));
    }

    private JournalFixture(long t0Usec) {
        this.realtime = t0Usec;
    }

    /** The start of the hour before the clock's instant, in microseconds since the epoch. */
    public static long t0Usec(Clock clock) {
        Instant t0 = clock.instant().truncatedTo(ChronoUnit.HOURS).minus(1, ChronoUnit.HOURS);
        return Math.multiplyExact(t0.getEpochSecond(), 1_000_000L);
    }

    public JournalFixture host(String name) {
        this.hostname = name;
        return this;
    }

    public JournalFixture boot(String id) {
        this.bootId = id;
        return this;
    }

    /** Sets the realtime clock of the next entry; it must not go backwards within a boot. */
    public JournalFixture at(long realtimeUsec) {
        this.monotonic += Math.max(1, realtimeUsec - realtime);
        this.realtime = realtimeUsec;
        return this;
    }

    /** A kernel entry ({@code _TRANSPORT=kernel}) as journald writes it for an nftables log line. */
    public JournalFixture kernel(String message) {
        return entry("kernel", message);
    }

    /** An entry with the given transport (syslog, journal, stdout, driver, audit, kernel). */
    public JournalFixture entry(String transport, String message) {
        Map<String, byte[]> fields = new LinkedHashMap<>();
        fields.put("_TRANSPORT", bytes(transport));
        fields.put("_HOSTNAME", bytes(hostname));
        fields.put("PRIORITY", bytes(transport.equals("kernel") ? "4" : "6"));
        fields.put("SYSLOG_IDENTIFIER", bytes(transport.equals("kernel") ? "kernel" : "agent"));
        if (transport.equals("kernel")) {
            fields.put("SYSLOG_FACILITY", bytes("0"));
            fields.put("_SOURCE_MONOTONIC_TIMESTAMP", bytes(Long.toString(monotonic - 7)));
        }
        fields.put("MESSAGE", message.getBytes(StandardCharsets.UTF_8));
        return add(fields);
    }

    /** An entry with exactly these fields (binary values allowed). */
    public JournalFixture add(Map<String, byte[]> fields) {
        entries.add(new Entry(realtime, monotonic, bootId, new LinkedHashMap<>(fields)));
        realtime += 1_000;
        monotonic += 1_000;
        return this;
    }

    public List<Entry> entries() {
        return List.copyOf(entries);
    }

    /** The entries in Journal Export Format. */
    public byte[] exportFormat() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            writeExport(entries, out);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }

    public static void writeExport(List<Entry> entries, OutputStream out) throws IOException {
        for (Entry e : entries) {
            JournalExportFormat.writeEntry(out, e.realtimeUsec(), e.monotonicUsec(), e.bootId(), e.fields());
        }
    }

    /** Writes the entries to {@code journalFile} (its name must end in {@code .journal}) with journal-remote. */
    public Path writeJournal(Path journalFile) throws IOException, InterruptedException {
        return convert(exportFormat(), journalFile);
    }

    public static Path convert(byte[] export, Path journalFile) throws IOException, InterruptedException {
        return JournalExportFormat.toJournalFile(new java.io.ByteArrayInputStream(export), journalFile);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A realistic nftables log line of an opencode instance (IPv4 TCP SYN, with skuid). */
    public static String tcpLine(String instance, String src, String dst, int dport, int uid) {
        return "opencode-" + instance + "-blocked: IN= OUT=eth0 SRC=" + src + " DST=" + dst
                + " LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=22550 DF PROTO=TCP SPT=56680 DPT=" + dport
                + " WINDOW=64240 RES=0x00 SYN URGP=0 UID=" + uid + " GID=" + uid + " ";
    }

    /** An IPv6 UDP line as the kernel prints it (addresses uncompressed, LEN twice). */
    public static String udp6Line(String instance, String src, String dst, int dport) {
        return "opencode-" + instance + "-blocked: IN= OUT=eth0 SRC=" + src + " DST=" + dst
                + " LEN=72 TC=0 HOPLIMIT=64 FLOWLBL=123456 PROTO=UDP SPT=40000 DPT=" + dport + " LEN=32 UID=1000 GID=1000 ";
    }
}
