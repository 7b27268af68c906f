package dev.opencode.tuner.journal;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.StringArray;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;

/**
 * A handle on systemd journal files through libsystemd ({@code sd_journal}).
 *
 * <p><b>Thread confinement:</b> libsystemd forbids using one {@code sd_journal} from more than one thread, even with
 * locking. A {@code Journal} may only be used, and must be closed, by the thread that opened it; any other thread
 * gets an {@link IllegalStateException}. Use a dedicated platform thread (never a virtual thread, which can move
 * between carriers) and hand data to other threads through queues.
 *
 * <p>Every negative return of libsystemd becomes a {@link JournalException} naming the call and the errno.
 */
public final class Journal implements AutoCloseable {
    /** A field name prepared once in native memory, for fast repeated {@link #field} reads. */
    public static final class FieldName {
        private final String name;
        private final Memory nativeName;
        private final int prefixLength;

        private FieldName(String name) {
            this.name = name;
            byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
            this.nativeName = new Memory(bytes.length + 1L);
            nativeName.write(0, bytes, 0, bytes.length);
            nativeName.setByte(bytes.length, (byte) 0);
            this.prefixLength = bytes.length + 1; // data comes back as "NAME=value"
        }

        public String name() {
            return name;
        }
    }

    /** Monotonic reception time and the boot it belongs to. */
    public record Monotonic(long usec, String bootId) {
    }

    /** Oldest and newest realtime timestamps in the open files. */
    public record Cutoff(Instant from, Instant to) {
    }

    /** What a {@link #waitForChange} call saw. */
    public enum Change { NONE, APPEND, INVALIDATE }

    public static final FieldName MESSAGE = new FieldName("MESSAGE");
    public static final FieldName HOSTNAME = new FieldName("_HOSTNAME");
    public static final FieldName TRANSPORT = new FieldName("_TRANSPORT");
    public static final FieldName MESSAGE_ID = new FieldName("MESSAGE_ID");

    private static final HexFormat HEX = HexFormat.of();

    private final Thread owner = Thread.currentThread();
    private Pointer handle;
    // Out-parameters live in one native block, read back through a direct ByteBuffer view: plain memory reads,
    // no JNI call per value (each JNA Memory.getLong would be one). Layout: data pointer, data length, two
    // uint64 results, sd_id128_t, cursor pointer.
    private final Memory scratch = new Memory(56);
    private final ByteBuffer view = scratch.getByteBuffer(0, 56).order(ByteOrder.nativeOrder());
    private final Pointer dataPtr = scratch.share(0, 8);
    private final Pointer dataLen = scratch.share(8, 8);
    private final Pointer u64 = scratch.share(16, 8);
    private final Pointer u64b = scratch.share(24, 8);
    private final Pointer id128 = scratch.share(32, 16);
    private final Pointer cursorPtr = scratch.share(48, 8);
    private final byte[] id128Bytes = new byte[16];

    private Journal(Pointer handle) {
        this.handle = handle;
        // Opening the inotify fd now makes the first sd_journal_wait() really wait (journalctl does the same).
        int fd = LibSystemd.sd_journal_get_fd(handle);
        if (fd < 0) {
            LibSystemd.sd_journal_close(handle);
            this.handle = null;
            throw new JournalException("sd_journal_get_fd", fd);
        }
    }

    /** Why libsystemd cannot be used in this process, or null when it can (a probe, like Netty's natives). */
    public static Throwable unavailabilityCause() {
        return LibSystemd.unavailabilityCause();
    }

    public static boolean isAvailable() {
        return unavailabilityCause() == null;
    }

    /** The local system journal (all files of this machine's journald, system scope). */
    public static Journal openLocalSystem() {
        requireAvailable();
        Memory ret = new Memory(8);
        check("sd_journal_open", LibSystemd.sd_journal_open(ret,
                LibSystemd.SD_JOURNAL_LOCAL_ONLY | LibSystemd.SD_JOURNAL_SYSTEM));
        return new Journal(ret.getPointer(0));
    }

    /** Every journal file in {@code directory} (and its machine-id subdirectories), followed as it changes. */
    public static Journal openDirectory(Path directory) {
        requireAvailable();
        if (!Files.isDirectory(directory)) {
            throw new JournalException("journal directory " + directory + " does not exist or is not a directory");
        }
        if (!containsJournalFiles(directory)) {
            throw new JournalException("no readable journal files (*.journal) in " + directory);
        }
        Memory ret = new Memory(8);
        check("sd_journal_open_directory",
                LibSystemd.sd_journal_open_directory(ret, directory.toAbsolutePath().toString(), 0));
        return requireOpenedFiles(new Journal(ret.getPointer(0)), "the journal files in " + directory);
    }

    private static boolean containsJournalFiles(Path directory) {
        try (var files = Files.walk(directory, 2)) {
            return files.anyMatch(f -> {
                String name = f.getFileName().toString();
                return (name.endsWith(".journal") || name.endsWith(".journal~")) && Files.isReadable(f);
            });
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            throw new JournalException("cannot list journal directory " + directory + ": " + e.getMessage());
        }
    }

