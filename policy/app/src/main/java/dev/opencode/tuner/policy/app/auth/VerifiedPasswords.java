package dev.opencode.tuner.policy.app.auth;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Remembers, for a while, that an account's password verified against its bcrypt hash, so that a script polling the
 * API with HTTP Basic does not pay a deliberately slow bcrypt verification (about 0.25 s of CPU at cost 12) on every
 * request. What is kept per account is an HMAC-SHA256 of the password under a key that exists only in this process's
 * memory, and the bcrypt hash it verified against: a changed or removed account (another hash) or a different password
 * never matches, and a wrong password always goes through bcrypt. Thread-safe.
 */
final class VerifiedPasswords {
    private record Verified(String hash, byte[] mac, Instant until) {
    }

    private final Duration ttl;
    private final Clock clock;
    private final SecretKeySpec key;
    private final Map<String, Verified> byAccount = new ConcurrentHashMap<>();

    VerifiedPasswords(Duration ttl, Clock clock) {
        this.ttl = ttl;
        this.clock = clock;
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        this.key = new SecretKeySpec(secret, "HmacSHA256");
    }

    /** Whether this password of this account (whose current bcrypt hash is given) verified within the time to live. */
    boolean recentlyVerified(String account, String hash, char[] password) {
        if (ttl.isZero()) {
            return false;
        }
        Verified verified = byAccount.get(account);
        if (verified == null || !verified.hash().equals(hash) || !clock.instant().isBefore(verified.until())) {
            return false;
        }
        return MessageDigest.isEqual(verified.mac(), mac(password));
    }

    /** Records a successful bcrypt verification. */
    void remember(String account, String hash, char[] password) {
        if (!ttl.isZero()) {
            byAccount.put(account, new Verified(hash, mac(password), clock.instant().plus(ttl)));
        }
    }

    private byte[] mac(char[] password) {
        ByteBuffer bytes = StandardCharsets.UTF_8.encode(CharBuffer.wrap(password));
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            mac.update(bytes);
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        } finally {
            if (bytes.hasArray()) {
                Arrays.fill(bytes.array(), (byte) 0);
            }
        }
    }
}
