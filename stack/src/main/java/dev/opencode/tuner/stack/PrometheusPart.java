package dev.opencode.tuner.stack;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A local Prometheus ({@code ./tuner up --monitoring}), from Debian's {@code prometheus} package, scraping the stack's
 * collector and policy service at {@code /q/metrics} (the policy service's on its loopback management interface, not
 * its API port) with the project's rules loaded
 * ({@code dashboards/prometheus/opencode-egress-tuner.rules.yml}, copied into the state directory). Optional: started
 * only when asked for.
 */
final class PrometheusPart implements StackPart {
  static final String NAME = "prometheus";
  static final Path BINARY = Path.of("/usr/bin/prometheus");
  static final String DEBIAN_PACKAGE = "prometheus";
  static final String RULES = "opencode-egress-tuner.rules.yml";
  static final String COLLECTOR_JOB = "opencode-egress-collector";
  static final String POLICY_JOB = "opencode-egress-policy";
  static final Duration START_TIMEOUT = Duration.ofSeconds(60);

  @Override
  public String name() {
    return NAME;
  }

  static Path dir(StateLayout layout) {
    return layout.root().resolve(NAME);
  }

  static Path log(StateLayout layout) {
    return layout.logs().resolve(NAME + ".log");
  }

  @Override
  public List<Path> logFiles(StateLayout layout) {
    return List.of(log(layout));
  }

