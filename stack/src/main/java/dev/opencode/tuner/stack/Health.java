package dev.opencode.tuner.stack;

/** The answer of a health check: healthy or not, and a one-line detail that says why (naming the log file). */
public record Health(boolean healthy, String detail) {

  public static Health up(String detail) {
    return new Health(true, detail);
  }

  public static Health down(String detail) {
    return new Health(false, detail);
  }
}
