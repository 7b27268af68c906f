package dev.opencode.tuner.blocked;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Stable event ids: 128 bits of SHA-256 over the fields that identify a journal entry and survive journald's
 * copy from {@code /run} to {@code /var} (boot id, monotonic and realtime reception time, message bytes), so that
 * the same entry read twice, from any file, after any restart, gives the same id. Not thread-safe; one per thread.
 */
public final class EventId {
    private static final HexFormat HEX = HexFormat.of();
    private final MessageDigest sha256;
    private final byte[] longBuffer = new byte[8];

    public EventId() {
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by the Java platform but missing", e);
        }
    }

    /** Id of a journal entry. {@code message} is the MESSAGE value (without the {@code MESSAGE=} field name). */
    public String forJournalEntry(String bootId, long monotonicUsec, long realtimeUsec, byte[] message, int offset,
                                  int length) {
        sha256.reset();
        sha256.update((byte) 'j');
        sha256.update(bootId.getBytes(StandardCharsets.US_ASCII));
        putLong(monotonicUsec);
        putLong(realtimeUsec);
        sha256.update(message, offset, length);
        return finish();
    }

    /** Id of a line of a plain-text kernel log: the input's name, its line number and the line itself. */
    public String forTextLine(String inputName, long lineNumber, String line) {
        sha256.reset();
        sha256.update((byte) 't');
        sha256.update(inputName.getBytes(StandardCharsets.UTF_8));
        sha256.update((byte) 0);
        putLong(lineNumber);
        sha256.update(line.getBytes(StandardCharsets.UTF_8));
        return finish();
    }

    private void putLong(long value) {
        for (int i = 0; i < 8; i++) {
            longBuffer[i] = (byte) (value >>> (56 - 8 * i));
        }
        sha256.update(longBuffer);
    }

    private String finish() {
        byte[] digest = sha256.digest();
        return HEX.formatHex(digest, 0, 16);
    }
}
