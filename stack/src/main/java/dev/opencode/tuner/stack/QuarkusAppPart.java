package dev.opencode.tuner.stack;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One of the project's Quarkus applications (the collector, the policy service) as a part of the stack: its packaged
 * {@code quarkus-app} is copied into the state directory (so a running service survives {@code mvn clean}), started
 * detached with a generated {@code application.properties}, and checked on {@code /q/health/live}: on the
 * management interface when the service has one (the policy service), else on its only port (the collector).
 */
abstract class QuarkusAppPart implements StackPart {
  static final Duration START_TIMEOUT = Duration.ofSeconds(90);
  static final Duration STOP_GRACE = Duration.ofSeconds(40);

  /** The module whose {@code target/quarkus-app} this part runs, relative to the project root. */
  abstract String module();

  /** The attribute of a part's record holding the base URL of its management interface. */
  static final String MANAGEMENT = "management";

  /**
   * True when the service serves health, metrics and OpenAPI on Quarkus' management interface, a port of its own on
   * 127.0.0.1 beside its API port ({@code quarkus.management.enabled} is fixed when the application is built).
   */
  boolean managementInterface() {
    return false;
  }

  /** The service's configuration, given the recorded parts it depends on. */
  abstract Map<String, String> configuration(StateLayout layout, StackState state, StackOptions options, int httpPort);

  /** JVM options of the service (heap, GC). */
  List<String> jvmOptions() {
    return List.of("-Xmx256m");
  }

  /**
   * Options an operator adds for one part through the system property {@code tuner.stack.<part>.jvm-options}
   * (space-separated, e.g. a larger heap, or {@code -XX:StartFlightRecording} to profile it); they come after the
   * defaults, so they win.
   */
  List<String> extraJvmOptions() {
    String extra = System.getProperty("tuner.stack." + name() + ".jvm-options", "").strip();
    return extra.isEmpty() ? List.of() : List.of(extra.split("\\s+"));
  }

  Path dir(StateLayout layout) {
    return layout.root().resolve(name());
  }

  Path log(StateLayout layout) {
    return layout.logs().resolve(name() + ".log");
  }

  @Override
  public List<Path> logFiles(StateLayout layout) {
    return List.of(log(layout));
  }

  static Path projectRoot() {
    return Path.of(System.getProperty("tuner.root", ".")).toAbsolutePath().normalize();
  }

