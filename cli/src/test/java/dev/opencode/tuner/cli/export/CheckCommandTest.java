package dev.opencode.tuner.cli.export;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opencode.tuner.cli.Tuner;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./tuner check} on modules written in the test, evaluated by the real nix-instantiate. */
class CheckCommandTest {
    record Run(int code, String out, String err) {
    }

    @TempDir
    Path dir;

    static Run tuner(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Tuner.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Run(code, out.toString(), err.toString());
    }

    Path module(String name, String body) throws Exception {
        Path file = dir.resolve(name);
        Files.writeString(file, "{ ... }:\n{\n" + body + "}\n");
        return file;
    }

    static String instance(String name, String... cidrs) {
        StringBuilder out = new StringBuilder("  services.opencode.instances.\"" + name
                + "\".networkIsolation.outboundAllowCidrs = [\n");
        for (String cidr : cidrs) {
            out.append("    \"").append(cidr).append("\"\n");
        }
        return out.append("  ];\n").toString();
    }

    @Test
    void cleanModulesExitZeroWithAOneLineSummary() throws Exception {
        Path a = module("a.nix", instance("web", "140.82.112.0/24", "2606:50c0:8000::154/128"));
        Path b = module("b.nix", instance("docs", "9.9.9.9/32", "10.20.0.0/16") + instance("api", "2001:db8::/48"));

        Run run = tuner("check", a.toString(), b.toString());

        assertThat(run.code()).isZero();
        assertThat(run.out()).isEqualTo("tuner check: 2 files, 5 entries, no findings\n");
    }

    @Test
    void eachFindingIsNamedWithFileInstanceAndEntry() throws Exception {
        Path file = module("bad.nix", instance("web", "140.82.112.0/24", "169.254.169.254/32", "10.0.0.0/8",
                "10.1.2.3/24", "2001:DB8::/48", "2001:db8::/32", "0.0.0.0/0", "127.0.0.1") + instance("docs", "::1/128"));

        Run run = tuner("check", file.toString());

        assertThat(run.code()).isEqualTo(1);
        List<String> lines = run.out().lines().toList();
        String web = file + ": instance 'web': entry ";
        assertThat(lines).containsExactly(
                file + ": instance 'docs': entry '::1/128': overlaps the denylist entry ::1/128 (loopback: the egress "
                        + "policy always accepts it, never list it)",
                web + "'169.254.169.254/32': overlaps the denylist entry 169.254.0.0/16 (link-local, home of cloud "
                        + "instance metadata (169.254.169.254))",
                web + "'10.0.0.0/8': broader than /16 (opens 2^24 addresses): list narrower blocks, or raise "
                        + "--max-prefix4",
                web + "'10.1.2.3/24': not a canonical CIDR: '10.1.2.3/24' has host bits set: did you mean 10.1.2.0/24?",
                web + "'2001:DB8::/48': not a canonical CIDR: '2001:DB8::/48' is not canonical: write 2001:db8::/48",
                web + "'2001:db8::/32': broader than /48 (opens 2^96 addresses): list narrower blocks, or raise "
                        + "--max-prefix6",
                web + "'0.0.0.0/0': broader than /16 (opens 2^32 addresses): list narrower blocks, or raise "
                        + "--max-prefix4",
                web + "'127.0.0.1': not a canonical CIDR: '127.0.0.1' is not canonical: write 127.0.0.1/32",
                "tuner check: 1 file, 9 entries, 8 findings");
    }

    @Test
    void limitsAndTheDenylistCanBeConfigured() throws Exception {
        Path file = module("a.nix", instance("web", "10.0.0.0/8", "192.168.1.0/24"));

        Run run = tuner("check", "--max-prefix4", "8", "--deny", "192.168.0.0/16", file.toString());

        assertThat(run.code()).isEqualTo(1);
        assertThat(run.out()).contains("'192.168.1.0/24': overlaps the denylist entry 192.168.0.0/16 (on the --deny list)")
                .doesNotContain("10.0.0.0/8'");
    }

    @Test
    void aFileThatDoesNotEvaluateIsAFindingAndInjectedNixIsNotRun() throws Exception {
        Path broken = dir.resolve("broken.nix");
        Files.writeString(broken, "{ ... }: { services = ");
        Path weird = dir.resolve("x\"; builtins.abort \"y.nix");
        Files.writeString(weird, "{ ... }: { }\n");
        Path nonString = module("n.nix", "  services.opencode.instances.web.networkIsolation.outboundAllowCidrs = [ 42 ];\n");

        Run run = tuner("check", broken.toString(), weird.toString(), nonString.toString());

        assertThat(run.code()).isEqualTo(1);
        assertThat(run.out()).contains(broken + ": does not evaluate as an allowlist module: ")
                .contains(nonString + ": instance 'web': an entry is not a string but a number (not shown)")
                .doesNotContain(weird + ":")
                .contains("tuner check: 3 files, 1 entry, 2 findings");
    }

