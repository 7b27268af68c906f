package dev.opencode.tuner.kafka;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The per-host topics that make a record's host proven rather than claimed. A collector writes to
 * {@code <base>.<host>}, and the broker's ACLs let only that host's collector principal write there; the policy
 * service reads every {@code <base>.*} topic and counts a record only for the host its topic names.
 */
public final class HostTopics {
    /** The default base of the blocked-event topics: {@code opencode.egress.blocked.<host>}. */
    public static final String BLOCKED = "opencode.egress.blocked";
    /** The default base of the malformed-line topics. */
    public static final String MALFORMED = "opencode.egress.malformed";
    /** The default base of the host-state topics. */
    public static final String HOST_STATE = "opencode.egress.host-state";
    /** The default dead-letter topic of blocked events the policy service cannot use (outside every base). */
    public static final String BLOCKED_DEAD_LETTER = "opencode.egress.dead-letter.blocked";
    /** The default dead-letter topic of host states the policy service cannot use. */
    public static final String HOST_STATE_DEAD_LETTER = "opencode.egress.dead-letter.host-state";

    /** Kafka's limit on a topic name. */
    public static final int MAX_TOPIC_LENGTH = 249;
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?");
    private static final Pattern BASE = Pattern.compile("[A-Za-z0-9._-]+");

    private HostTopics() {
    }

    /** The topic of {@code host}'s records; throws naming the rule when the host cannot be part of a topic name. */
    public static String topic(String base, String host) {
        requireBase(base);
        if (host == null || !HOST.matcher(host).matches() || host.contains("..")) {
            throw new IllegalArgumentException("host " + (host == null ? "null" : "'" + host + "'") + " cannot name a"
                    + " Kafka topic: use letters, digits, '.', '_' or '-', starting and ending with a letter or digit");
        }
        String topic = base + "." + host;
        if (topic.length() > MAX_TOPIC_LENGTH) {
            throw new IllegalArgumentException("host '" + host + "' is too long: the topic " + base + ".<host> may"
                    + " have at most " + MAX_TOPIC_LENGTH + " characters");
        }
        return topic;
    }

    /** The host a topic belongs to, when it is {@code <base>.<host>}. */
    public static Optional<String> hostOf(String base, String topic) {
        String prefix = base + ".";
        if (topic == null || !topic.startsWith(prefix)) {
            return Optional.empty();
        }
        String host = topic.substring(prefix.length());
        return HOST.matcher(host).matches() && !host.contains("..") ? Optional.of(host) : Optional.empty();
    }

    /** Every host topic of {@code base}, for a pattern subscription. */
    public static Pattern pattern(String base) {
        requireBase(base);
        return Pattern.compile(Pattern.quote(base + ".") + "[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?");
    }

    private static void requireBase(String base) {
        if (base == null || !BASE.matcher(base).matches()) {
            throw new IllegalArgumentException("'" + base + "' is not a Kafka topic name");
        }
    }
}
