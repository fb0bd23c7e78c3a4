package io.workqueue.spi;

import io.workqueue.BackendUnavailableException;
import io.workqueue.Lease;
import io.workqueue.Priority;
import io.workqueue.QueueRef;
import io.workqueue.QueueSettings;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
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

  // ------------------------------------------------------------------ lanes, delays, settings

  /**
   * Reserves {@code count} consecutive new indices of a lane, pending until committed. {@link
   * #allocate(QueueRef, int, Instant)} is this for {@link Priority#NORMAL}.
   *
   * @param queue the queue
   * @param lane the lane
   * @param count how many, 1 or more
   * @param now the caller's time
   * @return the first reserved index (the lane's first ever is {@code lane.base() + 1}), or 0,
   *     changing nothing, when the queue is not initialized
   */
  default long allocate(QueueRef queue, Priority lane, int count, Instant now) {
    throw new UnsupportedOperationException("lanes");
  }

  /**
   * Commits allocated indices as {@link #commit(QueueRef, long, int)} does, and puts those with a
   * due time after {@code now} in the delayed set: the fetch pointer steps over them, and once due
   * they go to the ready set, handed out before their lane's fresh indices. Publishes a work signal
   * when anything became ready (see {@link #signals()}).
   *
   * @param queue the queue
   * @param first the first index of the range
   * @param count the range's length
   * @param dueAt due times of indices in the range (others are ready at once)
   * @param now the caller's time
   * @return as {@link #commit(QueueRef, long, int)}
   */
  default boolean commit(
      QueueRef queue, long first, int count, Map<Long, Instant> dueAt, Instant now) {
    throw new UnsupportedOperationException("delays");
  }

  /**
   * Starts the bookkeeping of a queue lane by lane, as {@link #initialize(QueueRef, long, long,
   * long)} does for one; lanes not listed start empty. Does nothing for a queue already served.
   *
   * @param queue the queue
   * @param lanes where each listed lane starts
   * @return true when this call initialized the queue
   */
  default boolean initialize(QueueRef queue, List<LaneStart> lanes) {
    throw new UnsupportedOperationException("lanes");
  }

  /**
   * Admits leased tasks to their concurrency groups: a lease whose group holds fewer leases than
   * the queue's {@link QueueSettings#groupLimit()} (0: no limit) takes a slot, held until the lease
   * ends (ack, release, dead letter, expire; a recovered lease keeps it); otherwise the lease is
   * dropped and its index <em>parked</em> in the group, its delivery count back to what it was
   * before this lease. When a slot frees, the group's lowest parked index moves to the ready set.
   * Only the worker's held leases change; others are ignored.
   *
   * @param queue the queue
   * @param worker the holder
   * @param groups leased indices and their groups
   * @param now the caller's time
   * @return the indices admitted (the rest are parked or were not held)
   */
  default Set<Long> admit(QueueRef queue, String worker, Map<Long, String> groups, Instant now) {
    throw new UnsupportedOperationException("groups");
  }

  /**
   * Moves a held lease's deadline.
   *
   * @param queue the queue
   * @param worker the holder
   * @param index the leased index
   * @param deadline the new deadline
   * @return true when the worker held the lease (not taken over) and it now ends at {@code
   *     deadline}; false, changing nothing, otherwise
   */
  default boolean extend(QueueRef queue, String worker, long index, Instant deadline) {
    throw new UnsupportedOperationException("extend");
  }

  /**
   * Ends a held lease without acknowledging it: the index goes to the delayed set until {@code
   * dueAt} (the ready set if that is not after {@code now}), keeping its delivery count so the next
   * lease counts one more; a group slot is freed. Publishes a work signal when it is ready at once.
   *
   * @param queue the queue
   * @param worker the holder
   * @param index the leased index
   * @param dueAt when it may be handed out again
   * @param now the caller's time
   * @return the released lease, or empty, changing nothing, when the worker did not hold it
   */
  default Optional<Lease> release(
      QueueRef queue, String worker, long index, Instant dueAt, Instant now) {
    throw new UnsupportedOperationException("release");
  }

  /**
   * Ends a held lease by moving its index to the dead letters (with the lease's delivery count, the
   * worker and {@code now}); records a pending completion like {@link #ack}; frees a group slot.
   *
   * @param queue the queue
   * @param worker the holder
   * @param index the leased index
   * @param completionDueAt as for {@link #ack}
   * @param now the caller's time
   * @return the dead letter, or empty, changing nothing, when the worker did not hold the lease
   */
  default Optional<DeadEntry> deadLetter(
      QueueRef queue, String worker, long index, Optional<Instant> completionDueAt, Instant now) {
    throw new UnsupportedOperationException("dead letters");
  }

  /**
   * Lists dead letters, oldest first.
   *
   * @param queue the queue
   * @param limit how many at most
   * @return the dead letters
   */
  default List<DeadEntry> deadLetters(QueueRef queue, int limit) {
    throw new UnsupportedOperationException("dead letters");
  }

  /**
   * Moves a dead letter to the ready set, its delivery count starting over (the next lease is
   * delivery 1). Publishes a work signal.
   *
   * @param queue the queue
   * @param index the dead letter
   * @param now the caller's time
   * @return false, changing nothing, when {@code index} is not a dead letter
   */
  default boolean requeue(QueueRef queue, long index, Instant now) {
    throw new UnsupportedOperationException("dead letters");
  }

  /**
   * Forgets a dead letter.
   *
   * @param queue the queue
   * @param index the dead letter
   * @return false when {@code index} is not a dead letter
   */
  default boolean discard(QueueRef queue, long index) {
    throw new UnsupportedOperationException("dead letters");
  }

  /**
   * Acknowledges held leases whose task rows are gone (expired), without a completion, and counts
   * them in {@link BookkeeperState#expired()}.
   *
   * @param queue the queue
   * @param worker the holder
   * @param indices the leased indices
   * @return the indices released
   */
  default Set<Long> expire(QueueRef queue, String worker, Collection<Long> indices) {
    throw new UnsupportedOperationException("expire");
  }

  /**
   * Pauses or resumes fetching: while paused, {@link #fetch} answers {@link Fetch#EMPTY} and {@link
   * #fetchBatch} an empty batch (for an initialized queue); every other step goes on. Resuming
   * publishes a work signal. Works on an uninitialized queue too (the flag is kept).
   *
   * @param queue the queue
   * @param paused the new state
   * @return true when the state changed
   */
  default boolean pause(QueueRef queue, boolean paused) {
    throw new UnsupportedOperationException("pause");
  }

  /**
   * Replaces the queue's settings. Works on an uninitialized queue too.
   *
   * @param queue the queue
   * @param settings the settings
   */
  default void configure(QueueRef queue, QueueSettings settings) {
    throw new UnsupportedOperationException("settings");
  }

  /**
   * Reads the queue's settings.
   *
   * @param queue the queue
   * @return the settings, {@link QueueSettings#DEFAULT} when never configured
   */
  default QueueSettings settings(QueueRef queue) {
    throw new UnsupportedOperationException("settings");
  }

  /**
   * Forgets everything about a queue: counters, leases, delays, dead letters, groups, settings,
   * pending completions, the paused flag. Afterwards the queue is uninitialized.
   *
   * @param queue the queue
   */
  default void purge(QueueRef queue) {
    throw new UnsupportedOperationException("purge");
  }

  /**
   * Signals between nodes (work ready, tasks acknowledged), where the bookkeeper has them.
   *
   * @return the signals, or empty when callers must poll
   */
  default Optional<Signals> signals() {
    return Optional.empty();
  }
}
