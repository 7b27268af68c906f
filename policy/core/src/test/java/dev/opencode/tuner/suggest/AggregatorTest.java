package dev.opencode.tuner.suggest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.opencode.tuner.blocked.BlockedEvent;
import org.junit.jupiter.api.Test;

class AggregatorTest {
    @Test
    void destinationsBeyondTheCapAreCountedPerInstanceAndNotAggregated() {
        Aggregator aggregator = new Aggregator(2);

        aggregator.add(BlockedEvents.tcp("192.0.2.1", 443));
        aggregator.add(BlockedEvents.tcp("192.0.2.2", 443));
        boolean third = aggregator.add(BlockedEvents.tcp("192.0.2.3", 443));
        boolean known = aggregator.add(BlockedEvents.tcp("192.0.2.1", 80));
        aggregator.add(BlockedEvents.event("vm-1", "docs", "198.51.100.1", "udp", 53, BlockedEvents.T0));

        assertThat(third).isFalse();
        assertThat(known).as("a destination already kept still counts").isTrue();
        InstanceAggregate web = aggregator.instances().get(1);
        assertThat(web.instance()).isEqualTo("web");
        assertThat(web.destinations()).extracting(DestinationAggregate::address)
                .containsExactlyInAnyOrder("192.0.2.1", "192.0.2.2");
        assertThat(web.events()).isEqualTo(3);
        assertThat(web.overflowEvents()).isEqualTo(1);
        assertThat(aggregator.instances().get(0).overflowEvents()).isZero();
        assertThat(aggregator.overflowEvents()).isEqualTo(1);
    }

    @Test
    void overflowEventsAreNotRememberedSoMemoryStaysBoundedByTheCap() {
        Aggregator aggregator = new Aggregator(100);
        long before = usedHeap();

        for (int i = 0; i < 300_000; i++) {
            aggregator.add(BlockedEvents.tcp("10." + (i >> 16) + "." + ((i >> 8) & 255) + "." + (i & 255), 443));
        }

        assertThat(aggregator.instances().get(0).destinations()).hasSize(100);
        assertThat(aggregator.overflowEvents()).isEqualTo(299_900);
        // Without the cap, 300,000 destinations take well over 100 MB; with it, what is kept is a few hundred KB.
        assertThat(usedHeap() - before).isLessThan(32L << 20);
    }

    @Test
    void aCapBelowOneIsRefusedWithTheValue() {
        assertThatThrownBy(() -> new Aggregator(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got 0");
    }

    @Test
    void aDuplicateOfAKeptEventIsStillCountedOnce() {
        Aggregator aggregator = new Aggregator(1);
        BlockedEvent event = BlockedEvents.tcp("192.0.2.1", 443);

        aggregator.add(event);
        aggregator.add(event);

        assertThat(aggregator.duplicates()).isEqualTo(1);
        assertThat(aggregator.instances().get(0).events()).isEqualTo(1);
    }

    private static long usedHeap() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }
}
