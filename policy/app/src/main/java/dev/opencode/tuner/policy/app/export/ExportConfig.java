package dev.opencode.tuner.policy.app.export;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import jakarta.validation.constraints.NotBlank;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The exporter's configuration, under {@code tuner.policy.export}. Without {@code repository} the export is off:
 * the API says so (409) and nothing runs in the background. Checked at start by {@link ExportSettings}, which names
 * the key of a bad value.
 */
@ConfigMapping(prefix = "tuner.policy.export")
public interface ExportConfig {
    /** The operator's repository: a path, file://, ssh:// or https:// URL. Empty: export off. */
    Optional<String> repository();

    /** The branch pull requests go into; empty: the remote's HEAD. */
    Optional<String> defaultBranch();

    /** Where each host's file goes; must contain {@code <host>}. */
    @WithDefault("hosts/<host>/opencode-egress-allowlist.nix")
    @NotBlank
    String pathTemplate();

    /** SSH: the private key (e.g. a deploy key), and the known_hosts file the server must be in. */
    Optional<Path> sshKeyFile();

    Optional<Path> knownHostsFile();

    /** HTTPS: a file holding the token sent as the password, and the user name sent with it. */
    Optional<Path> httpsTokenFile();

    @WithDefault("x-access-token")
    @NotBlank
    String httpsUser();

    /** HTTPS: PEM certificates of the private CA the server's certificate chains to (git's http.sslCAInfo). */
    Optional<Path> httpsCaFile();

    /** The committer of the exporter's commits; commits by anyone else on the bot branch stop the exporter. */
    @WithDefault("opencode-egress-tuner")
    @NotBlank
    String authorName();

    @WithDefault("opencode-egress-tuner@localhost")
    @NotBlank
    String authorEmail();

    /** The bare cache repository; default {@code <tuner.policy.state-directory>/export-cache}. */
    Optional<Path> cacheDirectory();

    Forge forge();

    /** A link per entry in the pull request, with {@code {id}} for the suggestion id. */
    Optional<String> reviewUrlTemplate();

    /** Export automatically after decisions. */
    @WithDefault("true")
    boolean auto();

    /** Quiet time after the last decision before an automatic export (several decisions, one commit). */
    @WithDefault("2m")
    Duration debounce();

    /** How often the trigger looks for new decisions and for pull requests closed or merged on the forge. */
    @WithDefault("1m")
    Duration pollInterval();

    /** The forge for pull requests; without {@code kind} the branch is pushed and no pull request is opened. */
    interface Forge {
        /** github, gitlab or gitea (Forgejo too). */
        Optional<String> kind();

        /** API base: https://api.github.com, https://gitlab.com/api/v4, https://HOST/api/v1 for Gitea. */
        Optional<URI> url();

        /** OWNER/NAME; for GitLab the project path. */
        Optional<String> repository();

        /** A file holding the forge's API token (the NixOS module's environmentFile / credentials). */
        Optional<Path> tokenFile();
    }
}
