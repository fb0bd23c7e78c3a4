package io.workqueue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A task taken out of circulation after {@linkplain QueueSettings#maxDeliveries() too many
 * deliveries}; see {@link WorkQueue#deadLetters}.
 *
 * @param index the task's index
 * @param deliveries how many times it was delivered
 * @param worker the worker that held its last delivery
 * @param deadAt when it was dead-lettered
 * @param lastError the last error: the one given to {@link WorkQueue#release(QueueRef, String,
 *     long, java.time.Duration, Object)}, or a {@code lease-expired} record; empty when it cannot
 *     be read (past retention, or the owner's keys gone)
 */
public record DeadLetter(
    long index, int deliveries, String worker, Instant deadAt, Optional<JsonNode> lastError) {
  /** Checks the components. */
  public DeadLetter {
    Objects.requireNonNull(worker, "worker");
    Objects.requireNonNull(deadAt, "deadAt");
    Objects.requireNonNull(lastError, "lastError");
  }
}
