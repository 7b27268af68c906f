package dev.opencode.tuner.export;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Debian's OpenSSH server ({@code /usr/sbin/sshd}, package openssh-server) run by the test in the foreground on a free
 * loopback port, with a host key, sshd_config and authorized_keys of its own. Clients log in as the user running the
 * tests and run Debian's {@code git-upload-pack} and {@code git-receive-pack} on the repositories under the test's
 * directory.
 */
final class OpenSshServer implements AutoCloseable {
    static final Path SSHD = Path.of("/usr/sbin/sshd");

    final Path hostPublicKey;
    final int port;
    private final Process process;
    private final StringBuffer log;

    private OpenSshServer(Path hostPublicKey, int port, Process process, StringBuffer log) {
        this.hostPublicKey = hostPublicKey;
        this.port = port;
        this.process = process;
        this.log = log;
    }

    /** A key pair without passphrase made by Debian's ssh-keygen: {@code file} and {@code file.pub}. */
    static Path keyPair(Path file, String type) throws IOException, InterruptedException {
        run("ssh-keygen", "-q", "-t", type, "-N", "", "-C", "tuner-test", "-f", file.toString());
        return file;
    }

    /** Starts sshd accepting the public keys of {@code authorizedKeys} for the user running the tests. */
    static OpenSshServer start(Path dir, Path authorizedKeys) throws IOException, InterruptedException {
        if (!Files.isExecutable(SSHD)) {
            throw new IllegalStateException(SSHD + " is missing: install Debian's openssh-server (listed in "
                    + "build/debian-packages.txt, which ./tuner test and CI install as root)");
        }
        String user = System.getProperty("user.name");
        if ("root".equals(user)) {
            // Privilege separation: sshd started by root wants its empty chroot directory, which the Debian package
            // leaves to systemd's RuntimeDirectory; without systemd nothing makes it.
            Files.createDirectories(Path.of("/run/sshd"));
        }
        Path hostKey = keyPair(dir.resolve("ssh_host_ed25519_key"), "ed25519");
        IOException last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            int port = freePort();
            Path config = dir.resolve("sshd_config");
            Files.writeString(config, String.join("\n",
                    "ListenAddress 127.0.0.1:" + port,
                    "HostKey " + hostKey,
                    "PidFile none",
                    "AuthorizedKeysFile " + authorizedKeys,
                    "AllowUsers " + user,
                    "PermitRootLogin prohibit-password",
                    "PubkeyAuthentication yes",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "UsePAM no",
                    "StrictModes no",
                    "PrintMotd no",
                    "LogLevel VERBOSE",
                    ""));
            Process process = new ProcessBuilder(SSHD.toString(), "-D", "-e", "-f", config.toString())
                    .redirectErrorStream(true).start();
            StringBuffer log = new StringBuffer();
            CountDownLatch listening = new CountDownLatch(1);
            Thread reader = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = in.readLine()) != null; ) {
                        log.append(line).append('\n');
                        if (line.contains("Server listening on 127.0.0.1 port " + port)) {
                            listening.countDown();
                        }
                    }
                } catch (IOException e) {
                    log.append("(reading sshd's output failed: ").append(e).append(")\n");
                }
                listening.countDown();
            }, "sshd-log");
            reader.setDaemon(true);
            reader.start();
            listening.await(30, TimeUnit.SECONDS);
            if (process.isAlive() && log.toString().contains("Server listening")) {
                return new OpenSshServer(hostKey.resolveSibling(hostKey.getFileName() + ".pub"), port, process, log);
            }
            process.destroyForcibly().waitFor();
            last = new IOException("sshd did not start on 127.0.0.1:" + port + ":\n" + log);
            if (!log.toString().contains("Address already in use")) {
                break;
            }
        }
        throw last;
    }

    /** {@code ssh://USER@127.0.0.1:PORT/ABSOLUTE-PATH}. */
    String uri(Path repository) {
        return "ssh://" + System.getProperty("user.name") + "@127.0.0.1:" + port + repository.toAbsolutePath();
    }

    /** A known_hosts file holding {@code publicKey} (an OpenSSH {@code .pub} file) for this server's address. */
    Path knownHosts(Path file, Path publicKey) throws IOException {
        String[] key = Files.readString(publicKey).strip().split(" ");
        Files.writeString(file, "[127.0.0.1]:" + port + " " + key[0] + " " + key[1] + "\n");
        return file;
    }

    /** What sshd logged so far (connections, accepted and refused keys). */
    String log() {
        return log.toString();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    static void run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", command) + " failed (exit " + p.exitValue() + "):\n" + out);
        }
    }
}
