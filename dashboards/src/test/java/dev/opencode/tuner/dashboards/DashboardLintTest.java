package dev.opencode.tuner.dashboards;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The conventions of dashboards/README.md, checked on every shipped dashboard. */
class DashboardLintTest {
    private static final DashboardFiles FILES = DashboardFiles.locate();
    /** Grafana 11.3 to 12 write 39..41; 41 is Grafana 12's classic model. */
    static final int SCHEMA_VERSION = 41;

    private static List<JsonNode> dashboards() {
        List<JsonNode> out = new ArrayList<>();
        for (Path file : FILES.dashboardFiles()) {
            out.add(DashboardFiles.readJson(file));
        }
        assertThat(out).hasSize(3);
        return out;
    }

    @Test
    void everyDashboardHasAFixedUniqueUidAndTheCurrentSchemaWithoutInputs() {
        Set<String> uids = new HashSet<>();
        for (JsonNode d : dashboards()) {
            String uid = d.path("uid").asText();
            assertThat(uid).as("uid of '%s'", d.path("title").asText()).matches("[a-z0-9-]{1,40}");
            assertThat(uids.add(uid)).as("uid %s used twice", uid).isTrue();
            assertThat(d.has("__inputs")).as("%s has __inputs (an export for sharing, not provisioning)", uid)
                    .isFalse();
            assertThat(d.has("__requires")).as("%s has __requires", uid).isFalse();
            assertThat(d.path("schemaVersion").asInt()).as("%s schemaVersion", uid).isEqualTo(SCHEMA_VERSION);
            assertThat(d.path("id").isMissingNode() || d.path("id").isNull()).as("%s has a database id", uid)
                    .isTrue();
        }
        assertThat(uids).containsExactlyInAnyOrder("opencode-egress-overview", "opencode-egress-instance",
                "opencode-egress-pipeline");
    }

    @Test
    void datasourcesAreTemplateVariablesNeverFixedUids() {
        for (JsonNode d : dashboards()) {
            String uid = d.path("uid").asText();
            Set<String> variables = new HashSet<>();
            for (JsonNode v : d.path("templating").path("list")) {
                variables.add(v.path("name").asText());
                if (v.path("type").asText().equals("datasource")) {
                    assertThat(v.path("name").asText()).isIn("datasource", "postgres");
                    assertThat(v.path("query").asText()).isEqualTo(v.path("name").asText().equals("datasource")
                            ? "prometheus" : "grafana-postgresql-datasource");
                }
            }
            assertThat(variables).as("%s variables", uid).contains("datasource");
            for (JsonNode panel : DashboardFiles.panels(d)) {
                List<JsonNode> sources = new ArrayList<>(List.of(panel.path("datasource")));
                panel.path("targets").forEach(t -> sources.add(t.path("datasource")));
                for (JsonNode ds : sources) {
                    String ref = ds.path("uid").asText();
                    assertThat(ref).as("%s panel %s datasource", uid, panel.path("id")).isIn("${datasource}",
                            "${postgres}");
                    assertThat(variables).contains(ref.substring(2, ref.length() - 1));
                }
            }
            for (JsonNode v : d.path("templating").path("list")) {
                if (v.path("type").asText().equals("query")) {
                    assertThat(v.path("datasource").path("uid").asText()).isIn("${datasource}", "${postgres}");
                }
            }
        }
    }

    @Test
    void everyPanelHasAUnitADescriptionAndAStableUniqueId() {
        for (JsonNode d : dashboards()) {
            Set<Integer> ids = new HashSet<>();
            for (JsonNode panel : DashboardFiles.panels(d)) {
                String where = d.path("uid").asText() + " panel '" + panel.path("title").asText() + "'";
                assertThat(panel.path("id").isInt()).as(where + " id").isTrue();
                assertThat(panel.path("id").asInt()).as(where + " id").isPositive();
                assertThat(ids.add(panel.path("id").asInt())).as(where + " id is not unique").isTrue();
                assertThat(panel.path("title").asText()).as(where + " title").isNotBlank();
                assertThat(panel.path("description").asText()).as(where + " description").hasSizeGreaterThan(20);
                assertThat(panel.path("fieldConfig").path("defaults").path("unit").asText()).as(where + " unit")
                        .isNotBlank();
                assertThat(panel.path("targets").size()).as(where + " targets").isPositive();
            }
        }
    }

