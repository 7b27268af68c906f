package dev.opencode.tuner.policy.app.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class OverviewQueueTest {
    private static final Instant NOW = Instant.now();

    private static WebPages.OverviewRow row(String host, int pending, long denied, Duration waiting, long events) {
        return new WebPages.OverviewRow(host, "web", events, 1, pending, "", 0, 0, "",
                waiting == null ? null : NOW.minus(waiting), List.of(), denied, "");
    }

    private static List<String> order(OverviewQueue.Sort sort, WebPages.OverviewRow... rows) {
        List<WebPages.OverviewRow> list = new ArrayList<>(List.of(rows));
        list.sort(OverviewQueue.comparator(sort));
        return list.stream().map(WebPages.OverviewRow::host).toList();
    }

    @Test
    void attentionPutsDenylistHitsFirstThenMostPendingThenOldest() {
        assertThat(order(OverviewQueue.Sort.ATTENTION,
                row("quiet", 0, 0, null, 900),
                row("busy", 9, 0, Duration.ofHours(1), 100),
                row("old", 2, 0, Duration.ofDays(3), 10),
                row("older", 2, 0, Duration.ofDays(5), 10),
                row("metadata", 1, 4, Duration.ofMinutes(5), 5)))
                .containsExactly("metadata", "busy", "older", "old", "quiet");
    }

    @Test
    void columnsSortAsTheirHeadersSay() {
        WebPages.OverviewRow a = row("a-host", 1, 0, Duration.ofDays(1), 50);
        WebPages.OverviewRow b = row("b-host", 5, 0, Duration.ofDays(9), 7);
        assertThat(order(OverviewQueue.Sort.HOST, b, a)).containsExactly("a-host", "b-host");
        assertThat(order(OverviewQueue.Sort.PENDING, a, b)).containsExactly("b-host", "a-host");
        assertThat(order(OverviewQueue.Sort.OLDEST, a, b)).containsExactly("b-host", "a-host");
        assertThat(order(OverviewQueue.Sort.EVENTS, b, a)).containsExactly("a-host", "b-host");
        assertThat(OverviewQueue.Sort.of("nonsense")).isEqualTo(OverviewQueue.Sort.ATTENTION);
    }

    @Test
    void agesReadAsAReviewerWouldSayThem() {
        assertThat(OverviewQueue.age(Duration.ofDays(3).plusHours(5))).isEqualTo("3 d");
        assertThat(OverviewQueue.age(Duration.ofHours(5).plusMinutes(59))).isEqualTo("5 h");
        assertThat(OverviewQueue.age(Duration.ofMinutes(12))).isEqualTo("12 min");
        assertThat(OverviewQueue.age(Duration.ofSeconds(-3))).as("a clock a little ahead").isEqualTo("0 min");
    }
}
