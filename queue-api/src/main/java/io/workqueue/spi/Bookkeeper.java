package io.workqueue.spi;

import io.workqueue.BackendUnavailableException;
import io.workqueue.Lease;
import io.workqueue.QueueRef;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The queue's bookkeeping: index allocation and commit, the fetch pointer, leases with deadlines,
 * recovery of expired leases, pending completions. Each method is one atomic step (one Lua script
 * on Redis). Time always comes from the caller ({@code now}), so a settable clock tests every
 * implementation.
 *
 * <p>Initialization: the bookkeeper serves only queues it was told about with {@link #initialize}.
 * A queue it holds no state for (a new queue, or one whose bookkeeping was lost with its Redis
 * data) makes {@link #allocate} return 0 and {@link #fetch} answer {@link Fetch.Uninitialized}, so
 * the caller can rebuild the queue's counters from the task store before any index is handed out
 * again; indices are never reused.
 *
 * <p>Indices: {@link #allocate} reserves indices, which stay <em>pending</em> until {@link #commit}
 * (after the task rows were written). {@link #fetch} hands out only indices below the lowest
 * pending one, so an index allocated but not yet written is never handed out; a pending index older
 * than the grace period is reported as a {@link Fetch.Hole} for the caller to resolve.
 *
 * <p>Memory per queue is O(workers + in-flight + pending), never O(backlog). Implementations are
 * thread-safe. Each step is applied entirely or not at all; a failure to reach the backend is a
 * {@link BackendUnavailableException}, after which the step may or may not have been applied if the
 * connection broke after the request was sent (a timeout). The contract kit is {@code
 * io.workqueue.testkit.BookkeeperContract}.
 */
public interface Bookkeeper {

  /**
   * Reserves {@code count} consecutive new indices, pending until committed.
   *
   * @param queue the queue
   * @param count how many, 1 or more
   * @param now the caller's time, recorded to judge holes
   * @return the first reserved index (the first ever is 1), or 0, changing nothing, when the queue
   *     is not initialized
   */
  long allocate(QueueRef queue, int count, Instant now);

  /**
   * Starts the bookkeeping of a queue the bookkeeper holds no state for; does nothing for a queue
   * it already serves. Indices up to {@code allocated} are taken: new ones start after it. The
   * fetch pointer starts at {@code replayFrom}: indices {@code replayFrom} to {@code replayTo} are
   * handed out again as redeliveries (not fresh, deliveries 2: after lost bookkeeping, the tasks
   * that may be unfinished), and the pointer then jumps over {@code replayTo + 1} to {@code
   * allocated} (indices that may have been used but hold no task). A new queue is {@code
   * initialize(q, 0, 1, 0)}.
   *
   * @param queue the queue
   * @param allocated the highest index taken, 0 or more
   * @param replayFrom the lowest index that may be unfinished, 1 to {@code replayTo + 1}
   * @param replayTo the highest index to deliver again, at most {@code allocated}
   * @return true when this call initialized the queue, false when it was initialized already
   */
  boolean initialize(QueueRef queue, long allocated, long replayFrom, long replayTo);

  /**
   * Commits allocated indices whose tasks are written. An index already resolved as a hole and kept
   * counts as committed.
   *
   * @param queue the queue
   * @param first the first index of the range
   * @param count the range's length
   * @return true when every index of the range is committed: each was still pending, or was
   *     resolved as a kept hole; false when any was resolved as a skipped hole (its writer was too
   *     slow) or is unknown (the queue was initialized again after its bookkeeping was lost), in
   *     which case the add must fail. Implementations may forget resolved holes after a day (the
   *     Redis bookkeeper does, to stay small); no add with a timeout commits that late
   */
  boolean commit(QueueRef queue, long first, int count);

  /**
   * Hands a lease to a worker: its own unexpired lease again if it holds one on the single-task
   * path, else the expired lease with the earliest deadline (to exactly this worker, with a fresh
   * deadline, deliveries + 1), else the next committed index (deliveries 1; deliveries 2 and not
   * fresh for an index being replayed after {@link #initialize}), else a hole to resolve, else
   * empty; {@link Fetch.Uninitialized} for a queue not initialized.
   *
   * @param queue the queue
   * @param worker the worker
   * @param now the caller's time
   * @param timeToRecover the lease's length from {@code now}
   * @param holeGrace how long a pending index may stay uncommitted before it is reported as a hole
   * @return the decision
   */
  Fetch fetch(
      QueueRef queue, String worker, Instant now, Duration timeToRecover, Duration holeGrace);

  /**
   * Resolves a hole reported by {@link #fetch}: {@code keep} commits it (the row exists), else it
   * is skipped for good and a late {@link #commit} of it returns false.
   *
   * @param queue the queue
   * @param index the hole
   * @param keep whether the task row exists
   * @param now the caller's time
   * @return true when this call resolved it, false when it was no longer pending
   */
  boolean resolveHole(QueueRef queue, long index, boolean keep, Instant now);

  /**
   * The lease a worker holds on the single-task path, if any and not taken over.
   *
   * @param queue the queue
   * @param worker the worker
   * @return the lease
   */
  Optional<Lease> lease(QueueRef queue, String worker);

  /**
   * Acknowledges a lease: only the worker that holds the lease on {@code index} succeeds (a lease
   * past its deadline but not yet taken over still counts as held).
   *
   * @param queue the queue
   * @param worker the worker
   * @param index the leased index
   * @param completionDueAt when present, the completion is recorded as pending in the same step,
   *     claimable by {@link #claimCompletions} from that time on (the acknowledging node delivers
   *     it right away and confirms with {@link #completionDelivered})
   * @return true when the lease was held and is now released; false otherwise, changing nothing
   */
  boolean ack(QueueRef queue, String worker, long index, Optional<Instant> completionDueAt);

  /**
   * Acknowledges the worker's lease on the single-task path, if it still holds one, without
   * recording a completion: {@code lease} and {@code ack} in one step, for an ack that has no
   * outcome to persist.
   *
   * @param queue the queue
   * @param worker the worker
   * @return the released index, or empty when the worker held no single-task lease (never fetched,
   *     acknowledged already, or taken over), changing nothing
   */
  OptionalLong ackHeld(QueueRef queue, String worker);

  /**
   * Leases up to {@code max} tasks to a worker on the batch path: expired leases first (each to
   * exactly this worker, earliest deadline first, deliveries + 1, fresh deadline), then fresh
   * committed indices in order. Batch leases are held by index: they are not the worker's
   * single-task lease that {@link #fetch} returns again, and the worker acknowledges them by index.
   * Costs O(max log n), never O(backlog).
   *
   * @param queue the queue
   * @param worker the worker
   * @param max how many at most, 1 or more
   * @param now the caller's time
   * @param timeToRecover each lease's length from {@code now}
   * @param holeGrace as for {@link #fetch}
   * @return the leases, possibly none, and a hole to resolve when one blocked the batch
   */
  FetchBatch fetchBatch(
      QueueRef queue,
      String worker,
      int max,
      Instant now,
      Duration timeToRecover,
      Duration holeGrace);

  /**
   * Acknowledges several leases of one worker in one step; only those the worker still holds
   * change.
   *
   * @param queue the queue
   * @param worker the worker
   * @param indices the indices, distinct
   * @param completionDueAt as for {@link #ack}
   * @return the indices whose lease the worker held and that are now released
   */
  Set<Long> ackAll(
      QueueRef queue, String worker, Collection<Long> indices, Optional<Instant> completionDueAt);

  /**
   * How many batch leases a worker holds; {@code ack} without an index uses it to refuse an
   * ambiguous call.
   *
   * @param queue the queue
   * @param worker the worker
   * @return the number of batch leases the worker holds (taken-over ones excluded)
   */
  int batchLeaseCount(QueueRef queue, String worker);

  /**
   * Claims pending completions whose retry time has come, pushing their retry time {@code claimFor}
   * ahead so other nodes leave them alone meanwhile.
   *
   * @param queue the queue
   * @param now the caller's time
   * @param claimFor how long the claim lasts
   * @param limit how many at most
   * @return the claimed completions, oldest first
   */
  List<PendingCompletion> claimCompletions(
      QueueRef queue, Instant now, Duration claimFor, int limit);

  /**
   * Forgets a pending completion once the listener returned.
   *
   * @param queue the queue
   * @param completion the delivered completion
   */
  void completionDelivered(QueueRef queue, PendingCompletion completion);

  /**
   * Forgets several pending completions in one step.
   *
   * @param queue the queue
   * @param completions the delivered completions
   */
  default void completionsDelivered(QueueRef queue, Collection<PendingCompletion> completions) {
    for (PendingCompletion c : completions) {
      completionDelivered(queue, c);
    }
  }

  /**
   * Reads the counters and leases: O(in-flight), for information and for the core's occasional
   * record of the queue's progress in the task store, never on the fetch path.
   *
   * @param queue the queue
   * @return the state; {@link BookkeeperState#UNINITIALIZED} for a queue not initialized
   */
  BookkeeperState state(QueueRef queue);

  /**
   * Moves the fetch pointer so that the next fresh fetch hands out {@code fetched + 1}.
   *
   * @param queue the queue
   * @param fetched the new pointer, 0 or more
   * @return false, changing nothing, when {@code fetched} is above the highest allocated index or
   *     the queue is not initialized
   */
  boolean rewind(QueueRef queue, long fetched);
}
