package dev.opencode.tuner.policy.app.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opencode.tuner.policy.app.review.ReviewViews;
import dev.opencode.tuner.policy.app.suggest.InstanceViews;
import dev.opencode.tuner.review.SuggestionState;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The overview's queue: why each instance needs attention (its top pending destinations and their services, denylist
 * hits, held-back and snoozed counts, the age of the oldest pending suggestion), in the order a reviewer should take
 * them, or sorted by a column. Pending counts as the instance page and {@code ./tuner suggestions} count it: pending
 * and past the stabilisation rule; held-back ones apart.
 */
final class OverviewQueue {
    /** The columns a reviewer can sort by; {@code attention} is the default. */
    enum Sort {
        ATTENTION("attention"), HOST("host"), PENDING("pending"), OLDEST("oldest"), EVENTS("events"),
        LAST("last");

        final String key;

        Sort(String key) {
            this.key = key;
        }

        static Sort of(String key) {
            for (Sort s : values()) {
                if (s.key.equals(key)) {
                    return s;
                }
            }
            return ATTENTION;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Top pending destinations named per instance. */
    static final int TOP = 3;

    private OverviewQueue() {
    }

    /**
     * The rows of the overview, from the instances with events and the open suggestions (states pending, held and
     * snoozed, without evidence).
     */
    static List<WebPages.OverviewRow> rows(List<InstanceViews.InstanceSummary> instances,
                                           List<ReviewViews.ReviewInstance> open, Instant now, Sort sort) {
        Map<String, ReviewViews.ReviewInstance> byName = new HashMap<>();
        for (ReviewViews.ReviewInstance view : open) {
            byName.put(view.host() + "\0" + view.instance(), view);
        }
        List<WebPages.OverviewRow> rows = new ArrayList<>();
        for (InstanceViews.InstanceSummary summary : instances) {
            ReviewViews.ReviewInstance view = byName.get(summary.host() + "\0" + summary.instance());
            int pending = 0;
            int held = 0;
            int snoozed = 0;
            Instant oldest = null;
            List<ReviewViews.ReviewSuggestion> top = new ArrayList<>();
            long deniedEvents = 0;
            List<String> denied = new ArrayList<>();
            if (view != null) {
                for (ReviewViews.ReviewSuggestion s : view.suggestions()) {
                    if (SuggestionState.SNOOZED.text().equals(s.state())) {
                        snoozed++;
                    } else if (!s.stable()) {
                        held++;
                    } else {
                        pending++;
                        top.add(s);
                        Instant first = s.firstSeen() == null ? null : Instant.parse(s.firstSeen());
                        if (first != null && (oldest == null || first.isBefore(oldest))) {
                            oldest = first;
                        }
                    }
                }
                for (JsonNode r : read(view.refused())) {
                    deniedEvents += r.path("events").asLong();
                    denied.add(r.path("address").asText() + " (" + r.path("reason").asText() + ")");
                }
            }
            top.sort(Comparator.comparingLong(ReviewViews.ReviewSuggestion::events).reversed());
            List<WebPages.TopRow> why = new ArrayList<>();
            for (ReviewViews.ReviewSuggestion s : top.subList(0, Math.min(TOP, top.size()))) {
                why.add(new WebPages.TopRow(s.id(), s.cidr(), String.join(" ", s.services()), s.events()));
            }
            rows.add(new WebPages.OverviewRow(summary.host(), summary.instance(), summary.events(),
                    summary.destinations(), pending, WebText.time(summary.lastSeen()), held, snoozed,
                    oldest == null ? "" : age(Duration.between(oldest, now)), oldest, why, deniedEvents,
                    String.join(", ", denied)));
        }
        rows.sort(comparator(sort));
        return rows;
    }

    /**
     * The order of a column; {@code attention}: instances with denylist hits first (an agent reaching for cloud
     * metadata is a security signal), then the most pending suggestions, then the oldest pending one.
     */
    static Comparator<WebPages.OverviewRow> comparator(Sort sort) {
        Comparator<WebPages.OverviewRow> byName = Comparator.comparing(WebPages.OverviewRow::host)
                .thenComparing(WebPages.OverviewRow::instance);
        Comparator<WebPages.OverviewRow> oldestFirst = Comparator.comparing(WebPages.OverviewRow::oldestAt,
                Comparator.nullsLast(Comparator.naturalOrder()));
        return switch (sort) {
            case HOST -> byName;
            case PENDING -> Comparator.comparingInt(WebPages.OverviewRow::pending).reversed().thenComparing(byName);
            case OLDEST -> oldestFirst.thenComparing(byName);
            case EVENTS -> Comparator.comparingLong(WebPages.OverviewRow::events).reversed().thenComparing(byName);
            case LAST -> Comparator.comparing(WebPages.OverviewRow::lastSeen).reversed().thenComparing(byName);
            case ATTENTION -> Comparator.comparing((WebPages.OverviewRow r) -> r.deniedEvents() == 0)
                    .thenComparing(Comparator.comparingInt(WebPages.OverviewRow::pending).reversed())
                    .thenComparing(oldestFirst).thenComparing(byName);
        };
    }

    /** {@code 3 d}, {@code 5 h}, {@code 12 min}: how long a suggestion has waited. */
    static String age(Duration d) {
        if (d.toDays() >= 1) {
            return d.toDays() + " d";
        }
        if (d.toHours() >= 1) {
            return d.toHours() + " h";
        }
        return Math.max(0, d.toMinutes()) + " min";
    }

    private static JsonNode read(String json) {
        try {
            return json == null ? JSON.createArrayNode() : JSON.readTree(json);
        } catch (IOException e) {
            return JSON.createArrayNode();
        }
    }
}
