package dev.opencode.tuner.policy.app.export;

import dev.opencode.tuner.export.CaCertificates;
import dev.opencode.tuner.export.GeneratedFile;
import dev.opencode.tuner.export.GitExporter;
import dev.opencode.tuner.export.GitRemote;
import dev.opencode.tuner.export.Secret;
import dev.opencode.tuner.export.forge.Forge;
import dev.opencode.tuner.export.forge.ForgeKind;
import dev.opencode.tuner.export.forge.PullRequestSync;
import dev.opencode.tuner.policy.app.PolicyConfig;
import dev.opencode.tuner.policy.app.PolicyStateDirectory;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The exporter and forge client built from {@link ExportConfig}, or the reason they cannot be: every problem names
 * its key. Token files are read when the settings are built (at start and for each run), never logged.
 */
record ExportSettings(GitExporter git, Optional<PullRequestSync> pullRequests, Optional<ForgeKind> forge) {
    static final String PREFIX = "tuner.policy.export.";

    /** Empty when {@code tuner.policy.export.repository} is not set (export off). */
    static Optional<ExportSettings> from(ExportConfig config, PolicyConfig policy) {
        if (config.repository().isEmpty() || config.repository().get().isBlank()) {
            return Optional.empty();
        }
        GeneratedFile file;
        try {
            file = new GeneratedFile(config.pathTemplate());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(PREFIX + "path-template: " + e.getMessage());
        }
        Secret httpsToken = config.httpsTokenFile().map(f -> Secret.fromFile(f, PREFIX + "https-token-file"))
                .orElse(null);
        config.httpsCaFile().ifPresent(f -> CaCertificates.read(f, PREFIX + "https-ca-file"));
        GitRemote remote;
        try {
            remote = new GitRemote(config.repository().get(), config.sshKeyFile().orElse(null),
                    config.knownHostsFile().orElse(null), config.httpsUser(), httpsToken,
                    config.defaultBranch().orElse(null), config.httpsCaFile().orElse(null));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(PREFIX + "repository: " + Secret.redact(e.getMessage(), httpsToken));
        }
        Path cache = config.cacheDirectory().orElse(PolicyStateDirectory.of(policy.stateDirectory()).resolve("export-cache"));
        GitExporter git = new GitExporter(remote, cache, file, config.authorName(), config.authorEmail());
        ExportConfig.Forge f = config.forge();
        if (f.kind().isEmpty()) {
            return Optional.of(new ExportSettings(git, Optional.empty(), Optional.empty()));
        }
        ForgeKind kind = ForgeKind.parse(PREFIX + "forge.kind", f.kind().get());
        URI url = f.url().orElseGet(() -> switch (kind) {
            case GITHUB -> URI.create("https://api.github.com");
            case GITLAB -> URI.create("https://gitlab.com/api/v4");
            case GITEA -> throw new IllegalArgumentException(PREFIX + "forge.url is required for gitea: "
                    + "https://HOST/api/v1");
        });
        String repository = f.repository().orElseThrow(() -> new IllegalArgumentException(PREFIX
                + "forge.repository is required with forge.kind: OWNER/NAME (GitLab: the project path)"));
        Path tokenFile = f.tokenFile().orElseThrow(() -> new IllegalArgumentException(PREFIX
                + "forge.token-file is required with forge.kind: a file holding the API token"));
        Secret token = Secret.fromFile(tokenFile, PREFIX + "forge.token-file");
        Forge client;
        try {
            client = Forge.of(kind, url, repository, token);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(PREFIX + "forge: " + token.redact(e.getMessage()));
        }
        return Optional.of(new ExportSettings(git, Optional.of(new PullRequestSync(client,
                config.reviewUrlTemplate().orElse(null))), Optional.of(kind)));
    }
}
