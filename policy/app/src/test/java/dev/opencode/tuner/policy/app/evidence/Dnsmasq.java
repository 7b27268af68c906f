package dev.opencode.tuner.policy.app.evidence;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.xbill.DNS.ReverseMap;

/**
 * A real dnsmasq (Debian's package) on a free loopback port, answering only from the records given: no upstream, no
 * hosts file, no configuration file. Reverse zones listed as local answer NXDOMAIN for names they do not hold.
 */
final class Dnsmasq implements AutoCloseable {
    private static final Path BINARY = Path.of("/usr/sbin/dnsmasq");

    private final Process process;
    private final int port;
    private final Path log;

    private Dnsmasq(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** Starts dnsmasq with these extra options ({@code --ptr-record=...}, {@code --local=/.../}). */
    static Dnsmasq start(List<String> options) throws IOException, InterruptedException {
        if (!Files.isExecutable(BINARY)) {
            throw new IllegalStateException(BINARY + " is missing: apt-get install dnsmasq (build/debian-packages.txt)");
        }
        Path log = Files.createTempFile("tuner-dnsmasq-", ".log");
        for (int attempt = 0; ; attempt++) {
            int port = freeUdpPort();
            List<String> command = new ArrayList<>(List.of(BINARY.toString(), "--keep-in-foreground",
                    "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--no-poll", "--bind-interfaces",
                    "--listen-address=127.0.0.1", "--port=" + port, "--pid-file=", "--user=root", "--log-queries",
                    "--log-facility=-"));
            command.addAll(options);
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            Dnsmasq dnsmasq = new Dnsmasq(process, port, log);
            if (dnsmasq.awaitListening()) {
                return dnsmasq;
            }
            dnsmasq.close();
            if (attempt == 2) {
                throw new IllegalStateException("dnsmasq did not start: " + Files.readString(log));
            }
        }
    }

    InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }

    String log() throws IOException {
        return Files.readString(log);
    }

    /**
     * The names of the queries of this type dnsmasq received so far, in order, from its query log ({@code
     * query[PTR] 7.113.0.203.in-addr.arpa from 127.0.0.1}). dnsmasq answers one query at a time and logs it before
     * answering, so a query that was sent before one listed here is listed too.
     */
    List<String> queries(String type) {
        String text;
        try {
            text = log();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Pattern line = Pattern.compile("query\\[" + Pattern.quote(type) + "\\] (\\S+) from ");
        List<String> names = new ArrayList<>();
        for (String l : text.lines().toList()) {
            Matcher m = line.matcher(l);
            if (m.find()) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    /** The reverse name of an address, as a PTR query asks for it ({@code 7.113.0.203.in-addr.arpa}). */
    static String reverseName(String address) {
        try {
            String name = ReverseMap.fromAddress(InetAddress.getByName(address)).toString();
            return name.substring(0, name.length() - 1); // dnsmasq logs names without the root's dot
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(address, e);
        }
    }

    private boolean awaitListening() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                return false;
            }
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return true; // dnsmasq listens on TCP and UDP together: TCP up means ready
            } catch (IOException e) {
                Thread.sleep(50);
            }
        }
        return false;
    }

    static int freeUdpPort() throws IOException {
        try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
