package dev.opencode.tuner.cli.suggest;

import static dev.opencode.tuner.journal.JournalFixture.T0_USEC;
import static dev.opencode.tuner.journal.JournalFixture.tcpLine;
import static dev.opencode.tuner.journal.JournalFixture.udp6Line;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opencode.tuner.blocked.JournalEntries;
import dev.opencode.tuner.cli.Tuner;
import dev.opencode.tuner.journal.Journal;
import dev.opencode.tuner.journal.JournalFixture;
import dev.opencode.tuner.nix.NixInstantiate;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SuggestCommandTest {
    @TempDir
    Path dir;

    record Run(int code, String out, String err) {
        JsonNode json() throws Exception {
            return new ObjectMapper().readTree(out);
        }
    }

    static Run tuner(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Tuner.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Run(code, out.toString(), err.toString());
    }

    private Path journal(JournalFixture fx) throws Exception {
        Path d = Files.createTempDirectory(dir, "j");
        fx.writeJournal(d.resolve("system.journal"));
        return d;
    }

    private static List<String> cidrs(JsonNode instance) {
        List<String> list = new ArrayList<>();
        instance.get("suggestions").forEach(s -> list.add(s.get("cidr").asText()));
        return list;
    }

    private static JsonNode instance(JsonNode root, String host, String name) {
        for (JsonNode i : root.get("instances")) {
            if (i.get("host").asText().equals(host) && i.get("instance").asText().equals(name)) {
                return i;
            }
        }
        throw new AssertionError("no instance " + host + "/" + name + " in " + root);
    }

    private static Map<String, byte[]> missedReport(String transport, int count) {
        Map<String, byte[]> fields = new LinkedHashMap<>();
        fields.put("_TRANSPORT", transport.getBytes(StandardCharsets.UTF_8));
        fields.put("_HOSTNAME", "web-1".getBytes(StandardCharsets.UTF_8));
        fields.put("MESSAGE_ID", JournalEntries.MISSED_MESSAGE_ID.getBytes(StandardCharsets.UTF_8));
        fields.put("MESSAGE", ("Missed " + count + " kernel messages").getBytes(StandardCharsets.UTF_8));
        return fields;
    }

    @Test
    void readsTheBundledSampleWhenAskedWhateverTheMachinesJournalHolds() throws Exception {
        System.setProperty("tuner.cache", dir.resolve("cache").toString());
        try {
            Run run = tuner("suggest", "--sample", "--format", "json");
            Run nix = tuner("suggest", "--sample", "--format", "nix", "--host", SampleJournal.HOST);

            assertThat(run.code()).as(run.err()).isZero();
            JsonNode root = run.json();
            assertThat(root.get("instances")).isNotEmpty();
            root.get("instances").forEach(i -> assertThat(i.get("host").asText()).isEqualTo(SampleJournal.HOST));
            assertThat(run.err()).doesNotContain("no readable system journal"); // asked for: no notice
            assertThat(nix.code()).as(nix.err()).isZero();
            assertThat(nix.out()).contains("outboundAllowCidrs");
            assertThat(tuner("suggest", "--sample", "--journal").code()).as("one input only").isEqualTo(2);
        } finally {
            System.clearProperty("tuner.cache");
        }
    }

    @Test
    void suggestsPerInstanceFromKernelEntriesOnly() throws Exception {
        JournalFixture fx = new JournalFixture().host("web-1");
        for (int last : new int[] {3, 4, 5, 6, 6}) {
            fx.kernel(tcpLine("web", "10.0.0.2", "140.82.112." + last, 443, 991));
        }
        fx.kernel(tcpLine("web", "10.0.0.2", "151.101.0.223", 443, 991));
        fx.kernel(tcpLine("web", "10.0.0.2", "169.254.169.254", 80, 991));
        fx.kernel(udp6Line("docs", "2001:0db8:0000:0000:0000:0000:0000:0002",
                "2606:50c0:8000:0000:0000:0000:0000:0154", 53));
        fx.entry("stdout", tcpLine("web", "10.0.0.2", "203.0.113.66", 4444, 991)); // spoofed
        fx.entry("syslog", tcpLine("docs", "10.0.0.2", "198.51.100.9", 22, 992)); // spoofed
        fx.kernel("opencode-web-blocked: IN= OUT=eth0 SRC=10.0.0.2 DST=10.0.0.300 PROTO=TCP "); // malformed
        fx.kernel("eth0: link up"); // unrelated
        fx.add(missedReport("driver", 3)); // journald's own report: counted
        fx.add(missedReport("journal", 1000)); // a userspace copy with journald's MESSAGE_ID: not counted
        Run run = tuner("suggest", "--journal-dir", journal(fx).toString(), "--format", "json");

        assertThat(run.code()).as(run.err()).isZero();
        JsonNode root = run.json();
        assertThat(root.get("missedKernelMessages").asLong()).isEqualTo(3);
        JsonNode web = instance(root, "web-1", "web");
        assertThat(cidrs(web)).containsExactly("140.82.112.0/24", "151.101.0.223/32");
        assertThat(web.get("events").asLong()).isEqualTo(7);
        JsonNode group = web.get("suggestions").get(0);
        assertThat(group.get("addresses")).hasSize(4);
        assertThat(group.get("opens").asLong()).isEqualTo(256);
        assertThat(group.get("events").asLong()).isEqualTo(5);
        assertThat(group.get("ports").toString()).isEqualTo("[443]");
        assertThat(group.get("protocols").toString()).isEqualTo("[\"tcp\"]");
        assertThat(group.get("firstSeen").asText()).isEqualTo(Journal.usecToInstant(T0_USEC).toString());
        assertThat(web.get("refused").get(0).get("address").asText()).isEqualTo("169.254.169.254");
        assertThat(web.get("refused").get(0).get("reason").asText()).contains("metadata");
        assertThat(cidrs(instance(root, "web-1", "docs"))).containsExactly("2606:50c0:8000::154/128");
        assertThat(root.toString()).doesNotContain("203.0.113.66").doesNotContain("198.51.100.9");
        assertThat(root.at("/skipped/spoofed").asLong()).isEqualTo(2);
        assertThat(root.at("/skipped/malformed").asLong()).isEqualTo(1);
        assertThat(root.at("/malformedSamples/0/reason").asText()).contains("DST=");
        assertThat(root.at("/input/transport").asText()).isEqualTo("kernel");
    }

    @Test
    void fieldsForgedInTheLogPrefixAreMalformedCountedAndNeverSuggested() throws Exception {
        // A log rule's author writes the instance's destination and uid into the prefix; the kernel's own fields
        // follow, hidden behind an unclosed bracket or glued to the last forged token.
        String kernel = "IN= OUT=eth0 SRC=10.99.0.2 DST=192.0.2.9 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=1 DF PROTO=TCP "
                + "SPT=40000 DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0 ";
        JournalFixture fx = new JournalFixture().host("web-1")
                .kernel(tcpLine("web", "10.0.0.2", "151.101.0.223", 443, 991))
                .kernel("opencode-web-blocked: IN= OUT=eth0 SRC=10.0.0.2 DST=6.6.6.6 PROTO=TCP SPT=1 DPT=443 "
                        + "UID=991 GID=991 [" + kernel)
                .kernel("opencode-web-blocked: IN=x UID=991 GID=991 X" + kernel);

        Run run = tuner("suggest", "--journal-dir", journal(fx).toString(), "--format", "json");

        assertThat(run.code()).as(run.err()).isZero();
        JsonNode root = run.json();
        assertThat(cidrs(instance(root, "web-1", "web"))).containsExactly("151.101.0.223/32");
        assertThat(root.at("/skipped/malformed").asLong()).isEqualTo(2);
        assertThat(root.at("/malformedSamples/0/reason").asText()).contains("log prefix");
        assertThat(root.at("/malformedSamples/1/reason").asText()).contains("log prefix");
        assertThat(root.get("instances").toString()).doesNotContain("6.6.6.6").doesNotContain("192.0.2.9");
        Run text = tuner("suggest", "--journal-dir", journal(fx).toString());
        assertThat(text.out()).contains("2 malformed").contains("'OUT=' appears twice");
    }

    @Test
    void withoutSpoofScanSpoofedLinesAreStillNeverSuggested() throws Exception {
        JournalFixture fx = new JournalFixture()
                .entry("journal", tcpLine("web", "10.0.0.2", "203.0.113.66", 4444, 991))
                .kernel(tcpLine("web", "10.0.0.2", "198.51.100.1", 443, 991));
        Run run = tuner("suggest", "--journal-dir", journal(fx).toString(), "--format", "json", "--no-spoof-scan");
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(cidrs(instance(run.json(), "web-1", "web"))).containsExactly("198.51.100.1/32");
        assertThat(run.json().at("/skipped/spoofed").asLong()).isZero();
    }

    @Test
    void neverMergesDestinationsOfDifferentHosts() throws Exception {
        JournalFixture fx = new JournalFixture().host("a");
        fx.kernel(tcpLine("web", "10.0.0.2", "192.0.2.1", 443, 1)).kernel(tcpLine("web", "10.0.0.2", "192.0.2.2", 443, 1));
        fx.host("b");
        fx.kernel(tcpLine("web", "10.0.0.2", "192.0.2.3", 443, 1)).kernel(tcpLine("web", "10.0.0.2", "192.0.2.4", 443, 1));
        Path d = journal(fx);
        Run run = tuner("suggest", "--journal-dir", d.toString(), "--format", "json");
        assertThat(cidrs(instance(run.json(), "a", "web"))).containsExactly("192.0.2.1/32", "192.0.2.2/32");
        assertThat(cidrs(instance(run.json(), "b", "web"))).containsExactly("192.0.2.3/32", "192.0.2.4/32");

        Run nix = tuner("suggest", "--journal-dir", d.toString(), "--format", "nix");
        assertThat(nix.code()).isEqualTo(2);
        assertThat(nix.err()).contains("2 hosts: a, b").contains("--host");
        Run one = tuner("suggest", "--journal-dir", d.toString(), "--format", "nix", "--host", "b");
        assertThat(one.code()).as(one.err()).isZero();
        assertThat(evalNix(one.out())).isEqualTo(
                "{\"services\":{\"opencode\":{\"instances\":{\"web\":{\"networkIsolation\":"
                        + "{\"outboundAllowCidrs\":[\"192.0.2.3/32\",\"192.0.2.4/32\"]}}}}}}");
    }

    @Test
    void filtersByInstanceAndSince() throws Exception {
        JournalFixture fx = new JournalFixture()
                .kernel(tcpLine("web", "10.0.0.2", "192.0.2.1", 443, 1))
                .kernel(tcpLine("docs", "10.0.0.2", "192.0.2.2", 443, 1))
                .at(T0_USEC + 3_600_000_000L)
                .kernel(tcpLine("web", "10.0.0.2", "192.0.2.3", 443, 1));
        Path d = journal(fx);
        Run run = tuner("suggest", "--journal-dir", d.toString(), "--format", "json", "--instance", "web",
                "--since", Journal.usecToInstant(T0_USEC + 1_800_000_000L).toString());
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.json().get("instances")).hasSize(1);
        assertThat(cidrs(instance(run.json(), "web-1", "web"))).containsExactly("192.0.2.3/32");
    }

    @Test
    void readsRepeatedJournalFiles() throws Exception {
        Path a = new JournalFixture().kernel(tcpLine("web", "10.0.0.2", "192.0.2.1", 443, 1))
                .writeJournal(dir.resolve("a/a.journal"));
        Path b = new JournalFixture().at(T0_USEC + 1_000_000).kernel(tcpLine("web", "10.0.0.2", "192.0.2.9", 443, 1))
                .writeJournal(dir.resolve("b/b.journal"));
        Run run = tuner("suggest", "--journal-file", a.toString(), "--journal-file", b.toString(), "--format", "json");
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(cidrs(instance(run.json(), "web-1", "web"))).containsExactly("192.0.2.1/32", "192.0.2.9/32");
    }

    @Test
    void existingAllowlistIsSubtracted() throws Exception {
        Path d = journal(new JournalFixture()
                .kernel(tcpLine("web", "10.0.0.2", "192.0.2.1", 443, 1))
                .kernel(tcpLine("web", "10.0.0.2", "198.51.100.7", 443, 1)));
        Path allow = Files.writeString(dir.resolve("allow.nix"), """
                { ... }: {
                  services.opencode.instances."web".networkIsolation.outboundAllowCidrs = [ "192.0.2.0/24" ];
                }
                """);
        Run run = tuner("suggest", "--journal-dir", d.toString(), "--format", "json", "--allowlist", allow.toString());
        assertThat(run.code()).as(run.err()).isZero();
        JsonNode web = instance(run.json(), "web-1", "web");
        assertThat(cidrs(web)).containsExactly("198.51.100.7/32");
        assertThat(web.at("/alreadyAllowed/0/address").asText()).isEqualTo("192.0.2.1");

        Path bad = Files.writeString(dir.resolve("bad.nix"), "{ ... }: { services.opencode.instances.web"
                + ".networkIsolation.outboundAllowCidrs = [ \"192.0.2.1/24\" ]; }");
        Run refused = tuner("suggest", "--journal-dir", d.toString(), "--allowlist", bad.toString());
        assertThat(refused.code()).isEqualTo(1);
        assertThat(refused.err()).contains("did you mean 192.0.2.0/24");
    }

    @Test
    void plainTextKernelLogsOfEveryCommonShape() throws Exception {
        String line = tcpLine("web", "10.0.0.2", "192.0.2.1", 443, 1);
        Path log = Files.writeString(dir.resolve("kern.log"), String.join("\n",
                "[  812.345678] " + line,
                "[Wed Nov 25 10:00:01 2026] " + tcpLine("web", "10.0.0.2", "192.0.2.2", 443, 1),
                "Nov 25 10:00:02 web-7 kernel: " + tcpLine("web", "10.0.0.2", "192.0.2.3", 443, 1),
                "2026-11-25T10:00:03+0000 web-7 kernel: " + tcpLine("web", "10.0.0.2", "192.0.2.4", 443, 1),
                "2026-11-25T10:00:04.123456+00:00 web-7 kernel: [ 99.1] " + tcpLine("web", "10.0.0.2", "192.0.2.5", 443, 1),
                "2026-11-25T10:00:05+00:00 web-7 myagent[123]: " + tcpLine("web", "10.0.0.2", "203.0.113.66", 22, 1),
                "Nov 25 10:00:06 web-7 kernel: usb 1-1: new device",
                line.replace("DST=192.0.2.1", "DST=bogus"),
                "") + "\n");
        Run run = tuner("suggest", "--kernel-log", log.toString(), "--format", "json", "--host", "web-7");
        assertThat(run.code()).as(run.err()).isZero();
        JsonNode root = run.json();
        // .4 and .5 are exactly 192.0.2.4/31: the minimal set merges them without opening anything more.
        assertThat(cidrs(instance(root, "web-7", "web"))).containsExactly("192.0.2.3/32", "192.0.2.4/31");
        assertThat(root.at("/input/transport").asText()).isEqualTo("unknown");
        assertThat(root.at("/skipped/spoofed").asLong()).isEqualTo(1);
        assertThat(root.at("/skipped/malformed").asLong()).isEqualTo(1);
        assertThat(root.at("/skipped/otherHosts").asLong()).isEqualTo(2);

        Run text = tuner("suggest", "--kernel-log", log.toString(), "--host", "web-7");
        assertThat(text.out()).contains("transport: unknown").contains("192.0.2.3/32");
    }

    @Test
    void dmesgLinesWithoutWallClockRejectSince() throws Exception {
        Path log = Files.writeString(dir.resolve("dmesg.txt"),
                "[  1.000000] " + tcpLine("web", "10.0.0.2", "192.0.2.1", 443, 1) + "\n");
        Run run = tuner("suggest", "--kernel-log", log.toString(), "--since", "1h");
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("no wall-clock time").contains("dmesg -T");
    }

    @Test
    void usageErrorsExitTwoWithAMessageNamingTheFlag() throws Exception {
        Path d = journal(new JournalFixture().kernel(tcpLine("web", "10.0.0.2", "192.0.2.1", 443, 1)));
        Run both = tuner("suggest", "--journal-dir", d.toString(), "--kernel-log", "-");
        assertThat(both.code()).isEqualTo(2);
        assertThat(both.err()).contains("mutually exclusive");
        Run min = tuner("suggest", "--journal-dir", d.toString(), "--min-addresses", "1");
        assertThat(min.code()).isEqualTo(2);
        assertThat(min.err()).contains("--min-addresses must be at least 2");
        Run prefix = tuner("suggest", "--journal-dir", d.toString(), "--prefix4", "8");
        assertThat(prefix.code()).isEqualTo(2);
        assertThat(prefix.err()).contains("--prefix4");
        Run name = tuner("suggest", "--journal-dir", d.toString(), "--instance", "Web_1");
        assertThat(name.code()).isEqualTo(2);
        assertThat(name.err()).contains("--instance 'Web_1'");
        Run since = tuner("suggest", "--journal-dir", d.toString(), "--since", "last tuesday");
        assertThat(since.code()).isEqualTo(2);
        assertThat(since.err()).contains("--since 'last tuesday'").contains("today");
        Run deny = tuner("suggest", "--journal-dir", d.toString(), "--deny", "10.0.0.1/8");
        assertThat(deny.code()).isEqualTo(2);
        assertThat(deny.err()).contains("did you mean 10.0.0.0/8");
        Run format = tuner("suggest", "--journal-dir", d.toString(), "--format", "yaml");
        assertThat(format.code()).isEqualTo(2);
        assertThat(format.err()).contains("--format").contains("text, json, nix");
    }

    @Test
    void unreadableInputsExitOneWithoutAStackTrace() throws Exception {
        Run missing = tuner("suggest", "--journal-dir", dir.resolve("nope").toString());
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).contains("nope").doesNotContain("Exception").doesNotContain("\tat ");
        Path empty = Files.createDirectories(dir.resolve("empty"));
        Run none = tuner("suggest", "--journal-dir", empty.toString());
        assertThat(none.code()).isEqualTo(1);
        assertThat(none.err()).contains("no readable journal files");
        Run file = tuner("suggest", "--kernel-log", dir.resolve("missing.log").toString());
        assertThat(file.code()).isEqualTo(1);
        assertThat(file.err()).contains("missing.log");
    }

    @Test
    void deniedByFlagIsRefusedWithItsReason() throws Exception {
        Path d = journal(new JournalFixture().kernel(tcpLine("web", "10.0.0.2", "192.0.2.1", 443, 1)));
        Run run = tuner("suggest", "--journal-dir", d.toString(), "--format", "json", "--deny", "192.0.2.0/24");
        JsonNode web = instance(run.json(), "web-1", "web");
        assertThat(web.get("suggestions")).isEmpty();
        assertThat(web.at("/refused/0/deniedBy").asText()).isEqualTo("192.0.2.0/24");
    }

    @Test
    void textFormatIsGroupedWithASummary() throws Exception {
        Path d = journal(new JournalFixture().kernel(tcpLine("web", "10.0.0.2", "192.0.2.1", 443, 1))
                .kernel(tcpLine("web", "10.0.0.2", "169.254.169.254", 80, 1)));
        Run run = tuner("suggest", "--journal-dir", d.toString());
        assertThat(run.code()).isZero();
        assertThat(run.out()).contains("web-1 / web: 2 blocked events to 2 destinations")
                .containsPattern("allow +192\\.0\\.2\\.1/32 +1 event ")
                .containsPattern("refuse +169\\.254\\.169\\.254")
                .contains("Summary: 1 suggestion, 1 refused, for 1 instance on 1 host.");
    }

    @Test
    void everyJournalctlTextFormatIsReadAndUnknownFormatsAreCountedNotDropped() throws Exception {
        Path log = Files.writeString(dir.resolve("formats.log"), String.join("\n",
                "Nov 25 10:00:02.123456 web-7 kernel: " + tcpLine("web", "10.0.0.2", "192.0.2.1", 443, 1),
                "[  812.345678] web-7 kernel: " + tcpLine("web", "10.0.0.2", "192.0.2.3", 443, 1),
                "Wed 2026-11-25 10:00:03 UTC web-7 kernel: " + tcpLine("web", "10.0.0.2", "192.0.2.5", 443, 1),
                "2026-13-45T10:00:03+0000 web-7 kernel: " + tcpLine("web", "10.0.0.2", "192.0.2.7", 443, 1),
                "<4>Nov 25 something " + tcpLine("web", "10.0.0.2", "192.0.2.9", 443, 1),
                "") + "\n");
        Run run = tuner("suggest", "--kernel-log", log.toString(), "--format", "json", "--min-addresses", "9");
        assertThat(run.code()).as(run.err()).isZero();
        JsonNode web = instance(run.json(), "web-7", "web");
        assertThat(cidrs(web)).containsExactly("192.0.2.1/32", "192.0.2.3/32", "192.0.2.5/32", "192.0.2.7/32");
        // short-monotonic and an impossible date carry no usable wall clock: time unknown, never "now".
        JsonNode third = web.get("suggestions").get(1);
        assertThat(third.get("firstSeen").isNull()).isTrue();
        assertThat(web.get("suggestions").get(2).get("firstSeen").asText()).isEqualTo("2026-11-25T10:00:03Z");
        assertThat(run.json().at("/skipped/malformed").asLong()).isEqualTo(1);
        assertThat(run.json().at("/malformedSamples/0/reason").asText()).contains("unrecognised line format");
    }

    @Test
    void sinceOutOfRangeIsAUsageErrorNotACrash() throws Exception {
        Path d = journal(new JournalFixture().kernel(tcpLine("web", "10.0.0.2", "192.0.2.1", 443, 1)));
        for (String since : new String[] {"99999999999999999999d", "+999999999-01-01", "2026-02-30"}) {
            Run run = tuner("suggest", "--journal-dir", d.toString(), "--since", since);
            assertThat(run.code()).as(since + ": " + run.err()).isEqualTo(2);
            assertThat(run.err()).contains("--since").doesNotContain("\tat ");
        }
    }

    @Test
    void parameterErrorsAreOneLinePlusAHint() {
        Run run = tuner("suggest", "--min-addresses", "many");
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err().strip().lines()).hasSize(2);
        assertThat(run.err()).contains("--min-addresses").contains("see: ./tuner suggest --help");
    }

    @Test
    void aFailedWriteExitsOneInsteadOfLeavingATruncatedPatch() throws Exception {
        Path d = journal(new JournalFixture().kernel(tcpLine("web", "10.0.0.2", "192.0.2.1", 443, 1)));
        java.io.OutputStream broken = new java.io.OutputStream() {
            @Override
            public void write(int b) throws java.io.IOException {
                throw new java.io.IOException("No space left on device");
            }
        };
        StringWriter err = new StringWriter();
        int code = Tuner.run(new PrintWriter(broken), new PrintWriter(err), "suggest", "--journal-dir", d.toString(),
                "--format", "nix");
        assertThat(code).isEqualTo(1);
        assertThat(err.toString()).contains("cannot write the output");
    }

    @Test
    void anAllowlistThatIsNotAListIsRejectedBeforeTheJournalIsRead() throws Exception {
        Path allow = Files.writeString(dir.resolve("allow.nix"), "{ ... }: { services.opencode.instances.web"
                + ".networkIsolation.outboundAllowCidrs = \"192.0.2.0/24\"; }");
        Run run = tuner("suggest", "--journal-dir", dir.resolve("does-not-exist").toString(), "--allowlist",
                allow.toString());
        assertThat(run.code()).isEqualTo(1);
        assertThat(run.err()).contains("is not a list");
    }

    @Test
    void anAllowlistCannotReadFilesOutsideItsDirectoryNorEchoTheirText() throws Exception {
        String secret = "tuner-secret-" + java.util.UUID.randomUUID();
        Path secretFile = Files.writeString(dir.resolve("secret.txt"), secret + "\n");
        Path modules = Files.createDirectory(dir.resolve("pr"));
        Path outside = Files.writeString(modules.resolve("outside.nix"), "{ ... }: { services.opencode.instances.web"
                + ".networkIsolation.outboundAllowCidrs = [ (builtins.readFile " + secretFile + ") ]; }");
        Files.copy(secretFile, modules.resolve("inner.txt"));
        Path inside = Files.writeString(modules.resolve("inside.nix"), "{ ... }: { services.opencode.instances.web"
                + ".networkIsolation.outboundAllowCidrs = [ (throw (builtins.readFile ./inner.txt)) ]; }");
        Path value = Files.writeString(modules.resolve("value.nix"), "{ ... }: { services.opencode.instances.web"
                + ".networkIsolation.outboundAllowCidrs = [ (builtins.readFile ./inner.txt) ]; }");
        JournalFixture fx = new JournalFixture().kernel(tcpLine("web", "10.0.0.2", "192.0.2.1", 443, 1));
        Path journal = journal(fx);

        Run out = tuner("suggest", "--journal-dir", journal.toString(), "--allowlist", outside.toString());
        Run in = tuner("suggest", "--journal-dir", journal.toString(), "--allowlist", inside.toString());
        Run val = tuner("suggest", "--journal-dir", journal.toString(), "--allowlist", value.toString());

        assertThat(List.of(out, in, val)).allSatisfy(r -> {
            assertThat(r.code()).isEqualTo(1);
            assertThat(r.out() + r.err()).doesNotContain(secret);
        });
        assertThat(out.err()).contains("outside its own directory");
        assertThat(in.err()).contains("does not evaluate as an allowlist module").contains("not shown");
        assertThat(val.err()).contains("instance 'web' has an entry that is not a CIDR").contains("not shown");
    }

    @Test
    void hostNamesFromLogsCannotInjectTerminalEscapes() throws Exception {
        Path log = Files.writeString(dir.resolve("esc.log"),
                "Nov 25 10:00:02 evil\u001b[2J kernel: " + tcpLine("web", "10.0.0.2", "192.0.2.1", 443, 1) + "\n");
        Run run = tuner("suggest", "--kernel-log", log.toString());
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.out()).doesNotContain("\u001b").contains("evil\\u001B[2J / web");
    }

    @Test
    void formatCharactersInHostNamesAreShownEscapedAndJsonStillMeansTheSame() throws Exception {
        // Shown raw, the right-to-left override makes this name read as "web-host-1": the wrong host to trust.
        String host = "web-\u202E1-tsoh\u200B";
        JournalFixture fx = new JournalFixture().host(host)
                .kernel(tcpLine("web", "10.0.0.2", "151.101.0.223", 443, 991));
        Path journal = journal(fx);

        Run text = tuner("suggest", "--journal-dir", journal.toString());
        Run json = tuner("suggest", "--journal-dir", journal.toString(), "--format", "json");

        assertThat(text.code()).as(text.err()).isZero();
        assertThat(text.out()).contains("web-\\u202E1-tsoh\\u200B / web").doesNotContain("\u202E")
                .doesNotContain("\u200B");
        assertThat(json.out()).contains("web-\\u202E1-tsoh\\u200B").doesNotContain("\u202E");
        assertThat(json.json().at("/instances/0/host").asText()).isEqualTo(host);
    }

    @Test
    void destinationsBeyondTheCapAreCountedReportedAndNeverSuggested() throws Exception {
        JournalFixture fx = new JournalFixture().host("web-1");
        for (int i = 1; i <= 5; i++) {
            fx.kernel(tcpLine("web", "10.0.0.2", "192.0.2." + i, 443, 991));
        }
        fx.kernel(tcpLine("web", "10.0.0.2", "192.0.2.1", 443, 991)); // a kept destination still counts
        fx.kernel(tcpLine("docs", "10.0.0.2", "198.51.100.1", 53, 992));
        Path journal = journal(fx);

        Run json = tuner("suggest", "--journal-dir", journal.toString(), "--max-destinations", "3", "--format", "json");
        Run text = tuner("suggest", "--journal-dir", journal.toString(), "--max-destinations", "3");
        Run zero = tuner("suggest", "--journal-dir", journal.toString(), "--max-destinations", "0");

        assertThat(json.code()).as(json.err()).isZero();
        JsonNode web = instance(json.json(), "web-1", "web");
        assertThat(web.get("destinations").asLong()).isEqualTo(3);
        assertThat(web.get("events").asLong()).isEqualTo(4);
        assertThat(json.json().get("capped").toString())
                .isEqualTo("[{\"host\":\"web-1\",\"instance\":\"web\",\"overflowEvents\":2}]");
        assertThat(json.json().at("/skipped/overflow").asLong()).isEqualTo(2);
        assertThat(json.json().at("/maxDestinationsPerInstance").asInt()).isEqualTo(3);
        assertThat(text.out()).contains("capped: 2 more events went to destinations beyond the first 3")
                .contains("Warning: 2 blocked events went to destinations beyond the cap of 3");
        assertThat(zero.code()).isEqualTo(2);
        assertThat(zero.err()).contains("--max-destinations 0 is not a count");
    }

    /**
     * An agent can make up any number of destinations: one million distinct ones, streamed through stdin into a CLI
     * JVM with a 64 MB heap, give the overflow message and no OutOfMemoryError. Without the cap the aggregates of the
     * million destinations need several hundred MB.
     */
    @Test
    void oneMillionDistinctDestinationsStayWithinASmallHeap() throws Exception {
        String javaCommand = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(javaCommand, "-Xmx64m", "-XX:+ExitOnOutOfMemoryError", "-cp",
                System.getProperty("java.class.path"), Tuner.class.getName(), "suggest", "--kernel-log", "-",
                "--format", "json").redirectError(ProcessBuilder.Redirect.DISCARD).start();
        Thread writer = new Thread(() -> {
            try (var in = new java.io.BufferedWriter(new java.io.OutputStreamWriter(p.getOutputStream(),
                    java.nio.charset.StandardCharsets.UTF_8), 1 << 16)) {
                for (int i = 0; i < 1_000_000; i++) {
                    in.write("Nov 25 10:00:02 web-1 kernel: " + tcpLine("web", "10.0.0.2",
                            "10." + (i >> 16) + "." + ((i >> 8) & 255) + "." + (i & 255), 443, 991) + "\n");
                }
            } catch (java.io.IOException e) {
                // the CLI died: its exit code says why
            }
        });
        writer.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
        writer.join();

        assertThat(p.exitValue()).as("exit code (3 would be an OutOfMemoryError)").isZero();
        JsonNode root = new ObjectMapper().readTree(out);
        assertThat(root.at("/input/blockedEvents").asLong()).isEqualTo(1_000_000);
        assertThat(root.at("/instances/0/destinations").asLong()).isEqualTo(10_000);
        assertThat(root.at("/skipped/overflow").asLong()).isEqualTo(990_000);
    }

    /** The module's value as compact JSON, evaluated by the real nix-instantiate. */
    static String evalNix(String module) throws Exception {
        Path file = Files.createTempFile("allow", ".nix");
        try {
            Files.writeString(file, module);
            return NixInstantiate.evalImport(file).toString();
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
