package dev.opencode.tuner.suggest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SuggestionPolicyTest {
    @Test
    void defaultsAreFourAddressesPerSlash24OrSlash64WithTheDefaultDenylist() {
        SuggestionPolicy p = SuggestionPolicy.defaults();

        assertThat(p.minAddresses()).isEqualTo(4);
        assertThat(p.groupPrefix(4)).isEqualTo(24);
        assertThat(p.groupPrefix(6)).isEqualTo(64);
        assertThat(p.denylist().entries()).extracting(Denylist.Entry::cidr)
                .contains("169.254.0.0/16", "127.0.0.0/8", "224.0.0.0/4", "fe80::/10", "::1/128", "ff00::/8");
    }

    @Test
    void theOperatorsDenyEntriesJoinTheBuiltInOnesCanonicallyWithTheirReason() {
        Denylist d = Denylist.defaultsPlus(List.of("10.9.9.7", " 2001:db8::/48 "), "on the --deny list");

        assertThat(d.entries()).hasSize(Denylist.defaults().entries().size() + 2);
        assertThat(d.containing(Cidrs.parse("10.9.9.7"))).map(Denylist.Entry::cidr).hasValue("10.9.9.7/32");
        assertThat(d.containing(Cidrs.parse("2001:db8::1"))).map(Denylist.Entry::reason)
                .hasValue("on the --deny list");
        assertThat(d.containing(Cidrs.parse("169.254.169.254"))).isPresent();
    }

    @Test
    void aDenyEntryThatIsNoCidrFailsWithTheParsersMessage() {
        assertThatThrownBy(() -> Denylist.defaultsPlus(List.of("10.0.0.0/8", "10.0.0.1/8"), "r"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("'10.0.0.1/8' has host bits set: did you mean 10.0.0.0/8?");
    }

    @ParameterizedTest
    @CsvSource({"2, 16, 48", "2, 32, 128", "1000, 24, 64"})
    void acceptsTheBoundsOfEachSetting(int min, int prefix4, int prefix6) {
        SuggestionPolicy p = new SuggestionPolicy(min, prefix4, prefix6, Denylist.empty());

        assertThat(p.groupPrefix(4)).isEqualTo(prefix4);
        assertThat(p.groupPrefix(6)).isEqualTo(prefix6);
    }

    @ParameterizedTest
    @CsvSource({
            "1, 24, 64, 'min-addresses must be at least 2, got 1'",
            "0, 24, 64, 'min-addresses must be at least 2, got 0'",
            "4, 15, 64, 'IPv4 group prefix must be in 16..32, got 15'",
            "4, 33, 64, 'IPv4 group prefix must be in 16..32, got 33'",
            "4, 24, 47, 'IPv6 group prefix must be in 48..128, got 47'",
            "4, 24, 129, 'IPv6 group prefix must be in 48..128, got 129'",
    })
    void rejectsOutOfRangeSettingsNamingTheSettingAndValue(int min, int prefix4, int prefix6, String message) {
        assertThatThrownBy(() -> new SuggestionPolicy(min, prefix4, prefix6, Denylist.defaults()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }

    @Test
    void rejectsAMissingDenylist() {
        assertThatThrownBy(() -> new SuggestionPolicy(4, 24, 64, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("denylist");
    }
}
