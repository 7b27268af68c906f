package dev.opencode.tuner.policy.app.auth;

import dev.opencode.tuner.policy.app.PolicyConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Slows password guessing down (HTTP Basic and the UI's form login alike): after {@code account-failures} failed
 * logins of one account, or {@code address-failures} from one client address (IPv6: its /64), further attempts are
 * refused with 429 before any bcrypt work, for a backoff that doubles with each further failure from
 * {@code initial-backoff} up to {@code max-backoff}. Failures are forgotten {@code forget-after} the last one, and a
 * successful login clears its account's.
 *
 * <p>So that an attacker cannot keep a real user out by failing on purpose, the account's backoff does not apply to
 * an address this account logged in from successfully within {@code trusted-address-ttl} (the address backoff still
 * does). And at most {@code concurrent-checks} bcrypt verifications run at once; an attempt that finds no free slot
 * within {@code check-wait} gets a 503 rather than queueing CPU work. State is in memory, per process, bounded by
 * {@code max-tracked} keys per kind. Thread-safe.
 */
public final class LoginThrottle {
    private record Failures(int count, Instant last) {
    }

    private final PolicyConfig.Auth.Throttle config;
    private final Clock clock;
    private final Semaphore checks;
    private final Map<String, Failures> byAccount = new ConcurrentHashMap<>();
    private final Map<String, Failures> byAddress = new ConcurrentHashMap<>();
    private final Map<String, Instant> trusted = new ConcurrentHashMap<>();
    private final MeterRegistry registry;

    LoginThrottle(PolicyConfig.Auth.Throttle config, Clock clock, MeterRegistry registry) {
        positive("initial-backoff", config.initialBackoff());
        positive("max-backoff", config.maxBackoff());
        positive("forget-after", config.forgetAfter());
        positive("trusted-address-ttl", config.trustedAddressTtl());
        if (config.checkWait().isNegative()) {
            throw new IllegalArgumentException("tuner.policy.auth.throttle.check-wait must not be negative, got "
                    + config.checkWait());
        }
        if (config.maxBackoff().compareTo(config.initialBackoff()) < 0) {
            throw new IllegalArgumentException("tuner.policy.auth.throttle.max-backoff (" + config.maxBackoff()
                    + ") must not be shorter than tuner.policy.auth.throttle.initial-backoff ("
                    + config.initialBackoff() + ")");
        }
        this.config = config;
        this.clock = clock;
        this.checks = new Semaphore(config.concurrentChecks());
        this.registry = registry;
    }

    private static void positive(String key, Duration value) {
        if (value.isZero() || value.isNegative()) {
            throw new IllegalArgumentException("tuner.policy.auth.throttle." + key
                    + " must be a positive duration (e.g. 1s, 5m, 30d), got " + value);
        }
    }

    /** Throws {@link LoginRefused} when this account or this address is backing off. */
    void checkBackoff(String account, InetAddress address) {
        if (!config.enabled()) {
            return;
        }
        Instant now = clock.instant();
        String client = addressKey(address);
        Duration wait = remaining(byAddress.get(client), config.addressFailures(), now);
        if (wait != null) {
            throw refused(429, wait, "address-backoff", "too many failed logins from this address");
        }
        Instant trustedUntil = trusted.get(account + "\0" + client);
        if (trustedUntil != null && now.isBefore(trustedUntil)) {
            return;
        }
        wait = remaining(byAccount.get(account), config.accountFailures(), now);
        if (wait != null) {
            throw refused(429, wait, "account-backoff", "too many failed logins of this account");
        }
    }

    /** A held password-check slot; closing it frees the slot. */
    interface Slot extends AutoCloseable {
        @Override
        void close();
    }

    /** A slot for one password check, to be closed after it; throws {@link LoginRefused} (503) when none is free. */
    Slot checkSlot() {
        if (!config.enabled()) {
            return () -> { };
        }
        boolean acquired;
        try {
            acquired = checks.tryAcquire(config.checkWait().toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            acquired = false;
        }
        if (!acquired) {
            throw refused(503, Duration.ofSeconds(1), "busy", "too many password checks at once");
        }
        return checks::release;
    }

    /** Records a failed password check (a wrong password or an unknown account). */
    void failed(String account, InetAddress address) {
        if (!config.enabled()) {
            return;
        }
        Instant now = clock.instant();
        record(byAccount, account, now);
        record(byAddress, addressKey(address), now);
    }

    /** A successful login: the account's failures are cleared and the address is trusted for this account. */
    void succeeded(String account, InetAddress address) {
        if (!config.enabled()) {
            return;
        }
        byAccount.remove(account);
        if (trusted.size() >= config.maxTracked()) {
            prune(trusted, clock.instant());
        }
        trusted.put(account + "\0" + addressKey(address), clock.instant().plus(config.trustedAddressTtl()));
    }

    /** Counts a refusal by its reason (also wrong-password and unknown-account, which are 401s). */
    void count(String reason) {
        Counter.builder("tuner.policy.auth.refusals")
                .description("Refused logins (HTTP Basic and form) by reason")
                .tag("reason", reason)
                .register(registry)
                .increment();
    }

    private LoginRefused refused(int status, Duration wait, String reason, String message) {
        count(reason);
        long seconds = Math.max(1, (wait.toMillis() + 999) / 1000);
        return new LoginRefused(status, seconds, reason, message);
    }

    /** How long the key still backs off, or null when it may try. */
    private Duration remaining(Failures failures, int free, Instant now) {
        if (failures == null || failures.count() < free) {
            return null;
        }
        if (!now.isBefore(failures.last().plus(config.forgetAfter()))) {
            return null;
        }
        Instant until = failures.last().plus(backoff(failures.count() - free));
        return now.isBefore(until) ? Duration.between(now, until) : null;
    }

    /** The most keys one of the maps holds now (for the bound's test). */
    int tracked() {
        return Math.max(Math.max(byAccount.size(), byAddress.size()), trusted.size());
    }

    /** initial-backoff doubled per failure past the free ones, at most max-backoff. */
    Duration backoff(int beyond) {
        Duration max = config.maxBackoff();
        Duration backoff = config.initialBackoff();
        for (int i = 0; i < beyond && backoff.compareTo(max) < 0; i++) {
            backoff = backoff.multipliedBy(2);
        }
        return backoff.compareTo(max) > 0 ? max : backoff;
    }

    private void record(Map<String, Failures> map, String key, Instant now) {
        if (map.size() >= config.maxTracked() && !map.containsKey(key)) {
            evict(map, now);
        }
        map.compute(key, (k, old) -> old == null || !now.isBefore(old.last().plus(config.forgetAfter()))
                ? new Failures(1, now) : new Failures(old.count() + 1, now));
    }

    /** Drops forgotten keys; when none is, the oldest tenth (so an attacker's flood cannot grow the map). */
    private void evict(Map<String, Failures> map, Instant now) {
        map.entrySet().removeIf(e -> !now.isBefore(e.getValue().last().plus(config.forgetAfter())));
        if (map.size() >= config.maxTracked()) {
            map.entrySet().stream().sorted(Comparator.comparing(e -> e.getValue().last()))
                    .limit(Math.max(1, map.size() / 10)).map(Map.Entry::getKey).toList().forEach(map::remove);
        }
    }

    private void prune(Map<String, Instant> map, Instant now) {
        map.entrySet().removeIf(e -> !now.isBefore(e.getValue()));
        if (map.size() >= config.maxTracked()) {
            map.entrySet().stream().sorted(Map.Entry.comparingByValue()).limit(Math.max(1, map.size() / 10))
                    .map(Map.Entry::getKey).toList().forEach(map::remove);
        }
    }

    /** The client's key: an IPv4 address, or an IPv6 address's /64 (one host gets a whole /64 to pick from). */
    static String addressKey(InetAddress address) {
        if (address == null) {
            return "unknown";
        }
        if (address instanceof Inet6Address) {
            byte[] bytes = address.getAddress();
            for (int i = 8; i < 16; i++) {
                bytes[i] = 0;
            }
            try {
                return InetAddress.getByAddress(bytes).getHostAddress() + "/64";
            } catch (UnknownHostException e) {
                throw new IllegalStateException("16 bytes are an IPv6 address", e);
            }
        }
        return address.getHostAddress();
    }
}
