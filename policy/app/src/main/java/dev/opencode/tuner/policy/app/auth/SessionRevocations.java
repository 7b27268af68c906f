package dev.opencode.tuner.policy.app.auth;

import jakarta.enterprise.context.ApplicationScoped;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import javax.sql.DataSource;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Ends UI sessions before their time: a logout ends every session of its account, and so does a password change.
 * The database keeps per account the instant before which its sessions were issued ({@code account_session}), and
 * {@link #issuedAt} reads a session cookie's issue time from the cookie itself: Quarkus' form login encrypts
 * {@code <idle expiry in ms>:<account>} with AES-GCM under SHA-256 of the session key, and the idle expiry is the
 * issue time plus {@code quarkus.http.auth.form.timeout}. A renewed cookie is issued anew, so it stays valid.
 */
@ApplicationScoped
public class SessionRevocations {
    private final DataSource dataSource;
    private final SecretKeySpec key;
    private final Duration timeout;
    private final Clock clock = Clock.systemUTC();

    SessionRevocations(DataSource dataSource,
                       @ConfigProperty(name = SessionKeySource.QUARKUS_KEY) String sessionKey,
                       @ConfigProperty(name = "quarkus.http.auth.form.timeout") Duration timeout) {
        this.dataSource = dataSource;
        this.timeout = timeout;
        try {
            this.key = new SecretKeySpec(MessageDigest.getInstance("SHA-256")
                    .digest(sessionKey.getBytes(StandardCharsets.UTF_8)), "AES");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /** Ends every session of this account issued until now. */
    public void revoke(String account) {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement("INSERT INTO account_session AS s"
                     + " (account, revoked_before) VALUES (?, ?) ON CONFLICT (account) DO UPDATE"
                     + " SET revoked_before = greatest(s.revoked_before, excluded.revoked_before)")) {
            statement.setString(1, account);
            statement.setTimestamp(2, Timestamp.from(clock.instant()));
            statement.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot end the sessions of '" + account + "': " + e.getMessage(), e);
        }
    }

    /** Whether a session of this account issued at this instant has been ended since. */
    public boolean revoked(String account, Instant issued) throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(
                     "SELECT revoked_before FROM account_session WHERE account = ?")) {
            statement.setString(1, account);
            try (ResultSet rows = statement.executeQuery()) {
                return rows.next() && !issued.isAfter(rows.getTimestamp(1).toInstant());
            }
        }
    }

    /** The issue time of a session cookie's value, or null when it is not one made with this key. */
    public Instant issuedAt(String cookie) {
        try {
            ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(cookie));
            byte[] iv = new byte[bytes.get()];
            bytes.get(iv);
            byte[] encrypted = new byte[bytes.remaining()];
            bytes.get(encrypted);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, iv));
            String text = new String(cipher.doFinal(encrypted), StandardCharsets.UTF_8);
            int colon = text.indexOf(':');
            return colon < 0 ? null : Instant.ofEpochMilli(Long.parseLong(text.substring(0, colon))).minus(timeout);
        } catch (GeneralSecurityException | RuntimeException e) {
            return null;
        }
    }
}
