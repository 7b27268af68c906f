package dev.opencode.tuner.export;

import dev.opencode.tuner.blocked.Untrusted;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.eclipse.jgit.transport.URIish;

/**
 * The operator's repository and how to reach it.
 *
 * @param uri a local path, {@code file://}, {@code ssh://} or {@code user@host:path}, or {@code https://} (never with
 *        a password in it: the token comes from {@code httpsToken})
 * @param sshKeyFile the private key for SSH, or null for the user's own {@code ~/.ssh}
 * @param knownHostsFile the known_hosts file for SSH, or null for the user's own; hosts are checked strictly
 * @param httpsUser the user name sent with the HTTPS token ({@code x-access-token} for GitHub, {@code oauth2} for
 *        GitLab, any name for Gitea)
 * @param httpsToken the HTTPS token, or null
 * @param defaultBranch the branch pull requests go into, or null to take the remote's HEAD
 * @param httpsCaFile PEM certificates of the authorities the HTTPS server's certificate must chain to, instead of the
 *        JDK's trusted roots (git's {@code http.sslCAInfo}, for a private CA), or null for the JDK's
 */
public record GitRemote(String uri, Path sshKeyFile, Path knownHostsFile, String httpsUser, Secret httpsToken,
        String defaultBranch, Path httpsCaFile) {

    public GitRemote {
        if (uri == null || uri.isBlank()) {
            throw new IllegalArgumentException("repository is empty: give a path, file://, ssh:// or https:// URL");
        }
        String lower = uri.toLowerCase(Locale.ROOT);
        if (lower.startsWith("http://")) {
            throw new IllegalArgumentException("repository " + Untrusted.quote(uri)
                    + " uses plain http: use https:// (the token must not travel in clear text), ssh:// or a path");
        }
        URIish parsed;
        try {
            parsed = new URIish(uri);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("repository " + Untrusted.quote(uri)
                    + " is neither a path nor a git URL: give a path, file://, ssh:// or https:// URL");
        }
        if (parsed.getPass() != null) {
            throw new IllegalArgumentException("repository URL carries a password: remove it and use a token file");
        }
        if (sshKeyFile != null && !Files.isReadable(sshKeyFile)) {
            throw new IllegalArgumentException("SSH key file " + sshKeyFile + " is not readable");
        }
        if (knownHostsFile != null && !Files.isReadable(knownHostsFile)) {
            throw new IllegalArgumentException("known_hosts file " + knownHostsFile + " is not readable: write the "
                    + "server's host key into it (ssh-keyscan, checked against what the server's admin says)");
        }
        httpsUser = httpsUser == null || httpsUser.isBlank() ? "x-access-token" : httpsUser;
        if (defaultBranch != null && defaultBranch.isBlank()) {
            defaultBranch = null;
        }
        if (httpsCaFile != null) {
            CaCertificates.read(httpsCaFile, "HTTPS CA file");
        }
    }

    /** A remote whose HTTPS server, if any, has a certificate from a CA the JDK trusts. */
    public GitRemote(String uri, Path sshKeyFile, Path knownHostsFile, String httpsUser, Secret httpsToken,
            String defaultBranch) {
        this(uri, sshKeyFile, knownHostsFile, httpsUser, httpsToken, defaultBranch, null);
    }

    /** A repository reached without credentials: a path or a {@code file://} URL. */
    public static GitRemote local(String uri) {
        return new GitRemote(uri, null, null, null, null, null, null);
    }

    /** The URI as it may be shown: never holds the token (the record refuses passwords in URLs). */
    @Override
    public String toString() {
        return uri;
    }
}
