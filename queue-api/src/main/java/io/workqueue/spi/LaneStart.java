package io.workqueue.spi;

import io.workqueue.Priority;
import java.util.Objects;

/**
 * Where one lane starts when {@link Bookkeeper#initialize} rebuilds a queue; all indices are full
 * indices of the lane (between {@link Priority#base()} and {@code base() + LANE_SIZE - 1}).
 *
 * @param lane the lane
 * @param allocated the highest index taken; new ones start after it ({@code lane.base()} for none)
 * @param replayFrom the lowest index that may be unfinished, {@code base() + 1} to {@code replayTo
 *     + 1}
 * @param replayTo the highest index to deliver again, at most {@code allocated}
 */
public record LaneStart(Priority lane, long allocated, long replayFrom, long replayTo) {
  /** Checks the lane. */
  public LaneStart {
    Objects.requireNonNull(lane, "lane");
  }

  /**
   * A lane never used.
   *
   * @param lane the lane
   * @return its start
   */
  public static LaneStart empty(Priority lane) {
    return new LaneStart(lane, lane.base(), lane.base() + 1, lane.base());
  }
}
