package dev.opencode.tuner.collector;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * The collector's durable journal position: the cursor of the newest entry all of whose blocked events Kafka has
 * acknowledged. Written crash-safely as rsyslog's imjournal does: temporary file, fsync, rename over the old one,
 * fsync of the directory. A crash at any point leaves either the old or the new cursor, never a torn one.
 */
public final class CursorStore {
    static final String FILE = "journal.cursor";
    private final Path file;
    private final Path temporary;

    public CursorStore(Path stateDirectory) throws IOException {
        Files.createDirectories(stateDirectory);
        this.file = stateDirectory.resolve(FILE);
        this.temporary = stateDirectory.resolve(FILE + ".tmp");
    }

    public Path file() {
        return file;
    }

    /** The saved cursor, or empty on first start. A blank or unreadable file is an error, not a silent restart. */
    public Optional<String> load() throws IOException {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        String cursor = Files.readString(file, StandardCharsets.US_ASCII).strip();
        if (cursor.isEmpty() || !cursor.contains("=")) {
            throw new IOException("cursor file " + file + " is corrupt (" + cursor.length() + " chars): delete it to"
                    + " start over from the configured start position");
        }
        return Optional.of(cursor);
    }

    public void save(String cursor) throws IOException {
        byte[] bytes = (cursor + "\n").getBytes(StandardCharsets.US_ASCII);
        try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(true);
        }
        try {
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the state directory " + file.getParent() + " does not support atomic renames", e);
        }
        try (FileChannel directory = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            directory.force(true); // make the rename itself durable
        }
    }
}
