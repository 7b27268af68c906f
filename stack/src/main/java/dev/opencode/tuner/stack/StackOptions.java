package dev.opencode.tuner.stack;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * What {@link Stack#up} starts and how.
 *
 * @param parts the parts to start, a subset of {@link Stack#partNames()}; the others are left as they are
 * @param kafka the broker's options
 * @param postgres the private cluster's options (unused when {@code externalPostgres} is set)
 * @param externalPostgres an existing PostgreSQL server to use instead of the private cluster; never stopped by
 *     {@link Stack#down}
 * @param topics the pipeline's topic names; the broker's start creates the dead-letter topics and those of
 *     {@code collectorHost} (auto creation is off)
 * @param progress where to print what is happening
 * @param collectorJournal a journal directory for the collector instead of the local system journal, or null
 * @param collectorHost the host the collector speaks for (its Kafka account and topics); null for the kernel's
 *     hostname, as journald records it
 * @param scrapeInterval how often the local Prometheus (part {@code prometheus}) scrapes and evaluates its rules
 * @param serviceSettings configuration keys added to a service's generated {@code application.properties}, by part
 *     ({@code collector}, {@code policy}); they win over the stack's own
 */
public record StackOptions(Set<String> parts, KafkaOptions kafka, PostgresOptions postgres,
    PostgresCredentials externalPostgres, TunerTopics topics, Consumer<String> progress,
    java.nio.file.Path collectorJournal, String collectorHost, java.time.Duration scrapeInterval,
    Map<String, Map<String, String>> serviceSettings) {

  /** Prometheus' own default. */
  public static final java.time.Duration DEFAULT_SCRAPE_INTERVAL = java.time.Duration.ofSeconds(15);

  public StackOptions {
    parts = Collections.unmodifiableSet(new LinkedHashSet<>(parts));
    for (String part : parts) {
      Stack.requirePart(part);
    }
    Objects.requireNonNull(kafka, "kafka");
    Objects.requireNonNull(postgres, "postgres");
    Objects.requireNonNull(topics, "topics");
    if (collectorHost != null) {
      KafkaAccounts.collector(collectorHost); // a host that cannot name a topic fails here, naming the rule
    }
    Objects.requireNonNull(progress, "progress");
    Map<String, Map<String, String>> settings = new LinkedHashMap<>();
    if (serviceSettings != null) {
      for (Map.Entry<String, Map<String, String>> part : serviceSettings.entrySet()) {
        if (!(Stack.requirePart(part.getKey()) instanceof QuarkusAppPart)) {
          throw new IllegalArgumentException("service settings are for the collector and the policy service, not "
              + part.getKey());
        }
        settings.put(part.getKey(), Collections.unmodifiableMap(new LinkedHashMap<>(part.getValue())));
      }
    }
    serviceSettings = Collections.unmodifiableMap(settings);
    if (scrapeInterval == null) {
      scrapeInterval = DEFAULT_SCRAPE_INTERVAL;
    }
    if (scrapeInterval.compareTo(java.time.Duration.ofSeconds(1)) < 0
        || scrapeInterval.compareTo(java.time.Duration.ofMinutes(5)) > 0) {
      throw new IllegalArgumentException("the scrape interval must be between 1 s and 5 min, got " + scrapeInterval);
    }
  }

  /**
   * Every part but the optional {@code prometheus}; the private PostgreSQL cluster, installing {@code postgresql-15} when missing (as the issue allows,
   * with a message); the pipeline's topics; no progress output.
   */
  public static StackOptions defaults() {
    LinkedHashSet<String> parts = new LinkedHashSet<>(Stack.partNames());
    parts.removeAll(Stack.optionalPartNames());
    return new StackOptions(parts, KafkaOptions.defaults(),
        PostgresOptions.defaults().withInstallMissing(true), null, TunerTopics.defaults(), line -> { }, null, null, null, null);
  }

  /** Starts only these parts (for example {@code "postgres"}). */
  public StackOptions withParts(String... names) {
    return new StackOptions(new LinkedHashSet<>(List.of(names)), kafka, postgres, externalPostgres, topics, progress, collectorJournal, collectorHost, scrapeInterval, serviceSettings);
  }

  public StackOptions withKafka(KafkaOptions options) {
    return new StackOptions(parts, options.withProgress(progress), postgres, externalPostgres, topics, progress, collectorJournal, collectorHost, scrapeInterval, serviceSettings);
  }

  public StackOptions withPostgres(PostgresOptions options) {
    return new StackOptions(parts, kafka, options.withProgress(progress), externalPostgres, topics, progress, collectorJournal, collectorHost, scrapeInterval, serviceSettings);
  }

  /** Uses an existing server (a JDBC URL with the policy service's user and password) instead of a private one. */
  public StackOptions withExternalPostgres(PostgresCredentials server) {
    return new StackOptions(parts, kafka, postgres, server, topics, progress, collectorJournal, collectorHost, scrapeInterval, serviceSettings);
  }

  public StackOptions withTopics(TunerTopics topicNames) {
    return new StackOptions(parts, kafka, postgres, externalPostgres, topicNames, progress, collectorJournal, collectorHost, scrapeInterval, serviceSettings);
  }

  /** Progress lines of the stack and of each part go to {@code sink} (the CLI passes stderr). */
  public StackOptions withProgress(Consumer<String> sink) {
    return new StackOptions(parts, kafka.withProgress(sink), postgres.withProgress(sink), externalPostgres, topics,
        sink, collectorJournal, collectorHost, scrapeInterval, serviceSettings);
  }

  /**
   * Adds {@code key=value} to the generated configuration of a service part ({@code collector} or {@code policy}),
   * for example a shorter {@code tuner.collector.kafka.delivery-timeout} in a fault test.
   */
  public StackOptions withServiceSetting(String part, String key, String value) {
    Map<String, Map<String, String>> settings = new LinkedHashMap<>(serviceSettings);
    Map<String, String> keys = new LinkedHashMap<>(settings.getOrDefault(part, Map.of()));
    keys.put(key, value);
    settings.put(part, keys);
    return new StackOptions(parts, kafka, postgres, externalPostgres, topics, progress, collectorJournal,
        collectorHost, scrapeInterval, settings);
  }

  /** The collector reads this journal directory instead of the local system journal. */
  public StackOptions withCollectorJournal(java.nio.file.Path directory) {
    return new StackOptions(parts, kafka, postgres, externalPostgres, topics, progress, directory, collectorHost,
        scrapeInterval, serviceSettings);
  }

  /** The collector speaks for this host (the {@code _HOSTNAME} of the journal it reads) instead of this machine. */
  public StackOptions withCollectorHost(String host) {
    return new StackOptions(parts, kafka, postgres, externalPostgres, topics, progress, collectorJournal, host,
        scrapeInterval, serviceSettings);
  }

  /** The host the collector speaks for: {@code collectorHost}, or the kernel's hostname. */
  public String effectiveCollectorHost() {
    return collectorHost != null ? collectorHost : PrometheusPart.hostName();
  }

  /**
   * Also starts the local Prometheus (part {@code prometheus}), scraping the collector and the policy service every
   * {@code interval} with the project's rules.
   */
  public StackOptions withMonitoring(java.time.Duration interval) {
    LinkedHashSet<String> withPrometheus = new LinkedHashSet<>(parts);
    withPrometheus.add(PrometheusPart.NAME);
    return new StackOptions(withPrometheus, kafka, postgres, externalPostgres, topics, progress, collectorJournal,
        collectorHost, interval, serviceSettings);
  }
}
