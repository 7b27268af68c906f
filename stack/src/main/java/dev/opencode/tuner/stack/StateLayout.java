package dev.opencode.tuner.stack;

import java.nio.file.Path;

/**
 * Where the parts of the local stack keep their files under one state directory.
 *
 * <pre>
 * stack.properties            what {@link Stack#up} started (pids, ports, addresses): {@link StackState}
 * stack.lock                  held while up or down runs
 * logs/kafka.log, kafka.out   the broker's log4j2 log (rolled at 20 MB, 5 kept) and its stdout/stderr
 * logs/postgres.log           the PostgreSQL server's log
 * credentials/                0700: postgres-superuser.password, policy-db.properties, grafana-db.properties (0600 each)
 * kafka/settings.properties   the ports chosen at the first start, reused afterwards
 * kafka/server.properties     the broker's configuration, regenerated at each start
 * kafka/lib/                  Kafka's jars, copied from the stack module's build
 * kafka/data/                 log.dirs: KRaft metadata and the topics' partitions
 * postgres/data/              PGDATA of the private cluster (owned by the PostgreSQL OS user, 0700)
 * postgres/run/               its unix socket directory
 * </pre>
 */
public record StateLayout(Path root) {

  public StateLayout {
    root = root.toAbsolutePath().normalize();
  }

  public Path stackFile() {
    return root.resolve("stack.properties");
  }

  public Path lockFile() {
    return root.resolve("stack.lock");
  }

  public Path logs() {
    return root.resolve("logs");
  }

  public Path credentials() {
    return root.resolve("credentials");
  }

  public Path kafka() {
    return root.resolve("kafka");
  }

  public Path kafkaSettings() {
    return kafka().resolve("settings.properties");
  }

  public Path kafkaConfig() {
    return kafka().resolve("server.properties");
  }

  public Path kafkaLog4jConfig() {
    return kafka().resolve("log4j2.properties");
  }

  public Path kafkaLib() {
    return kafka().resolve("lib");
  }

  public Path kafkaData() {
    return kafka().resolve("data");
  }

  public Path kafkaLog() {
    return logs().resolve("kafka.log");
  }

  public Path kafkaOut() {
    return logs().resolve("kafka.out");
  }

  public Path postgres() {
    return root.resolve("postgres");
  }

  public Path postgresData() {
    return postgres().resolve("data");
  }

  public Path postgresSocketDir() {
    return postgres().resolve("run");
  }

  public Path postgresLog() {
    return logs().resolve("postgres.log");
  }

  public Path postgresSuperuserPassword() {
    return credentials().resolve("postgres-superuser.password");
  }

  public Path policyDbCredentials() {
    return credentials().resolve("policy-db.properties");
  }

  /** The read-only role of Grafana's SQL panels, {@code tuner_grafana}. */
  public Path grafanaDbCredentials() {
    return credentials().resolve("grafana-db.properties");
  }
}
