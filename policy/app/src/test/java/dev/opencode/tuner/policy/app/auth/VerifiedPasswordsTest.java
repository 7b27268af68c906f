package dev.opencode.tuner.policy.app.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class VerifiedPasswordsTest {
    private final MutableClock clock = new MutableClock();
    private final VerifiedPasswords verified = new VerifiedPasswords(Duration.ofMinutes(5), clock);

    @Test
    void remembersAVerifiedPasswordOfTheSameHashUntilItExpires() {
        verified.remember("alice", "$2a$hash1", "secret".toCharArray());
        assertThat(verified.recentlyVerified("alice", "$2a$hash1", "secret".toCharArray())).isTrue();
        clock.now = clock.now.plus(Duration.ofMinutes(5));
        assertThat(verified.recentlyVerified("alice", "$2a$hash1", "secret".toCharArray())).isFalse();
    }

    @Test
    void neverMatchesAnotherPasswordAnotherHashOrAnotherAccount() {
        verified.remember("alice", "$2a$hash1", "secret".toCharArray());
        assertThat(verified.recentlyVerified("alice", "$2a$hash1", "secret2".toCharArray())).isFalse();
        assertThat(verified.recentlyVerified("alice", "$2a$hash1", "".toCharArray())).isFalse();
        assertThat(verified.recentlyVerified("alice", "$2a$hash2", "secret".toCharArray())).isFalse(); // passwd
        assertThat(verified.recentlyVerified("bob", "$2a$hash1", "secret".toCharArray())).isFalse();
    }

    @Test
    void aZeroTimeToLiveRemembersNothing() {
        VerifiedPasswords off = new VerifiedPasswords(Duration.ZERO, clock);
        off.remember("alice", "$2a$hash1", "secret".toCharArray());
        assertThat(off.recentlyVerified("alice", "$2a$hash1", "secret".toCharArray())).isFalse();
    }

    private static final class MutableClock extends Clock {
        Instant now = Instant.parse("2026-11-25T12:00:00Z");

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
