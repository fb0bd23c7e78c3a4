package io.workqueue;

import java.util.List;

/**
 * A snapshot of a queue's bookkeeping.
 *
 * @param queue the queue
 * @param index the highest index assigned by {@code add} (0 for a new queue)
 * @param fetched the highest index handed out as a fresh task (0 before the first fetch)
 * @param waiting tasks added and written but not yet handed out (after a {@link WorkQueue#rewind}
 *     it also counts replayed indices that are still leased, which fetch steps over)
 * @param leases the unacknowledged deliveries, lowest index first
 */
public record QueueInfo(
    QueueRef queue, long index, long fetched, long waiting, List<Lease> leases) {
  /** Copies the lease list. */
  public QueueInfo {
    leases = List.copyOf(leases);
  }

  /**
   * The number of unacknowledged deliveries.
   *
   * @return {@code leases().size()}
   */
  public int inFlight() {
    return leases.size();
  }
}
