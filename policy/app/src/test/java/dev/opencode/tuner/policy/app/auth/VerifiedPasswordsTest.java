package dev.opencode.tuner.policy.app.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class VerifiedPasswordsTest {
    private final MovableClock clock = new MovableClock();
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
}
