package dev.opencode.tuner.blocked;

import static dev.opencode.tuner.blocked.JournalEntries.Kind.KERNEL_PREFIXED;
import static dev.opencode.tuner.blocked.JournalEntries.Kind.MISSED_KERNEL_MESSAGES;
import static dev.opencode.tuner.blocked.JournalEntries.Kind.OTHER;
import static dev.opencode.tuner.blocked.JournalEntries.Kind.SPOOFED;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class JournalEntriesTest {
    private static final String LINE = BlockedLineParserTest.RESEARCH_SAMPLE;
    private static final String MISSED = "Missed 7 kernel messages";

    /** The fields asked for, in order: the classification must read only what the message makes matter. */
    private final List<String> asked = new ArrayList<>();

    private JournalEntries.Kind classify(String message, String transport, String messageId) {
        return JournalEntries.classify(bytes(message), field("_TRANSPORT", transport), field("MESSAGE_ID", messageId));
    }

    private Supplier<String> field(String name, String value) {
        return () -> {
            asked.add(name);
            return value;
        };
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aKernelLineWithThePrefixIsTheOnlyKindThatBecomesAnEvent() {
        assertThat(classify(LINE, "kernel", null)).isEqualTo(KERNEL_PREFIXED);
        assertThat(asked).containsExactly("_TRANSPORT");
    }

    @ParameterizedTest
    @ValueSource(strings = {"journal", "stdout", "syslog", "driver", "audit", "Kernel", "kernel "})
    @NullSource
    void thePrefixFromAnyOtherTransportOrNoneIsASpoof(String transport) {
        assertThat(classify(LINE, transport, null)).isEqualTo(SPOOFED);
        // journald's MESSAGE_ID does not make a userspace line trusted (the follower's match lets such lines in)
        assertThat(classify(LINE, transport, JournalEntries.MISSED_MESSAGE_ID)).isEqualTo(SPOOFED);
    }

    @Test
    void withoutTheWholePrefixShapeNothingIsAskedAndNothingCounts() {
        for (String message : List.of("", "opencode-", "opencode-web IN= OUT=eth0", "audit: opencode-web-blocked: x",
                " opencode-web-blocked: IN= OUT=eth0", "OPENCODE-web-blocked: IN=")) {
            assertThat(classify(message, "kernel", null)).as(message).isEqualTo(OTHER);
            assertThat(classify(message, "journal", null)).as(message).isEqualTo(OTHER);
        }
        assertThat(asked).isEmpty();
    }

    @Test
    void journaldsLossReportCountsOnlyFromTheDriverWithItsMessageId() {
        assertThat(classify(MISSED, "driver", JournalEntries.MISSED_MESSAGE_ID)).isEqualTo(MISSED_KERNEL_MESSAGES);
        assertThat(JournalEntries.missedCount(bytes(MISSED))).isEqualTo(7);

        assertThat(classify(MISSED, "journal", JournalEntries.MISSED_MESSAGE_ID)).as("userspace").isEqualTo(OTHER);
        assertThat(classify(MISSED, "kernel", JournalEntries.MISSED_MESSAGE_ID)).as("kernel").isEqualTo(OTHER);
        assertThat(classify(MISSED, "driver", null)).as("no MESSAGE_ID").isEqualTo(OTHER);
        assertThat(classify(MISSED, "driver", "0123456789abcdef0123456789abcdef")).as("other id").isEqualTo(OTHER);
        assertThat(classify("Missed many kernel messages", "driver", JournalEntries.MISSED_MESSAGE_ID))
                .isEqualTo(OTHER);
        assertThat(classify("Missed 99999999999999999999 kernel messages", "driver", JournalEntries.MISSED_MESSAGE_ID))
                .as("a count that does not fit a long is no count").isEqualTo(OTHER);
    }

    @Test
    void theLossCountOfAnyOtherMessageIsZero() {
        assertThat(JournalEntries.missedCount(bytes(LINE))).isZero();
        assertThat(JournalEntries.missedCount(bytes("Missed 12 kernel messages since boot"))).isEqualTo(12);
        assertThat(JournalEntries.missedCount(bytes(""))).isZero();
    }

    @Test
    void theClaimedInstanceIsTheTextBetweenThePrefixParts() {
        assertThat(JournalEntries.claimedInstance(bytes(LINE))).isEqualTo("web-3");
        assertThat(JournalEntries.claimedInstance(bytes("opencode-a-b-blocked: x"))).isEqualTo("a-b");
        assertThat(JournalEntries.claimedInstance(bytes("opencode--blocked: x"))).as("empty name").isNull();
        assertThat(JournalEntries.claimedInstance(bytes("opencode-web IN="))).as("no prefix").isNull();
        assertThat(JournalEntries.claimedInstance(bytes("opencode-" + "x".repeat(100) + "-blocked: x")))
                .as("a name past the prefix window").isNull();
    }

    @Test
    void theMatchesAreTheOnesLibsystemdIsGiven() {
        assertThat(JournalEntries.KERNEL_MATCH).isEqualTo("_TRANSPORT=kernel");
        assertThat(JournalEntries.MISSED_MATCH).isEqualTo("MESSAGE_ID=e9bf28e6e834481bb6f48f548ad13606");
    }
}
