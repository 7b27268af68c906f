package dev.opencode.tuner.policy.app.evidence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The sliding window of reverse DNS lookups: exact in both directions, on random request times. */
class LookupRateLimitTest {
    private static final long MINUTE = Duration.ofMinutes(1).toNanos();

    @Test
    void neverMoreThanTheLimitInAnyMinuteAndNeverRefusesBelowIt() {
        Random random = new Random(20261207);
        for (int run = 0; run < 200; run++) {
            int limit = 1 + random.nextInt(20);
            AtomicLong now = new AtomicLong(random.nextLong(-MINUTE, MINUTE)); // nanoTime may be negative
            LookupRateLimit rate = new LookupRateLimit(limit, now::get);
            List<Long> granted = new ArrayList<>();
            for (int request = 0; request < 500; request++) {
                now.addAndGet(random.nextLong(MINUTE / (limit * 2L)));
                long t = now.get();
                long inWindow = granted.stream().filter(g -> t - g < MINUTE).count();

                boolean allowed = rate.tryAcquire();

                assertThat(allowed).as("run %d, limit %d, request %d with %d in the last minute", run, limit,
                        request, inWindow).isEqualTo(inWindow < limit);
                if (allowed) {
                    granted.add(t);
                }
            }
            assertThat(granted.size()).as("run %d granted some and refused some", run).isBetween(limit, 499);
        }
    }

    @Test
    void aLimitBelowOneIsRefusedNamingTheKey() {
        assertThatThrownBy(() -> new LookupRateLimit(0, System::nanoTime))
                .hasMessageContaining("tuner.policy.evidence.dns.max-lookups-per-minute").hasMessageContaining("0");
    }
}