  @Override
  public StackState.PartRecord start(StateLayout layout, StackOptions options) {
    requireBinary(options);
    StackState state = StackState.load(layout);
    StackState.PartRecord collector = state.part(CollectorPart.NAME).orElseThrow(() -> new StackException(
        "Prometheus scrapes the collector and the policy service: start them too (./tuner up --monitoring)"));
    StackState.PartRecord policy = state.part(PolicyPart.NAME).orElseThrow(() -> new StackException(
        "Prometheus scrapes the collector and the policy service: start them too (./tuner up --monitoring)"));
    Path dir = StateFiles.createDirectories(dir(layout));
    Path rulesSource = QuarkusAppPart.projectRoot().resolve("dashboards").resolve("prometheus").resolve(RULES);
    if (!Files.isRegularFile(rulesSource)) {
      throw new StackException("the Prometheus rules " + rulesSource + " are missing (run ./tuner from the project's"
          + " root, or set -Dtuner.root)");
    }
    Path rules = dir.resolve(RULES);
    try {
      Files.copy(rulesSource, rules, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new StackException("cannot copy " + rulesSource + " to " + rules + ": " + e.getMessage(), e);
    }
    Path settings = dir.resolve("settings.properties");
    Map<String, String> saved = Files.exists(settings) ? StateFiles.readProperties(settings) : Map.of();
    int port = saved.containsKey("http.port") ? Integer.parseInt(saved.get("http.port")) : LoopbackPorts.free();
    LoopbackPorts.requireBindable(port, settings.toString());
    StateFiles.writeAtomically(settings, StateFiles.propertiesText("prometheus settings, chosen at the first start",
        Map.of("http.port", Integer.toString(port))));
    Path config = dir.resolve("prometheus.yml");
    StateFiles.writeAtomically(config, config(options.scrapeInterval(), options.effectiveCollectorHost(), collector,
        policy));

    StateFiles.createDirectories(layout.logs());
    String address = "http://" + LoopbackPorts.HOST + ":" + port;
    List<String> command = List.of("setsid", BINARY.toString(), "--config.file=" + config,
        "--storage.tsdb.path=" + dir.resolve("data"), "--storage.tsdb.retention.time=15d",
        "--web.listen-address=" + LoopbackPorts.HOST + ":" + port, "--web.enable-lifecycle");
    options.progress().accept("==> starting Prometheus on " + address + ", scraping the collector and the policy"
        + " service every " + options.scrapeInterval().toSeconds() + " s (log: " + log(layout) + ")");
    Process child;
    try {
      child = new ProcessBuilder(command).directory(dir.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(StateFiles.logFile(log(layout)).toFile())).start();
    } catch (IOException e) {
      throw new StackException("cannot start Prometheus: " + e.getMessage(), e);
    }
    OwnedProcess process = OwnedProcess.of(child.pid(), config.toString());
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    Health health = Health.down("not started");
    while (System.nanoTime() < deadline) {
      if (!child.isAlive()) {
        throw new StackException("Prometheus exited with status " + child.exitValue() + " while starting; the end of "
            + log(layout) + ":\n" + StateFiles.tail(log(layout), 15));
      }
      health = ready(address);
      if (health.healthy()) {
        options.progress().accept("==> Prometheus is ready at " + address + " (pid " + child.pid() + ")");
        return new StackState.PartRecord(NAME, true, address, process, Map.of("http", address));
      }
      sleep(200);
    }
    process.kill();
    throw new StackException("Prometheus did not become ready within " + START_TIMEOUT.toSeconds() + " s ("
        + health.detail() + "); the end of " + log(layout) + ":\n" + StateFiles.tail(log(layout), 15));
  }

  /**
   * The configuration: both services' {@code /q/metrics}, the collector labelled with this host's name, the policy
   * service on its loopback management interface (its API port has no {@code /q/metrics}).
   */
  static String config(Duration scrapeInterval, String host, StackState.PartRecord collector,
      StackState.PartRecord policy) {
    long seconds = Math.max(1, scrapeInterval.toSeconds());
    return """
        # Generated by ./tuner up --monitoring at each start; edits are overwritten.
        global:
          scrape_interval: %ds
          evaluation_interval: %ds
        rule_files:
          - %s
        scrape_configs:
          - job_name: %s
            metrics_path: /q/metrics
            static_configs:
              - targets: ['%s']
                labels:
                  host: '%s'
          - job_name: %s
            metrics_path: /q/metrics
            static_configs:
              - targets: ['%s']
        """.formatted(seconds, seconds, RULES, COLLECTOR_JOB, hostPort(QuarkusAppPart.managementAddress(collector)),
            yamlQuoted(host), POLICY_JOB, hostPort(QuarkusAppPart.managementAddress(policy)));
  }

  /** The kernel's host name, as journald records it in {@code _HOSTNAME} (the collector's events carry it). */
  static String hostName() {
    try {
      return Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
    } catch (IOException e) {
      return "localhost";
    }
  }

  private static String yamlQuoted(String value) {
    return value.replace("'", "''");
  }

  private static String hostPort(String httpAddress) {
    return URI.create(httpAddress).getAuthority();
  }

  private static void requireBinary(StackOptions options) {
    if (Files.isExecutable(BINARY)) {
      return;
    }
    if (!OsUser.isRoot() || !Files.isExecutable(Path.of("/usr/bin/apt-get"))) {
      throw new StackException("Prometheus is not installed (no " + BINARY + "): install Debian's package as root"
          + " (apt-get install " + DEBIAN_PACKAGE + "), then run ./tuner up --monitoring again");
    }
    options.progress().accept("==> Prometheus is not installed; installing Debian's " + DEBIAN_PACKAGE + " package"
        + " with apt-get (a minute or so). On a machine with systemd the package also starts its own Prometheus on"
        + " port 9090; the stack runs its own on another port and leaves that one alone");
    Map<String, String> env = Map.of("DEBIAN_FRONTEND", "noninteractive");
    List<String> install = List.of("apt-get", "install", "-y", "-q", "--no-install-recommends", DEBIAN_PACKAGE);
    ExternalCommand.Result result = ExternalCommand.run(install, Duration.ofMinutes(10), env);
    if (!result.ok()) {
      ExternalCommand.run(List.of("apt-get", "update", "-q"), Duration.ofMinutes(5), env);
      result = ExternalCommand.run(install, Duration.ofMinutes(10), env);
    }
    if (!result.ok() || !Files.isExecutable(BINARY)) {
      throw new StackException("installing " + DEBIAN_PACKAGE + " failed (apt-get exit " + result.exitCode() + "): "
          + StateFiles.lastLinesOf(result.output(), 10));
    }
  }

  private static final Pattern UP = Pattern.compile("\"health\":\"up\"");
  private static final Pattern TARGET = Pattern.compile("\"health\":\"(up|down|unknown)\"");

  @Override
  public Health health(StateLayout layout, StackState.PartRecord record) {
    if (record.process() != null && !record.process().isRunning()) {
      return Health.down("Prometheus process " + record.process().pid() + " is not running; see " + log(layout));
    }
    Health ready = ready(record.address());
    if (!ready.healthy()) {
      return Health.down(ready.detail() + "; see " + log(layout));
    }
    String targets = get(record.address() + "/api/v1/targets?state=active");
    if (targets == null) {
      return ready;
    }
    int up = count(UP.matcher(targets));
    int all = count(TARGET.matcher(targets));
    return Health.up("ready at " + record.address() + ", " + up + " of " + all + " targets up, rules "
        + dir(layout).resolve(RULES).getFileName());
  }

  private static int count(Matcher m) {
    int n = 0;
    while (m.find()) {
      n++;
    }
    return n;
  }

  @Override
  public OwnedProcess.StopOutcome stop(StateLayout layout, StackState.PartRecord record) {
    return record.process().stop(Duration.ofSeconds(30));
  }

  static Health ready(String address) {
    String body = get(address + "/-/ready");
    return body != null && body.contains("Ready") ? Health.up("ready at " + address)
        : Health.down("not ready at " + address);
  }

  private static String get(String url) {
    try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(4))
          .build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? r.body() : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StackException("interrupted");
    }
  }
}
