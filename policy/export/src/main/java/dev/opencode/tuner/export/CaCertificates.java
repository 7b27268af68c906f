package dev.opencode.tuner.export;

import java.io.IOException;
import java.io.InputStream;
import java.net.Proxy;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import org.eclipse.jgit.transport.http.HttpConnection;
import org.eclipse.jgit.transport.http.HttpConnectionFactory;
import org.eclipse.jgit.transport.http.JDKHttpConnectionFactory;

/**
 * The certificate authorities an HTTPS remote's certificate must chain to, read from a PEM file: what git calls
 * {@code http.sslCAInfo}, for a forge behind a private CA. Like git, the file replaces the JDK's trusted roots for
 * that remote rather than adding to them.
 */
public final class CaCertificates {
    private final Path file;
    private final TrustManager[] trustManagers;

    private CaCertificates(Path file, TrustManager[] trustManagers) {
        this.file = file;
        this.trustManagers = trustManagers;
    }

    /**
     * Reads every certificate of a PEM (or DER) file.
     *
     * @param what how the caller names the file in errors (a config key or a flag)
     * @throws IllegalArgumentException naming {@code what} and the file when it cannot be read or holds no certificate
     */
    public static CaCertificates read(Path file, String what) {
        Collection<? extends Certificate> certificates;
        try (InputStream in = Files.newInputStream(file)) {
            certificates = CertificateFactory.getInstance("X.509").generateCertificates(in);
        } catch (IOException e) {
            throw new IllegalArgumentException(what + ": cannot read the CA file " + file + " ("
                    + e.getClass().getSimpleName() + "): make it readable by this user");
        } catch (CertificateException e) {
            throw new IllegalArgumentException(what + ": the CA file " + file + " is not a PEM certificate list ("
                    + e.getMessage() + "): give the CA certificate(s) that signed the server's certificate, in PEM");
        }
        List<X509Certificate> x509 = new ArrayList<>();
        for (Certificate c : certificates) {
            if (c instanceof X509Certificate x) {
                x509.add(x);
            }
        }
        if (x509.isEmpty()) {
            throw new IllegalArgumentException(what + ": the CA file " + file + " holds no certificate: give the CA "
                    + "certificate(s) that signed the server's certificate, in PEM");
        }
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            for (int i = 0; i < x509.size(); i++) {
                store.setCertificateEntry("ca-" + i, x509.get(i));
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            return new CaCertificates(file, factory.getTrustManagers());
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException(what + ": the certificates of " + file + " cannot be trusted ("
                    + e.getMessage() + ")");
        }
    }

    /** JGit's JDK connections, each trusting only these authorities (hosts are still verified against the name). */
    HttpConnectionFactory connections() {
        JDKHttpConnectionFactory jdk = new JDKHttpConnectionFactory();
        // A plain HttpConnectionFactory, not a HttpConnectionFactory2: TransportHttp then opens no GitSession of its
        // own, whose TLS setup would replace this one.
        return new HttpConnectionFactory() {
            @Override
            public HttpConnection create(URL url) throws IOException {
                return create(url, null);
            }

            @Override
            public HttpConnection create(URL url, Proxy proxy) throws IOException {
                HttpConnection connection = jdk.create(url, proxy);
                if ("https".equalsIgnoreCase(url.getProtocol())) {
                    try {
                        connection.configure(null, trustManagers, null);
                    } catch (GeneralSecurityException e) {
                        throw new IOException("cannot set up TLS with the CA file " + file + ": " + e.getMessage());
                    }
                }
                return connection;
            }
        };
    }

    @Override
    public String toString() {
        return file.toString();
    }
}
