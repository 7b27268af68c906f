package dev.opencode.tuner.stack;

import java.util.List;

/**
 * What {@link Stack#up} did.
 *
 * @param alreadyRunning true when every requested part was already running and healthy, so nothing was started
 * @param started the parts this call started, in order
 * @param parts the requested parts, healthy, with their addresses and credentials
 * @param foundDead the parts recorded as started whose process was gone (crashed or killed), as status saw them
 *     before this call started them again
 */
public record UpResult(boolean alreadyRunning, List<String> started, List<PartStatus> parts,
    List<PartStatus> foundDead) {

  public UpResult {
    started = List.copyOf(started);
    parts = List.copyOf(parts);
    foundDead = List.copyOf(foundDead);
  }
}
