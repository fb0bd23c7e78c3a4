package io.workqueue;

import java.util.List;
import java.util.Map;

/**
 * A snapshot of a queue's bookkeeping.
 *
 * @param queue the queue
 * @param index the highest index assigned by {@code add} (0 for a new queue)
 * @param fetched the highest index handed out as a fresh task (0 before the first fetch)
 * @param waiting tasks added and written but not yet handed out (after a {@link WorkQueue#rewind}
 *     it also counts replayed indices that are still leased, which fetch steps over)
 * @param leases the unacknowledged deliveries, lowest index first
 * @param delayed tasks added with a delay or released with one and not yet moved to the ready tasks
 *     (a fetch moves those that came due, so a due task counts here until the next fetch); a
 *     delayed task the fetch pointer has not reached yet also counts in {@code waiting}
 * @param deadLetters tasks in the dead letters
 * @param expired tasks stepped over because their row had expired, since the queue began
 * @param parked tasks waiting for room in their concurrency group
 * @param paused whether fetch is paused
 * @param lanes per lane other than {@link Priority#NORMAL} that was ever used: its highest index
 *     assigned and how many of its tasks wait ({@code index}, {@code fetched} and {@code waiting}
 *     above are the {@code NORMAL} lane's, {@code waiting} plus the other lanes')
 */
public record QueueInfo(
    QueueRef queue,
    long index,
    long fetched,
    long waiting,
    List<Lease> leases,
    long delayed,
    long deadLetters,
    long expired,
    long parked,
    boolean paused,
    Map<Priority, LaneInfo> lanes) {
  /** Copies the collections. */
  public QueueInfo {
    leases = List.copyOf(leases);
    lanes = Map.copyOf(lanes);
  }

  /**
   * A snapshot of a queue that uses none of the scheduling features.
   *
   * @param queue the queue
   * @param index the highest index assigned
   * @param fetched the highest index handed out
   * @param waiting tasks waiting
   * @param leases the unacknowledged deliveries
   */
  public QueueInfo(QueueRef queue, long index, long fetched, long waiting, List<Lease> leases) {
    this(queue, index, fetched, waiting, leases, 0, 0, 0, 0, false, Map.of());
  }

  /**
   * One lane's counters.
   *
   * @param index the highest index assigned in the lane ({@link Priority#base()} when none)
   * @param fetched the highest index of the lane handed out as a fresh task
   * @param waiting the lane's tasks added and not yet handed out
   */
  public record LaneInfo(long index, long fetched, long waiting) {}

  /**
   * The number of unacknowledged deliveries.
   *
   * @return {@code leases().size()}
   */
  public int inFlight() {
    return leases.size();
  }
}
