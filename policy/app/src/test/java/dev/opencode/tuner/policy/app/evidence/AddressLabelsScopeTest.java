package dev.opencode.tuner.policy.app.evidence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.opencode.tuner.policy.app.Eventually;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Which calls of {@link AddressLabels} make a query, per {@code tuner.policy.evidence.dns.scope}, counted in the query
 * log of a real dnsmasq: an address out of scope must not reach the reverse zone at all.
 */
class AddressLabelsScopeTest {
    private static Dnsmasq dnsmasq;

    @BeforeAll
    static void startDnsmasq() throws Exception {
        dnsmasq = Dnsmasq.start(List.of("--local=/in-addr.arpa/")); // every reverse name: NXDOMAIN, at once
    }

    @AfterAll
    static void stopDnsmasq() {
        dnsmasq.close();
    }

    private static AddressLabels labels(EvidenceConfig.Dns.Scope scope) {
        ReverseDns dns = new ReverseDns(dnsmasq.address(), new ReverseDns.Limits(Duration.ofSeconds(2), 100,
                Duration.ofHours(1), Duration.ofMinutes(5), 64, 1000), status -> {
                }, skip -> {
                });
        return new AddressLabels(dns, scope, () -> ProviderRanges.EMPTY);
    }

    private static ReverseName settled(java.util.function.Supplier<AddressLabels.Labels> call) {
        ReverseName[] last = {null};
        Eventually.await("the reverse name is settled", Duration.ofSeconds(10), () -> {
            last[0] = call.get().reverseName();
            return last[0].status() != ReverseName.Status.PENDING;
        }, () -> String.valueOf(last[0]));
        return last[0];
    }

    /** Which of these addresses dnsmasq was asked for (after a query that comes later has been logged). */
    private static List<String> asked(String marker, String... addresses) {
        AddressLabels own = labels(EvidenceConfig.Dns.Scope.ON_REQUEST);
        settled(() -> own.requested(marker));
        Eventually.await("dnsmasq logged " + marker, Duration.ofSeconds(10),
                () -> dnsmasq.queries("PTR").contains(Dnsmasq.reverseName(marker)));
        List<String> queried = dnsmasq.queries("PTR");
        return java.util.Arrays.stream(addresses).filter(a -> queried.contains(Dnsmasq.reverseName(a))).toList();
    }

    @Test
    void scopeSuggestionsLooksUpPendingSuggestionsAndRequestsNeverWhatIsOnlyCopied() {
        AddressLabels labels = labels(EvidenceConfig.Dns.Scope.SUGGESTIONS);

        AddressLabels.Labels copied = labels.cached("198.51.100.11");
        ReverseName shown = settled(() -> labels.ofPendingSuggestion("198.51.100.12"));
        ReverseName requested = settled(() -> labels.requested("198.51.100.13"));

        assertThat(copied.reverseName().status()).isEqualTo(ReverseName.Status.NOT_LOOKED_UP);
        assertThat(copied.reverseName().describe()).isEqualTo("not looked up: not a pending suggestion");
        assertThat(shown.status()).isEqualTo(ReverseName.Status.NXDOMAIN);
        assertThat(requested.status()).isEqualTo(ReverseName.Status.NXDOMAIN);
        assertThat(asked("192.0.2.11", "198.51.100.11", "198.51.100.12", "198.51.100.13"))
                .containsExactly("198.51.100.12", "198.51.100.13");
        // Once known, the copy shows it without asking again.
        assertThat(labels.cached("198.51.100.12").reverseName().status()).isEqualTo(ReverseName.Status.NXDOMAIN);
    }

    @Test
    void scopeOnRequestLooksUpOnlyWhatAReviewerAsksFor() {
        AddressLabels labels = labels(EvidenceConfig.Dns.Scope.ON_REQUEST);

        AddressLabels.Labels shown = labels.ofPendingSuggestion("198.51.100.21");
        AddressLabels.Labels copied = labels.cached("198.51.100.22");
        ReverseName requested = settled(() -> labels.requested("198.51.100.23"));

        assertThat(shown.reverseName().status()).isEqualTo(ReverseName.Status.NOT_LOOKED_UP);
        assertThat(shown.reverseName().describe()).isEqualTo("not looked up: on request only");
        assertThat(shown.reverseDns()).isNull();
        assertThat(copied.reverseName().status()).isEqualTo(ReverseName.Status.NOT_LOOKED_UP);
        assertThat(requested.status()).isEqualTo(ReverseName.Status.NXDOMAIN);
        assertThat(asked("192.0.2.21", "198.51.100.21", "198.51.100.22", "198.51.100.23"))
                .containsExactly("198.51.100.23");
    }

    @Test
    void scopeOffAsksNothing() {
        AddressLabels labels = labels(EvidenceConfig.Dns.Scope.OFF);

        List<AddressLabels.Labels> all = List.of(labels.cached("198.51.100.31"),
                labels.ofPendingSuggestion("198.51.100.32"), labels.requested("198.51.100.33"));

        assertThat(all).extracting(l -> l.reverseName().status()).containsOnly(ReverseName.Status.DISABLED);
        assertThat(all.get(0).reverseName().describe()).isEqualTo("reverse DNS off");
        assertThat(asked("192.0.2.31", "198.51.100.31", "198.51.100.32", "198.51.100.33")).isEmpty();
    }

    @Test
    void theScopeKeyTakesItsValuesInKebabCaseAndARefusalNamesTheKey() {
        assertThat(config(Map.of()).dns().scope()).isEqualTo(EvidenceConfig.Dns.Scope.SUGGESTIONS);
        assertThat(config(Map.of()).dns().maxLookupsPerMinute()).isEqualTo(60);
        assertThat(config(Map.of("tuner.policy.evidence.dns.scope", "on-request")).dns().scope())
                .isEqualTo(EvidenceConfig.Dns.Scope.ON_REQUEST);
        assertThat(config(Map.of("tuner.policy.evidence.dns.scope", "off")).dns().scope())
                .isEqualTo(EvidenceConfig.Dns.Scope.OFF);
        assertThatThrownBy(() -> config(Map.of("tuner.policy.evidence.dns.scope", "everything")))
                .hasMessageContaining("tuner.policy.evidence.dns.scope").hasMessageContaining("everything");
    }

    private static EvidenceConfig config(Map<String, String> values) {
        // Quarkus' own converter for durations such as 1h (the defaults are written so).
        SmallRyeConfig config = new SmallRyeConfigBuilder().withMapping(EvidenceConfig.class)
                .withConverter(Duration.class, 200, new DurationConverter())
                .withSources(new PropertiesConfigSource(values, "test", 100)).build();
        return config.getConfigMapping(EvidenceConfig.class);
    }
}
