package dev.opencode.tuner.suggest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.opencode.tuner.blocked.BlockedEvent;
import dev.opencode.tuner.blocked.BlockedLine;
import dev.opencode.tuner.blocked.Transport;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** An aggregate rebuilt from stored destination evidence suggests exactly what the original suggests. */
class AggregateRestoreTest {
    private static final CidrSuggester SUGGESTER = new CidrSuggester(SuggestionPolicy.defaults());

    @Test
    void restoredAggregateGivesTheSameSuggestionsAsTheEventsItCameFrom() {
        Random random = new Random(42);
        for (int round = 0; round < 50; round++) {
            InstanceAggregate original = new InstanceAggregate("vm-1", "web");
            int events = 1 + random.nextInt(200);
            for (int i = 0; i < events; i++) {
                original.add(randomEvent(random, i));
            }
            InstanceAggregate restored = InstanceAggregate.restore("vm-1", "web", restoreAll(original));

            assertThat(restored.events()).isEqualTo(original.events());
            assertThat(describe(SUGGESTER.suggest(restored, Allowlist.empty())))
                    .isEqualTo(describe(SUGGESTER.suggest(original, Allowlist.empty())));
            Allowlist allowlist = Allowlist.of(List.of("203.0.113.0/25", "2001:db8::/33"));
            assertThat(describe(SUGGESTER.suggest(restored, allowlist)))
                    .isEqualTo(describe(SUGGESTER.suggest(original, allowlist)));
        }
    }

    @Test
    void keepsOnlyTheFirstSampleSourcesInOrder() {
        DestinationAggregate d = DestinationAggregate.restore("192.0.2.1", 7, List.of(443), List.of("tcp"), List.of("tcp/443"),
                List.of("10.0.0.7", "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"), List.of(984L),
                BlockedEvents.T0, BlockedEvents.T0.plusSeconds(5));
        assertThat(d.sampleSources()).containsExactly("10.0.0.7", "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4");
    }

    @Test
    void rejectsInconsistentEvidence() {
        assertThatThrownBy(() -> DestinationAggregate.restore("192.0.2.1", 0, List.of(), List.of(), List.of(), List.of(),
                List.of(), BlockedEvents.T0, BlockedEvents.T0)).hasMessageContaining("at least one event");
        assertThatThrownBy(() -> DestinationAggregate.restore("192.0.2.1", 1, List.of(), List.of(), List.of(), List.of(),
                List.of(), BlockedEvents.T0.plusSeconds(1), BlockedEvents.T0)).hasMessageContaining("interval");
        assertThatThrownBy(() -> DestinationAggregate.restore("192.0.2", 1, List.of(), List.of(), List.of(), List.of(),
                List.of(), null, null)).hasMessageContaining("not an IP address");
        DestinationAggregate d = DestinationAggregate.restore("192.0.2.1", 1, List.of(), List.of(), List.of(), List.of(),
                List.of(), null, null);
        assertThatThrownBy(() -> InstanceAggregate.restore("vm-1", "web", List.of(d, d)))
                .hasMessageContaining("appears twice");
    }

    private static List<DestinationAggregate> restoreAll(InstanceAggregate aggregate) {
        List<DestinationAggregate> list = new ArrayList<>();
        for (DestinationAggregate d : aggregate.destinations()) {
            list.add(DestinationAggregate.restore(d.address(), d.events(), d.ports(), d.protocols(), d.services(),
                    d.sampleSources(), d.uids(), d.firstSeen(), d.lastSeen()));
        }
        return list;
    }

    private static BlockedEvent randomEvent(Random random, int i) {
        boolean v6 = random.nextInt(4) == 0;
        String destination = v6
                ? BlockedEvents.canonical(String.format("2001:db8:%x::%x", random.nextInt(3), random.nextInt(6)))
                : "203.0.113." + random.nextInt(40);
        if (random.nextInt(20) == 0) {
            destination = "169.254.169.254";
        }
        String protocol = switch (random.nextInt(4)) {
            case 0 -> "udp";
            case 1 -> null;
            default -> "tcp";
        };
        Integer port = protocol == null ? null : 1 + random.nextInt(3) * 442;
        String source = v6 ? "fd00::" + (1 + random.nextInt(9)) : "10.0.0." + (1 + random.nextInt(9));
        Long uid = random.nextBoolean() ? 984L + random.nextInt(2) : null;
        BlockedLine line = new BlockedLine("web", v6 ? 6 : 4, protocol, source, destination, port == null ? null : 40000,
                port, uid, uid, "eth0", "", null, null, null);
        Instant time = BlockedEvents.T0.plusSeconds(random.nextInt(100_000));
        return new BlockedEvent(String.format("%032x", i), "vm-1", time, Transport.KERNEL, line);
    }

    /** Everything a suggestion shows, as text: records of the engine hold DestinationAggregate, compared field by field. */
    private static String describe(InstanceSuggestions s) {
        StringBuilder out = new StringBuilder();
        out.append(s.host()).append('/').append(s.instance()).append(' ').append(s.events()).append(' ')
                .append(s.destinations()).append('\n');
        for (Suggestion g : s.suggestions()) {
            out.append(g.cidr()).append(' ').append(g.events()).append(' ').append(g.ports()).append(g.protocols())
                    .append(g.services()).append(g.firstSeen()).append(g.lastSeen()).append(g.opens()).append('\n');
            g.addresses().forEach(d -> out.append("  ").append(describe(d)).append('\n'));
        }
        s.refused().forEach(r -> out.append(r).append('\n'));
        s.alreadyAllowed().forEach(d -> out.append("allowed ").append(describe(d)).append('\n'));
        return out.toString();
    }

    private static String describe(DestinationAggregate d) {
        return d.address() + ' ' + d.events() + ' ' + d.ports() + d.protocols() + d.services() + d.sampleSources()
                + d.uids() + d.firstSeen() + d.lastSeen();
    }
}
