package dev.opencode.tuner.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalTest {
    @TempDir
    Path dir;

    private static List<String> readAll(Journal journal, Journal.FieldName field) {
        List<String> values = new ArrayList<>();
        while (journal.next()) {
            values.add(journal.fieldText(field));
        }
        return values;
    }

    @Test
    void fixturesStartTheHourBeforeTheirClockAndNeverAtAFixedDate() {
        // Ten years on: a fixture's entries stay within hours of its clock, so no retention ever drops them.
        Clock later = Clock.offset(Clock.systemUTC(), Duration.ofDays(3653));
        long first = new JournalFixture(later).kernel("x").entries().get(0).realtimeUsec();
        Duration before = Duration.between(Journal.usecToInstant(first), later.instant());
        assertThat(before).isBetween(Duration.ofHours(1), Duration.ofHours(2));
        assertThat(Duration.between(Journal.usecToInstant(JournalFixture.T0_USEC), Instant.now()))
                .isBetween(Duration.ZERO, Duration.ofHours(3));
    }

    @Test
    void libsystemdIsAvailableHere() {
        assertThat(Journal.unavailabilityCause()).isNull();
    }

    @Test
    void readsMessageHostTimeAndBootOfEntriesBuiltWithJournalRemote() throws Exception {
        JournalFixture fx = new JournalFixture().host("web-1").kernel("first").kernel("second");
        fx.writeJournal(dir.resolve("a.journal"));
        try (Journal j = Journal.openDirectory(dir)) {
            j.seekHead();
            assertThat(j.next()).isTrue();
            assertThat(j.fieldText(Journal.MESSAGE)).isEqualTo("first");
            assertThat(j.fieldText(Journal.HOSTNAME)).isEqualTo("web-1");
            assertThat(j.fieldText(Journal.TRANSPORT)).isEqualTo("kernel");
            assertThat(j.realtimeUsec()).isEqualTo(JournalFixture.T0_USEC);
            assertThat(j.monotonic().bootId()).isEqualTo(JournalFixture.BOOT_ID);
            assertThat(j.monotonic().usec()).isEqualTo(fx.entries().get(0).monotonicUsec());
            assertThat(j.field(Journal.fieldName("NO_SUCH_FIELD"))).isNull();
            assertThat(j.next()).isTrue();
            assertThat(j.fieldText(Journal.MESSAGE)).isEqualTo("second");
            assertThat(j.next()).isFalse();
        }
    }

    @Test
    void binaryMessageWithNewlineRoundTrips() throws Exception {
        byte[] message = "line one\nline two\u0001".getBytes(StandardCharsets.UTF_8);
        new JournalFixture().add(Map.of("_TRANSPORT", "kernel".getBytes(), "MESSAGE", message))
                .writeJournal(dir.resolve("b.journal"));
        try (Journal j = Journal.openDirectory(dir)) {
            j.seekHead();
            assertThat(j.next()).isTrue();
            assertThat(j.field(Journal.MESSAGE)).isEqualTo(message);
        }
    }

    @Test
    void kernelMatchSkipsEveryOtherTransportInsideLibsystemd() throws Exception {
        new JournalFixture().entry("syslog", "s").kernel("k1").entry("stdout", "o").entry("journal", "j")
                .kernel("k2").entry("driver", "d").writeJournal(dir.resolve("m.journal"));
        try (Journal j = Journal.openDirectory(dir)) {
            j.addMatch("_TRANSPORT=kernel");
            j.seekHead();
            assertThat(readAll(j, Journal.MESSAGE)).containsExactly("k1", "k2");
        }
    }

    @Test
    void readsAcrossSeveralFilesOfOneDirectoryInTimeOrder() throws Exception {
        JournalFixture fx = new JournalFixture();
        for (int i = 0; i < 6; i++) {
            fx.kernel("m" + i);
        }
        List<JournalFixture.Entry> all = fx.entries();
        // An archived file and the active one, as after a rotation, each holding every other entry.
        List<JournalFixture.Entry> even = new ArrayList<>();
        List<JournalFixture.Entry> odd = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            (i % 2 == 0 ? even : odd).add(all.get(i));
        }
        JournalFixture.convert(export(even), dir.resolve("system@0005ab-0000000000000001.journal"));
        JournalFixture.convert(export(odd), dir.resolve("system.journal"));
        try (Journal j = Journal.openDirectory(dir)) {
            j.seekHead();
            assertThat(readAll(j, Journal.MESSAGE)).containsExactly("m0", "m1", "m2", "m3", "m4", "m5");
        }
        try (Journal j = Journal.openFiles(List.of(dir.resolve("system.journal")))) {
            j.seekHead();
            assertThat(readAll(j, Journal.MESSAGE)).containsExactly("m1", "m3", "m5");
        }
    }

    private static byte[] export(List<JournalFixture.Entry> entries) throws Exception {
        var out = new java.io.ByteArrayOutputStream();
        JournalFixture.writeExport(entries, out);
        return out.toByteArray();
    }

    @Test
    void seekLastLandsOnTheNewestEntryAndNextReturnsNothingOld() throws Exception {
        new JournalFixture().kernel("a").kernel("b").kernel("c").writeJournal(dir.resolve("t.journal"));
        try (Journal j = Journal.openDirectory(dir)) {
            assertThat(j.seekLast()).isTrue();
            assertThat(j.fieldText(Journal.MESSAGE)).isEqualTo("c");
            assertThat(j.next()).isFalse();
        }
    }

    @Test
    void seekRealtimeStartsAtTheFirstEntryAtOrAfterTheTime() throws Exception {
        new JournalFixture().kernel("a").at(JournalFixture.T0_USEC + 60_000_000).kernel("b").kernel("c")
                .writeJournal(dir.resolve("t.journal"));
        try (Journal j = Journal.openDirectory(dir)) {
            j.seekRealtime(Journal.usecToInstant(JournalFixture.T0_USEC + 30_000_000));
            assertThat(readAll(j, Journal.MESSAGE)).containsExactly("b", "c");
        }
    }

    @Test
    void resumesAfterAnExistingCursorWithoutRepeatingIt() throws Exception {
        new JournalFixture().kernel("a").kernel("b").kernel("c").writeJournal(dir.resolve("t.journal"));
        String cursorOfB;
        try (Journal j = Journal.openDirectory(dir)) {
            j.seekHead();
            j.next();
            j.next();
            cursorOfB = j.cursor();
            assertThat(j.testCursor(cursorOfB)).isTrue();
        }
        try (Journal j = Journal.openDirectory(dir)) {
            assertThat(j.seekAfterCursor(cursorOfB)).isEqualTo(Journal.Resume.FOUND);
            assertThat(readAll(j, Journal.MESSAGE)).containsExactly("c");
        }
    }

    @Test
    void resumesAfterAVacuumedCursorWithoutSkippingTheFirstUnreadEntry() throws Exception {
        JournalFixture fx = new JournalFixture().kernel("a").kernel("b").kernel("c").kernel("d");
        List<JournalFixture.Entry> all = fx.entries();
        Path old = dir.resolve("old");
        JournalFixture.convert(export(all), old.resolve("t.journal"));
        String cursorOfB;
        try (Journal j = Journal.openDirectory(old)) {
            j.seekHead();
            j.next();
            j.next();
            cursorOfB = j.cursor();
        }
        // The journal after a vacuum: a, b are gone; c, d remain (in a new file, as after rotation + deletion).
        Path now = dir.resolve("now");
        JournalFixture.convert(export(all.subList(2, 4)), now.resolve("t.journal"));
        try (Journal j = Journal.openDirectory(now)) {
            assertThat(j.seekAfterCursor(cursorOfB)).isEqualTo(Journal.Resume.GONE);
            assertThat(readAll(j, Journal.MESSAGE)).containsExactly("c", "d");
        }
    }

    @Test
    void waitForChangeSeesEntriesAppendedByAnotherWriter() throws Exception {
        Path file = dir.resolve("live.journal");
        JournalFixture fx = new JournalFixture().kernel("before");
        fx.writeJournal(file);
        try (Journal j = Journal.openDirectory(dir)) {
            assertThat(j.seekLast()).isTrue();
            assertThat(j.next()).isFalse();
            // journal-remote appends to an existing output file.
            JournalFixture later = new JournalFixture().at(JournalFixture.T0_USEC + 10_000_000).kernel("after");
            later.writeJournal(file);
            List<String> seen = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (seen.isEmpty() && System.nanoTime() < deadline) {
                j.waitForChange(Duration.ofMillis(200));
                seen.addAll(readAll(j, Journal.MESSAGE));
            }
            assertThat(seen).containsExactly("after");
        }
    }

    @Test
    void isConfinedToTheThreadThatOpenedIt() throws Exception {
        new JournalFixture().kernel("a").writeJournal(dir.resolve("t.journal"));
        try (Journal j = Journal.openDirectory(dir)) {
            CompletableFuture<Void> other = CompletableFuture.runAsync(j::seekHead);
            assertThatThrownBy(other::get).isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("confined");
        }
    }

    @Test
    void errorsNameTheCallAndTheErrno() throws Exception {
        new JournalFixture().kernel("a").writeJournal(dir.resolve("t.journal"));
        try (Journal j = Journal.openDirectory(dir)) {
            assertThatThrownBy(() -> j.seekCursor("not-a-cursor"))
                    .isInstanceOf(JournalException.class)
                    .hasMessageStartingWith("sd_journal_seek_cursor: EINVAL")
                    .extracting(e -> ((JournalException) e).errno()).isEqualTo(22);
            assertThatThrownBy(() -> j.addMatch("lowercase=x"))
                    .hasMessageStartingWith("sd_journal_add_match: EINVAL");
        }
        assertThatThrownBy(() -> Journal.openDirectory(dir.resolve("missing")))
                .isInstanceOf(JournalException.class).hasMessageContaining("does not exist");
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertThatThrownBy(() -> Journal.openDirectory(empty))
                .isInstanceOf(JournalException.class).hasMessageContaining("no readable journal files");
        Path notJournal = Files.writeString(Files.createDirectories(dir.resolve("bad")).resolve("x.journal"),
                "not a journal");
        assertThatThrownBy(() -> Journal.openFiles(List.of(notJournal)))
                .isInstanceOf(JournalException.class).hasMessageStartingWith("sd_journal_open_files: ENODATA");
        assertThatThrownBy(() -> Journal.openDirectory(notJournal.getParent()))
                .isInstanceOf(JournalException.class).hasMessageContaining("could be opened as a journal file");
    }

    @Test
    void closedJournalRefusesUse() throws Exception {
        new JournalFixture().kernel("a").writeJournal(dir.resolve("t.journal"));
        Journal j = Journal.openDirectory(dir);
        j.close();
        j.close();
        assertThatThrownBy(j::next).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }
}
