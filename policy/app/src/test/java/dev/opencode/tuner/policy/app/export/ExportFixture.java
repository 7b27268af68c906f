package dev.opencode.tuner.policy.app.export;

import dev.opencode.tuner.export.Remotes;
import dev.opencode.tuner.export.forge.FakeForge;
import dev.opencode.tuner.export.forge.ForgeKind;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The operator's side for the export tests: a real bare repository (made with JGit) and a fake GitHub that speaks the
 * real pull request shapes, with the token in a file as the NixOS module provides it.
 */
public class ExportFixture implements QuarkusTestResourceLifecycleManager {
    static final String TOKEN = "ghp_exportTestToken0123456789abcdefABCDEF";
    static Path dir;
    static Path bare;
    static FakeForge forge;

    @Override
    public Map<String, String> start() {
        try {
            dir = Files.createTempDirectory("tuner-export-test-");
            bare = Remotes.bare(dir, "main");
            Path token = dir.resolve("forge-token");
            Files.writeString(token, TOKEN + "\n");
            forge = new FakeForge(ForgeKind.GITHUB, "ops/infra", TOKEN, bare);
            return Map.of(
                    "tuner.policy.export.repository", bare.toString(),
                    "tuner.policy.export.cache-directory", dir.resolve("cache").toString(),
                    "tuner.policy.export.forge.kind", "github",
                    "tuner.policy.export.forge.url", forge.apiBase().toString(),
                    "tuner.policy.export.forge.repository", "ops/infra",
                    "tuner.policy.export.forge.token-file", token.toString(),
                    "tuner.policy.export.review-url-template", "https://tuner.example.org/ui/suggestions/{id}",
                    // The scheduler stays out of the way; the trigger's logic is called directly by the test.
                    "tuner.policy.export.poll-interval", "1h",
                    "tuner.policy.export.debounce", "0s",
                    // RemovalTest waits out the notice period of removals.
                    "tuner.policy.removal.notice-period", "8s");
        } catch (Exception e) {
            throw new IllegalStateException("cannot set up the export fixture: " + e.getMessage(), e);
        }
    }

    @Override
    public void stop() {
        if (forge != null) {
            forge.close();
        }
    }
}
