package io.workqueue;

import java.time.Instant;

/**
 * An unacknowledged delivery: which worker holds which index until when.
 *
 * @param worker the holder
 * @param index the leased task's index
 * @param deadline when the lease expires; after it the task goes to the next worker that fetches
 * @param deliveries how often the task was handed out, this lease included
 */
public record Lease(String worker, long index, Instant deadline, int deliveries) {
  /**
   * Whether the lease has expired at a given time.
   *
   * @param now the time
   * @return true when {@code now} is at or after the deadline
   */
  public boolean expiredAt(Instant now) {
    return !now.isBefore(deadline);
  }
}
