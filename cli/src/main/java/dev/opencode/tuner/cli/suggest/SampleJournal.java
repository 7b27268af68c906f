package dev.opencode.tuner.cli.suggest;

import dev.opencode.tuner.cli.CliException;
import dev.opencode.tuner.journal.ExportFormat;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;

/**
 * The demo input for machines without a journal: a journal directory built once from the shipped Journal Export
 * Format file {@code sample/blocked-egress.export} with systemd's own {@code systemd-journal-remote}.
 */
public final class SampleJournal {
    static final String RESOURCE = "/sample/blocked-egress.export";

    private SampleJournal() {
    }

    /** Builds (or rebuilds) the sample journal under {@code cacheDir} and returns its directory. */
    public static Path build(Path cacheDir) {
        if (!Files.isExecutable(ExportFormat.JOURNAL_REMOTE)) {
            throw CliException.input("this machine has no readable journal, and the sample journal needs "
                    + ExportFormat.JOURNAL_REMOTE + ": apt-get install systemd-journal-remote (or pass --kernel-log FILE)", null);
        }
        Path dir = cacheDir.resolve("sample-journal");
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
                ExportFormat.toJournalFile(in, dir.resolve("sample.journal"));
            }
            return dir;
        } catch (IOException e) {
            throw CliException.input("cannot build the sample journal in " + dir + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CliException.input("interrupted", e);
        }
    }
}
