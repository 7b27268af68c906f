package dev.opencode.tuner.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class HostTopicsTest {
    @Test
    void aHostsTopicNamesItAndNothingElseDoes() {
        assertThat(HostTopics.topic("opencode.egress.blocked", "web-1.example")).isEqualTo(
                "opencode.egress.blocked.web-1.example");
        assertThat(HostTopics.hostOf("opencode.egress.blocked", "opencode.egress.blocked.web-1.example"))
                .contains("web-1.example");
        assertThat(HostTopics.hostOf("opencode.egress.blocked", "opencode.egress.blocked")).isEmpty();
        assertThat(HostTopics.hostOf("opencode.egress.blocked", "opencode.egress.blockedX.web")).isEmpty();
        assertThat(HostTopics.hostOf("opencode.egress.blocked", "opencode.egress.blocked.-web")).isEmpty();
        assertThat(HostTopics.pattern("opencode.egress.blocked").matcher("opencode.egress.blocked.web-1").matches())
                .isTrue();
        assertThat(HostTopics.pattern("opencode.egress.blocked").matcher("opencode.egress.dead-letter.blocked")
                .matches()).isFalse();
        assertThat(HostTopics.pattern("opencode.egress.blocked").matcher("opencodeXegress.blocked.web").matches())
                .as("the base is quoted, not a regular expression").isFalse();
    }

    @Test
    void refusesHostsThatCannotNameATopic() {
        for (String bad : new String[] {"bidi-\u202Etsoh", "a/b", "", ".web", "web.", "a..b", "x".repeat(230)}) {
            assertThatThrownBy(() -> HostTopics.topic("opencode.egress.blocked", bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }
}
