package io.workqueue.spi;

import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;

/**
 * One persisted outcome: sealed, keyed by index and by the worker that wrote it, so a stale worker
 * whose lease was taken over can never overwrite the outcome of the worker that acknowledged.
 *
 * @param index the task's index
 * @param worker the worker that wrote the outcome
 * @param outcome the sealed outcome
 * @param completedAt when the worker acknowledged
 */
public record StoredOutcome(long index, String worker, byte[] outcome, Instant completedAt) {
  /** Checks the components. */
  public StoredOutcome {
    Objects.requireNonNull(worker, "worker");
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(completedAt, "completedAt");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof StoredOutcome t
        && t.index == index
        && t.worker.equals(worker)
        && Arrays.equals(t.outcome, outcome)
        && t.completedAt.equals(completedAt);
  }

  @Override
  public int hashCode() {
    return Objects.hash(index, worker, Arrays.hashCode(outcome), completedAt);
  }

  @Override
  public String toString() {
    return "StoredOutcome[" + index + " by " + worker + "]";
  }
}
