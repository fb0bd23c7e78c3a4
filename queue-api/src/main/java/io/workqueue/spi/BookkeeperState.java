package io.workqueue.spi;

import io.workqueue.Lease;
import io.workqueue.Priority;
import java.util.List;
import java.util.Map;

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
 * @param delayed indices waiting for their due time (added with a delay, or released with one)
 * @param ready indices due again and waiting in the ready set (due delayed ones, requeued dead
 *     letters, unparked ones), handed out before their lane's fresh indices
 * @param dead dead letters
 * @param parked indices waiting for room in their concurrency group
 * @param expired indices acknowledged by {@link Bookkeeper#expire} since the queue began
 * @param paused whether the queue is paused
 * @param lanes the counters of the lanes other than {@link Priority#NORMAL} that were ever used
 *     ({@code allocated}, {@code committed}, {@code fetched}, {@code skippedAhead} and {@code
 *     lowestUnfinished} above are the {@code NORMAL} lane's: the queue mark records that lane)
 */
public record BookkeeperState(
    long allocated,
    long committed,
    long fetched,
    long skippedAhead,
    long lowestUnfinished,
    boolean initialized,
    List<Lease> leases,
    long delayed,
    long ready,
    long dead,
    long parked,
    long expired,
    boolean paused,
    Map<Priority, LaneState> lanes) {

  /** The state of a queue the bookkeeper holds nothing for. */
  public static final BookkeeperState UNINITIALIZED =
      new BookkeeperState(0, 0, 0, 0, 0, false, List.of());

  /**
   * The state of a queue whose counters are not initialized, which may still be paused (a queue can
   * be paused before its first add).
   *
   * @param paused whether the queue is paused
   * @return {@link #UNINITIALIZED}, or the same with {@code paused} set
   */
  public static BookkeeperState uninitialized(boolean paused) {
    return paused
        ? new BookkeeperState(0, 0, 0, 0, 0, false, List.of(), 0, 0, 0, 0, 0, true, Map.of())
        : UNINITIALIZED;
  }

  /** Copies the collections. */
  public BookkeeperState {
    leases = List.copyOf(leases);
    lanes = Map.copyOf(lanes);
  }

  /**
   * A state with none of the scheduling counters.
   *
   * @param allocated as above
   * @param committed as above
   * @param fetched as above
   * @param skippedAhead as above
   * @param lowestUnfinished as above
   * @param initialized as above
   * @param leases as above
   */
  public BookkeeperState(
      long allocated,
      long committed,
      long fetched,
      long skippedAhead,
      long lowestUnfinished,
      boolean initialized,
      List<Lease> leases) {
    this(
        allocated,
        committed,
        fetched,
        skippedAhead,
        lowestUnfinished,
        initialized,
        leases,
        0,
        0,
        0,
        0,
        0,
        false,
        Map.of());
  }

  /**
   * One lane's counters, in full indices of the lane.
   *
   * @param allocated the highest index allocated ({@code lane.base()} for none)
   * @param committed the highest index below which every index of the lane is committed or skipped
   * @param fetched the highest index handed out fresh
   * @param skippedAhead skipped holes above {@code fetched} and at most {@code committed}
   */
  public record LaneState(long allocated, long committed, long fetched, long skippedAhead) {}
}