    @Test
    void panelsStayInsideTheGridAndNeverOverlap() {
        for (JsonNode d : dashboards()) {
            List<JsonNode> panels = DashboardFiles.panels(d);
            for (JsonNode p : panels) {
                JsonNode g = p.path("gridPos");
                assertThat(g.path("x").asInt() + g.path("w").asInt()).as("panel %s right edge", p.path("id"))
                        .isLessThanOrEqualTo(24);
                assertThat(g.path("w").asInt()).isPositive();
                assertThat(g.path("h").asInt()).isPositive();
                assertThat(g.path("x").asInt()).isNotNegative();
                assertThat(g.path("y").asInt()).isNotNegative();
            }
            for (int i = 0; i < panels.size(); i++) {
                for (int j = i + 1; j < panels.size(); j++) {
                    assertThat(overlap(panels.get(i).path("gridPos"), panels.get(j).path("gridPos")))
                            .as("%s: panels %s and %s overlap", d.path("uid").asText(), panels.get(i).path("id"),
                                    panels.get(j).path("id")).isFalse();
                }
            }
        }
    }

    @Test
    void theLintCatchesOverlapsAndUnitsIsNotVacuous() {
        JsonNode a = DashboardFiles.readJson(FILES.dashboardFiles().get(0)).path("panels").get(0).path("gridPos");
        assertThat(overlap(a, a)).isTrue();
        assertThat(FILES.queries()).isNotEmpty();
    }

    @Test
    void everyMetricAndRuleTheDashboardsUseIsDocumentedInTheReadme() throws IOException {
        String readme = Files.readString(FILES.root().resolve("README.md"));
        Set<String> names = new TreeSet<>();
        Pattern metric = Pattern.compile("\\b(tuner(?:_[a-z0-9]+)+|tuner:[a-z0-9_:]+)\\b");
        List<String> texts = new ArrayList<>();
        FILES.queries().forEach(q -> texts.add(q.text()));
        FILES.rules().forEach(r -> texts.add(r.expr()));
        for (String text : texts) {
            Matcher m = metric.matcher(text);
            while (m.find()) {
                names.add(m.group(1).replaceAll("_(bucket|count|sum)$", ""));
            }
        }
        assertThat(names).isNotEmpty();
        for (String name : names) {
            assertThat(readme).as("dashboards/README.md documents %s", name).contains("`" + name);
        }
    }

    @Test
    void provisioningPointsAtTheDashboardsAndNamesNoPassword() throws IOException {
        JsonNode providers = DashboardFiles.readYaml(FILES.root().resolve("provisioning/dashboards.yaml"));
        assertThat(providers.path("providers").get(0).path("type").asText()).isEqualTo("file");
        JsonNode datasources = DashboardFiles.readYaml(FILES.root().resolve("provisioning/datasources.yaml"));
        Set<String> types = new HashSet<>();
        for (JsonNode ds : datasources.path("datasources")) {
            types.add(ds.path("type").asText());
            String password = ds.path("secureJsonData").path("password").asText("");
            assertThat(password.isEmpty() || password.startsWith("$__file{")).as("password of %s comes from a file",
                    ds.path("name").asText()).isTrue();
        }
        assertThat(types).containsExactlyInAnyOrder("prometheus", "grafana-postgresql-datasource");
    }

    static boolean overlap(JsonNode a, JsonNode b) {
        int ax = a.path("x").asInt();
        int ay = a.path("y").asInt();
        int bx = b.path("x").asInt();
        int by = b.path("y").asInt();
        return ax < bx + b.path("w").asInt() && bx < ax + a.path("w").asInt()
                && ay < by + b.path("h").asInt() && by < ay + a.path("h").asInt();
    }
}
