package dev.opencode.tuner.nix;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class NixTextPropertiesTest {
    /** Pieces of Nix syntax and characters that have tripped escapers; joined at random. */
    private static final List<String> PIECES = List.of("$", "{", "}", "${", "$${", "''", "'", "\"", "\\", "\n", "\r",
            "\t", "#", "/*", "*/", ";", " ", "a", "Z", "0", "\u00e9", "\u2028", "\u0085", "\ud83d\udca5", "\u0001",
            "\u007f", "builtins.abort \"x\"");

    /**
     * One nix-instantiate call per try checks a whole list of strings: the Nix literal of each evaluates to exactly
     * the string, whatever Nix syntax it contains.
     */
    @Property(tries = 15)
    void stringLiteralEvaluatesToExactlyItsValue(@ForAll("texts") List<String> texts) throws IOException {
        StringBuilder nix = new StringBuilder("{ ... }: [\n");
        for (String text : texts) {
            nix.append("  ").append(NixText.string(text)).append('\n');
        }
        nix.append("]\n");
        Path dir = Files.createTempDirectory("nixtext");
        try {
            Path file = dir.resolve("strings.nix");
            Files.writeString(file, nix, StandardCharsets.UTF_8);

            JsonNode value = NixInstantiate.evalImport(file);

            List<String> evaluated = new ArrayList<>();
            value.forEach(v -> evaluated.add(v.textValue()));
            assertThat(evaluated).containsExactlyElementsOf(texts);
        } finally {
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.delete(p);
                }
            }
            Files.delete(dir);
        }
    }

    @Provide
    Arbitrary<List<String>> texts() {
        Arbitrary<String> text = Arbitraries.of(PIECES).list().ofMaxSize(12).map(pieces -> String.join("", pieces));
        return text.list().ofMinSize(1).ofMaxSize(40);
    }
}
