package dev.opencode.tuner.blocked;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventIdTest {
    private static final String BOOT = "2f9e8a068eab4377a1987196b3a4cdd3";
    private static final byte[] MESSAGE = BlockedLineParserTest.RESEARCH_SAMPLE.getBytes(StandardCharsets.UTF_8);
    private static final long MONO = 10771312074L;
    private static final long REAL = 1795364534551919L;

    private static String journal(String boot, long mono, long real, byte[] message) {
        return new EventId().forJournalEntry(boot, mono, real, message, 0, message.length);
    }

    @Test
    void idIsThirtyTwoLowercaseHexDigits() {
        assertThat(journal(BOOT, MONO, REAL, MESSAGE)).matches("[0-9a-f]{32}");
        assertThat(new EventId().forTextLine("kern.log", 1, "x")).matches("[0-9a-f]{32}");
    }

    @Test
    void idIsTheFirst128BitsOfSha256OverTheDocumentedFields() throws Exception {
        // Independent recomputation: 'j', boot id (ASCII), monotonic and realtime as big-endian longs, message bytes.
        var sha = MessageDigest.getInstance("SHA-256");
        sha.update((byte) 'j');
        sha.update(BOOT.getBytes(StandardCharsets.US_ASCII));
        sha.update(ByteBuffer.allocate(16).putLong(MONO).putLong(REAL).array());
        sha.update(MESSAGE);
        String expected = HexFormat.of().formatHex(sha.digest(), 0, 16);

        assertThat(journal(BOOT, MONO, REAL, MESSAGE)).isEqualTo(expected);
    }

    @Test
    void sameJournalEntryGivesTheSameIdFromAnyInstanceAndAfterReuse() {
        EventId reused = new EventId();
        String first = reused.forJournalEntry(BOOT, MONO, REAL, MESSAGE, 0, MESSAGE.length);
        reused.forJournalEntry(BOOT, 1, 2, new byte[] {1, 2, 3}, 0, 3);
        reused.forTextLine("kern.log", 7, "other");

        assertThat(reused.forJournalEntry(BOOT, MONO, REAL, MESSAGE, 0, MESSAGE.length)).isEqualTo(first);
        assertThat(journal(BOOT, MONO, REAL, MESSAGE)).isEqualTo(first);
    }

    @Test
    void onlyTheGivenSliceOfTheMessageBufferCounts() {
        byte[] padded = new byte[MESSAGE.length + 20];
        Arrays.fill(padded, (byte) 'Z');
        System.arraycopy(MESSAGE, 0, padded, 8, MESSAGE.length);

        String fromSlice = new EventId().forJournalEntry(BOOT, MONO, REAL, padded, 8, MESSAGE.length);

        assertThat(fromSlice).isEqualTo(journal(BOOT, MONO, REAL, MESSAGE));
    }

    @Test
    void anyDifferingJournalFieldGivesADifferentId() {
        byte[] otherMessage = MESSAGE.clone();
        otherMessage[otherMessage.length - 2] ^= 1; // GID=984 -> GID=985: a one-bit change
        List<String> ids = List.of(
                journal(BOOT, MONO, REAL, MESSAGE),
                journal("2f9e8a068eab4377a1987196b3a4cdd4", MONO, REAL, MESSAGE),
                journal(BOOT, MONO + 1, REAL, MESSAGE),
                journal(BOOT, MONO, REAL + 1, MESSAGE),
                journal(BOOT, REAL, MONO, MESSAGE),
                journal(BOOT, MONO, REAL, otherMessage),
                journal(BOOT, MONO, REAL, new byte[0]),
                new EventId().forJournalEntry(BOOT, MONO, REAL, MESSAGE, 0, MESSAGE.length - 1));

        assertThat(new HashSet<>(ids)).hasSameSizeAs(ids);
    }

    @Test
    void anyDifferingTextLineInputGivesADifferentId() {
        EventId id = new EventId();
        List<String> ids = List.of(
                id.forTextLine("kern.log", 1, "line"),
                id.forTextLine("kern.log.1", 1, "line"),
                id.forTextLine("kern.log", 2, "line"),
                id.forTextLine("kern.log", 1, "line "),
                id.forTextLine("kern.lo", 1, "gline"));

        assertThat(new HashSet<>(ids)).hasSameSizeAs(ids);
        assertThat(id.forTextLine("kern.log", 1, "line")).isEqualTo(ids.get(0));
    }

    @Test
    void journalAndTextIdsAreKeptApartEvenWhenTheirHashedBytesWouldOtherwiseMatch() {
        // Without the 'j'/'t' tag both would hash "k", sixteen zero bytes, "x".
        String fromJournal = journal("k", 0, 0, "x".getBytes(StandardCharsets.UTF_8));
        String fromText = new EventId().forTextLine("k", 0, "\0\0\0\0\0\0\0x");

        assertThat(fromJournal).isNotEqualTo(fromText);
    }
}
