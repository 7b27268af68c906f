package dev.opencode.tuner.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StackTest {

  @TempDir Path tmp;

  @Test
  void upInItsOwnJvmLeavesTheStackRunningAndDownStopsIt() throws Exception {
    Path state = StateDirs.create(tmp, "state");
    try {
      runUpInAnotherJvm(state);

      // The JVM that ran up has exited; its parts still run.
      StackStatus status = Stack.status(state);
      assertThat(status.healthy()).as(status.toString()).isTrue();
      PartStatus kafka = status.part("kafka").orElseThrow();
      PartStatus postgres = status.part("postgres").orElseThrow();
      assertThat(kafka.owned()).isTrue();
      assertThat(kafka.attributes()).containsEntry("bootstrap.servers", kafka.address());
      assertThat(postgres.attributes()).containsEntry("credentials",
          state.resolve("credentials/policy-db.properties").toString());
      assertThat(PostgresCredentials.load(state.resolve("credentials/policy-db.properties")).jdbcUrl())
          .isEqualTo(postgres.attributes().get("jdbc.url"));
      assertThat(Files.readString(state.resolve("stack.properties"))).contains("kafka.pid=" + kafka.pid());
      try (var admin = KafkaServer.admin(kafka.address(), new StateLayout(state))) {
        // The dead-letter topics; a host's topics come with its collector, which this stack does not run.
        TunerTopics topics = TunerTopics.defaults();
        assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS))
            .containsAll(topics.deadLetterTopics().keySet())
            .doesNotContainAnyElementsOf(topics.forHost(options().effectiveCollectorHost()).keySet());
      }

      UpResult again = Stack.up(state, options());
      assertThat(again.alreadyRunning()).isTrue();
      assertThat(again.started()).isEmpty();
      assertThat(again.foundDead()).isEmpty();
      assertThat(again.parts()).extracting(PartStatus::pid).containsExactly(kafka.pid(), postgres.pid());

      // A crash of the broker shows in status, and the next up starts only the broker again.
      ProcessHandle.of(kafka.pid()).orElseThrow().destroyForcibly();
      OwnedProcess broker = StackState.load(state).part("kafka").orElseThrow().process();
      assertThat(broker.awaitExit(Duration.ofSeconds(10))).isTrue();
      PartStatus crashed = Stack.status(state).part("kafka").orElseThrow();
      assertThat(crashed.condition()).isEqualTo(PartStatus.Condition.DOWN);
      assertThat(crashed.detail()).contains("not running").contains(state.resolve("logs/kafka.log").toString());
      assertThat(Stack.status(state).part("postgres").orElseThrow().healthy()).isTrue();

      UpResult restarted = Stack.up(state, options());
      assertThat(restarted.alreadyRunning()).isFalse();
      assertThat(restarted.started()).containsExactly("kafka");
      assertThat(restarted.foundDead()).extracting(PartStatus::part).containsExactly("kafka");
      assertThat(restarted.foundDead().get(0).detail()).contains("not running");
      assertThat(restarted.parts()).extracting(PartStatus::address).containsExactly(kafka.address(), postgres.address());
      assertThat(restarted.parts().get(1).pid()).isEqualTo(postgres.pid());

      OwnedProcess newBroker = StackState.load(state).part("kafka").orElseThrow().process();
      OwnedProcess server = StackState.load(state).part("postgres").orElseThrow().process();
      DownResult down = Stack.down(state);
      assertThat(down.parts()).extracting(DownResult.PartOutcome::part).containsExactly("postgres", "kafka");
      assertThat(down.parts()).extracting(DownResult.PartOutcome::action)
          .containsOnly(DownResult.Action.STOPPED);
      assertThat(newBroker.isRunning()).isFalse();
      assertThat(server.isRunning()).isFalse();
      assertThat(state.resolve("stack.properties")).doesNotExist();
      assertThat(Stack.status(state).parts()).extracting(PartStatus::condition)
          .containsOnly(PartStatus.Condition.NOT_STARTED);
      assertThat(Stack.down(state).parts()).isEmpty();
    } finally {
      Stack.down(state);
    }
  }

  @Test
  void downLeavesAnExistingPostgresGivenByUrlRunning() throws Exception {
    Path state = StateDirs.create(tmp, "state");
    try (PostgresServer existing = PostgresServer.start(StateDirs.create(tmp, "existing"))) {
      UpResult up = Stack.up(state, options().withParts("postgres").withExternalPostgres(existing.credentials()));
      PartStatus postgres = up.parts().get(0);
      assertThat(postgres.owned()).isFalse();
      assertThat(postgres.pid()).isNull();
      assertThat(Stack.status(state).part("postgres").orElseThrow().healthy()).isTrue();
      assertThat(Stack.status(state).part("kafka").orElseThrow().condition())
          .isEqualTo(PartStatus.Condition.NOT_STARTED);

      DownResult down = Stack.down(state);
      assertThat(down.parts()).singleElement().satisfies(outcome -> {
        assertThat(outcome.action()).isEqualTo(DownResult.Action.LEFT_ALONE);
        assertThat(outcome.detail()).contains("not started by ./tuner up");
      });
      assertThat(existing.health().healthy()).isTrue();
    }
  }

  @Test
  void downNeverSignalsAProcessItDidNotStart() throws Exception {
    Path state = StateDirs.create(tmp, "state");
    Process stranger = new ProcessBuilder("sleep", "303").start();
    try {
      // A record whose pid now belongs to another process (the broker died, the kernel reused its pid).
      OwnedProcess live = OwnedProcess.of(stranger.pid(), "sleep 303");
      StackState recorded = new StackState();
      recorded.put(new StackState.PartRecord("kafka", true, "127.0.0.1:9", new OwnedProcess(live.pid(),
          live.startTicks() + 1, state.resolve("kafka/server.properties").toString()), Map.of()));
      recorded.save(new StateLayout(state));

      DownResult down = Stack.down(state);

      assertThat(down.parts()).singleElement().satisfies(outcome -> {
        assertThat(outcome.action()).isEqualTo(DownResult.Action.WAS_NOT_RUNNING);
        assertThat(outcome.detail()).contains("now belongs to another process, which was left alone");
      });
      assertThat(stranger.isAlive()).isTrue();
      assertThat(state.resolve("stack.properties")).doesNotExist();
    } finally {
      stranger.destroyForcibly();
    }
  }

  @Test
  void upFailsClearlyWhenTheConfiguredPortIsTaken() throws Exception {
    Path state = StateDirs.create(tmp, "state");
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
      StackOptions options = options().withParts("kafka")
          .withKafka(KafkaOptions.defaults().withPort(taken.getLocalPort()));

      assertThatThrownBy(() -> Stack.up(state, options))
          .isInstanceOf(StackException.class)
          .hasMessageContaining("127.0.0.1:" + taken.getLocalPort() + " (Kafka's client port")
          .hasMessageContaining("in use by another process");
      assertThat(Stack.status(state).part("kafka").orElseThrow().condition())
          .isEqualTo(PartStatus.Condition.NOT_STARTED);
    }
  }

  @Test
  @SuppressWarnings("try") // the lock is held for the block, not used in it
  void upAndDownRefuseToRunWhileAnotherOneHoldsTheLock() throws Exception {
    Path state = StateDirs.create(tmp, "state");
    try (StackLock held = StackLock.acquire(new StateLayout(state))) {
      assertThatThrownBy(() -> Stack.up(state, options()))
          .isInstanceOf(StackException.class).hasMessageContaining("another ./tuner up or down is running");
      assertThatThrownBy(() -> Stack.down(state))
          .isInstanceOf(StackException.class).hasMessageContaining("another ./tuner up or down is running");
    }
  }

  @Test
  void logsNamesEachPartsFilesAndRejectsAnUnknownPart() {
    Path state = tmp.resolve("state");
    assertThat(Stack.logs(state, "kafka"))
        .containsExactly(state.resolve("logs/kafka.log"), state.resolve("logs/kafka.out"));
    assertThat(Stack.logs(state, "postgres")).containsExactly(state.resolve("logs/postgres.log"));
    assertThat(Stack.logs(state, "collector")).containsExactly(state.resolve("logs/collector.log"));
    assertThat(Stack.logs(state, "policy")).containsExactly(state.resolve("logs/policy.log"));
    assertThat(Stack.logs(state, "prometheus")).containsExactly(state.resolve("logs/prometheus.log"));
    assertThat(Stack.logs(state, null)).hasSize(6);
    assertThatThrownBy(() -> Stack.logs(state, "kafak"))
        .isInstanceOf(StackException.class)
        .hasMessage("unknown part 'kafak'; the parts are kafka, postgres, policy, collector, prometheus");
    assertThat(Stack.tail(state.resolve("logs/kafka.log"), 10)).contains("does not exist yet");
  }

  private static StackOptions options() {
    return StackOptions.defaults().withParts("kafka", "postgres").withPostgres(PostgresOptions.defaults())
        .withProgress(StateDirs::progress);
  }

  /** Runs {@link StackUpMain} in a child JVM, which exits once up returned. */
  private static void runUpInAnotherJvm(Path state) throws Exception {
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Dtuner.stack.kafka-lib=" + System.getProperty("tuner.stack.kafka-lib"),
        "-Dlog4j2.configurationFile=log4j2-test.properties",
        "-cp", classpath, StackUpMain.class.getName(), state.toString()));
    Process up = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] output = up.getInputStream().readAllBytes();
    assertThat(up.waitFor(3, TimeUnit.MINUTES)).isTrue();
    String text = new String(output, StandardCharsets.UTF_8);
    System.err.print(text);
    assertThat(up.exitValue()).as(text).isZero();
    assertThat(text).contains("kafka RUNNING", "postgres RUNNING");
  }
}
