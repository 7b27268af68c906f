package dev.opencode.tuner.policy.app.evidence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opencode.tuner.policy.app.Eventually;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The {@link AddressLabels} bean as the service wires it: dnsmasq as resolver, the three range files loaded. */
@QuarkusTest
@WithTestResource(value = EvidenceStack.class, scope = TestResourceScope.MATCHING_RESOURCES)
class AddressLabelsTest {
    @Inject
    AddressLabels labels;
    @Inject
    MeterRegistry registry;

    private AddressLabels.Labels settled(String address) {
        AddressLabels.Labels[] last = {null};
        Eventually.await("labels of " + address + " settle", Duration.ofSeconds(10), () -> {
            last[0] = labels.ofPendingSuggestion(address);
            return last[0].reverseName().status() != ReverseName.Status.PENDING;
        }, () -> String.valueOf(last[0]));
        return last[0];
    }

    @Test
    void labelsAnAddressWithItsReverseNameAndProviderRanges() {
        AddressLabels.Labels ec2 = settled("52.94.1.10");

        assertThat(ec2.reverseDns()).isEqualTo("ec2-52-94-1-10.compute.example.test");
        assertThat(ec2.reverseName().status()).isEqualTo(ReverseName.Status.FOUND);
        assertThat(ec2.providers()).extracting(ProviderRange::provider, ProviderRange::service,
                ProviderRange::region).first().asString().contains("aws").contains("AMAZON").contains("us-east-1");
        assertThat(ec2.providers()).hasSize(3);

        AddressLabels.Labels github = settled("140.82.113.4");
        assertThat(github.reverseDns()).isNull();
        assertThat(github.reverseName().status()).isEqualTo(ReverseName.Status.NXDOMAIN);
        assertThat(github.providers()).extracting(ProviderRange::service).containsExactly("web", "api");
    }

    @Test
    void answersAtOnceAndAClaimedNameThatDoesNotResolveBackIsUnverified() {
        AddressLabels.Labels first = labels.ofPendingSuggestion("203.0.113.9");

        // Providers are known at once; the name comes on a later call.
        assertThat(first.reverseName().status()).isIn(ReverseName.Status.PENDING,
                ReverseName.Status.FOUND_UNCONFIRMED);
        AddressLabels.Labels api = settled("203.0.113.9");
        assertThat(api.reverseName().status()).isEqualTo(ReverseName.Status.FOUND_UNCONFIRMED);
        assertThat(api.reverseDns()).isNull(); // never shown or stored as the address's name
        assertThat(api.unverifiedReverseDns()).isEqualTo("api.example.test");
    }

    @Test
    void aValueThatIsNotAnAddressGetsNoLookup() {
        AddressLabels.Labels bad = labels.requested("not-an-address");

        assertThat(bad.reverseName().status()).isEqualTo(ReverseName.Status.NOT_AN_ADDRESS);
        assertThat(bad.providers()).isEmpty();
    }

    @Test
    void lookupsAndSkippedLookupsAreCountedByResultAndReason() {
        settled("203.0.113.7");

        assertThat(registry.find("tuner.policy.evidence.dns.lookups").tag("result", "found").counter().count())
                .isPositive();
        assertThat(registry.find("tuner.policy.evidence.dns.lookups").tag("result", "unverified").counter())
                .isNotNull();
        for (String reason : new String[] {"rate-limit", "in-flight"}) {
            assertThat(registry.find("tuner.policy.evidence.dns.skipped").tag("reason", reason).counter())
                    .as("the skipped counter of reason " + reason).isNotNull();
        }
    }
}
