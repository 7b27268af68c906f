package dev.opencode.tuner.suggest;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CidrEditTest {
    private final CidrEdit edit = CidrEdit.defaults();

    @Test
    void narrowsASlash24ToAnObservedAddress() {
        CidrEdit.Outcome o = edit.check("140.82.112.0/24", "140.82.112.3");
        assertThat(o.refused()).isFalse();
        assertThat(o.cidr()).isEqualTo("140.82.112.3/32");
    }

    @Test
    void widensUpToTheBroadestPrefixAndNoFurther() {
        assertThat(edit.check("140.82.112.0/24", "140.82.0.0/16").cidr()).isEqualTo("140.82.0.0/16");
        assertThat(edit.check("140.82.112.0/24", "140.80.0.0/14").refusal())
                .isEqualTo("140.80.0.0/14 is broader than /16, the broadest IPv4 block a reviewer may allow"
                        + " (tuner.policy.review.broadest-prefix4)");
        assertThat(edit.check("2606:50c0:8000::154/128", "2606:50c0::/32").refusal()).contains("broader than /48");
        assertThat(edit.check("2606:50c0:8000::154/128", "2606:50c0:8000::/48").refused()).isFalse();
    }

    @Test
    void neverWidensOntoTheDenylist() {
        assertThat(edit.check("169.254.1.0/24", "169.254.0.0/16").refusal())
                .isEqualTo("169.254.0.0/16 overlaps the denylist entry 169.254.0.0/16"
                        + " (link-local, home of cloud instance metadata (169.254.169.254))");
        CidrEdit strict = new CidrEdit(Denylist.defaults().plus("10.9.9.0/24", "the build farm"), 16, 48);
        assertThat(strict.check("10.9.8.0/24", "10.9.0.0/16").refusal()).contains("10.9.9.0/24 (the build farm)");
    }

    @Test
    void refusesAnotherFamilyADisjointBlockAndGarbage() {
        assertThat(edit.check("140.82.112.0/24", "2001:db8::/64").refusal())
                .contains("is IPv6 but the suggestion 140.82.112.0/24 is IPv4");
        assertThat(edit.check("140.82.112.0/24", "140.82.113.0/24").refusal()).contains("shares no address");
        assertThat(edit.check("140.82.112.0/24", "140.82.112.1/24").refusal()).contains("did you mean 140.82.112.0/24");
        assertThat(edit.check("140.82.112.0/24", "evil\"; }").refusal()).contains("is not a CIDR");
    }
}
