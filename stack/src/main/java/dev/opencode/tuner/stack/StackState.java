package dev.opencode.tuner.stack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What {@link Stack#up} started in a state directory, kept in {@code stack.properties}: for each part whether the
 * stack owns it, its address, and the identity of its process (pid, start time, command-line marker). {@link
 * Stack#down} stops only the processes recorded here, and only when they are still the same processes.
 */
public final class StackState {

  /**
   * One part of the stack as started by {@code up}.
   *
   * @param owned true when {@code up} started the process; false for a server given from outside (a JDBC URL)
   * @param process the process to stop, or null when not owned
   * @param attributes what clients need, for example {@code bootstrap.servers} or {@code credentials}
   */
  public record PartRecord(String part, boolean owned, String address, OwnedProcess process,
      Map<String, String> attributes) {

    public PartRecord {
      attributes = Collections.unmodifiableMap(new TreeMap<>(attributes));
      if (owned && process == null) {
        throw new IllegalArgumentException("an owned part needs its process: " + part);
      }
    }
  }

  private final Map<String, PartRecord> parts = new LinkedHashMap<>();

  /** The recorded parts, or none when the file does not exist. */
  public static StackState load(Path stateDir) {
    return load(new StateLayout(stateDir));
  }

  static StackState load(StateLayout layout) {
    Map<String, String> p = StateFiles.readProperties(layout.stackFile());
    StackState state = new StackState();
    String names = p.getOrDefault("parts", "");
    for (String part : names.isBlank() ? new String[0] : names.split(",")) {
      try {
        boolean owned = Boolean.parseBoolean(p.get(part + ".owned"));
        OwnedProcess process = p.containsKey(part + ".pid")
            ? new OwnedProcess(Long.parseLong(p.get(part + ".pid")), Long.parseLong(p.get(part + ".pid.starttime")),
                p.get(part + ".pid.marker"))
            : null;
        Map<String, String> attributes = new TreeMap<>();
        String prefix = part + ".attr.";
        p.forEach((k, v) -> {
          if (k.startsWith(prefix)) {
            attributes.put(k.substring(prefix.length()), v);
          }
        });
        state.put(new PartRecord(part, owned, p.get(part + ".address"), process, attributes));
      } catch (RuntimeException e) {
        throw new StackException("the record of '" + part + "' in " + layout.stackFile() + " is damaged (" + e
            + "); stop its processes by hand and delete the file", e);
      }
    }
    return state;
  }

  public Optional<PartRecord> part(String name) {
    return Optional.ofNullable(parts.get(name));
  }

  public List<PartRecord> parts() {
    return List.copyOf(parts.values());
  }

  public boolean isEmpty() {
    return parts.isEmpty();
  }

  void put(PartRecord record) {
    parts.put(record.part(), record);
  }

  void remove(String part) {
    parts.remove(part);
  }

  /** Writes the file atomically, or deletes it when nothing is recorded. */
  void save(StateLayout layout) {
    if (parts.isEmpty()) {
      try {
        Files.deleteIfExists(layout.stackFile());
      } catch (IOException e) {
        throw new StackException("cannot delete " + layout.stackFile() + ": " + e.getMessage(), e);
      }
      return;
    }
    Map<String, String> p = new TreeMap<>();
    p.put("parts", String.join(",", new ArrayList<>(parts.keySet())));
    for (PartRecord r : parts.values()) {
      p.put(r.part() + ".owned", Boolean.toString(r.owned()));
      if (r.address() != null) {
        p.put(r.part() + ".address", r.address());
      }
      if (r.process() != null) {
        p.put(r.part() + ".pid", Long.toString(r.process().pid()));
        p.put(r.part() + ".pid.starttime", Long.toString(r.process().startTicks()));
        p.put(r.part() + ".pid.marker", r.process().marker());
      }
      r.attributes().forEach((k, v) -> p.put(r.part() + ".attr." + k, v));
    }
    StateFiles.writeAtomically(layout.stackFile(), StateFiles.propertiesText(
        "What ./tuner up started here; ./tuner down stops these processes and nothing else.", p));
  }
}
