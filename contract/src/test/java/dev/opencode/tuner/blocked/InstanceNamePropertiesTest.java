package dev.opencode.tuner.blocked;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.CharRange;
import net.jqwik.api.constraints.Chars;
import net.jqwik.api.constraints.StringLength;

class InstanceNamePropertiesTest {
    /** The hand-written check and the published pattern (shared with the schema and nix/lib) never disagree. */
    @Property(tries = 2000)
    void isValidAgreesWithThePattern(
            @ForAll @StringLength(max = 25) @CharRange(from = 'a', to = 'e') @CharRange(from = '0', to = '2')
            @Chars({'-', 'Z', '_', '\u00e9'}) String name) {
        assertThat(InstanceName.isValid(name)).isEqualTo(InstanceName.PATTERN.matcher(name).matches());
    }
}
