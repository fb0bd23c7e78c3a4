package io.workqueue.spi;

import io.workqueue.Lease;
import java.util.List;

/**
 * A queue's counters and leases, as {@link Bookkeeper#state} reads them in one step.
 *
 * @param allocated the highest index allocated (0 for a new queue)
 * @param committed the highest index below which every index is committed or skipped
 * @param fetched the highest index handed out fresh
 * @param skippedAhead holes resolved as skipped above {@code fetched} and at most {@code
 *     committed}: indices the fetch pointer will step over
 * @param leases the unacknowledged deliveries, lowest index first
 */
public record BookkeeperState(
    long allocated, long committed, long fetched, long skippedAhead, List<Lease> leases) {
  /** Copies the lease list. */
  public BookkeeperState {
    leases = List.copyOf(leases);
  }
}
