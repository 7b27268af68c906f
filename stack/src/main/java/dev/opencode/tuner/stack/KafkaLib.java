package dev.opencode.tuner.stack;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Kafka's jars for {@link KafkaServer}: found in the build (or where {@link KafkaOptions#kafkaLib} says) and copied
 * into the state directory, so that the broker keeps running when target/ is cleaned.
 */
final class KafkaLib {

  private KafkaLib() {}

  /** Kafka's jars in the state directory, copied afresh when the build's differ; the old copy when none is found. */
  static Path sync(StateLayout layout, KafkaOptions options) {
    List<Path> looked = new ArrayList<>();
    Optional<Path> source = locate(options, looked);
    Path target = layout.kafkaLib();
    if (source.isEmpty()) {
      if (Files.isDirectory(target) && !jars(target).isEmpty()) {
        return target;
      }
      throw new StackException("Kafka's jars were not found (looked at: " + (looked.isEmpty() ? "nothing" : looked)
          + "). Build them with ./mvnw -pl stack -am package, which copies them into stack/target/kafka-lib, or"
          + " pass that directory (KafkaOptions.withKafkaLib, -Dtuner.stack.kafka-lib)");
    }
    Map<String, Long> wanted = jars(source.get());
    Map<String, Long> present = Files.isDirectory(target) ? jars(target) : Map.of();
    if (wanted.equals(present)) {
      return target;
    }
    options.progress().accept("==> copying Kafka's jars from " + source.get() + " to " + target);
    StateFiles.createDirectories(target);
    try {
      for (var jar : present.entrySet()) {
        if (!jar.getValue().equals(wanted.get(jar.getKey()))) {
          Files.delete(target.resolve(jar.getKey()));
        }
      }
      for (var jar : wanted.entrySet()) {
        if (!jar.getValue().equals(present.get(jar.getKey()))) {
          Files.copy(source.get().resolve(jar.getKey()), target.resolve(jar.getKey()),
              StandardCopyOption.REPLACE_EXISTING);
        }
      }
    } catch (IOException e) {
      throw new StackException("cannot copy Kafka's jars to " + target + ": " + e.getMessage(), e);
    }
    return target;
  }

  private static Optional<Path> locate(KafkaOptions options, List<Path> looked) {
    List<Path> candidates = new ArrayList<>();
    if (options.kafkaLib() != null) {
      candidates.add(options.kafkaLib());
    } else {
      String property = System.getProperty("tuner.stack.kafka-lib");
      if (property != null && !property.isBlank()) {
        candidates.add(Path.of(property));
      }
      String root = System.getProperty("tuner.root");
      if (root != null && !root.isBlank()) {
        candidates.add(Path.of(root, "stack", "target", "kafka-lib"));
      }
    }
    for (Path candidate : candidates) {
      looked.add(candidate);
      if (Files.isDirectory(candidate) && jars(candidate).keySet().stream().anyMatch(n -> n.startsWith("kafka_2.13-"))) {
        return Optional.of(candidate.toAbsolutePath());
      }
    }
    if (options.kafkaLib() != null) {
      throw new StackException(options.kafkaLib() + " holds no kafka_2.13 jar; pass the directory that"
          + " ./mvnw -pl stack package fills (stack/target/kafka-lib)");
    }
    return Optional.empty();
  }

  private static Map<String, Long> jars(Path dir) {
    Map<String, Long> jars = new TreeMap<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, "*.jar")) {
      for (Path jar : stream) {
        jars.put(jar.getFileName().toString(), Files.size(jar));
      }
    } catch (IOException e) {
      throw new StackException("cannot list " + dir + ": " + e.getMessage(), e);
    }
    return jars;
  }
}
