package dev.opencode.tuner.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broker's trust boundary with the real broker: nobody produces without an account, a wrong password is
 * refused, a host's collector writes only its own host's topics, the policy service writes none of them, and no
 * password shows in a process's arguments or in the broker's generated configuration.
 */
class KafkaAuthTest {
  private static final TunerTopics TOPICS = TunerTopics.defaults();

  @TempDir static Path tmp;
  static KafkaServer kafka;
  static KafkaAccounts.Login webOne;
  static KafkaAccounts.Login dbTwo;
  static KafkaAccounts.Login policy;

  @BeforeAll
  static void start() throws Exception {
    kafka = KafkaServer.start(StateDirs.create(tmp, "state"), KafkaOptions.defaults().withProgress(StateDirs::progress));
    KafkaAccounts accounts = kafka.accounts();
    webOne = accounts.collector("web-1", TOPICS);
    dbTwo = accounts.collector("db-2", TOPICS);
    policy = accounts.policy(TOPICS);
  }

  @AfterAll
  static void stop() {
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  void anUnauthenticatedProducerIsRefusedAndWritesNothing() {
    String topic = "opencode.egress.blocked.web-1";
    long before = endOffset(topic);
    Properties p = new Properties();
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5000);
    assertThatThrownBy(() -> produce(p, topic)).hasRootCauseInstanceOf(org.apache.kafka.common.errors.TimeoutException.class);
    assertThat(endOffset(topic)).isEqualTo(before);
    // The broker saw the attempt and refused it: a PLAINTEXT client on the SASL listener.
    assertThat(kafka.logFile()).content().containsPattern("(?i)(authentication|SASL)");
  }

  @Test
  void aWrongPasswordIsRefusedByTheBroker() throws Exception {
    Path wrong = tmp.resolve("wrong.password");
    Files.writeString(wrong, "not-the-password-of-web-1-at-all");
    Files.setPosixFilePermissions(wrong, PosixFilePermissions.fromString("rw-------"));
    Properties p = new Properties();
    p.putAll(new KafkaAccounts.Login(webOne.username(), wrong).clientProperties());
    assertThatThrownBy(() -> produce(p, "opencode.egress.blocked.web-1"))
        .hasRootCauseInstanceOf(SaslAuthenticationException.class);
  }

  @Test
  void aCollectorWritesItsOwnHostsTopicsAndNoOtherHosts() throws Exception {
    String own = "opencode.egress.blocked.web-1";
    String other = "opencode.egress.blocked.db-2";
    long ownBefore = endOffset(own);
    long otherBefore = endOffset(other);
    Properties p = new Properties();
    p.putAll(webOne.clientProperties());
    produce(p, own);
    produce(p, "opencode.egress.host-state.web-1");
    produce(p, "opencode.egress.malformed.web-1");
    assertThatThrownBy(() -> produce(p, other)).hasRootCauseInstanceOf(TopicAuthorizationException.class);
    assertThatThrownBy(() -> produce(p, "opencode.egress.host-state.db-2"))
        .hasRootCauseInstanceOf(TopicAuthorizationException.class);
    assertThatThrownBy(() -> produce(p, TOPICS.blockedDeadLetter()))
        .hasRootCauseInstanceOf(TopicAuthorizationException.class);
    assertThat(endOffset(own)).isEqualTo(ownBefore + 1);
    assertThat(endOffset(other)).isEqualTo(otherBefore);
  }

