package dev.opencode.tuner.cli.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.opencode.tuner.cli.CliException;
import dev.opencode.tuner.cli.policy.PolicyApi;
import dev.opencode.tuner.cli.policy.PolicyApi.Role;
import dev.opencode.tuner.cli.policy.PolicyOptions;
import dev.opencode.tuner.cli.stack.StateDirectory;
import dev.opencode.tuner.export.CaCertificates;
import dev.opencode.tuner.export.AcceptedEntry;
import dev.opencode.tuner.export.ExportException;
import dev.opencode.tuner.export.ExportPlan;
import dev.opencode.tuner.export.GeneratedFile;
import dev.opencode.tuner.export.GitExporter;
import dev.opencode.tuner.export.GitRemote;
import dev.opencode.tuner.export.HostExport;
import dev.opencode.tuner.export.HostNames;
import dev.opencode.tuner.export.Secret;
import dev.opencode.tuner.export.forge.Forge;
import dev.opencode.tuner.export.forge.ForgeKind;
import dev.opencode.tuner.export.forge.PullRequest;
import dev.opencode.tuner.export.forge.PullRequestBody;
import dev.opencode.tuner.export.forge.PullRequestSync;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ./tuner export}: without {@code --repo}, asks the policy service to export with its own configuration
 * ({@code POST /api/v1/exports}); with {@code --repo} (and the forge flags), exports the service's entries in force
 * itself, to that repository, without moving any suggestion's state. {@code --dry-run} prints the unified diff and
 * the pull request's text, and changes nothing anywhere.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Export the allowlist entries in force by decision: the host's generated Nix file on the branch "
                + "opencode-egress/<host>, and one pull request per host.",
            "Without --repo the policy service exports with its own configuration (tuner.policy.export.*). With "
                + "--repo the CLI exports the service's entries itself (suggestion states are not changed).",
            "Exit 0 when every host was exported (or the dry run printed), 1 when one failed, 2 on a usage error."})
