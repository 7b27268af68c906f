package dev.opencode.tuner.suggest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import inet.ipaddr.IPAddress;
import java.math.BigInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CidrsTest {
    @ParameterizedTest
    @CsvSource({
            "10.0.0.0/24, 10.0.0.0/24, 256",
            "203.0.113.7, 203.0.113.7/32, 1",
            "203.0.113.7/32, 203.0.113.7/32, 1",
            "0.0.0.0/0, 0.0.0.0/0, 4294967296",
            "2001:db8::/48, 2001:db8::/48, 1208925819614629174706176",
            "2001:0DB8:0000::/48, 2001:db8::/48, 1208925819614629174706176",
            "2001:db8::1, 2001:db8::1/128, 1",
            "' 10.0.0.0/8 ', 10.0.0.0/8, 16777216",
    })
    void parsesCidrsAndBareAddressesAndFormatsThemCanonically(String text, String canonical, String count) {
        IPAddress block = Cidrs.parse(text);

        assertThat(Cidrs.format(block)).isEqualTo(canonical);
        assertThat(block.getCount()).isEqualTo(new BigInteger(count));
        assertThat(block.isPrefixBlock()).isTrue();
    }

    @Test
    void cidrWithHostBitsSetIsRejectedWithTheBlockItProbablyMeant() {
        assertThatThrownBy(() -> Cidrs.parse("10.0.0.1/24"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'10.0.0.1/24'")
                .hasMessageContaining("host bits set")
                .hasMessageContaining("did you mean 10.0.0.0/24?");
    }

    @Test
    void ipv6CidrWithHostBitsSetSuggestsTheCanonicalBlock() {
        assertThatThrownBy(() -> Cidrs.parse("2001:db8::1/64"))
                .hasMessageContaining("did you mean 2001:db8::/64?");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "example.com", "10.0.0.0/33", "10.0.0.256", "fe80::1%eth0", "1::2::3",
            "10.0.0.0/24/8", "*", "10.0.0.0-10.0.0.5", "10.0.0.0/8 10.1.0.0/16"})
    void rejectsWhatIsNotACidrWithAnExample(String text) {
        assertThatThrownBy(() -> Cidrs.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("e.g. 203.0.113.0/24");
    }

    /** The library would read these as several blocks, or in inet_aton's octal/hex/short forms: none is a CIDR. */
    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.1-5", "10.0.0.*", "10.0.*.0/24", "10.0.0.*/24", "0x0a.0.0.1", "10.1", "167772161",
            "2001:db8::1-2", "2001:db8::*/64"})
    void rejectsWildcardsRangesAndInetAtonForms(String text) {
        assertThatThrownBy(() -> Cidrs.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("e.g. 203.0.113.0/24");
    }

    @Test
    void rejectsNull() {
        assertThatThrownBy(() -> Cidrs.parse(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.0/24", "2001:db8::/48", "203.0.113.7/32", "::/0"})
    void parseCanonicalAcceptsCanonicalText(String text) {
        assertThat(Cidrs.format(Cidrs.parseCanonical(text))).isEqualTo(text);
    }

    @ParameterizedTest
    @CsvSource({"203.0.113.7, 203.0.113.7/32", "2001:DB8::/48, 2001:db8::/48", "2001:db8:0::/48, 2001:db8::/48",
            "' 10.0.0.0/8', 10.0.0.0/8"})
    void parseCanonicalRejectsOtherSpellingsAndNamesTheCanonicalOne(String text, String canonical) {
        assertThatThrownBy(() -> Cidrs.parseCanonical(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageEndingWith("write " + canonical);
    }

    @Test
    void hostBlockIsTheSingleAddressBlock() {
        assertThat(Cidrs.format(Cidrs.hostBlock(Cidrs.address("203.0.113.7")))).isEqualTo("203.0.113.7/32");
        assertThat(Cidrs.format(Cidrs.hostBlock(Cidrs.address("2001:db8::1")))).isEqualTo("2001:db8::1/128");
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.0/24", "nonsense", "", "10.0.0.*", "10.0.0.1-5", "10.1", "0x0a000001"})
    void addressRejectsAnythingButABareAddress(String text) {
        assertThatThrownBy(() -> Cidrs.address(text)).isInstanceOf(IllegalArgumentException.class);
    }
}