    /** Modules of a pull request under check, each trying to get the text of {@code secret} into the CI log. */
    static List<String> leakingBodies(String secret) {
        String cidrs = "  services.opencode.instances.web.networkIsolation.outboundAllowCidrs = ";
        return List.of(
                cidrs + "[ (builtins.readFile " + secret + ") ];\n",
                cidrs + "[ (throw (builtins.readFile " + secret + ")) ];\n",
                cidrs + "[ (import " + secret + ") ];\n", // Nix prints a code frame of the imported file
                cidrs + "builtins.readFile " + secret + ";\n",
                "  services.opencode.instances.${builtins.readFile " + secret + "}.networkIsolation"
                        + ".outboundAllowCidrs = [ \"10.0.0.0/24\" ];\n",
                cidrs + "[ (assert builtins.readFile " + secret + " == \"\"; \"10.0.0.0/24\") ];\n");
    }

    @Test
    void aModuleCannotReadFilesOutsideItsDirectoryNorEchoThem() throws Exception {
        String secret = "tuner-secret-" + java.util.UUID.randomUUID();
        Path secretFile = Files.writeString(dir.resolve("secret.txt"), secret + "\n");
        Path modules = Files.createDirectory(dir.resolve("pr"));
        String hostname = Files.isReadable(Path.of("/etc/hostname"))
                ? Files.readString(Path.of("/etc/hostname")).strip() : "";
        List<String> args = new ArrayList<>(List.of("check"));
        int i = 0;
        for (String target : List.of(secretFile.toString(), "/etc/hostname")) {
            for (String body : leakingBodies(target)) {
                Path file = modules.resolve("m" + i++ + ".nix");
                Files.writeString(file, "{ ... }:\n{\n" + body + "}\n");
                args.add(file.toString());
            }
        }

        Run run = tuner(args.toArray(String[]::new));

        assertThat(run.code()).isEqualTo(1);
        assertThat(run.out() + run.err()).doesNotContain(secret);
        if (hostname.length() >= 4) {
            assertThat(run.out() + run.err()).doesNotContain(hostname);
        }
        assertThat(run.out().lines().filter(l -> l.contains("outside its own directory")).count()).isEqualTo(i);
        assertThat(run.out()).contains("tuner check: " + i + " files");
    }

    @Test
    void textOfFilesInsideItsDirectoryOrTheEnvironmentIsNeverEchoed() throws Exception {
        String secret = "tuner-secret-" + java.util.UUID.randomUUID();
        Files.writeString(dir.resolve("inner.txt"), secret + "\n");
        List<String> args = new ArrayList<>(List.of("check"));
        int i = 0;
        for (String body : leakingBodies("./inner.txt")) {
            args.add(module("m" + i++ + ".nix", body).toString());
        }
        args.add(module("env.nix", "  services.opencode.instances.web.networkIsolation.outboundAllowCidrs = "
                + "[ (builtins.getEnv \"PATH\") (builtins.getEnv \"HOME\") ];\n").toString());

        Run run = tuner(args.toArray(String[]::new));

        assertThat(run.code()).isEqualTo(1);
        assertThat(run.out() + run.err()).doesNotContain(secret).doesNotContain(System.getenv("PATH"));
        assertThat(run.out()).contains("m0.nix: instance 'web': an entry is not a CIDR: a string of "
                        + (secret.length() + 1) + " characters (not shown)")
                .contains("m1.nix: does not evaluate as an allowlist module: an evaluation error (such as a throw)")
                .contains("m2.nix: does not evaluate as an allowlist module: an undefined variable at ")
                .contains("m4.nix: instance named by a string of " + (secret.length() + 1)
                        + " characters (not shown): not a valid instance name")
                .contains("env.nix: instance 'web': an entry is not a CIDR: a string of 0 characters (not shown)");
    }

    @Test
    void usageErrorsExitTwo() throws Exception {
        Path ok = module("ok.nix", instance("web", "9.9.9.9/32"));
        List<Run> runs = new ArrayList<>();
        runs.add(tuner("check"));
        runs.add(tuner("check", dir.resolve("missing.nix").toString()));
        runs.add(tuner("check", "--max-prefix4", "33", ok.toString()));
        runs.add(tuner("check", "--deny", "10.0.0.1/8", ok.toString()));

        assertThat(runs).allSatisfy(r -> assertThat(r.code()).isEqualTo(2));
        assertThat(runs.get(1).err()).contains("missing.nix is not a readable file");
        assertThat(runs.get(2).err()).contains("--max-prefix4: 33 is not a prefix length: use 0..32");
        assertThat(runs.get(3).err()).contains("--deny: '10.0.0.1/8' has host bits set");
    }
}
