package dev.opencode.tuner.stack;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * A single-node Kafka broker in KRaft mode (broker and controller in one JVM), run from Apache Kafka's own jars as a
 * separate, detached process ({@code setsid java -cp <state>/kafka/lib/* kafka.Kafka server.properties}) with all its
 * files under a state directory. It listens on 127.0.0.1 only, and auto topic creation is off: topics are created on
 * purpose ({@link #createTopics}), so a misspelt topic name fails instead of silently creating a new topic.
 *
 * <p>Closing the handle stops the broker (tests). {@link Stack#up} keeps the broker running after its JVM exits and
 * records it in {@link StackState} instead.
 */
public final class KafkaServer implements AutoCloseable {

  static final String MAIN_CLASS = "kafka.Kafka";
  static final String STORAGE_TOOL = "kafka.tools.StorageTool";
  static final Duration STOP_GRACE = Duration.ofSeconds(60);

  private final StateLayout layout;
  private final int port;
  private final OwnedProcess process;
  private final Duration startupTime;

  private KafkaServer(StateLayout layout, int port, OwnedProcess process, Duration startupTime) {
    this.layout = layout;
    this.port = port;
    this.process = process;
    this.startupTime = startupTime;
  }

  /** Starts (formatting the storage on first use) with default options and waits until the broker answers. */
  public static KafkaServer start(Path stateDir) {
    return start(stateDir, KafkaOptions.defaults());
  }

  /** Starts the broker on the state directory and waits until an AdminClient gets an answer from it. */
  public static KafkaServer start(Path stateDir, KafkaOptions options) {
    long t0 = System.nanoTime();
    StateLayout layout = new StateLayout(stateDir);
    StateFiles.createDirectories(layout.kafkaData());
    StateFiles.createDirectories(layout.logs());
    StateFiles.logFile(layout.kafkaLog());

    OwnedProcess.findByCommandLine(MAIN_CLASS, layout.kafkaConfig().toString()).ifPresent(pid -> {
      throw new StackException("a Kafka broker already runs on " + layout.root() + " (pid " + pid + "); stop it first"
          + " (./tuner down, or close the KafkaServer that started it)");
    });
    int[] ports = KafkaConfigFiles.ports(layout, options);
    int port = ports[0];
    int controllerPort = ports[1];
    LoopbackPorts.requireBindable(port, "Kafka's client port, from " + layout.kafkaSettings());
    LoopbackPorts.requireBindable(controllerPort, "Kafka's controller port, from " + layout.kafkaSettings());

    Path lib = KafkaLib.sync(layout, options);
    boolean formatted = Files.exists(layout.kafkaData().resolve("meta.properties"));
    if (formatted && !Files.exists(KafkaAccounts.passwordFile(layout, KafkaAccounts.BROKER))) {
      throw new StackException("the Kafka storage in " + layout.kafkaData() + " was made before the broker required"
          + " authentication, and its broker account cannot be added afterwards. Stop the stack (./tuner down) and"
          + " remove " + layout.kafkaData() + " (events not yet consumed are lost; the journal cursors of the"
          + " collectors are not, so they are sent again)");
    }
    KafkaAccounts.ensurePassword(layout, KafkaAccounts.BROKER);
    KafkaAccounts.ensurePassword(layout, KafkaAccounts.CONTROLLER);
    StateFiles.writePrivate(layout.kafkaConfig(), KafkaConfigFiles.serverProperties(layout, port, controllerPort));
    StateFiles.writeAtomically(layout.kafkaLog4jConfig(), KafkaConfigFiles.log4jConfig());
    if (!formatted) {
      format(layout, lib, options);
    }

    options.progress().accept("==> starting Kafka on " + LoopbackPorts.HOST + ":" + port + " (log: "
        + layout.kafkaLog() + ")");
    Process child = launch(layout, lib, options);
    OwnedProcess process = OwnedProcess.of(child.pid(), layout.kafkaConfig().toString());
    String bootstrap = LoopbackPorts.HOST + ":" + port;
    try {
      awaitReady(layout, bootstrap, child, process, options.startTimeout());
    } catch (RuntimeException e) {
      process.kill();
      throw e;
    }
    Duration took = Duration.ofNanos(System.nanoTime() - t0);
    options.progress().accept("==> Kafka answers on " + bootstrap + " (pid " + child.pid() + ", "
        + took.toMillis() + " ms)");
    return new KafkaServer(layout, port, process, took);
  }

  /** {@code 127.0.0.1:<port>}, for {@code bootstrap.servers}. */
  public String bootstrapServers() {
    return LoopbackPorts.HOST + ":" + port;
  }

  public int port() {
    return port;
  }

  public OwnedProcess process() {
    return process;
  }

  /** The broker's log file (log4j2, rolled); its stdout and stderr go to {@link StateLayout#kafkaOut()}. */
  public Path logFile() {
    return layout.kafkaLog();
  }

  /** From the call to {@link #start} until the broker answered, storage formatting included. */
  public Duration startupTime() {
    return startupTime;
  }

  /** Whether the process is still ours and alive, and whether the broker answers an AdminClient within 4 s. */
  public Health health() {
    return health(bootstrapServers(), process, layout);
  }

  static Health health(String bootstrap, OwnedProcess process, StateLayout layout) {
    if (process != null && !process.isRunning()) {
      return Health.down("the broker process " + process.pid() + " is not running (it crashed or was killed); see "
          + layout.kafkaLog() + " and " + layout.kafkaOut());
    }
    try (Admin admin = admin(bootstrap, layout)) {
      DescribeClusterResult cluster = admin.describeCluster(new DescribeClusterOptions().timeoutMs(3000));
      String clusterId = cluster.clusterId().get(4, TimeUnit.SECONDS);
      int nodes = cluster.nodes().get(4, TimeUnit.SECONDS).size();
      return Health.up("cluster " + clusterId + ", " + nodes + " broker" + (nodes == 1 ? "" : "s") + " answering");
    } catch (ExecutionException | TimeoutException e) {
      return Health.down("no answer from " + bootstrap + " within 4 s (" + rootMessage(e) + "); see "
          + layout.kafkaLog());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Health.down("interrupted while asking " + bootstrap);
    }
  }

  /** Creates the topics that do not exist yet, with the given partition counts (replication factor 1). */
  public void createTopics(Map<String, Integer> partitionsByTopic) {
    createTopics(bootstrapServers(), layout, partitionsByTopic);
  }

  /**
   * The accounts of the broker: the broker's own (a super user, for tests and tools) and those it provisions for the
   * policy service and each host's collector.
   */
  public KafkaAccounts accounts() {
    return new KafkaAccounts(layout, bootstrapServers());
  }

  static void createTopics(String bootstrap, StateLayout layout, Map<String, Integer> partitionsByTopic) {
    if (partitionsByTopic.isEmpty()) {
      return;
    }
    try (Admin admin = admin(bootstrap, layout)) {
      List<NewTopic> topics = new ArrayList<>();
      partitionsByTopic.forEach((name, partitions) -> topics.add(new NewTopic(name, partitions, (short) 1)));
      for (var entry : admin.createTopics(topics).values().entrySet()) {
        try {
          entry.getValue().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new StackException("cannot create the topic " + entry.getKey() + " on " + bootstrap + ": "
                + rootMessage(e), e);
          }
        }
      }
    } catch (TimeoutException e) {
      throw new StackException("creating topics on " + bootstrap + " took more than 30 s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StackException("interrupted while creating topics on " + bootstrap, e);
    }
  }

  /** SIGTERM (a controlled shutdown), then SIGKILL after 60 s. */
  public OwnedProcess.StopOutcome stop() {
    return process.stop(STOP_GRACE);
  }

  @Override
  public void close() {
    stop();
  }

  // ---------------------------------------------------------------------------------------------------------------

  /** An AdminClient logged in as the broker's own account (a super user). */
  static Admin admin(String bootstrap, StateLayout layout) {
    Properties config = new Properties();
    config.putAll(KafkaAccounts.login(layout, KafkaAccounts.BROKER).clientProperties());
    config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    config.put(AdminClientConfig.CLIENT_ID_CONFIG, "tuner-stack");
    config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3000);
    config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 4000);
    config.put(AdminClientConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MS_CONFIG, 1000);
    config.put(AdminClientConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS_CONFIG, 2000);
    config.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 500);
    config.put(AdminClientConfig.RETRY_BACKOFF_MAX_MS_CONFIG, 500);
    return Admin.create(config);
  }

  private static void format(StateLayout layout, Path lib, KafkaOptions options) {
    String clusterId = Uuid.randomUuid().toString();
    options.progress().accept("==> formatting Kafka's storage in " + layout.kafkaData() + " (cluster id " + clusterId
        + ")");
    List<String> command = new ArrayList<>(javaCommand(layout, lib, "256m"));
    // The broker's SCRAM account is written into the new metadata log (KRaft cannot add it later without a
    // super user). The password must not be a process argument: java reads the tool's arguments from a private
    // argument file instead, so the command line shows only its path.
    List<String> toolArguments = List.of(STORAGE_TOOL, "format", "--cluster-id", clusterId, "--config",
        layout.kafkaConfig().toString(), "--add-scram", KafkaAccounts.MECHANISM + "=[name=" + KafkaAccounts.BROKER
        + ",password=" + KafkaAccounts.password(layout, KafkaAccounts.BROKER) + "]");
    Path argumentFile = layout.credentials().resolve("kafka-format.args");
    StateFiles.writePrivate(argumentFile, argumentFileText(toolArguments));
    command.add("@" + argumentFile);
    try {
      ExternalCommand.runOrFail("formatting Kafka's storage", command, Duration.ofSeconds(120));
    } finally {
      try {
        Files.deleteIfExists(argumentFile);
      } catch (IOException e) {
        options.progress().accept("==> warning: cannot delete " + argumentFile + " (" + e.getMessage() + ")");
      }
    }
  }

  /** A java launcher argument file: one quoted argument per line ({@code java @file}). */
  static String argumentFileText(List<String> arguments) {
    StringBuilder text = new StringBuilder();
    for (String argument : arguments) {
      text.append('"').append(argument.replace("\\", "\\\\").replace("\"", "\\\"")).append("\"\n");
    }
    return text.toString();
  }

  private static Process launch(StateLayout layout, Path lib, KafkaOptions options) {
    // setsid: the broker gets its own session, so a hang-up of the terminal that ran ./tuner up does not reach it.
    List<String> command = new ArrayList<>(List.of("setsid"));
    command.addAll(javaCommand(layout, lib, options.maxHeap()));
    command.addAll(List.of("-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-XX:+ExitOnOutOfMemoryError", MAIN_CLASS,
        layout.kafkaConfig().toString()));
    try {
      return new ProcessBuilder(command)
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(StateFiles.logFile(layout.kafkaOut()).toFile()))
          .start();
    } catch (IOException e) {
      throw new StackException("cannot start the broker (" + String.join(" ", command) + "): " + e.getMessage(), e);
    }
  }

  private static List<String> javaCommand(StateLayout layout, Path lib, String maxHeap) {
    // The broker runs on the JDK that runs this code (21 or newer).
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>(List.of(java, "-Xmx" + maxHeap, "-Djava.awt.headless=true",
        "--enable-native-access=ALL-UNNAMED"));
    if (Runtime.version().feature() >= 23) {
      // Kafka unmaps its index files through sun.misc.Unsafe, which JDK 24+ warns about on stdout (JEP 471/498).
      command.add("--sun-misc-unsafe-memory-access=allow");
    }
    command.addAll(List.of("-Dlog4j2.configurationFile=" + layout.kafkaLog4jConfig(),
        "-Dtuner.kafka.log=" + layout.kafkaLog(), "-Dkafka.logs.dir=" + layout.logs(),
        "-cp", lib + File.separator + "*"));
    return command;
  }

  private static void awaitReady(StateLayout layout, String bootstrap, Process child, OwnedProcess process,
      Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "no answer yet";
    try (Admin admin = admin(bootstrap, layout)) {
      while (true) {
        if (!child.isAlive() || !process.isRunning()) {
          String exit = child.isAlive() ? "" : " with exit code " + child.exitValue();
          throw new StackException("the Kafka broker exited during its start" + exit + "; see " + layout.kafkaLog()
              + " and " + layout.kafkaOut() + ". Last lines:\n" + lastLines(layout));
        }
        try {
          admin.describeCluster(new DescribeClusterOptions().timeoutMs(2000)).clusterId().get(3, TimeUnit.SECONDS);
          return;
        } catch (ExecutionException | TimeoutException e) {
          last = rootMessage(e);
        }
        if (System.nanoTime() - deadline > 0) {
          throw new StackException("the Kafka broker did not answer on " + bootstrap + " within "
              + timeout.toSeconds() + " s (" + last + "); it was killed. See " + layout.kafkaLog() + ". Last lines:\n"
              + lastLines(layout));
        }
        Thread.sleep(100);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StackException("interrupted while waiting for the Kafka broker on " + bootstrap, e);
    }
  }

  private static String lastLines(StateLayout layout) {
    String out = StateFiles.tail(layout.kafkaOut(), 10);
    String log = StateFiles.tail(layout.kafkaLog(), 15);
    return (out.isBlank() ? "" : layout.kafkaOut() + ":\n" + out + "\n") + layout.kafkaLog() + ":\n" + log;
  }

  static String rootMessage(Throwable e) {
    Throwable cause = e;
    while (cause.getCause() != null && cause.getCause() != cause) {
      cause = cause.getCause();
    }
    String message = cause.getMessage();
    return cause.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }
}
