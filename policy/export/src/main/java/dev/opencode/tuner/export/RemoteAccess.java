package dev.opencode.tuner.export;

import java.io.File;
import java.util.List;
import java.util.Objects;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.net.ssl.SSLException;
import org.eclipse.jgit.api.TransportConfigCallback;
import org.eclipse.jgit.transport.CredentialsProvider;
import org.eclipse.jgit.transport.SshTransport;
import org.eclipse.jgit.transport.Transport;
import org.eclipse.jgit.transport.TransportHttp;
import org.eclipse.jgit.transport.URIish;
import org.eclipse.jgit.transport.UsernamePasswordCredentialsProvider;
import org.eclipse.jgit.transport.sshd.SshdSessionFactory;
import org.eclipse.jgit.transport.sshd.SshdSessionFactoryBuilder;

/**
 * How {@link GitExporter} reaches the operator's remote: the HTTPS token, the SSH key and known_hosts file, and the
 * HTTPS CA file, set on each JGit transport; and, when a fetch or push fails, the message that says what went wrong
 * and what to do, with the token redacted.
 */
final class RemoteAccess {
    /**
     * The JDK's HttpURLConnection, under JGit's HTTPS transport, logs every request header at FINE: the Authorization
     * header too, which holds the token. Pinned at INFO, so that a debug level on the root logger cannot put the token
     * into a log (held in a field: java.util.logging forgets the level of a logger nobody references).
     */
    private static final Logger JDK_HTTP_LOG = quiet("sun.net.www.protocol.http.HttpURLConnection");

    /** Apache MINA sshd's key file parsers hex-dump the private key file they read at TRACE: pinned at INFO too. */
    private static final Logger SSHD_KEY_LOG = quiet("org.apache.sshd.common.config.keys.loader");

    private final GitRemote remote;

    RemoteAccess(GitRemote remote) {
        this.remote = Objects.requireNonNull(remote);
    }

    private static Logger quiet(String name) {
        Logger logger = Logger.getLogger(name);
        logger.setLevel(Level.INFO);
        return logger;
    }

    String redactedMessage(String message) {
        return message == null ? "" : " (" + Secret.redact(message, remote.httpsToken()) + ")";
    }

    ExportException failure(String what, Exception e) {
        // The cause is not attached: a transport exception's message can hold a URL; only its redacted text is kept.
        String jgit = e.getClass().getSimpleName() + ": " + e.getMessage();
        String hint = hint(e);
        return new ExportException(Secret.redact(what + " failed: " + (hint == null ? jgit : hint + " (" + jgit + ")"),
                remote.httpsToken()));
    }

    /**
     * What went wrong and what to do, for the failures an operator meets when setting a remote up (host key, SSH key,
     * token, certificate), or null. JGit's own words are terse ("Server key did not validate", "not authorized").
     */
    private String hint(Throwable e) {
        String where = where();
        for (Throwable t = e; t != null; t = t.getCause()) {
            String message = String.valueOf(t.getMessage());
            if (t instanceof SSLException) {
                return "the TLS certificate of " + where + " is not trusted (" + message + "): "
                        + (remote.httpsCaFile() == null
                                ? "it does not chain to a CA the JDK trusts; for a private CA, set the HTTPS CA file "
                                        + "to its certificate (PEM)"
                                : "it does not chain to a certificate of the CA file " + remote.httpsCaFile()
                                        + "; put the CA that signed it there (PEM)")
                        + "; the token was not sent";
            }
            if (message.contains("Server key did not validate")) {
                String file = remote.knownHostsFile() == null ? "~/.ssh/known_hosts"
                        : remote.knownHostsFile().toString();
                return "the SSH host key of " + where + " is not the one the known_hosts file " + file
                        + " lists for it (the host is missing there, or its key changed: a new server, or someone in "
                        + "between): compare the key's fingerprint with the one the server's admin publishes, then "
                        + "fix the file; no key was offered, nothing was fetched or pushed";
            }
            if (message.contains("Cannot log in at") || message.contains("No more authentication methods")) {
                String key = remote.sshKeyFile() == null ? "the keys of ~/.ssh" : "the SSH key " + remote.sshKeyFile();
                return where + " refused " + key + " for user " + userOf(remote.uri())
                        + ": give that key (its .pub) write access to the repository, e.g. as a "
                        + "deploy key, or set the SSH key file to a key that has it";
            }
            if (message.contains("not authorized") || message.contains("Authentication is required")) {
                return remote.httpsToken() == null
                        ? where + " wants credentials: set the HTTPS token file (a token with write access)"
                        : where + " refused the token of user " + remote.httpsUser() + " (HTTP 401): check that the "
                                + "token file holds a current token with write access to the repository, and the "
                                + "user name (GitHub: x-access-token, GitLab: oauth2)";
            }
        }
        return null;
    }

    /** The server as host:port, or the URI when it has no host. */
    private String where() {
        try {
            URIish uri = new URIish(remote.uri());
            if (uri.getHost() == null) {
                return remote.uri();
            }
            return "the server " + uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "");
        } catch (java.net.URISyntaxException e) {
            return remote.uri();
        }
    }

    private static String userOf(String uri) {
        try {
            String user = new URIish(uri).getUser();
            return user == null ? System.getProperty("user.name") : user;
        } catch (java.net.URISyntaxException e) {
            return "?";
        }
    }

    CredentialsProvider credentials() {
        return remote.httpsToken() == null ? null
                : new UsernamePasswordCredentialsProvider(remote.httpsUser(), remote.httpsToken().reveal());
    }

    TransportConfigCallback transportConfig() {
        return this::configure;
    }

    void configure(Transport transport) {
        CredentialsProvider credentials = credentials();
        if (credentials != null) {
            transport.setCredentialsProvider(credentials);
        }
        if (transport instanceof SshTransport ssh && (remote.sshKeyFile() != null || remote.knownHostsFile() != null)) {
            ssh.setSshSessionFactory(sshSessions());
        }
        if (transport instanceof TransportHttp http && remote.httpsCaFile() != null) {
            try {
                // Read again for each connection: a renewed CA file is taken without a restart.
                http.setHttpConnectionFactory(CaCertificates.read(remote.httpsCaFile(), "HTTPS CA file").connections());
            } catch (IllegalArgumentException e) {
                throw new ExportException(e.getMessage());
            }
        }
    }

    private SshdSessionFactory sshSessions() {
        File home = new File(System.getProperty("user.home"));
        SshdSessionFactoryBuilder builder = new SshdSessionFactoryBuilder()
                .setHomeDirectory(home)
                .setSshDirectory(new File(home, ".ssh"));
        if (remote.sshKeyFile() != null) {
            builder.setDefaultIdentities(ignored -> List.of(remote.sshKeyFile()));
        }
        if (remote.knownHostsFile() != null) {
            builder.setDefaultKnownHostsFiles(ignored -> List.of(remote.knownHostsFile()));
        }
        return builder.build(null);
    }
}
