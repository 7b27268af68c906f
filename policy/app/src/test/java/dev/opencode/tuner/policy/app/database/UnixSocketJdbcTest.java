package dev.opencode.tuner.policy.app.database;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opencode.tuner.stack.PostgresServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The NixOS module's default database URL connects over PostgreSQL's Unix socket through junixsocket's socket
 * factory. Checked here against a real server's socket (with password authentication: peer authentication itself
 * is pg_hba's business and needs the service's OS user, which a test cannot be).
 */
class UnixSocketJdbcTest {
    @Test
    void pgjdbcConnectsThroughTheUnixSocketFactory() throws Exception {
        Path root = Files.createTempDirectory(Path.of("/tmp"), "policy-unix");
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (PostgresServer pg = PostgresServer.start(root.resolve("stack"))) {
            Path socket;
            try (Stream<Path> files = Files.list(root.resolve("stack/postgres/run"))) {
                socket = files.filter(p -> p.getFileName().toString().startsWith(".s.PGSQL.")
                        && !p.getFileName().toString().endsWith(".lock")).findFirst().orElseThrow();
            }
            String url = "jdbc:postgresql://localhost/" + PostgresServer.POLICY_DATABASE
                    + "?socketFactory=org.newsclub.net.unix.AFUNIXSocketFactory$FactoryArg&socketFactoryArg=" + socket;
            try (Connection c = DriverManager.getConnection(url, pg.credentials().user(), pg.credentials().password());
                 ResultSet r = c.createStatement().executeQuery("SELECT inet_server_addr() IS NULL")) {
                assertThat(r.next()).isTrue();
                assertThat(r.getBoolean(1)).as("connected over the Unix socket, not TCP").isTrue();
            }
        }
    }
}
