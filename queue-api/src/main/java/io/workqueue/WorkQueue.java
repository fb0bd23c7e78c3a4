package io.workqueue;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A durable, encrypted, multi-tenant work queue: producers {@link #add}, workers {@link #fetch} and
 * {@link #ack}, operators ask {@link #info}. Built by {@link WorkQueues#builder()} from a task
 * store, a bookkeeper and a key provider. Thread-safe; one instance serves any number of queues,
 * threads and workers, and any number of instances (on any number of nodes) may share the same
 * backends.
 *
 * <p>Delivery is at least once: a task whose worker does not acknowledge it before its lease
 * deadline (the fetch time plus that worker's time to recover) goes to exactly one next worker. A
 * worker holds at most one lease per queue on the single-task path; fetching again before acking
 * returns the same task.
 *
 * <p>Every method throws {@link InvalidArgumentException} for bad input (changing nothing), {@link
 * BackendUnavailableException} when a backend fails, and other {@link QueueException}s as
 * documented.
 */
public interface WorkQueue {

  /** The time to recover used by {@link #fetch(QueueRef, String)}: 60 seconds. */
  Duration DEFAULT_TIME_TO_RECOVER = Duration.ofSeconds(60);

  /** The most tasks one {@link #addAll}, {@link #fetchBatch} or {@link #ackAll} takes. */
  int MAX_BATCH = 1000;

  /**
   * Adds a task: seals its value and token with the owner's key, writes it, and returns its index.
   * Once this returns, the task is delivered at least once within the store's retention time.
   *
   * @param queue the queue
   * @param task the task
   * @return the task's index: unique in the queue, the first is 1
   * @throws KeyUnavailableException when the owner has no usable key (nothing is written)
   * @throws BackendUnavailableException when a backend fails; the task may or may not be delivered
   *     then, as with any queue whose write timed out
   */
  long add(QueueRef queue, NewTask task);

  /**
   * Adds several tasks with one allocation, one write per store partition and one commit.
   *
   * @param queue the queue
   * @param tasks 1 to {@value #MAX_BATCH} tasks
   * @return their indices, consecutive, in the order given
   */
  List<Long> addAll(QueueRef queue, List<NewTask> tasks);

  /**
   * Fetches with the {@linkplain #DEFAULT_TIME_TO_RECOVER default time to recover}.
   *
   * @param queue the queue
   * @param worker the worker's id
   * @return the task leased to the worker, or empty when there is none
   * @see #fetch(QueueRef, String, Duration)
   */
  Optional<Task> fetch(QueueRef queue, String worker);

  /**
   * Leases a task to a worker: the worker's own unacknowledged task again if it holds one, else an
   * expired lease of another worker (recovered, with a fresh deadline), else the next new task.
   *
   * @param queue the queue
   * @param worker the worker's id
   * @param timeToRecover how long the worker has to acknowledge before the task may go to the next
   *     worker; 1 ms to 1 day
   * @return the task, or empty when there is none to hand out
   * @throws UnreadableTaskException when the task's data cannot be opened; the task is then
   *     acknowledged with a failure outcome so the next fetch moves on
   */
  Optional<Task> fetch(QueueRef queue, String worker, Duration timeToRecover);

  /**
   * Leases up to {@code max} tasks to a worker in one bookkeeper step and one store read per
   * partition: expired leases of other workers first (each to exactly one worker, with a fresh
   * deadline), then new tasks in index order. Each task is a lease of its own with its own
   * deadline, acknowledged by index ({@link #ack(QueueRef, String, long, Outcome)} or {@link
   * #ackAll}).
   *
   * <p>Batch leases and the single-task path mix: {@link #fetch} never returns a batch lease again
   * (it returns the worker's single-task lease, or leases a new task), and {@link #ack(QueueRef,
   * String)} without an index acknowledges only the single-task lease; where the worker holds none
   * but does hold batch leases, that call is ambiguous and is refused.
   *
   * <p>Tasks that cannot be opened (tampered, or their owner's keys destroyed) are left out of the
   * result, acknowledged with a failure outcome and logged, so one bad task never holds back the
   * rest of a batch.
   *
   * @param queue the queue
   * @param worker the worker's id
   * @param max 1 to {@value #MAX_BATCH}
   * @param timeToRecover each lease's time to recover; 1 ms to 1 day
   * @return the leased tasks, recovered ones first, then by index; empty when there are none
   */
  List<Task> fetchBatch(QueueRef queue, String worker, int max, Duration timeToRecover);

  /**
   * Acknowledges the worker's single-task lease with {@link Outcome#success()}.
   *
   * @param queue the queue
   * @param worker the worker's id
   * @return true when the worker held a lease and it is now acknowledged; false when it held none
   *     (never fetched, already acknowledged, or its lease was taken over by another worker)
   * @throws InvalidArgumentException naming {@code index} when the worker holds no single-task
   *     lease but holds batch leases: acknowledge those by index
   */
  boolean ack(QueueRef queue, String worker);

  /**
   * Acknowledges the worker's task with an outcome. The outcome is persisted before the lease is
   * released and reaches the completion listener at least once.
   *
   * @param queue the queue
   * @param worker the worker's id
   * @param outcome success, with or without a result, or failure
   * @return as {@link #ack(QueueRef, String)}
   */
  boolean ack(QueueRef queue, String worker, Outcome outcome);

  /**
   * Acknowledges one leased task by index.
   *
   * @param queue the queue
   * @param worker the worker's id
   * @param index the task's index
   * @param outcome the outcome
   * @return true when the worker held the lease on {@code index} and it is now acknowledged
   */
  boolean ack(QueueRef queue, String worker, long index, Outcome outcome);

  /**
   * Acknowledges several leased tasks of one worker with {@link Outcome#success()}: one bookkeeper
   * step.
   *
   * @param queue the queue
   * @param worker the worker's id
   * @param indices 1 to {@value #MAX_BATCH} distinct indices
   * @return the indices whose lease the worker still held and that are now acknowledged; the others
   *     (taken over by another worker, or never held) are untouched
   */
  Set<Long> ackAll(QueueRef queue, String worker, Collection<Long> indices);

  /**
   * Acknowledges several leased tasks with an outcome each. The outcomes are persisted (one store
   * batch per partition) before the leases are released, and each reaches the completion listener
   * at least once.
   *
   * @param queue the queue
   * @param worker the worker's id
   * @param outcomes 1 to {@value #MAX_BATCH} outcomes by index
   * @return as {@link #ackAll(QueueRef, String, Collection)}
   */
  Set<Long> ackAll(QueueRef queue, String worker, Map<Long, Outcome> outcomes);

  /**
   * Reads the queue's counters and leases.
   *
   * @param queue the queue
   * @return the snapshot; a queue never used reads as index 0, fetched 0, no leases
   */
  QueueInfo info(QueueRef queue);

  /**
   * Moves the fetch pointer: the next fresh fetch returns index {@code index + 1}. Leases are
   * unchanged. Rewinding replays tasks that are still within the store's retention time.
   *
   * @param queue the queue
   * @param index 0 to {@code info(queue).index()}
   */
  void rewind(QueueRef queue, long index);

  /**
   * Delivers completions that were acknowledged but not confirmed as delivered to the completion
   * listener (it threw, or its process died). Fetch calls this on its own at most once a second per
   * queue; call it yourself to flush sooner.
   *
   * @param queue the queue
   * @return how many completions were delivered
   */
  int deliverPendingCompletions(QueueRef queue);
}
