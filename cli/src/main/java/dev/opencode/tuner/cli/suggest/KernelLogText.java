package dev.opencode.tuner.cli.suggest;

import dev.opencode.tuner.blocked.BlockedEvent;
import dev.opencode.tuner.blocked.BlockedLine;
import dev.opencode.tuner.blocked.BlockedLineParser;
import dev.opencode.tuner.blocked.EventId;
import dev.opencode.tuner.blocked.ParseResult;
import dev.opencode.tuner.blocked.Transport;
import dev.opencode.tuner.cli.CliException;
import java.io.BufferedReader;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.Year;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a plain-text kernel log: {@code dmesg} ({@code [  12.345678] ...}, or {@code -T} times),
 * {@code journalctl -k -o short} / {@code short-iso}, {@code /var/log/kern.log} (RFC 3339 rsyslog format), or bare
 * messages. The transport of such lines cannot be checked, so events are marked {@link Transport#UNKNOWN}; syslog
 * lines whose identifier is not {@code kernel} but carry the prefix are counted as spoofed.
 */
final class KernelLogText {
    /** {@code 2026-11-25T10:00:00.123456+00:00 host ident: msg} and journalctl's short-iso {@code +0000}. */
    private static final Pattern ISO = Pattern.compile(
            "^(\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(?:[.,]\\d+)?(?:Z|[+-]\\d\\d:?\\d\\d)?)\\s+(\\S+)\\s+([^:\\s]+?)(?:\\[\\d+\\])?:\\s?(.*)$");
    /** {@code Nov 25 10:00:00[.123456] host ident: msg}: journalctl short / short-precise, syslog; no year. */
    private static final Pattern SHORT = Pattern.compile(
            "^([A-Z][a-z]{2}\\s+\\d{1,2}\\s\\d\\d:\\d\\d:\\d\\d)(?:\\.\\d+)?\\s+(\\S+)\\s+([^:\\s]+?)(?:\\[\\d+\\])?:\\s?(.*)$");
    /** {@code Wed 2026-11-25 10:00:00 UTC host ident: msg}: journalctl short-full. */
    private static final Pattern FULL = Pattern.compile(
            "^[A-Z][a-z]{2} (\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d)(?:\\.\\d+)? (\\S+) (\\S+)\\s+([^:\\s]+?)(?:\\[\\d+\\])?:\\s?(.*)$");
    /** {@code [  812.345678] host ident: msg}: journalctl short-monotonic (no wall clock). */
    private static final Pattern MONOTONIC = Pattern.compile(
            "^\\[\\s*\\d+\\.\\d+\\]\\s+(\\S+)\\s+([^:\\s=]+?)(?:\\[\\d+\\])?:\\s?(.*)$");
    /** {@code [Wed Nov 25 10:00:00 2026] msg}: dmesg -T. */
    private static final Pattern DMESG_T = Pattern.compile(
            "^\\[([A-Z][a-z]{2} [A-Z][a-z]{2}\\s+\\d{1,2} \\d\\d:\\d\\d:\\d\\d \\d{4})\\]\\s?(.*)$");
    /** {@code [  123.456789] msg}: dmesg, kernel time since boot. */
    private static final Pattern DMESG = Pattern.compile("^\\[\\s*\\d+\\.\\d+\\]\\s?(.*)$");
    private static final Pattern PRINTK_TIME = Pattern.compile("^\\[\\s*\\d+\\.\\d+\\]\\s?");
    private static final DateTimeFormatter SHORT_TIME = DateTimeFormatter.ofPattern("MMM d HH:mm:ss yyyy", Locale.ROOT);
    private static final DateTimeFormatter FULL_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss z", Locale.ROOT);
    private static final DateTimeFormatter DMESG_T_TIME =
            DateTimeFormatter.ofPattern("EEE MMM d HH:mm:ss yyyy", Locale.ROOT);

    private final String inputName;
    private final String localHost;
    private final Clock clock;
    private final BlockedLineParser parser = new BlockedLineParser();
    private final EventId ids = new EventId();

    KernelLogText(String inputName, String localHost, Clock clock) {
        this.inputName = inputName;
        this.localHost = localHost;
        this.clock = clock;
    }

    void read(BufferedReader reader, EventFilter filter, ReadCounters counters, Progress progress) throws IOException {
        String raw;
        long lineNumber = 0;
        while ((raw = reader.readLine()) != null) {
            lineNumber++;
            counters.entries++;
            progress.update(counters.entries);
            if (raw.indexOf(BlockedLineParser.PREFIX_START) < 0) {
                continue; // cheap reject: most kernel lines are not ours
            }
            String host = localHost;
            Instant time = null;
            String identifier = "kernel";
            String message;
            Matcher m;
            if ((m = ISO.matcher(raw)).matches()) {
                time = isoTime(m.group(1));
                host = m.group(2);
                identifier = m.group(3);
                message = m.group(4);
            } else if ((m = SHORT.matcher(raw)).matches()) {
                time = shortTime(m.group(1));
                host = m.group(2);
                identifier = m.group(3);
                message = m.group(4);
            } else if ((m = FULL.matcher(raw)).matches()) {
                time = parseZoned(m.group(1) + " " + m.group(2));
                host = m.group(3);
                identifier = m.group(4);
                message = m.group(5);
            } else if ((m = MONOTONIC.matcher(raw)).matches()) {
                host = m.group(1);
                identifier = m.group(2);
                message = m.group(3);
            } else if ((m = DMESG_T.matcher(raw)).matches()) {
                time = parse(m.group(1), DMESG_T_TIME);
                message = m.group(2);
            } else if ((m = DMESG.matcher(raw)).matches()) {
                message = m.group(1);
            } else {
                message = raw;
            }
            message = PRINTK_TIME.matcher(message).replaceFirst(""); // kern.log keeps printk times after "kernel:"
            ParseResult result = parser.parse(message);
            String location = inputName + ":" + lineNumber;
            if (result == ParseResult.Unrelated.INSTANCE) {
                if (raw.contains(BlockedLineParser.PREFIX_END)) {
                    // The prefix is there but not where a message starts: an unknown log format. Never silent.
                    counters.malformed(location, null, "unrecognised line format (the blocked prefix is not at the"
                            + " start of a message): use dmesg, journalctl -k -o short|short-iso|short-precise, or"
                            + " kern.log");
                }
                continue;
            }
            if (!identifier.equals("kernel")) {
                counters.spoofed++; // a userspace program logging our prefix: never an event
                continue;
            }
            if (result instanceof ParseResult.Malformed bad) {
                counters.malformed(location, bad.instance(), bad.reason());
                continue;
            }
            if (time == null && filter.since() != null) { // no wall clock, or an unparsable one
                throw CliException.usage(location + " has no wall-clock time (dmesg format), so --since cannot be"
                        + " applied: use 'dmesg -T', 'journalctl -k -o short-iso', or drop --since");
            }
            BlockedLine line = (BlockedLine) result;
            filter.accept(new BlockedEvent(ids.forTextLine(inputName, lineNumber, raw), host, time,
                    Transport.UNKNOWN, line));
        }
    }

    /** An RFC 3339 / short-iso time, or null when it is not a valid one (then the time is unknown). */
    private static Instant isoTime(String text) {
        String t = text.replace(',', '.');
        if (t.matches(".*[+-]\\d{4}$")) {
            t = t.substring(0, t.length() - 2) + ":" + t.substring(t.length() - 2);
        }
        try {
            return OffsetDateTime.parse(t).toInstant();
        } catch (java.time.DateTimeException e) {
            try {
                return LocalDateTime.parse(t).atZone(ZoneId.systemDefault()).toInstant();
            } catch (java.time.DateTimeException again) {
                return null;
            }
        }
    }

    private static Instant parseZoned(String text) {
        try {
            return java.time.ZonedDateTime.parse(text, FULL_TIME).toInstant();
        } catch (java.time.DateTimeException e) {
            return null;
        }
    }

    /** Syslog short times have no year: take the current year, or the previous one if that lies in the future. */
    private Instant shortTime(String text) {
        String normalized = text.replaceAll("\\s+", " ");
        int year = Year.now(clock).getValue();
        Instant t = parse(normalized + " " + year, SHORT_TIME);
        if (t != null && t.isAfter(clock.instant().plusSeconds(86_400))) {
            t = parse(normalized + " " + (year - 1), SHORT_TIME);
        }
        return t;
    }

    private Instant parse(String text, DateTimeFormatter format) {
        try {
            return LocalDateTime.parse(text.replaceAll("\\s+", " "), format).atZone(clock.getZone()).toInstant();
        } catch (java.time.DateTimeException e) {
            return null;
        }
    }
}
