package dev.opencode.tuner.stack;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * How to start the local Kafka broker.
 *
 * @param port the client (PLAINTEXT) port on 127.0.0.1; 0 reuses the port of the last start, or picks a free one
 * @param controllerPort the KRaft controller port on 127.0.0.1; 0 as for {@code port}
 * @param kafkaLib Kafka's jars; null takes {@code -Dtuner.stack.kafka-lib}, then {@code <tuner.root>/stack/target/kafka-lib},
 *     then the copy already in the state directory
 * @param maxHeap the broker's {@code -Xmx}, for example {@code 1g}
 * @param startTimeout how long to wait for the broker to answer an AdminClient before giving up
 * @param progress where to print what is happening (one line per step)
 */
public record KafkaOptions(int port, int controllerPort, Path kafkaLib, String maxHeap, Duration startTimeout,
    Consumer<String> progress) {

  public KafkaOptions {
    Objects.requireNonNull(maxHeap, "maxHeap");
    Objects.requireNonNull(startTimeout, "startTimeout");
    Objects.requireNonNull(progress, "progress");
    if (port < 0 || port > 65535 || controllerPort < 0 || controllerPort > 65535) {
      throw new IllegalArgumentException("Kafka ports must be 0..65535, got " + port + " and " + controllerPort);
    }
    if (port != 0 && port == controllerPort) {
      throw new IllegalArgumentException("the Kafka client and controller ports must differ, both are " + port);
    }
  }

  /** Persisted or free ports, Kafka's jars from the build, 1 GiB heap, 90 s to start, no progress output. */
  public static KafkaOptions defaults() {
    return new KafkaOptions(0, 0, null, "1g", Duration.ofSeconds(90), line -> { });
  }

  public KafkaOptions withPort(int newPort) {
    return new KafkaOptions(newPort, controllerPort, kafkaLib, maxHeap, startTimeout, progress);
  }

  public KafkaOptions withControllerPort(int newPort) {
    return new KafkaOptions(port, newPort, kafkaLib, maxHeap, startTimeout, progress);
  }

  public KafkaOptions withKafkaLib(Path dir) {
    return new KafkaOptions(port, controllerPort, dir, maxHeap, startTimeout, progress);
  }

  public KafkaOptions withMaxHeap(String heap) {
    return new KafkaOptions(port, controllerPort, kafkaLib, heap, startTimeout, progress);
  }

  public KafkaOptions withStartTimeout(Duration timeout) {
    return new KafkaOptions(port, controllerPort, kafkaLib, maxHeap, timeout, progress);
  }

  public KafkaOptions withProgress(Consumer<String> sink) {
    return new KafkaOptions(port, controllerPort, kafkaLib, maxHeap, startTimeout, sink);
  }
}
