package dev.opencode.tuner.cli.suggest;

import dev.opencode.tuner.cli.CliException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;

/**
 * The demo input for machines without a journal: a journal directory built once from the shipped Journal Export
 * Format file {@code sample/blocked-egress.export} with systemd's own {@code systemd-journal-remote}.
 */
final class SampleJournal {
    static final String RESOURCE = "/sample/blocked-egress.export";
    static final Path JOURNAL_REMOTE = Path.of("/lib/systemd/systemd-journal-remote");

    private SampleJournal() {
    }

    /** Builds (or rebuilds) the sample journal under {@code cacheDir} and returns its directory. */
    static Path build(Path cacheDir) {
        if (!Files.isExecutable(JOURNAL_REMOTE)) {
            throw CliException.input("this machine has no readable journal, and the sample journal needs "
                    + JOURNAL_REMOTE + ": apt-get install systemd-journal-remote (or pass --kernel-log FILE)", null);
        }
        Path dir = cacheDir.resolve("sample-journal");
        try {
            if (Files.exists(dir)) {
                try (var files = Files.walk(dir)) {
                    files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
            Files.createDirectories(dir);
            Process p = new ProcessBuilder(JOURNAL_REMOTE.toString(),
                    "--output=" + dir.resolve("sample.journal"), "-")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            try (InputStream in = SampleJournal.class.getResourceAsStream(RESOURCE);
                 OutputStream to = p.getOutputStream()) {
                if (in == null) {
                    throw new IOException(RESOURCE + " is missing from the CLI jar");
                }
                in.transferTo(to);
            }
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException("systemd-journal-remote failed to build the sample journal");
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
