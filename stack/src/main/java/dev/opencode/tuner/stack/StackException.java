package dev.opencode.tuner.stack;

import java.io.Serial;

/** A failure of the local stack with a message meant for the user: what is wrong, where to look, what to do. */
public class StackException extends RuntimeException {
  @Serial private static final long serialVersionUID = 1L;

  public StackException(String message) {
    super(message);
  }

  public StackException(String message, Throwable cause) {
    super(message, cause);
  }
}
