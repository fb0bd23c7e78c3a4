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
 * @param lowestUnfinished the lowest index whose task may still be needed: the lowest of the next
 *     fresh index ({@code fetched + 1}), the leased indices and the indices with a pending
 *     completion; every task below it is finished
 * @param initialized whether the bookkeeper holds state for the queue ({@link
 *     Bookkeeper#initialize}); every other component is 0 or empty when not
 * @param leases the unacknowledged deliveries, lowest index first
 */
public record BookkeeperState(
    long allocated,
    long committed,
    long fetched,
    long skippedAhead,
    long lowestUnfinished,
    boolean initialized,
    List<Lease> leases) {

  /** The state of a queue the bookkeeper holds nothing for. */
  public static final BookkeeperState UNINITIALIZED =
      new BookkeeperState(0, 0, 0, 0, 0, false, List.of());

  /** Copies the lease list. */
  public BookkeeperState {
    leases = List.copyOf(leases);
  }
}
