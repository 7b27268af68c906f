package dev.opencode.tuner.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaServerTest {

  private static final String TOPIC = "opencode.egress.blocked";

  @TempDir Path tmp;

  @Test
  void recordSurvivesABrokerRestartOnTheSameStateDirectory() throws Exception {
    Path state = StateDirs.create(tmp, "state");
    KafkaOptions options = KafkaOptions.defaults().withProgress(StateDirs::progress);
    int port;
    try (KafkaServer kafka = KafkaServer.start(state, options)) {
      System.err.println("first start (storage format included): " + kafka.startupTime().toMillis() + " ms");
      port = kafka.port();
      kafka.createTopics(Map.of(TOPIC, 1));
      Map<String, String> login = kafka.accounts().broker().clientProperties();
      try (KafkaProducer<String, String> producer = producer(kafka.bootstrapServers(), login)) {
        RecordMetadata sent = producer.send(new ProducerRecord<>(TOPIC, "demo-host/web", "{\"dst\":\"9.9.9.9\"}"))
            .get(30, TimeUnit.SECONDS);
        assertThat(sent.offset()).isZero();
      }
      assertThat(readAll(kafka.bootstrapServers(), login)).containsExactly("demo-host/web={\"dst\":\"9.9.9.9\"}");
      assertThat(autoCreateTopics(kafka.bootstrapServers(), login)).isEqualTo("false");
      assertThat(kafka.stop()).isEqualTo(OwnedProcess.StopOutcome.STOPPED);
      assertThat(kafka.process().isRunning()).isFalse();
    }

    try (KafkaServer again = KafkaServer.start(state, options)) {
      System.err.println("restart: " + again.startupTime().toMillis() + " ms");
      assertThat(again.port()).isEqualTo(port);
      assertThat(readAll(again.bootstrapServers(), again.accounts().broker().clientProperties())).containsExactly("demo-host/web={\"dst\":\"9.9.9.9\"}");
    }
    assertThat(state.resolve("logs/kafka.log")).content().contains("Kafka Server started");
  }

  @Test
  void refusesASecondBrokerAndReportsASigkilledOneNamingItsLog() {
    Path state = tmp.resolve("crash");
    try (KafkaServer kafka = KafkaServer.start(state, KafkaOptions.defaults().withProgress(StateDirs::progress))) {
      assertThat(kafka.health().healthy()).as(kafka.health().detail()).isTrue();
      assertThatThrownBy(() -> KafkaServer.start(state))
          .isInstanceOf(StackException.class)
          .hasMessageContaining("a Kafka broker already runs on " + state + " (pid " + kafka.process().pid() + ")");

      kafka.process().kill(); // SIGKILL: no shutdown hook, no controlled shutdown
      assertThat(kafka.process().awaitExit(Duration.ofSeconds(10))).isTrue();

      Health health = kafka.health();
      assertThat(health.healthy()).isFalse();
      assertThat(health.detail()).contains("is not running").contains(kafka.logFile().toString());
    }
  }

  private static KafkaProducer<String, String> producer(String bootstrap, Map<String, String> login) {
    Properties p = new Properties();
    p.putAll(login);
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
  }

  /** Every record of the topic's single partition, from the beginning, as key=value. */
  private static List<String> readAll(String bootstrap, Map<String, String> login) {
    Properties p = new Properties();
    p.putAll(login);
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    List<String> records = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
      TopicPartition partition = new TopicPartition(TOPIC, 0);
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      long end = consumer.endOffsets(List.of(partition), Duration.ofSeconds(30)).get(partition);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (consumer.position(partition, Duration.ofSeconds(30)) < end && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
          records.add(r.key() + "=" + r.value());
        }
      }
    }
    return records;
  }

  private static String autoCreateTopics(String bootstrap, Map<String, String> login) throws Exception {
    Properties p = new Properties();
    p.putAll(login);
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (Admin admin = Admin.create(p)) {
      ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, "1");
      Config config = admin.describeConfigs(List.of(broker)).all().get(30, TimeUnit.SECONDS).get(broker);
      return config.get("auto.create.topics.enable").value();
    }
  }
}
