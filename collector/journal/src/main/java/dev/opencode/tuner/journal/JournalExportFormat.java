package dev.opencode.tuner.journal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Writes the Journal Export Format ({@code docs/JOURNAL_EXPORT_FORMATS.md} of systemd) and turns it into real
 * journal files with systemd's own {@code systemd-journal-remote}: for the bundled sample journal and for tests.
 */
public final class JournalExportFormat {
    public static final Path JOURNAL_REMOTE = Path.of("/lib/systemd/systemd-journal-remote");

    private JournalExportFormat() {
    }

    /**
     * Writes one entry: the address fields, then every field ({@code NAME=value} when the value is printable, else
     * {@code NAME}, newline, little-endian 64-bit length, raw bytes), then the blank line that ends the entry.
     */
    public static void writeEntry(OutputStream out, long realtimeUsec, long monotonicUsec, String bootId,
                                  Map<String, byte[]> fields) throws IOException {
        field(out, "__REALTIME_TIMESTAMP", ascii(Long.toString(realtimeUsec)));
        field(out, "__MONOTONIC_TIMESTAMP", ascii(Long.toString(monotonicUsec)));
        field(out, "_BOOT_ID", ascii(bootId));
        for (Map.Entry<String, byte[]> f : fields.entrySet()) {
            field(out, f.getKey(), f.getValue());
        }
        out.write('\n');
    }

    private static void field(OutputStream out, String name, byte[] value) throws IOException {
        boolean printable = true;
        for (byte b : value) {
            int c = b & 0xff;
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                printable = false;
                break;
            }
        }
        out.write(ascii(name));
        if (printable) {
            out.write('=');
            out.write(value);
        } else {
            out.write('\n');
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value.length).array());
            out.write(value);
        }
        out.write('\n');
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Runs {@code systemd-journal-remote --output=FILE -} on an export stream (appending when FILE exists).
     *
     * @param journalFile must end in {@code .journal}
     * @throws IOException naming the missing package, or with journal-remote's own message when it fails
     */
    public static Path toJournalFile(InputStream export, Path journalFile) throws IOException, InterruptedException {
        if (!Files.isExecutable(JOURNAL_REMOTE)) {
            throw new IOException(JOURNAL_REMOTE + " is missing: apt-get install systemd-journal-remote");
        }
        if (!journalFile.getFileName().toString().endsWith(".journal")) {
            throw new IllegalArgumentException("systemd-journal-remote needs an output name ending in .journal, got "
                    + journalFile);
        }
        Path absolute = journalFile.toAbsolutePath();
        Files.createDirectories(absolute.getParent());
        Path log = Files.createTempFile("journal-remote", ".log");
        try {
            Process p = new ProcessBuilder(JOURNAL_REMOTE.toString(), "--output=" + absolute, "-")
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try (OutputStream in = p.getOutputStream()) {
                export.transferTo(in);
            }
            if (!p.waitFor(300, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("systemd-journal-remote did not finish in 300 s");
            }
            if (p.exitValue() != 0) {
                throw new IOException("systemd-journal-remote failed (exit " + p.exitValue() + "): "
                        + Files.readString(log).strip());
            }
            return journalFile;
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
