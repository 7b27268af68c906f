package dev.opencode.tuner.cli.suggest;

import dev.opencode.tuner.cli.CliException;
import dev.opencode.tuner.journal.JournalExportFormat;
import java.io.IOException;
import java.io.InputStream;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The demo input for machines without a journal: a journal directory built once from the shipped Journal Export
 * Format file {@code sample/blocked-egress.export} with systemd's own {@code systemd-journal-remote}.
 */
public final class SampleJournal {
    static final String RESOURCE = "/sample/blocked-egress.export";
    /** The {@code _HOSTNAME} of every entry of the sample. */
    public static final String HOST = "demo-host";

    private SampleJournal() {
    }

    /** Builds (or rebuilds) the sample journal under {@code cacheDir} and returns its directory. */
    public static Path build(Path cacheDir) {
        return build(cacheDir.resolve("sample-journal"), null);
    }

    /**
     * As {@link #build(Path)}, with every entry moved in time so that the newest is a minute before the clock's now
     * (the gaps between entries kept): for {@code ./tuner up}, whose policy service does not count events older than
     * its dedupe retention, so the shipped dates would make the sample count nothing some weeks after a release.
     */
    public static Path buildRecent(Path cacheDir, Clock clock) {
        return build(cacheDir.resolve("sample-journal-recent"), clock);
    }

    private static Path build(Path dir, Clock clock) {
        if (!Files.isExecutable(JournalExportFormat.JOURNAL_REMOTE)) {
            throw CliException.input("this machine has no readable journal, and the sample journal needs "
                    + JournalExportFormat.JOURNAL_REMOTE + ": apt-get install systemd-journal-remote (or pass --kernel-log FILE)", null);
        }
        try {
            if (Files.exists(dir)) {
                try (var files = Files.walk(dir)) {
                    for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                        Files.delete(p);
                    }
                }
            }
            Files.createDirectories(dir);
            try (InputStream in = SampleJournal.class.getResourceAsStream(RESOURCE)) {
                if (in == null) {
                    throw new IOException(RESOURCE + " is missing from the CLI jar");
                }
                byte[] export = terminated(in.readAllBytes());
                if (clock != null) {
                    export = shifted(export, clock);
                }
                JournalExportFormat.toJournalFile(new ByteArrayInputStream(export), dir.resolve("sample.journal"));
            }
            return dir;
        } catch (IOException e) {
            throw CliException.input("cannot build the sample journal in " + dir + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CliException.input("interrupted", e);
        }
    }

    /** The export ending with the blank line that ends its last entry (systemd-journal-remote drops it otherwise). */
    static byte[] terminated(byte[] export) {
        int n = export.length;
        if (n >= 2 && export[n - 1] == '\n' && export[n - 2] == '\n') {
            return export;
        }
        byte[] end = n > 0 && export[n - 1] == '\n' ? new byte[] {'\n'} : new byte[] {'\n', '\n'};
        byte[] whole = java.util.Arrays.copyOf(export, n + end.length);
        System.arraycopy(end, 0, whole, n, end.length);
        return whole;
    }

    /** The export with each {@code __REALTIME_TIMESTAMP} moved by the same amount, the newest to now minus 1 min. */
    static byte[] shifted(byte[] export, Clock clock) throws IOException {
        String text = new String(export, StandardCharsets.UTF_8);
        Matcher times = REALTIME.matcher(text);
        long newest = Long.MIN_VALUE;
        while (times.find()) {
            newest = Math.max(newest, Long.parseLong(times.group(1)));
        }
        if (newest == Long.MIN_VALUE) {
            throw new IOException(RESOURCE + " has no __REALTIME_TIMESTAMP field");
        }
        Instant target = clock.instant().minus(1, ChronoUnit.MINUTES).truncatedTo(ChronoUnit.SECONDS);
        long shift = Math.multiplyExact(target.getEpochSecond(), 1_000_000L) - newest;
        // The sample has text fields only (checked by its test), so a textual rewrite cannot corrupt a binary field.
        return REALTIME.matcher(text).replaceAll(m -> "__REALTIME_TIMESTAMP=" + (Long.parseLong(m.group(1)) + shift))
                .getBytes(StandardCharsets.UTF_8);
    }

    private static final Pattern REALTIME = Pattern.compile("(?m)^__REALTIME_TIMESTAMP=(\\d+)$");
}
