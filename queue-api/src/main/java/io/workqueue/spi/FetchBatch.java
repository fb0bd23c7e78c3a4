package io.workqueue.spi;

import io.workqueue.Lease;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

/**
 * What {@link Bookkeeper#fetchBatch} handed out.
 *
 * @param leases the new batch leases, expired ones recovered first (earliest deadline first), then
 *     ready ones (due after a delay or release, requeued, unparked) and fresh indices, lane by lane
 *     in {@link io.workqueue.Priority} order, by index within a lane
 * @param hole when the batch came up short because a pending index older than the grace period
 *     blocks the pointer: that index, for the caller to resolve with {@link Bookkeeper#resolveHole}
 *     before fetching again
 * @param uninitialized true when the bookkeeper holds no state for the queue (then there are no
 *     leases): the caller initializes it ({@link Bookkeeper#initialize}) and fetches again
 * @param recovered the indices among {@code leases} taken over from expired leases
 * @param groups the indices among {@code leases} that already hold a group slot, with the group
 */
public record FetchBatch(
    List<Lease> leases,
    OptionalLong hole,
    boolean uninitialized,
    Set<Long> recovered,
    Map<Long, String> groups) {
  /** The answer for a queue the bookkeeper holds no state for. */
  public static final FetchBatch UNINITIALIZED =
      new FetchBatch(List.of(), OptionalLong.empty(), true);

  /** Copies the collections. */
  public FetchBatch {
    leases = List.copyOf(leases);
    recovered = Set.copyOf(recovered);
    groups = Map.copyOf(groups);
  }

  /**
   * A batch with nothing recovered and no group slots.
   *
   * @param leases the leases
   * @param hole the hole
   * @param uninitialized whether the queue is uninitialized
   */
  public FetchBatch(List<Lease> leases, OptionalLong hole, boolean uninitialized) {
    this(leases, hole, uninitialized, Set.of(), Map.of());
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