  @Override
  public StackState.PartRecord start(StateLayout layout, StackOptions options) {
    Path source = projectRoot().resolve(module()).resolve("target/quarkus-app");
    if (!Files.isRegularFile(source.resolve("quarkus-run.jar"))) {
      throw new StackException(name() + ": " + source + "/quarkus-run.jar is missing: build it with ./mvnw -pl "
          + module() + " -am package -DskipTests (./tuner up does this)");
    }
    Path dir = StateFiles.createDirectories(dir(layout));
    Path app = dir.resolve("app");
    copyTree(source, app);
    Path settings = dir.resolve("settings.properties");
    Map<String, String> saved = Files.exists(settings) ? StateFiles.readProperties(settings) : Map.of();
    int port = saved.containsKey("http.port") ? Integer.parseInt(saved.get("http.port")) : LoopbackPorts.free();
    LoopbackPorts.requireBindable(port, settings.toString());
    Map<String, String> ports = new LinkedHashMap<>(Map.of("http.port", Integer.toString(port)));
    int managementPort = -1;
    if (managementInterface()) {
      // Chosen once like the API port, and kept: Prometheus' scrape configuration names it.
      managementPort = saved.containsKey("management.port") ? Integer.parseInt(saved.get("management.port"))
          : LoopbackPorts.freeExcept(port);
      LoopbackPorts.requireBindable(managementPort, settings.toString());
      ports.put("management.port", Integer.toString(managementPort));
    }
    StateFiles.writeAtomically(settings, StateFiles.propertiesText(name() + " settings, chosen at the first start",
        ports));
    Map<String, String> config = new LinkedHashMap<>(configuration(layout, StackState.load(layout), options, port));
    config.putAll(options.serviceSettings().getOrDefault(name(), Map.of()));
    config.put("quarkus.http.port", Integer.toString(port));
    config.put("quarkus.http.host", LoopbackPorts.HOST);
    if (managementInterface()) {
      config.put("quarkus.management.port", Integer.toString(managementPort));
      config.put("quarkus.management.host", LoopbackPorts.HOST);
    }
    Path configFile = dir.resolve("application.properties");
    StateFiles.writePrivate(configFile, StateFiles.propertiesText("generated by ./tuner up", config));

    StateFiles.createDirectories(layout.logs());
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>(List.of("setsid", java));
    command.addAll(jvmOptions());
    command.addAll(extraJvmOptions());
    command.addAll(List.of("-XX:+ExitOnOutOfMemoryError", "--enable-native-access=ALL-UNNAMED",
        "-Dquarkus.config.locations=" + configFile.toUri(), "-jar", app.resolve("quarkus-run.jar").toString()));
    String address = "http://" + LoopbackPorts.HOST + ":" + port;
    String management = managementInterface() ? "http://" + LoopbackPorts.HOST + ":" + managementPort : address;
    String where = address + (managementInterface() ? ", health and metrics on " + management : "");
    options.progress().accept("==> starting " + name() + " on " + where + " (log: " + log(layout) + ")");
    Process child;
    try {
      ProcessBuilder builder = new ProcessBuilder(command);
      // Two malloc arenas instead of 8 per core: the JVM's own native allocations (compiler, JNA, Netty) then
      // stay within tens of MiB instead of spreading over many 64 MiB arenas.
      builder.environment().putIfAbsent("MALLOC_ARENA_MAX", "2");
      child = builder.directory(dir.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(StateFiles.logFile(log(layout)).toFile())).start();
    } catch (IOException e) {
      throw new StackException("cannot start " + name() + ": " + e.getMessage(), e);
    }
    OwnedProcess process = OwnedProcess.of(child.pid(), configFile.toString());
    Map<String, String> attributes = new LinkedHashMap<>(Map.of("http", address));
    if (managementInterface()) {
      attributes.put(MANAGEMENT, management);
    }
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    Health health = Health.down("not started");
    while (System.nanoTime() < deadline) {
      if (!child.isAlive()) {
        throw new StackException(name() + " exited with status " + child.exitValue() + " while starting; the end of "
            + log(layout) + ":\n" + StateFiles.tail(log(layout), 15));
      }
      health = live(management);
      if (health.healthy()) {
        options.progress().accept("==> " + name() + " is live at " + where + " (pid " + child.pid() + ")");
        return new StackState.PartRecord(name(), true, address, process, attributes);
      }
      sleep(200);
    }
    process.kill();
    throw new StackException(name() + " did not become live within " + START_TIMEOUT.toSeconds() + " s ("
        + health.detail() + "); the end of " + log(layout) + ":\n" + StateFiles.tail(log(layout), 15));
  }

  @Override
  public Health health(StateLayout layout, StackState.PartRecord record) {
    if (record.process() != null && !record.process().isRunning()) {
      return Health.down(name() + " process " + record.process().pid() + " is not running; see " + log(layout));
    }
    String management = managementAddress(record);
    Health live = live(management);
    if (!live.healthy()) {
      return Health.down(live.detail() + "; see " + log(layout));
    }
    return management.equals(record.address()) ? live : Health.up("live; health and metrics at " + management);
  }

  /**
   * Where the service of a record answers {@code /q/health} and {@code /q/metrics}: its management interface, or its
   * address when it has none (the collector; a policy service recorded before it had one).
   */
  static String managementAddress(StackState.PartRecord record) {
    return record.attributes().getOrDefault(MANAGEMENT, record.address());
  }

  @Override
  public OwnedProcess.StopOutcome stop(StateLayout layout, StackState.PartRecord record) {
    return record.process().stop(STOP_GRACE);
  }

  static Health live(String address) {
    try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(address + "/q/health/live"))
          .timeout(Duration.ofSeconds(4)).build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? Health.up("live at " + address)
          : Health.down("not live (" + r.statusCode() + "): " + r.body().replaceAll("\\s+", " "));
    } catch (IOException e) {
      return Health.down("no answer from " + address);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Health.down("interrupted");
    }
  }

  private static void copyTree(Path from, Path to) {
    try {
      if (Files.exists(to)) {
        try (var old = Files.walk(to)) {
          for (Path p : old.sorted(Comparator.reverseOrder()).toList()) {
            Files.delete(p);
          }
        }
      }
      try (var files = Files.walk(from)) {
        for (Path p : files.toList()) {
          Path target = to.resolve(from.relativize(p).toString());
          if (Files.isDirectory(p)) {
            Files.createDirectories(target);
          } else {
            Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES);
          }
        }
      }
    } catch (IOException e) {
      throw new StackException("cannot copy " + from + " to " + to + ": " + e.getMessage(), e);
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
