package dev.opencode.tuner.dashboards;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The rules with Debian's promtool ({@code prometheus} in build/debian-packages.txt): they load, their unit tests
 * pass, and those tests show every alert both firing and not firing. Every alert carries a summary, a description
 * and a runbook link to a section of dashboards/README.md.
 */
class PrometheusRulesTest {
    private static final DashboardFiles FILES = DashboardFiles.locate();

    @Test
    void promtoolAcceptsTheRules() {
        String out = promtool("check", "rules", FILES.rulesFile().toString());
        assertThat(out).contains("SUCCESS: " + FILES.rules().size() + " rules found");
    }

    @Test
    void promtoolUnitTestsPass() {
        String out = promtool("test", "rules", FILES.rulesTestFile().getFileName().toString());
        assertThat(out).contains("SUCCESS");
    }

    @Test
    void everyAlertIsTestedFiringAndNotFiring() {
        Set<String> firing = new HashSet<>();
        Set<String> silent = new HashSet<>();
        for (JsonNode test : DashboardFiles.readYaml(FILES.rulesTestFile()).path("tests")) {
            for (JsonNode check : test.path("alert_rule_test")) {
                String name = check.path("alertname").asText();
                (check.path("exp_alerts").isEmpty() ? silent : firing).add(name);
            }
        }
        List<String> alerts = FILES.rules().stream().filter(DashboardFiles.Rule::alert).map(DashboardFiles.Rule::name)
                .toList();
        assertThat(alerts).hasSizeGreaterThanOrEqualTo(13);
        assertThat(firing).as("alerts tested firing").containsAll(alerts);
        assertThat(silent).as("alerts tested not firing").containsAll(alerts);
    }

    @Test
    void everyAlertHasASummaryADescriptionAndARunbookSection() throws IOException {
        String readme = Files.readString(FILES.root().resolve("README.md"));
        for (DashboardFiles.Rule rule : FILES.rules()) {
            if (!rule.alert()) {
                assertThat(rule.name()).as("recording rule name").matches("tuner:[a-z0-9_]+:[a-z0-9_]+");
                continue;
            }
            JsonNode a = rule.annotations();
            assertThat(a.path("summary").asText()).as(rule.name() + " summary").isNotBlank();
            assertThat(a.path("description").asText()).as(rule.name() + " description").contains("{{ $");
            assertThat(a.path("runbook").asText()).as(rule.name() + " runbook")
                    .isEqualTo("dashboards/README.md#" + rule.name().toLowerCase());
            assertThat(readme).as("runbook section of " + rule.name()).contains("### " + rule.name() + "\n");
        }
    }

    /** Runs promtool in the rules' directory and returns its output; fails with the output when it exits non-zero. */
    static String promtool(String... args) {
        Path promtool = Path.of("/usr/bin/promtool");
        assertThat(promtool).as("promtool (Debian package prometheus, in build/debian-packages.txt): apt-get install"
                + " prometheus").isExecutable();
        try {
            ProcessBuilder pb = new ProcessBuilder(promtool.toString());
            pb.command().addAll(List.of(args));
            Process p = pb.directory(FILES.rulesFile().getParent().toFile()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("promtool finished").isTrue();
            assertThat(p.exitValue()).as("promtool %s exit status; output:%n%s", String.join(" ", args), out)
                    .isZero();
            return out;
        } catch (IOException e) {
            throw new AssertionError("cannot run promtool", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
