package dev.opencode.tuner.dashboards;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The shipped dashboards and rules as data: every query of every panel and template variable, every rule expression,
 * and the substitution of Grafana's variables and macros, so that tests run exactly what Grafana and Prometheus
 * would run.
 */
public final class DashboardFiles {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final YAMLMapper YAML = new YAMLMapper();

    /** Which language a query is in, by its datasource. */
    public enum Language { PROMQL, SQL }

    /**
     * One query of a dashboard: a panel target ({@code panelId} > 0) or a template variable ({@code panelId} 0,
     * {@code refId} the variable's name).
     */
    public record Query(String dashboard, int panelId, String panelTitle, String refId, Language language,
                        String text) {
        /** {@code "<dashboard uid> panel <id> '<title>' <refId>"}, for messages. */
        public String where() {
            return dashboard + (panelId == 0 ? " variable " + refId : " panel " + panelId + " '" + panelTitle + "' "
                    + refId);
        }
    }

    /** One rule of the rules file: a recording rule ({@code record}) or an alert. */
    public record Rule(String group, String name, boolean alert, String expr, JsonNode annotations) {
    }

    private final Path root;

    private DashboardFiles(Path root) {
        this.root = root;
    }

    /**
     * The {@code dashboards/} directory: {@code -Dtuner.dashboards.dir}, else {@code <tuner.root>/dashboards}, else
     * the first {@code dashboards/} with a {@code grafana/} directory in the working directory or its parents.
     */
    public static DashboardFiles locate() {
        String explicit = System.getProperty("tuner.dashboards.dir");
        if (explicit != null) {
            return at(Path.of(explicit));
        }
        String projectRoot = System.getProperty("tuner.root");
        if (projectRoot != null) {
            return at(Path.of(projectRoot, "dashboards"));
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("dashboards").resolve("grafana"))) {
                return at(p.resolve("dashboards"));
            }
        }
        throw new IllegalStateException("no dashboards/grafana directory in " + Path.of("").toAbsolutePath()
                + " or its parents; set -Dtuner.dashboards.dir");
    }

    public static DashboardFiles at(Path dashboardsDirectory) {
        if (!Files.isDirectory(dashboardsDirectory.resolve("grafana"))) {
            throw new IllegalStateException(dashboardsDirectory + " has no grafana/ directory");
        }
        return new DashboardFiles(dashboardsDirectory.toAbsolutePath().normalize());
    }

    public Path root() {
        return root;
    }

    /** The Grafana dashboard JSON files, sorted by name. */
    public List<Path> dashboardFiles() {
        try (Stream<Path> files = Files.list(root.resolve("grafana"))) {
            return files.filter(f -> f.getFileName().toString().endsWith(".json")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path rulesFile() {
        return root.resolve("prometheus").resolve("opencode-egress-tuner.rules.yml");
    }

    public Path rulesTestFile() {
        return root.resolve("prometheus").resolve("opencode-egress-tuner.rules.test.yml");
    }

    public static JsonNode readJson(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    public static JsonNode readYaml(Path file) {
        try {
            return YAML.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** Every query of every dashboard: panel targets and query variables. */
    public List<Query> queries() {
        List<Query> out = new ArrayList<>();
        for (Path file : dashboardFiles()) {
            out.addAll(queries(readJson(file)));
        }
        return out;
    }

    /** The queries of one dashboard. */
    public static List<Query> queries(JsonNode dashboard) {
        String uid = dashboard.path("uid").asText();
        List<Query> out = new ArrayList<>();
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            if (variable.path("type").asText().equals("query")) {
                out.add(new Query(uid, 0, "", variable.path("name").asText(),
                        language(variable.path("datasource")), variable.path("query").asText()));
            }
        }
        for (JsonNode panel : panels(dashboard)) {
            for (JsonNode target : panel.path("targets")) {
                JsonNode ds = target.has("datasource") ? target.get("datasource") : panel.path("datasource");
                Language language = language(ds);
                String text = language == Language.SQL ? target.path("rawSql").asText() : target.path("expr").asText();
                out.add(new Query(uid, panel.path("id").asInt(), panel.path("title").asText(),
                        target.path("refId").asText(), language, text));
            }
        }
        return out;
    }

    /** The panels of a dashboard, those inside collapsed rows included. */
    public static List<JsonNode> panels(JsonNode dashboard) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            out.add(panel);
            for (JsonNode inner : panel.path("panels")) {
                out.add(inner);
            }
        }
        return out;
    }

    private static Language language(JsonNode datasource) {
        String type = datasource.path("type").asText();
        return switch (type) {
            case "prometheus" -> Language.PROMQL;
            case "grafana-postgresql-datasource", "postgres" -> Language.SQL;
            default -> throw new IllegalArgumentException("unknown datasource type '" + type + "'");
        };
    }

    /** Every recording rule and alert of the rules file. */
    public List<Rule> rules() {
        List<Rule> out = new ArrayList<>();
        for (JsonNode group : readYaml(rulesFile()).path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                boolean alert = rule.has("alert");
                out.add(new Rule(group.path("name").asText(), alert ? rule.get("alert").asText()
                        : rule.path("record").asText(), alert, rule.path("expr").asText(), rule.path("annotations")));
            }
        }
        return out;
    }

    private static final Pattern VARIABLE = Pattern.compile("\\$\\{(\\w+)}|\\$(\\w+)");

    /**
     * PromQL as Grafana sends it: {@code $__rate_interval} and {@code $__interval} become {@code rateInterval},
     * {@code $__range} becomes {@code range}, other {@code $name} / {@code ${name}} the given values.
     */
    public static String promql(String expr, String rateInterval, String range, Map<String, String> variables) {
        String out = expr.replace("$__rate_interval", rateInterval).replace("$__interval", rateInterval)
                .replace("$__range", range);
        return substitute(out, variables);
    }

    private static final Pattern TIME_FILTER = Pattern.compile("\\$__timeFilter\\(([^()]*(?:\\([^()]*\\))?[^()]*)\\)");

    /**
     * SQL as Grafana's PostgreSQL datasource sends it: {@code $__timeFilter(col)} becomes
     * {@code col BETWEEN '<from>' AND '<to>'}, {@code $__timeFrom()} / {@code $__timeTo()} the bounds, other variables
     * the given values (the SQL quotes them itself, as Grafana expects for single-value variables).
     */
    public static String sql(String text, Instant from, Instant to, Map<String, String> variables) {
        Matcher m = TIME_FILTER.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(m.group(1).strip() + " BETWEEN '" + from + "' AND '"
                    + to + "'"));
        }
        m.appendTail(out);
        String s = out.toString().replace("$__timeFrom()", "'" + from + "'").replace("$__timeTo()", "'" + to + "'");
        return substitute(s, variables);
    }

    private static String substitute(String text, Map<String, String> variables) {
        Matcher m = VARIABLE.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String name = m.group(1) != null ? m.group(1) : m.group(2);
            String value = variables.get(name);
            if (value == null) {
                throw new IllegalArgumentException("no value for the variable $" + name + " in: " + text);
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }
}
