package dev.opencode.tuner.blocked;

import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a systemd journal entry is to the tuner, decided from its field values alone: the one classification that
 * the collector's follower and spoof watcher and the CLI's journal input share. It knows nothing of libsystemd;
 * callers hand it the raw {@code MESSAGE} bytes and the other fields as suppliers, which are asked only when the
 * message makes them matter (a journal reader pays one field read per entry that could be ours, none for the rest).
 *
 * <ul>
 *   <li>{@link Kind#KERNEL_PREFIXED}: {@code _TRANSPORT=kernel} and a message carrying the blocked prefix
 *       {@code opencode-<name>-blocked:}. Only these are parsed ({@link BlockedLineParser}) into events: userspace
 *       cannot write an entry with the kernel transport.</li>
 *   <li>{@link Kind#SPOOFED}: the prefix in an entry of any other transport, or of none: a userspace imitation.
 *       Never an event; readers count it.</li>
 *   <li>{@link Kind#MISSED_KERNEL_MESSAGES}: journald's own report "Missed N kernel messages" (transport
 *       {@code driver}, {@code MESSAGE_ID} {@value #MISSED_MESSAGE_ID}): the kernel's log buffer overflowed and lines
 *       (possibly blocked ones) were lost. {@link #missedCount(byte[])} gives N.</li>
 *   <li>{@link Kind#OTHER}: everything else.</li>
 * </ul>
 */
public final class JournalEntries {
    /** {@code _TRANSPORT} of the entries the kernel wrote. */
    public static final String KERNEL_TRANSPORT = "kernel";
    /** {@code _TRANSPORT} of journald's own messages. */
    public static final String DRIVER_TRANSPORT = "driver";
    /** journald's "Missed N kernel messages" (SD_MESSAGE_JOURNAL_MISSED). */
    public static final String MISSED_MESSAGE_ID = "e9bf28e6e834481bb6f48f548ad13606";
    /** The journal match (sd_journal_add_match) that keeps the kernel's entries: the only ones that become events. */
    public static final String KERNEL_MATCH = "_TRANSPORT=" + KERNEL_TRANSPORT;
    /** The journal match that keeps journald's reports of lost kernel messages. */
    public static final String MISSED_MATCH = "MESSAGE_ID=" + MISSED_MESSAGE_ID;

    private static final byte[] MISSED_START = "Missed ".getBytes(StandardCharsets.US_ASCII);
    /** At most 18 digits: always fits a long. */
    private static final Pattern MISSED = Pattern.compile("^Missed (\\d{1,18}) kernel messages");
    /** How much of a message {@link #claimedInstance} decodes: the prefix is at most this long. */
    private static final int PREFIX_WINDOW = 80;

    /** What an entry is; see the class comment. */
    public enum Kind {
        KERNEL_PREFIXED,
        SPOOFED,
        MISSED_KERNEL_MESSAGES,
        OTHER
    }

    private JournalEntries() {
    }

    /**
     * Classifies one entry. {@code message} is the raw {@code MESSAGE} value (not null); {@code transport} supplies
     * {@code _TRANSPORT} and {@code messageId} {@code MESSAGE_ID} (each may supply null: the field is absent). The
     * suppliers are called at most once each, and only for a message with the blocked prefix or one starting
     * {@code "Missed "}.
     */
    public static Kind classify(byte[] message, Supplier<String> transport, Supplier<String> messageId) {
        if (BlockedLineParser.hasPrefix(message)) {
            return KERNEL_TRANSPORT.equals(transport.get()) ? Kind.KERNEL_PREFIXED : Kind.SPOOFED;
        }
        if (BlockedLineParser.startsWith(message, MISSED_START) && DRIVER_TRANSPORT.equals(transport.get())
                && MISSED_MESSAGE_ID.equals(messageId.get()) && missedMatcher(message).find()) {
            return Kind.MISSED_KERNEL_MESSAGES;
        }
        return Kind.OTHER;
    }

    /** N of "Missed N kernel messages"; 0 for any other message. */
    public static long missedCount(byte[] message) {
        Matcher m = missedMatcher(message);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    /**
     * The instance a prefixed message names ({@code opencode-<name>-blocked:}), unchecked: for counting a spoofed
     * entry under the instance it claims; null without the prefix. Never use it for an event: the parser checks the
     * name ({@link InstanceName}).
     */
    public static String claimedInstance(byte[] message) {
        if (!BlockedLineParser.hasPrefix(message)) {
            return null;
        }
        String text = new String(message, 0, Math.min(message.length, PREFIX_WINDOW), StandardCharsets.UTF_8);
        int end = text.indexOf(BlockedLineParser.PREFIX_END);
        return end > BlockedLineParser.PREFIX_START.length()
                ? text.substring(BlockedLineParser.PREFIX_START.length(), end) : null;
    }

    private static Matcher missedMatcher(byte[] message) {
        return MISSED.matcher(new String(message, StandardCharsets.UTF_8));
    }
}