    /** Exactly these journal files (the set is pinned: files created later are not seen). */
    public static Journal openFiles(List<Path> files) {
        requireAvailable();
        if (files.isEmpty()) {
            throw new JournalException("no journal files given");
        }
        String[] paths = new String[files.size()];
        for (int i = 0; i < paths.length; i++) {
            Path file = files.get(i);
            if (!Files.isRegularFile(file)) {
                throw new JournalException("journal file " + file + " does not exist or is not a file");
            }
            paths[i] = file.toAbsolutePath().toString();
        }
        Memory ret = new Memory(8);
        // StringArray is NULL-terminated, as sd_journal_open_files() expects.
        check("sd_journal_open_files", LibSystemd.sd_journal_open_files(ret, new StringArray(paths), 0));
        return requireOpenedFiles(new Journal(ret.getPointer(0)), String.join(", ", paths));
    }

    /** libsystemd skips files it cannot open: with none opened, say so instead of reading nothing. */
    private static Journal requireOpenedFiles(Journal journal, String what) {
        if (journal.usageBytes() == 0) {
            journal.close();
            throw new JournalException("none of " + what + " could be opened as a journal file (corrupt, truncated,"
                    + " unreadable, or not a journal file)");
        }
        return journal;
    }

    /** Disk space used by the journal files this handle has open. */
    public long usageBytes() {
        check("sd_journal_get_usage", LibSystemd.sd_journal_get_usage(j(), u64));
        return view.getLong(16);
    }

    private static void requireAvailable() {
        Throwable cause = unavailabilityCause();
        if (cause != null) {
            throw new JournalException("libsystemd (libsystemd.so.0) cannot be loaded: " + cause.getMessage()
                    + "; install the systemd package or read a plain-text kernel log instead");
        }
    }

    private static int check(String call, int rc) {
        if (rc < 0) {
            throw new JournalException(call, rc);
        }
        return rc;
    }

