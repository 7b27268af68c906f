package dev.opencode.tuner.policy.app.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opencode.tuner.policy.app.Api;
import dev.opencode.tuner.policy.app.PolicyStack;
import dev.opencode.tuner.policy.app.TestAccounts;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Login backoff and the bound on password checks, against the real service: each test plays its clients from its
 * own loopback addresses (127.0.0.x), with small thresholds so that the backoff is seconds long.
 */
@QuarkusTest
@TestProfile(LoginThrottleTest.SmallThresholds.class)
@WithTestResource(value = PolicyStack.class, scope = TestResourceScope.MATCHING_RESOURCES)
class LoginThrottleTest {
    private static final String PASSWORD = "throttle-test-password";

    /** 3 failures per account, 6 per address, 2 s then 4 s; one bcrypt check at a time (cost 12: ~0.25 s each). */
    public static class SmallThresholds implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "tuner.policy.auth.throttle.enabled", "true",
                    "tuner.policy.auth.throttle.account-failures", "3",
                    "tuner.policy.auth.throttle.address-failures", "6",
                    "tuner.policy.auth.throttle.initial-backoff", "2s",
                    "tuner.policy.auth.throttle.max-backoff", "4s",
                    "tuner.policy.auth.throttle.concurrent-checks", "1",
                    "tuner.policy.auth.throttle.check-wait", "50ms",
                    "tuner.policy.auth.bcrypt-cost", "12");
        }
    }

    @Test
    void wrongPasswordsBackTheAccountOffAndTheRightOneWorksAfterRetryAfter() throws Exception {
        TestAccounts.ensure(PASSWORD, "throttled:viewer");
        double before = refusals("account-backoff");
        for (int i = 0; i < 3; i++) {
            assertThat(RawHttp.basic("127.0.0.2", "/api/v1/instances", "throttled", "wrong-" + i).status())
                    .isEqualTo(401);
        }
        RawHttp.Answer refused = RawHttp.basic("127.0.0.2", "/api/v1/instances", "throttled", PASSWORD);
        assertThat(refused.status()).as(refused.body()).isEqualTo(429);
        long retryAfter = Long.parseLong(refused.header("Retry-After"));
        assertThat(retryAfter).isBetween(1L, 2L);
        assertThat(refused.body()).contains("too many failed logins of this account");
        assertThat(refusals("account-backoff")).isEqualTo(before + 1);

        Thread.sleep(retryAfter * 1000 + 100);
        assertThat(RawHttp.basic("127.0.0.2", "/api/v1/instances", "throttled", PASSWORD).status()).isEqualTo(200);
        // the success reset the account: one more failure is a plain 401, not a 429
        assertThat(RawHttp.basic("127.0.0.2", "/api/v1/instances", "throttled", "wrong").status()).isEqualTo(401);
        assertThat(RawHttp.basic("127.0.0.2", "/api/v1/instances", "throttled", PASSWORD).status()).isEqualTo(200);
    }

    @Test
    void theLoginFormBacksOffLikeBasic() {
        TestAccounts.ensure(PASSWORD, "formthrottled:viewer");
        for (int i = 0; i < 3; i++) {
            RawHttp.Answer wrong = RawHttp.form("127.0.0.3", "formthrottled", "wrong-" + i);
            assertThat(wrong.status()).isEqualTo(302);
            assertThat(wrong.header("Location")).contains("/login?error=1");
        }
        RawHttp.Answer refused = RawHttp.form("127.0.0.3", "formthrottled", PASSWORD);
        assertThat(refused.status()).isEqualTo(429);
        assertThat(refused.header("Retry-After")).matches("[12]");
        assertThat(refused.header("Set-Cookie")).isNull();
    }

    @Test
    void anAddressBacksOffWhateverAccountItTries() {
        double before = refusals("address-backoff");
        for (int i = 0; i < 6; i++) {
            assertThat(RawHttp.basic("127.0.0.4", "/api/v1/instances", "nosuch" + i, "guess").status())
                    .isEqualTo(401);
        }
        RawHttp.Answer refused = RawHttp.basic("127.0.0.4", "/api/v1/instances", "nosuch-other", "guess");
        assertThat(refused.status()).isEqualTo(429);
        assertThat(refused.body()).contains("from this address");
        assertThat(refusals("address-backoff")).isGreaterThanOrEqualTo(before + 1);
        // claiming another address in forwarding headers changes nothing: the service trusts no proxy by default
        assertThat(RawHttp.basic("127.0.0.4", "/api/v1/instances", "nosuch-other", "guess",
                "X-Forwarded-For: 198.51.100.7\r\nForwarded: for=198.51.100.7\r\n").status()).isEqualTo(429);
        // another client is not affected
        assertThat(RawHttp.basic("127.0.0.5", "/api/v1/instances", "nosuch-other", "guess").status())
                .isEqualTo(401);
    }

    @Test
    void anAttackerCannotLockAUserOutOfAnAddressItLoggedInFrom() {
        TestAccounts.ensure(PASSWORD, "carol:viewer");
        assertThat(RawHttp.basic("127.0.0.6", "/api/v1/instances", "carol", PASSWORD).status()).isEqualTo(200);
        for (int i = 0; i < 3; i++) {
            assertThat(RawHttp.basic("127.0.0.7", "/api/v1/instances", "carol", "guess-" + i).status())
                    .isEqualTo(401);
        }
        assertThat(RawHttp.basic("127.0.0.7", "/api/v1/instances", "carol", PASSWORD).status()).isEqualTo(429);
        assertThat(RawHttp.form("127.0.0.6", "carol", PASSWORD).header("Location")).endsWith("/ui");
        assertThat(RawHttp.basic("127.0.0.6", "/api/v1/instances", "carol", PASSWORD).status()).isEqualTo(200);
    }

    @Test
    void passwordChecksBeyondTheBoundAre503AtOnceInsteadOfQueueing() throws Exception {
        double before = refusals("busy");
        int clients = 6;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        List<Future<RawHttp.Answer>> answers = new ArrayList<>();
        try {
            for (int i = 0; i < clients; i++) {
                String from = "127.0.0." + (20 + i);
                String account = "unknown-" + i;
                answers.add(pool.submit(() -> {
                    start.await();
                    long t0 = System.nanoTime();
                    RawHttp.Answer answer = RawHttp.basic(from, "/api/v1/instances", account, "guess");
                    long ms = (System.nanoTime() - t0) / 1_000_000;
                    return new RawHttp.Answer(answer.status(), answer.headers(), ms + "");
                }));
            }
            start.countDown();
            int busy = 0;
            int checked = 0;
            for (Future<RawHttp.Answer> f : answers) {
                RawHttp.Answer answer = f.get();
                if (answer.status() == 503) {
                    busy++;
                    assertThat(answer.header("Retry-After")).isEqualTo("1");
                } else {
                    assertThat(answer.status()).isEqualTo(401);
                    checked++;
                }
            }
            // one check at a time, each ~0.25 s: of six at once, most are turned away rather than queued
            assertThat(checked).isBetween(1, 2);
            assertThat(busy).isGreaterThanOrEqualTo(clients - 2);
            assertThat(refusals("busy")).isEqualTo(before + busy);
        } finally {
            pool.shutdownNow();
        }
    }

    /** tuner_policy_auth_refusals_total{reason=...}, 0 when absent. */
    static double refusals(String reason) {
        String text = Api.metrics();
        for (String line : text.split("\n")) {
            if (line.startsWith("tuner_policy_auth_refusals_total{") && line.contains("reason=\"" + reason + "\"")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return 0;
    }
}
