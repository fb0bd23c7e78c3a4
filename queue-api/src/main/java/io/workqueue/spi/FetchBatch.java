package io.workqueue.spi;

import io.workqueue.Lease;
import java.util.List;
import java.util.OptionalLong;

/**
 * What {@link Bookkeeper#fetchBatch} handed out.
 *
 * @param leases the new batch leases, expired ones recovered first (earliest deadline first), then
 *     fresh indices in index order
 * @param hole when the batch came up short because a pending index older than the grace period
 *     blocks the pointer: that index, for the caller to resolve with {@link Bookkeeper#resolveHole}
 *     before fetching again
 * @param uninitialized true when the bookkeeper holds no state for the queue (then there are no
 *     leases): the caller initializes it ({@link Bookkeeper#initialize}) and fetches again
 */
public record FetchBatch(List<Lease> leases, OptionalLong hole, boolean uninitialized) {
  /** The answer for a queue the bookkeeper holds no state for. */
  public static final FetchBatch UNINITIALIZED =
      new FetchBatch(List.of(), OptionalLong.empty(), true);

  /** Copies the list. */
  public FetchBatch {
    leases = List.copyOf(leases);
  }

  /**
   * A batch of an initialized queue.
   *
   * @param leases the leases
   * @param hole the hole, if one blocked the batch
   */
  public FetchBatch(List<Lease> leases, OptionalLong hole) {
    this(leases, hole, false);
  }
}
