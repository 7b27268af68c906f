package dev.opencode.tuner.policy.app.auth;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;

/** A UTC clock the test moves by hand ({@code clock.now = clock.now.plus(...)}), starting at the current second. */
final class MovableClock extends Clock {
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);

    @Override
    public ZoneOffset getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }

    @Override
    public Instant instant() {
        return now;
    }
}
