package io.workqueue;

/**
 * A task's lane. {@link WorkQueue#fetch} serves the lanes in declaration order: every task that is
 * ready in {@link #URGENT} before any in {@link #HIGH}, and so on; within a lane, in index order.
 * There is no aging: a lane is served only while every higher lane has nothing ready, so a steady
 * stream of higher tasks can hold a lower lane back indefinitely (use separate queues where that
 * matters).
 *
 * <p>Each lane has its own range of indices, so the bookkeeper needs no memory per queued task:
 * {@link #NORMAL} holds 1, 2, 3, ..., and each other lane starts at its {@link #base()} (a multiple
 * of {@value #LANE_SIZE}): the first {@code URGENT} task is {@code 1_000_000_000_000_001}. The lane
 * of any index is {@link #ofIndex(long)}.
 */
public enum Priority {
  /** Served first. */
  URGENT(1),
  /** Served after {@link #URGENT}. */
  HIGH(2),
  /** The default lane. */
  NORMAL(0),
  /** Served after {@link #NORMAL}. */
  LOW(3),
  /** Served last. */
  BULK(4);

  /** How many indices each lane has: 10^15. */
  public static final long LANE_SIZE = 1_000_000_000_000_000L;

  private static final Priority[] BY_LANE = {NORMAL, URGENT, HIGH, LOW, BULK};

  private final int lane;

  Priority(int lane) {
    this.lane = lane;
  }

  /**
   * The lane's number, which places its index range: {@code NORMAL} 0, {@code URGENT} 1, {@code
   * HIGH} 2, {@code LOW} 3, {@code BULK} 4.
   *
   * @return the lane number
   */
  public int lane() {
    return lane;
  }

  /**
   * The index below the lane's first: its tasks are {@code base() + 1}, {@code base() + 2}, ...
   *
   * @return {@code lane() * LANE_SIZE}
   */
  public long base() {
    return lane * LANE_SIZE;
  }

  /**
   * The lane an index belongs to.
   *
   * @param index an index, 0 or more
   * @return its lane
   * @throws InvalidArgumentException naming {@code index} when it is negative or beyond the last
   *     lane
   */
  public static Priority ofIndex(long index) {
    if (index < 0 || index >= BY_LANE.length * LANE_SIZE) {
      throw new InvalidArgumentException(
          "index", "must be 0 to " + (BY_LANE.length * LANE_SIZE - 1) + ", was " + index);
    }
    return BY_LANE[(int) (index / LANE_SIZE)];
  }

  /**
   * The lane with a number.
   *
   * @param lane 0 to 4
   * @return the priority
   */
  public static Priority ofLane(int lane) {
    if (lane < 0 || lane >= BY_LANE.length) {
      throw new InvalidArgumentException("lane", "must be 0 to 4, was " + lane);
    }
    return BY_LANE[lane];
  }
}
