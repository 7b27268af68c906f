package dev.opencode.tuner.policy.app.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.opencode.tuner.policy.app.PolicyConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@link LoginThrottle}'s rules on a clock the test moves: doubling, the cap, forgetting, bounds, IPv6 /64s. */
class LoginThrottleRulesTest {
    record Settings(boolean enabled, int accountFailures, int addressFailures, Duration initialBackoff,
                    Duration maxBackoff, Duration forgetAfter, Duration trustedAddressTtl, int concurrentChecks,
                    Duration checkWait, int maxTracked) implements PolicyConfig.Auth.Throttle {
    }

    private static Settings defaults() {
        return new Settings(true, 5, 20, Duration.ofSeconds(1), Duration.ofMinutes(5), Duration.ofMinutes(15),
                Duration.ofDays(30), 2, Duration.ofMillis(200), 100);
    }

    private static InetAddress address(String literal) throws Exception {
        return InetAddress.getByName(literal);
    }

    @Test
    void theBackoffDoublesFromTheInitialOneUpToTheMaximum() {
        LoginThrottle throttle = new LoginThrottle(defaults(), new MovableClock(), new SimpleMeterRegistry());
        assertThat(throttle.backoff(0)).isEqualTo(Duration.ofSeconds(1));
        assertThat(throttle.backoff(3)).isEqualTo(Duration.ofSeconds(8));
        assertThat(throttle.backoff(8)).isEqualTo(Duration.ofSeconds(256));
        assertThat(throttle.backoff(9)).isEqualTo(Duration.ofMinutes(5));
        assertThat(throttle.backoff(1000)).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void anAccountBacksOffAfterItsFreeFailuresAndIsForgottenLater() throws Exception {
        MovableClock clock = new MovableClock();
        LoginThrottle throttle = new LoginThrottle(defaults(), clock, new SimpleMeterRegistry());
        InetAddress from = address("192.0.2.1");
        for (int i = 0; i < 5; i++) {
            throttle.checkBackoff("alice", from);
            throttle.failed("alice", from);
        }
        assertThatThrownBy(() -> throttle.checkBackoff("alice", from)).isInstanceOfSatisfying(LoginRefused.class,
                r -> assertThat(r.retryAfterSeconds()).isEqualTo(1));
        clock.now = clock.now.plusSeconds(1);
        throttle.checkBackoff("alice", from);
        throttle.failed("alice", from); // the 6th: 2 s
        assertThatThrownBy(() -> throttle.checkBackoff("alice", from)).isInstanceOfSatisfying(LoginRefused.class,
                r -> assertThat(r.retryAfterSeconds()).isEqualTo(2));
        clock.now = clock.now.plus(Duration.ofMinutes(15));
        throttle.checkBackoff("alice", from);
        throttle.failed("alice", from); // forgotten: the first failure again
        throttle.checkBackoff("alice", from);
    }

    @Test
    void anIpv6ClientCountsByItsSlash64() throws Exception {
        assertThat(LoginThrottle.addressKey(address("2001:db8:1:2:aaaa::1")))
                .isEqualTo(LoginThrottle.addressKey(address("2001:db8:1:2:ffff::9")))
                .isEqualTo("2001:db8:1:2:0:0:0:0/64");
        assertThat(LoginThrottle.addressKey(address("2001:db8:1:3::1"))).isNotEqualTo(
                LoginThrottle.addressKey(address("2001:db8:1:2::1")));
        assertThat(LoginThrottle.addressKey(address("::ffff:192.0.2.7"))).isEqualTo("192.0.2.7");
    }

    @Test
    void aFloodOfNamesStaysWithinTheBound() throws Exception {
        MovableClock clock = new MovableClock();
        LoginThrottle throttle = new LoginThrottle(defaults(), clock, new SimpleMeterRegistry());
        for (int i = 0; i < 10_000; i++) {
            throttle.failed("guess-" + i, address("192.0.2." + (i % 250)));
        }
        assertThat(throttle.tracked()).isLessThanOrEqualTo(100);
        // the oldest keys went first: a name failing now is still counted
        for (int i = 0; i < 4; i++) {
            throttle.failed("guess-9999", address("198.51.100.1"));
        }
        assertThatThrownBy(() -> throttle.checkBackoff("guess-9999", address("198.51.100.2")))
                .isInstanceOf(LoginRefused.class);
    }

    @Test
    void badDurationsStopTheStartNamingTheKey() {
        Settings s = defaults();
        assertThatThrownBy(() -> new LoginThrottle(new Settings(true, 5, 20, Duration.ZERO, s.maxBackoff(),
                s.forgetAfter(), s.trustedAddressTtl(), 2, s.checkWait(), 100), new MovableClock(),
                new SimpleMeterRegistry())).hasMessageContaining("tuner.policy.auth.throttle.initial-backoff")
                .hasMessageContaining("PT0S");
        assertThatThrownBy(() -> new LoginThrottle(new Settings(true, 5, 20, Duration.ofMinutes(10),
                Duration.ofMinutes(1), s.forgetAfter(), s.trustedAddressTtl(), 2, s.checkWait(), 100),
                new MovableClock(), new SimpleMeterRegistry()))
                .hasMessageContaining("tuner.policy.auth.throttle.max-backoff");
    }
}