  @Test
  void thePolicyServiceReadsHostTopicsButWritesOnlyItsDeadLetters() throws Exception {
    Properties p = new Properties();
    p.putAll(policy.clientProperties());
    assertThatThrownBy(() -> produce(p, "opencode.egress.blocked.web-1"))
        .hasRootCauseInstanceOf(TopicAuthorizationException.class);
    produce(p, TOPICS.blockedDeadLetter());

    Properties c = new Properties();
    c.putAll(policy.clientProperties());
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    c.put(ConsumerConfig.GROUP_ID_CONFIG, "opencode-egress-policy-auth-test");
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(dev.opencode.tuner.kafka.HostTopics.pattern(TOPICS.blocked()));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      int read = 0;
      while (read == 0 && System.nanoTime() < deadline) {
        read += consumer.poll(Duration.ofMillis(500)).count();
      }
      assertThat(read).as("records the policy account read from the host topics").isPositive();
    }
    // A collector is no consumer.
    Properties w = new Properties();
    w.putAll(webOne.clientProperties());
    w.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    w.put(ConsumerConfig.GROUP_ID_CONFIG, "opencode-egress-policy");
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(w, new StringDeserializer(), new StringDeserializer())) {
      TopicPartition partition = new TopicPartition("opencode.egress.blocked.db-2", 0);
      consumer.assign(List.of(partition));
      assertThatThrownBy(() -> consumer.position(partition, Duration.ofSeconds(10)))
          .isInstanceOfAny(TopicAuthorizationException.class,
              org.apache.kafka.common.errors.GroupAuthorizationException.class);
    }
  }

  @Test
  void aCollectorCannotGrantItselfMoreOrMakeANewHost() throws Exception {
    Properties p = new Properties();
    p.putAll(webOne.clientProperties());
    p.put("bootstrap.servers", kafka.bootstrapServers());
    p.put("default.api.timeout.ms", 40000);
    try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(p)) {
      // A new host's topic, to then write "its" records: refused.
      assertThatThrownBy(() -> admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(
          "opencode.egress.blocked.evil", 1, (short) 1))).all().get(20, TimeUnit.SECONDS))
          .hasCauseInstanceOf(TopicAuthorizationException.class);
      // An ACL letting it write db-2's topic: refused.
      assertThatThrownBy(() -> admin.createAcls(List.of(new org.apache.kafka.common.acl.AclBinding(
          new org.apache.kafka.common.resource.ResourcePattern(org.apache.kafka.common.resource.ResourceType.TOPIC,
              "opencode.egress.blocked.db-2", org.apache.kafka.common.resource.PatternType.LITERAL),
          new org.apache.kafka.common.acl.AccessControlEntry("User:collector-web-1", "*",
              org.apache.kafka.common.acl.AclOperation.WRITE,
              org.apache.kafka.common.acl.AclPermissionType.ALLOW)))).all().get(20, TimeUnit.SECONDS))
          .hasCauseInstanceOf(org.apache.kafka.common.errors.ClusterAuthorizationException.class);
      // db-2's password replaced by one it knows: refused.
      assertThatThrownBy(() -> admin.alterUserScramCredentials(List.of(
          new org.apache.kafka.clients.admin.UserScramCredentialUpsertion("collector-db-2",
              new org.apache.kafka.clients.admin.ScramCredentialInfo(
                  org.apache.kafka.clients.admin.ScramMechanism.SCRAM_SHA_512, 8192), "known-to-web-1-password")))
          .all().get(20, TimeUnit.SECONDS))
          .hasCauseInstanceOf(org.apache.kafka.common.errors.ClusterAuthorizationException.class);
    }
    assertThat(endOffset("opencode.egress.blocked.db-2")).as("db-2's topic is untouched").isZero();
    // db-2's own password still works, so it was not replaced.
    Properties db = new Properties();
    db.putAll(dbTwo.clientProperties());
    produce(db, "opencode.egress.host-state.db-2");
  }

  @Test
  void theControllerListenerTakesNoAnonymousClient() throws Exception {
    int controllerPort = Integer.parseInt(StateFiles.readProperties(
        new StateLayout(tmp.resolve("state")).kafkaSettings()).get("controller.port"));
    Properties p = new Properties();
    p.put("bootstrap.controllers", LoopbackPorts.HOST + ":" + controllerPort);
    p.put("default.api.timeout.ms", 5000);
    p.put("request.timeout.ms", 4000);
    try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(p)) {
      assertThatThrownBy(() -> admin.describeCluster().clusterId().get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class);
    }
    // The same request with the controller's own PLAIN login is answered: the refusal above is the login's.
    p.put("security.protocol", "SASL_PLAINTEXT");
    p.put("sasl.mechanism", "PLAIN");
    p.put("sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
        + KafkaAccounts.CONTROLLER + "\" password=\"" + KafkaAccounts.password(new StateLayout(tmp.resolve("state")),
        KafkaAccounts.CONTROLLER) + "\";");
    try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(p)) {
      assertThat(admin.describeCluster().clusterId().get(10, TimeUnit.SECONDS)).isNotBlank();
    }
  }

  @Test
  void noPasswordIsInAProcessArgumentOrTheBrokersConfiguration() throws Exception {
    Path credentials = new StateLayout(tmp.resolve("state")).credentials();
    assertThat(Files.getPosixFilePermissions(credentials)).isEqualTo(PosixFilePermissions.fromString("rwx------"));
    String cmdline = Files.readString(Path.of("/proc/" + kafka.process().pid() + "/cmdline"), StandardCharsets.UTF_8);
    String config = Files.readString(new StateLayout(tmp.resolve("state")).kafkaConfig());
    List<Path> passwords;
    try (var files = Files.list(credentials)) {
      passwords = files.filter(f -> f.getFileName().toString().startsWith("kafka-")).toList();
    }
    assertThat(passwords).extracting(f -> f.getFileName().toString()).contains("kafka-tuner-broker.password",
        "kafka-tuner-controller.password", "kafka-tuner-policy.password", "kafka-collector-web-1.password")
        .doesNotContain("kafka-format.args");
    for (Path file : passwords) {
      assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
      String password = Files.readString(file);
      assertThat(password).hasSizeGreaterThanOrEqualTo(40);
      assertThat(cmdline).doesNotContain(password);
      assertThat(config).doesNotContain(password);
    }
    assertThat(config).contains("${dir:" + credentials + ":kafka-tuner-broker.password}");
  }

  @Test
  void theFormatToolReadsItsArgumentsFromAFileQuotedForJava() {
    assertThat(KafkaServer.argumentFileText(List.of("a b", "c\"d", "e\\f")))
        .isEqualTo("\"a b\"\n\"c\\\"d\"\n\"e\\\\f\"\n");
  }

  private static void produce(Properties login, String topic) throws Exception {
    Map<String, Object> p = new HashMap<>();
    login.forEach((k, v) -> p.put((String) k, v));
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, 15000);
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 15000);
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10000);
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      producer.send(new ProducerRecord<>(topic, "web-1/web", "{}")).get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e;
    }
  }

  private static long endOffset(String topic) {
    Properties p = new Properties();
    p.putAll(kafka.accounts().broker().clientProperties());
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
          .map(info -> new TopicPartition(topic, info.partition())).toList();
      return consumer.endOffsets(partitions, Duration.ofSeconds(10)).values().stream().mapToLong(Long::longValue).sum();
    }
  }
}