    private Pointer j() {
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("Journal used from thread " + Thread.currentThread().getName()
                    + " but it is confined to " + owner.getName() + " (libsystemd forbids sharing sd_journal)");
        }
        if (handle == null) {
            throw new IllegalStateException("Journal is closed");
        }
        return handle;
    }

    /**
     * For {@link #openLocalSystem()}: whether any runtime or persistent journal file could be opened (an unreadable
     * journal looks empty to libsystemd, not failed).
     */
    public boolean hasFiles() {
        Pointer j = j();
        return check("sd_journal_has_runtime_files", LibSystemd.sd_journal_has_runtime_files(j)) > 0
                || check("sd_journal_has_persistent_files", LibSystemd.sd_journal_has_persistent_files(j)) > 0;
    }

    /**
     * Adds a {@code FIELD=value} match. Matches on one field are ORed, on different fields ANDed; add them before
     * seeking, because adding one resets the position.
     */
    public void addMatch(String fieldEqualsValue) {
        byte[] bytes = fieldEqualsValue.getBytes(StandardCharsets.UTF_8);
        check("sd_journal_add_match", LibSystemd.sd_journal_add_match(j(), bytes, bytes.length));
    }

    public void addDisjunction() {
        check("sd_journal_add_disjunction", LibSystemd.sd_journal_add_disjunction(j()));
    }

    public void flushMatches() {
        LibSystemd.sd_journal_flush_matches(j());
    }

    public void seekHead() {
        check("sd_journal_seek_head", LibSystemd.sd_journal_seek_head(j()));
    }

    /** Seeks after the last entry. Follow with {@link #previous()} to land on it ({@code next()} would not). */
    public void seekTail() {
        check("sd_journal_seek_tail", LibSystemd.sd_journal_seek_tail(j()));
    }

    public void seekRealtime(Instant time) {
        long usec = Math.max(0, time.getEpochSecond() * 1_000_000L + time.getNano() / 1_000);
        check("sd_journal_seek_realtime_usec", LibSystemd.sd_journal_seek_realtime_usec(j(), usec));
    }

    public void seekCursor(String cursor) {
        check("sd_journal_seek_cursor", LibSystemd.sd_journal_seek_cursor(j(), cursor));
    }

    /** Where {@link #seekAfterCursor} left the read position. */
    public enum Resume {
        /** The cursor's entry exists and is current; {@code next()} returns the first entry after it. */
        FOUND,
        /**
         * The cursor's entry is gone (vacuumed, rotated away, another boot or machine): the position is just before
         * the first entry after where it was, so {@code next()} returns that entry and nothing is skipped.
         */
        GONE
    }

    /**
     * Positions the journal so that {@link #next()} returns the first entry after {@code cursor}, without the
     * entry-skipping bug of a blind {@code next_skip(2)}: seek_cursor, next, test_cursor, and a step back when the
     * cursor's entry no longer exists (the recipe of Grafana Alloy's journal reader).
     */
    public Resume seekAfterCursor(String cursor) {
        seekCursor(cursor);
        if (!next()) {
            return Resume.GONE; // nothing at or after the cursor's position: next() waits for new entries
        }
        if (testCursor(cursor)) {
            return Resume.FOUND;
        }
        if (!previous()) {
            // The landed entry is the oldest one: previous() cannot step before it, so rewind to the head instead.
            seekHead();
        }
        return Resume.GONE;
    }

    /** Positions on the last entry, so that {@code next()} returns only entries appended later. */
    public boolean seekLast() {
        seekTail();
        return previous(); // seek_tail + next would return one old entry per file (systemd#9934)
    }

    /**
     * Moves to the next entry; false at the end. Only {@code sd_journal_get_data} reads fields here, which keeps no
     * iteration state; {@code sd_journal_restart_data} (needed around {@code enumerate_data}, whose stale state
     * crashed fluent-bit#11068) is therefore not called per entry.
     */
    public boolean next() {
        return check("sd_journal_next", LibSystemd.sd_journal_next(j())) > 0;
    }

    /** Moves to the previous entry; false at the start. */
    public boolean previous() {
        return check("sd_journal_previous", LibSystemd.sd_journal_previous(j())) > 0;
    }

    /** Whether the current entry is the one {@code cursor} names. */
    public boolean testCursor(String cursor) {
        return check("sd_journal_test_cursor", LibSystemd.sd_journal_test_cursor(j(), cursor)) > 0;
    }

    /** The cursor of the current entry (allocates; fetch it only when needed, e.g. for the last of a batch). */
    public String cursor() {
        check("sd_journal_get_cursor", LibSystemd.sd_journal_get_cursor(j(), cursorPtr));
        Pointer p = new Pointer(view.getLong(48));
        try {
            return p.getString(0, StandardCharsets.US_ASCII.name());
        } finally {
            Native.free(Pointer.nativeValue(p));
        }
    }

    public long realtimeUsec() {
        check("sd_journal_get_realtime_usec", LibSystemd.sd_journal_get_realtime_usec(j(), u64));
        return view.getLong(16);
    }

    public Monotonic monotonic() {
        check("sd_journal_get_monotonic_usec", LibSystemd.sd_journal_get_monotonic_usec(j(), u64, id128));
        view.get(32, id128Bytes);
        return new Monotonic(view.getLong(16), HEX.formatHex(id128Bytes));
    }

    public static FieldName fieldName(String name) {
        if (!name.matches("[A-Z0-9_]+")) {
            throw new IllegalArgumentException("journal field names are A-Z, 0-9 and _, got '" + name + "'");
        }
        return new FieldName(name);
    }

    /**
     * The value of a field of the current entry (bytes after {@code NAME=}), copied out of libsystemd's buffer, or
     * null when the entry has no such field.
     */
    public byte[] field(FieldName field) {
        int rc = LibSystemd.sd_journal_get_data(j(), field.nativeName, dataPtr, dataLen);
        if (rc == -Errno.ENOENT) {
            return null;
        }
        check("sd_journal_get_data(" + field.name + ")", rc);
        long length = view.getLong(8);
        long valueLength = length - field.prefixLength;
        if (valueLength < 0 || valueLength > Integer.MAX_VALUE) {
            throw new JournalException("sd_journal_get_data(" + field.name + ") returned " + length + " bytes");
        }
        // The pointer is only valid until the next libsystemd call: copy now.
        return new Pointer(view.getLong(0)).getByteArray(field.prefixLength, (int) valueLength);
    }

    /** The field as UTF-8 text, or null. */
    public String fieldText(FieldName field) {
        byte[] value = field(field);
        return value == null ? null : new String(value, StandardCharsets.UTF_8);
    }

    public Cutoff cutoffRealtime() {
        check("sd_journal_get_cutoff_realtime_usec", LibSystemd.sd_journal_get_cutoff_realtime_usec(j(), u64, u64b));
        return new Cutoff(usecToInstant(view.getLong(16)), usecToInstant(view.getLong(24)));
    }

    /**
     * Waits up to {@code timeout} for the journal to change. After {@link Change#APPEND} or
     * {@link Change#INVALIDATE}, read with {@link #next()} until it returns false.
     */
    public Change waitForChange(Duration timeout) {
        long usec = timeout.toNanos() / 1_000;
        int rc = check("sd_journal_wait", LibSystemd.sd_journal_wait(j(), usec));
        return switch (rc) {
            case LibSystemd.SD_JOURNAL_APPEND -> Change.APPEND;
            case LibSystemd.SD_JOURNAL_INVALIDATE -> Change.INVALIDATE;
            default -> Change.NONE;
        };
    }

    /** Lets libsystemd drop vacuumed files during long reads (journalctl does this every 1024 entries). */
    public void process() {
        check("sd_journal_process", LibSystemd.sd_journal_process(j()));
    }

    public static Instant usecToInstant(long usec) {
        return Instant.ofEpochSecond(Math.floorDiv(usec, 1_000_000L), Math.floorMod(usec, 1_000_000L) * 1_000L);
    }

    @Override
    public void close() {
        if (handle != null) {
            Pointer j = j();
            handle = null;
            LibSystemd.sd_journal_close(j);
            scratch.close(); // free the out-parameter block now, not at some garbage collection
        }
    }
}