public final class ExportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--host", paramLabel = "H", description = "Only this host (required with --repo).")
    String host;

    @Option(names = "--dry-run", description = "Print the unified diff and the pull request text; change nothing.")
    boolean dryRun;

    @Option(names = "--repo", paramLabel = "URL_OR_PATH",
            description = "Export to this repository yourself: a path, file://, ssh:// or https:// URL.")
    String repo;

    @Option(names = "--default-branch", paramLabel = "BRANCH",
            description = "With --repo: the branch pull requests go into (default: the remote's HEAD).")
    String defaultBranch;

    @Option(names = "--path-template", paramLabel = "PATH", defaultValue = GeneratedFile.DEFAULT_PATH_TEMPLATE,
            description = "With --repo: where the host's file goes (default: ${DEFAULT-VALUE}).")
    String pathTemplate;

    @Option(names = "--forge", paramLabel = "KIND", description = "With --repo: github, gitlab or gitea.")
    String forge;

    @Option(names = "--forge-url", paramLabel = "URL",
            description = "The forge's API base (default: https://api.github.com, https://gitlab.com/api/v4).")
    URI forgeUrl;

    @Option(names = "--forge-repo", paramLabel = "OWNER/NAME", description = "The forge repository (GitLab: the "
            + "project path).")
    String forgeRepo;

    @Option(names = "--token-file", paramLabel = "F",
            description = "A file holding the forge token (also used as the HTTPS password for an https:// --repo).")
    Path tokenFile;

    @Option(names = "--ssh-key-file", paramLabel = "F", description = "With an ssh:// --repo: the private key.")
    Path sshKeyFile;

    @Option(names = "--known-hosts-file", paramLabel = "F",
            description = "With an ssh:// --repo: the known_hosts file holding the server's host key (default: "
                    + "~/.ssh/known_hosts).")
    Path knownHostsFile;

    @Option(names = "--https-ca-file", paramLabel = "F",
            description = "With an https:// --repo: the PEM certificate(s) of the private CA the server's certificate "
                    + "chains to (default: the JDK's trusted CAs).")
    Path httpsCaFile;

    @Mixin
    PolicyOptions policy;

    @Option(names = "--state-dir", paramLabel = "DIR", description = "The ./tuner up state directory.")
    Path stateDir;

    @Override
    public Integer call() {
        if (host != null && !HostNames.isValid(host)) {
            throw CliException.usage("--host: " + HostNames.requireMessage(host));
        }
        boolean local = repo != null;
        if (!local && (forge != null || forgeUrl != null || forgeRepo != null || tokenFile != null
                || sshKeyFile != null || knownHostsFile != null || httpsCaFile != null || defaultBranch != null)) {
            throw CliException.usage("--forge, --forge-url, --forge-repo, --token-file, --ssh-key-file, "
                    + "--known-hosts-file, --https-ca-file and --default-branch go with --repo; without --repo the "
                    + "policy service uses its own configuration");
        }
        if (local && host == null) {
            throw CliException.usage("--repo needs --host: the CLI exports one host at a time");
        }
        if (httpsCaFile != null) {
            try {
                CaCertificates.read(httpsCaFile, "--https-ca-file");
            } catch (IllegalArgumentException e) {
                throw CliException.usage(e.getMessage());
            }
        }
        ForgeKind kind = null;
        if (forge != null) {
            try {
                kind = ForgeKind.parse("--forge", forge);
            } catch (IllegalArgumentException e) {
                throw CliException.usage(e.getMessage());
            }
            if (forgeRepo == null || tokenFile == null) {
                throw CliException.usage("--forge needs --forge-repo OWNER/NAME and --token-file F");
            }
            if (kind == ForgeKind.GITEA && forgeUrl == null) {
                throw CliException.usage("--forge gitea needs --forge-url https://HOST/api/v1");
            }
        } else if (forgeUrl != null || forgeRepo != null) {
            throw CliException.usage("--forge-url and --forge-repo need --forge github|gitlab|gitea");
        }
        // An export (fetch, push, forge calls) can take a while.
        try (PolicyApi api = policy.connect(StateDirectory.resolve(stateDir), Duration.ofMinutes(5))) {
            return local ? local(api, kind) : remote(api);
        }
    }

    private int remote(PolicyApi policy) {
        ObjectNode body = PolicyApi.json().createObjectNode();
        if (host != null) {
            body.put("host", host);
        }
        body.put("dryRun", dryRun);
        JsonNode runs = policy.post("/api/v1/exports", body, Role.REVIEWER).path("runs");
        PrintWriter out = spec.commandLine().getOut();
        int failed = 0;
        for (JsonNode run : runs) {
            String result = run.path("result").asText();
            if (result.equals("failed")) {
                failed++;
            }
            if (dryRun) {
                printDryRun(out, run.path("host").asText(), run.path("change").asText(), run.path("diff").asText(""),
                        run.path("pullRequestTitle").asText(""), run.path("pullRequestBody").asText(null),
                        run.path("error").asText(null));
                continue;
            }
            StringBuilder line = new StringBuilder(run.path("host").asText()).append(": ").append(result);
            if (run.hasNonNull("change")) {
                line.append(" (").append(run.get("change").asText()).append(')');
            }
            if (run.hasNonNull("commit")) {
                line.append(", commit ").append(run.get("commit").asText(), 0, 12);
            }
            if (run.has("pullRequest")) {
                line.append(", pull request ").append(run.at("/pullRequest/result").asText()).append(' ')
                        .append(run.at("/pullRequest/url").asText()).append(" (")
                        .append(run.at("/pullRequest/state").asText()).append(')');
            }
            if (run.hasNonNull("error")) {
                line.append(": ").append(run.get("error").asText());
            }
            out.println(line);
        }
        out.println(runs.size() == 0 ? "Nothing to export: no host has entries in force by decision."
                : (dryRun ? "Dry run: nothing was changed." : runs.size() + (runs.size() == 1 ? " host" : " hosts")
                        + " exported, " + failed + " failed."));
        out.flush();
        return failed == 0 ? 0 : 1;
    }

    private int local(PolicyApi policy, ForgeKind kind) {
        JsonNode answer = policy.get("/api/v1/exports/entries?host=" + URLEncoder.encode(host, StandardCharsets.UTF_8),
                Role.REVIEWER);
        List<AcceptedEntry> entries = new ArrayList<>();
        for (JsonNode e : answer.path("entries")) {
            entries.add(new AcceptedEntry(e.path("instance").asText(), e.path("cidr").asText(),
                    e.path("suggestionId").asText(null), e.path("acceptedBy").asText(),
                    Instant.parse(e.path("acceptedAt").asText()), e.path("comment").asText(null),
                    e.path("evidence").asText("")));
        }
        PrintWriter out = spec.commandLine().getOut();
        Secret token = tokenFile == null ? null : secret();
        try {
            GitRemote remote = new GitRemote(repo, sshKeyFile, knownHostsFile,
                    kind == ForgeKind.GITLAB ? "oauth2" : null,
                    repo.toLowerCase(Locale.ROOT).startsWith("https://") ? token : null, defaultBranch, httpsCaFile);
            GitExporter git = new GitExporter(remote, cacheDirectory(), new GeneratedFile(pathTemplate),
                    "opencode-egress-tuner", "opencode-egress-tuner@localhost");
            ExportPlan plan = git.plan(new HostExport(host, entries));
            if (dryRun) {
                printDryRun(out, host, plan.change().name().toLowerCase(Locale.ROOT), plan.diff(),
                        PullRequestBody.title(plan),
                        kind == null ? null : PullRequestBody.body(plan, kind, null), null);
                out.println("Dry run: nothing was changed.");
                out.flush();
                return 0;
            }
            git.push(plan);
            StringBuilder line = new StringBuilder(host).append(": ")
                    .append(plan.change() == ExportPlan.Change.COMMIT ? "committed" : "unchanged").append(" (")
                    .append(plan.change().name().toLowerCase(Locale.ROOT)).append(')');
            if (plan.commit() != null) {
                line.append(", commit ").append(plan.commit().name(), 0, 12);
            }
            if (kind != null) {
                URI url = forgeUrl != null ? forgeUrl : URI.create(kind == ForgeKind.GITLAB
                        ? "https://gitlab.com/api/v4" : "https://api.github.com");
                PullRequestSync sync = new PullRequestSync(Forge.of(kind, url, forgeRepo, token), null);
                PullRequestSync.Outcome outcome = sync.sync(plan);
                line.append(", pull request ").append(outcome.result().name().toLowerCase(Locale.ROOT));
                outcome.pullRequest().map(PullRequest::url).ifPresent(u -> line.append(' ').append(u));
            }
            out.println(line);
            out.flush();
            return 0;
        } catch (ExportException | IllegalArgumentException e) {
            throw CliException.input(Secret.redact(e.getMessage(), token), null);
        }
    }

    private Secret secret() {
        try {
            return Secret.fromFile(tokenFile, "--token-file");
        } catch (IllegalArgumentException e) {
            throw CliException.usage(e.getMessage());
        }
    }

    private static Path cacheDirectory() {
        String home = System.getProperty("user.home");
        return Path.of(home, ".cache", "opencode-egress-tuner", "export-cache");
    }

    private static void printDryRun(PrintWriter out, String host, String change, String diff, String title,
            String body, String error) {
        out.println("== " + host + ": " + change);
        if (error != null) {
            out.println("error: " + error);
            return;
        }
        out.print(diff.isEmpty() ? "(no change to the generated file)\n" : diff);
        out.println("-- pull request: " + title);
        if (body != null) {
            out.print(body);
        } else {
            out.println("(no forge configured: the branch is pushed, no pull request is opened)");
        }
    }
}
