package dev.opencode.tuner.suggest;

/** A blocked destination that is never suggested, and why. */
public record Refusal(String address, String reason, String deniedBy, long events) {
}
