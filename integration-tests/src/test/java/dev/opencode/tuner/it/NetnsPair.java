package dev.opencode.tuner.it;

import java.util.List;

/**
 * Two network namespaces joined by a veth pair: a client, where the instance user's traffic starts and the test's
 * nftables rules apply, and a peer holding the destinations. Needs root. Close it to delete both.
 */
final class NetnsPair implements AutoCloseable {
    final String client;
    final String peer;

    /**
     * Creates both namespaces and the link ({@code clientLink} in the client, {@code peerLink} in the peer), gives
     * each end its addresses ({@code ADDRESS/LEN}; IPv6 without duplicate address detection, so they are usable at
     * once) and brings the links and the client's loopback up.
     */
    NetnsPair(String client, String peer, String clientLink, String peerLink, List<String> clientAddresses,
              List<String> peerAddresses) {
        this.client = client;
        this.peer = peer;
        try {
            Sh.ok("ip", "netns", "add", client);
            Sh.ok("ip", "netns", "add", peer);
            Sh.ok("ip", "link", "add", clientLink, "netns", client, "type", "veth", "peer", "name", peerLink,
                    "netns", peer);
            addresses(client, clientLink, clientAddresses);
            addresses(peer, peerLink, peerAddresses);
            Sh.ok("ip", "-n", client, "link", "set", clientLink, "up");
            Sh.ok("ip", "-n", peer, "link", "set", peerLink, "up");
            Sh.ok("ip", "-n", client, "link", "set", "lo", "up");
        } catch (RuntimeException | Error e) {
            close(); // half a pair would outlive the test: nobody else holds its names
            throw e;
        }
    }

    private static void addresses(String namespace, String link, List<String> addresses) {
        for (String a : addresses) {
            if (a.contains(":")) {
                Sh.ok("ip", "-n", namespace, "-6", "addr", "add", a, "dev", link, "nodad");
            } else {
                Sh.ok("ip", "-n", namespace, "addr", "add", a, "dev", link);
            }
        }
    }

    /** Runs a Python script in the client namespace as {@code uid} (no supplementary groups); requires exit 0. */
    void pythonAs(int uid, String script) {
        Sh.ok("ip", "netns", "exec", client, "setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups",
                "/usr/bin/python3", "-c", script);
    }

    @Override
    public void close() {
        Sh.quietly("ip", "netns", "del", client);
        Sh.quietly("ip", "netns", "del", peer);
    }
}
