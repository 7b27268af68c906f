package dev.opencode.tuner.cli.suggest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opencode.tuner.journal.Journal;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SampleJournalTest {
    @TempDir
    Path dir;

    @Test
    void theShippedSampleHasTextFieldsOnly() throws Exception {
        // The recent copy rewrites timestamps as text: a binary field (a name line without '=') would forbid that.
        try (InputStream in = SampleJournal.class.getResourceAsStream(SampleJournal.RESOURCE)) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertThat(text.lines().filter(l -> !l.isEmpty() && l.indexOf('=') < 0)).isEmpty();
        }
    }

    @Test
    void everyEntryOfTheSampleIsOfTheHostTheStacksCollectorSpeaksFor() throws Exception {
        // ./tuner up on a machine without a journal: the collector speaks for HOST, and sets other hosts aside.
        try (InputStream in = SampleJournal.class.getResourceAsStream(SampleJournal.RESOURCE)) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            List<String> hosts = text.lines().filter(l -> l.startsWith("_HOSTNAME=")).toList();
            assertThat(hosts).hasSize(entries()).containsOnly("_HOSTNAME=" + SampleJournal.HOST);
        }
    }

    @Test
    void theRecentSampleEndsAMinuteBeforeItsClockWithTheShippedGaps() throws Exception {
        Clock later = Clock.offset(Clock.systemUTC(), Duration.ofDays(3653)); // whatever the date, ten years on
        List<Long> shipped = realtimes(SampleJournal.build(dir.resolve("a")));
        List<Long> recent = realtimes(SampleJournal.buildRecent(dir.resolve("b"), later));

        assertThat(shipped).as("every entry of the export, the last one too").hasSize(entries());
        assertThat(recent).hasSameSizeAs(shipped);
        long shift = recent.get(0) - shipped.get(0);
        assertThat(recent).as("every entry moved by the same amount")
                .containsExactlyElementsOf(shipped.stream().map(t -> t + shift).toList());
        Instant newest = Journal.usecToInstant(recent.stream().mapToLong(Long::longValue).max().orElseThrow());
        assertThat(Duration.between(newest, later.instant())).isBetween(Duration.ofMinutes(1),
                Duration.ofMinutes(1).plusSeconds(2));
    }

    private static int entries() throws Exception {
        try (InputStream in = SampleJournal.class.getResourceAsStream(SampleJournal.RESOURCE)) {
            return (int) new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .filter(l -> l.startsWith("__REALTIME_TIMESTAMP=")).count();
        }
    }

    private static List<Long> realtimes(Path journalDir) {
        List<Long> times = new ArrayList<>();
        try (Journal journal = Journal.openDirectory(journalDir)) {
            journal.seekHead();
            while (journal.next()) {
                times.add(journal.realtimeUsec());
            }
        }
        return times;
    }
}
