package dev.opencode.tuner.cli.suggest;

import dev.opencode.tuner.cli.CliException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses {@code --since}: ISO dates and times, {@code today}, {@code yesterday}, and relative spans. */
final class TimeSpec {
    static final String FORMATS = "2026-11-25, '2026-11-25 10:00', 2026-11-25T10:00:00Z, today, yesterday, now, "
            + "'2 hours ago', -90m, 3d";
    private static final Pattern RELATIVE = Pattern.compile("-?(\\d{1,9})\\s*(s|sec|m|min|h|hours?|d|days?|w|weeks?)(\\s+ago)?");

    private TimeSpec() {
    }

    static Instant parse(String text, Clock clock) {
        try {
            Instant t = parseOrFail(text, clock);
            if (t.isAfter(clock.instant().plus(Duration.ofDays(1)))) {
                throw CliException.usage("--since '" + text + "' is in the future (" + t + ")");
            }
            return t;
        } catch (ArithmeticException | java.time.DateTimeException | NumberFormatException e) {
            throw CliException.usage("--since '" + text + "' is out of range; use one of: " + FORMATS);
        }
    }

    private static Instant parseOrFail(String text, Clock clock) {
        String t = text.strip();
        ZoneId zone = clock.getZone();
        switch (t) {
            case "now" -> {
                return clock.instant();
            }
            case "today" -> {
                return LocalDate.now(clock).atStartOfDay(zone).toInstant();
            }
            case "yesterday" -> {
                return LocalDate.now(clock).minusDays(1).atStartOfDay(zone).toInstant();
            }
            default -> {
            }
        }
        Matcher m = RELATIVE.matcher(t);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            Duration d = switch (m.group(2).charAt(0)) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                case 'd' -> Duration.ofDays(n);
                default -> Duration.ofDays(7 * n);
            };
            return clock.instant().minus(d);
        }
        try {
            return OffsetDateTime.parse(t).toInstant();
        } catch (DateTimeParseException ignored) {
            // not with an offset: try the local forms below
        }
        try {
            return Instant.parse(t);
        } catch (DateTimeParseException ignored) {
            // try local forms
        }
        try {
            return LocalDateTime.parse(t.replace(' ', 'T')).atZone(zone).toInstant();
        } catch (DateTimeParseException ignored) {
            // try a date
        }
        try {
            return LocalDate.parse(t).atStartOfDay(zone).toInstant();
        } catch (DateTimeParseException e) {
            throw CliException.usage("--since '" + text + "' is not a time; use one of: " + FORMATS);
        }
    }
}
