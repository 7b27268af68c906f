package dev.opencode.tuner.nix;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.opencode.tuner.blocked.InstanceName;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Java rule for instance names is the NixOS module's ({@code nix/lib/names.nix}), read through nix-instantiate. */
class InstanceNameRuleSharedWithNixTest {
    @TempDir
    Path dir;

    @Test
    void patternLengthAndRuleAreTheNixLibrarys() throws IOException {
        Path lib = Path.of("../../nix/lib").toAbsolutePath().normalize();
        assertThat(lib.resolve("names.nix")).exists();
        Path file = dir.resolve("rule.nix");
        Files.writeString(file, "{ }: let l = import " + lib + "; in {\n"
                + "  inherit (l) instanceNamePattern instanceNameRule instanceNameMaxLength;\n"
                + "  longest = l.isValidInstanceName \"abcdefghij-klmnopqrs-9\";\n"
                + "  tooLong = l.isValidInstanceName \"abcdefghij-klmnopqrst-9\";\n"
                + "}\n");

        JsonNode nix = NixInstantiate.evalImport(file);

        assertThat(nix.get("instanceNamePattern").asText()).isEqualTo(InstanceName.PATTERN.pattern());
        assertThat(nix.get("instanceNameMaxLength").asInt()).isEqualTo(InstanceName.MAX_LENGTH).isEqualTo(22);
        assertThat(nix.get("instanceNameRule").asText()).isEqualTo(InstanceName.RULE);
        assertThat(nix.get("longest").asBoolean()).isTrue();
        assertThat(nix.get("tooLong").asBoolean()).isFalse();
    }
}
