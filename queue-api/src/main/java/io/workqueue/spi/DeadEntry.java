package io.workqueue.spi;

import java.time.Instant;
import java.util.Objects;

/**
 * A dead letter as the bookkeeper holds it.
 *
 * @param index the task
 * @param deliveries how many times it was delivered
 * @param worker the worker that held its last delivery (its failure outcome is stored under it)
 * @param deadAt when it was dead-lettered
 */
public record DeadEntry(long index, int deliveries, String worker, Instant deadAt) {
  /** Checks the components. */
  public DeadEntry {
    Objects.requireNonNull(worker, "worker");
    Objects.requireNonNull(deadAt, "deadAt");
  }
}
