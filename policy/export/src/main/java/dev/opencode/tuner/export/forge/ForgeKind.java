package dev.opencode.tuner.export.forge;

import dev.opencode.tuner.blocked.Untrusted;
import java.util.Locale;

/** The forges the exporter speaks to. */
public enum ForgeKind {
    GITHUB, GITLAB, GITEA;

    /** {@code github}, {@code gitlab} or {@code gitea}; the error names the field and the choices. */
    public static ForgeKind parse(String field, String value) {
        if (value != null) {
            for (ForgeKind kind : values()) {
                if (kind.label().equals(value.strip().toLowerCase(Locale.ROOT))) {
                    return kind;
                }
            }
        }
        throw new IllegalArgumentException(field + ": " + (value == null ? "missing" : Untrusted.quote(value))
                + " is not a forge: use github, gitlab or gitea (gitea also serves Forgejo)");
    }

    /** The lowercase name, as in config and metrics ({@code forge=github}). */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
