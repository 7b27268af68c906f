package dev.opencode.tuner.cli.export;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opencode.tuner.cli.Tuner;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code ./tuner export}'s flag checks, which fail before any service is asked (exit 2, the flag named). The export
 * itself runs against the real policy service in policy/app's ExportApiTest.
 */
class ExportCommandTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
        "--host ../etc; --host: host '../etc' cannot be exported",
        "--forge github --forge-repo o/r; go with --repo; without --repo the policy service uses its own configuration",
        "--repo /tmp/x; --repo needs --host",
        "--repo /tmp/x --host h --forge bitbucket; --forge: 'bitbucket' is not a forge: use github, gitlab or gitea",
        "--repo /tmp/x --host h --forge github; --forge needs --forge-repo OWNER/NAME and --token-file F",
        "--repo /tmp/x --host h --forge gitea --forge-repo o/r --token-file /tmp/t; --forge gitea needs --forge-url",
        "--repo /tmp/x --host h --forge-repo o/r; --forge-url and --forge-repo need --forge",
        "--known-hosts-file /tmp/k; go with --repo",
        "--repo /tmp/x --host h --https-ca-file /nonexistent/ca.pem; --https-ca-file: cannot read the CA file "
                + "/nonexistent/ca.pem"})
    void usageErrorsExitTwoNamingTheFlag(String args, String message) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] argv = ("export --state-dir " + dir + " " + args).split(" ");

        int code = Tuner.run(new PrintWriter(out), new PrintWriter(err), argv);

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains(message);
    }

    @Test
    void withoutARunningServiceItSaysHowToStartOne() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();

        int code = Tuner.run(new PrintWriter(out), new PrintWriter(err), "export", "--state-dir", dir.toString());

        assertThat(code).isEqualTo(1);
        assertThat(err.toString()).contains("the policy service is not running").contains("./tuner up");
    }
}
