package dev.opencode.tuner.policy.app.auth;

import io.restassured.RestAssured;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 requests to the service under test from a chosen loopback source address (127.0.0.2, 127.0.0.3, ...), so
 * that one test can play several clients: the JDK's and RestAssured's clients cannot choose their source address.
 */
final class RawHttp {
    record Answer(int status, Map<String, String> headers, String body) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private RawHttp() {
    }

    static Answer basic(String from, String path, String account, String password) {
        return basic(from, path, account, password, "");
    }

    /** With extra header lines, each ending in CRLF. */
    static Answer basic(String from, String path, String account, String password, String headers) {
        String credentials = Base64.getEncoder().encodeToString((account + ":" + password)
                .getBytes(StandardCharsets.UTF_8));
        return send(from, "GET " + path + " HTTP/1.1\r\nAuthorization: Basic " + credentials + "\r\n" + headers, "");
    }

    static Answer form(String from, String account, String password) {
        String body = "j_username=" + account + "&j_password=" + password;
        return send(from, "POST /j_security_check HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n", body);
    }

    private static Answer send(String from, String head, String body) {
        try (Socket socket = new Socket()) {
            socket.bind(new InetSocketAddress(from, 0));
            socket.connect(new InetSocketAddress("127.0.0.1", RestAssured.port), 5_000);
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write((head + "Host: 127.0.0.1:" + RestAssured.port + "\r\nConnection: close\r\n\r\n" + body)
                    .getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = socket.getInputStream();
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            int end = text.indexOf("\r\n\r\n");
            String[] lines = text.substring(0, end).split("\r\n");
            Map<String, String> headers = new LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                headers.put(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT),
                        lines[i].substring(colon + 1).strip());
            }
            return new Answer(Integer.parseInt(lines[0].split(" ")[1]), headers, text.substring(end + 4));
        } catch (IOException e) {
            throw new UncheckedIOException("request from " + from + " failed: " + e.getMessage(), e);
        }
    }
}
