package dev.opencode.tuner.stack;

import java.nio.file.Path;

/**
 * Runs {@link Stack#up} in a JVM of its own, as {@code ./tuner up} will: the test checks that the parts outlive it.
 * Arguments: the state directory.
 */
public final class StackUpMain {

  private StackUpMain() {}

  public static void main(String[] args) {
    UpResult result = Stack.up(Path.of(args[0]), StackOptions.defaults().withParts("kafka", "postgres")
        .withPostgres(PostgresOptions.defaults()) // tests fail on a missing package instead of installing it
        .withProgress(System.err::println));
    for (PartStatus part : result.parts()) {
      System.out.println(part.part() + " " + part.condition() + " " + part.address() + " pid " + part.pid());
    }
  }
}
