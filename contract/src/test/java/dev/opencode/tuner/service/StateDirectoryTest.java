package dev.opencode.tuner.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateDirectoryTest {
    @TempDir
    Path root;

    private final List<String> warnings = new ArrayList<>();

    @Test
    void keepsUsingTheFormerDefaultDirectoryUntilItIsMovedAndSaysHow() throws IOException {
        Path current = root.resolve("opencode-egress-tuner-policy");
        Path former = Files.createDirectory(root.resolve("opencode-egress-policy"));

        assertThat(resolve(current, current, former)).isEqualTo(former);
        assertThat(warnings).singleElement().asString()
                .contains("tuner.policy.state-directory: using " + former)
                .contains("mv " + former + " " + current);

        Files.move(former, current);
        warnings.clear();
        assertThat(resolve(current, current, former)).isEqualTo(current);
        assertThat(warnings).isEmpty();
    }

    @Test
    void usesTheDefaultWhenItExistsOrNothingIsThereYet() throws IOException {
        Path current = root.resolve("new");
        Path former = root.resolve("old");
        assertThat(resolve(current, current, former)).isEqualTo(current);

        Files.createDirectory(former);
        Files.createDirectory(current);
        assertThat(resolve(current, current, former)).isEqualTo(current);
        assertThat(warnings).isEmpty();
    }

    @Test
    void neverOverridesADirectoryThatWasConfigured() throws IOException {
        Path former = Files.createDirectory(root.resolve("old"));
        Path configured = root.resolve("elsewhere");
        assertThat(resolve(configured, root.resolve("new"), former)).isEqualTo(configured);
        assertThat(warnings).isEmpty();
    }

    @Test
    void agreesWithTheNixosModulesDefaults() throws IOException {
        String module = Files.readString(Path.of("../nix/modules/egress-tuner/default.nix"));
        String[][] services = {{"collector", StateDirectory.COLLECTOR}, {"policy", StateDirectory.POLICY}};
        for (String[] service : services) {
            Matcher m = Pattern.compile("\"tuner\\." + service[0]
                    + "\\.state-directory\" = \\{\\s*default = \"([^\"]+)\"").matcher(module);
            assertThat(m.find()).as(service[0] + " state directory in the NixOS module").isTrue();
            assertThat(m.group(1)).isEqualTo(service[1]);
            assertThat(module).contains("StateDirectory = \"" + Path.of(service[1]).getFileName() + "\";");
        }
    }

    private Path resolve(Path configured, Path current, Path former) {
        return StateDirectory.resolve("tuner.policy.state-directory", configured, current, former, warnings::add);
    }
}
