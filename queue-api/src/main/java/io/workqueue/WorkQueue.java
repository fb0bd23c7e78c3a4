package io.workqueue;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;

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
public interface WorkQueue extends AutoCloseable {

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

  // ------------------------------------------------------------------------------ scheduling

  /**
   * Extends the worker's single-task lease: its deadline becomes now plus {@code extension} (a
   * heartbeat for long work). A lease past its deadline that no other worker took over yet may
   * still be extended.
   *
   * @param queue the queue
   * @param worker the holder
   * @param extension 1 ms to 1 day
   * @return true when the worker held the lease and it is extended; false when it held none (never
   *     fetched, acknowledged, released, or taken over by another worker)
   */
  boolean extendLease(QueueRef queue, String worker, Duration extension);

  /**
   * Extends one lease by index, for batch leases; as {@link #extendLease(QueueRef, String,
   * Duration)}.
   *
   * @param queue the queue
   * @param worker the holder
   * @param index the leased index
   * @param extension 1 ms to 1 day
   * @return true when the worker held the lease on {@code index} and it is extended
   */
  boolean extendLease(QueueRef queue, String worker, long index, Duration extension);

  /**
   * Gives the worker's single-task lease back for redelivery after {@code delay} (a nack with
   * backoff): the next delivery counts one more. A task at its {@linkplain
   * QueueSettings#maxDeliveries() delivery limit} goes to the dead letters instead.
   *
   * @param queue the queue
   * @param worker the holder
   * @param delay 0 to {@link NewTask#MAX_DELAY}
   * @return true when the worker held the lease and gave it back (or it was dead-lettered)
   */
  boolean release(QueueRef queue, String worker, Duration delay);

  /**
   * Gives one lease back by index with the error that made the worker give up, which the dead
   * letters show if this was the task's last allowed delivery.
   *
   * @param queue the queue
   * @param worker the holder
   * @param index the leased index
   * @param delay 0 to {@link NewTask#MAX_DELAY}
   * @param error any Jackson-mappable object or a {@link Throwable} (as in {@link
   *     Outcome#failure(Object)}); {@code null} for none
   * @return true when the worker held the lease on {@code index} and gave it back
   */
  boolean release(QueueRef queue, String worker, long index, Duration delay, Object error);

  /**
   * Lists dead letters, oldest first.
   *
   * @param queue the queue
   * @param limit 1 to {@value #MAX_BATCH}
   * @return up to {@code limit} dead letters
   */
  List<DeadLetter> deadLetters(QueueRef queue, int limit);

  /**
   * Puts a dead letter back in circulation: it is delivered again as soon as possible, with its
   * delivery count starting over.
   *
   * @param queue the queue
   * @param index a dead letter's index
   * @return true when {@code index} was a dead letter and is requeued; false when it was not
   */
  boolean requeue(QueueRef queue, long index);

  /**
   * Drops a dead letter for good (its failure outcome stays readable within retention).
   *
   * @param queue the queue
   * @param index a dead letter's index
   * @return true when {@code index} was a dead letter and is dropped
   */
  boolean discard(QueueRef queue, long index);

  /**
   * Pauses a queue: fetch returns nothing until {@link #resume}; adds, acks and the rest go on.
   *
   * @param queue the queue
   * @return true when this call paused it, false when it was paused already
   */
  boolean pause(QueueRef queue);

  /**
   * Resumes a paused queue.
   *
   * @param queue the queue
   * @return true when this call resumed it, false when it was not paused
   */
  boolean resume(QueueRef queue);

  /**
   * Replaces a queue's settings (delivery limit, group limit), for every node at once.
   *
   * @param queue the queue
   * @param settings the settings
   */
  void configure(QueueRef queue, QueueSettings settings);

  /**
   * Reads a queue's settings.
   *
   * @param queue the queue
   * @return the settings; {@link QueueSettings#DEFAULT} for a queue never configured
   */
  QueueSettings settings(QueueRef queue);

  /**
   * Drops a queue: its tasks, outcomes, schedules and bookkeeping. Leases held on it are gone (an
   * ack of one returns false). Adding to it afterwards starts a new queue from index 1. Not atomic
   * across the backends: an add running at the same time may survive the purge.
   *
   * @param queue the queue
   */
  void purge(QueueRef queue);

  /**
   * Drops every queue of an owner whose name matches a pattern, as {@link #purge(QueueRef)}.
   *
   * @param owner the owner
   * @param services a pattern the whole queue name must match
   * @return the queues dropped
   */
  List<QueueRef> purge(String owner, Pattern services);

  /**
   * Lists an owner's queues: those ever added to and not purged.
   *
   * @param owner the owner
   * @return the queues, by name
   */
  List<QueueRef> queues(String owner);

  /**
   * Adds or replaces a repeating task: at each tick of {@code schedule} one task made from {@code
   * template} is added to the queue, exactly once however many nodes {@linkplain #runSchedules run
   * schedules}. Ticks missed while no node ran schedules are not caught up: the next run adds one
   * task for the latest missed tick. The template is sealed at rest like any task.
   *
   * @param queue the queue
   * @param scheduleId letters, digits, '.', '_' and '-', at most 100 characters
   * @param schedule when it ticks
   * @param template the task to add at each tick ({@link NewTask#delay(Duration)} and {@link
   *     NewTask#notBefore(Instant)} are not allowed)
   * @return the first tick
   */
  java.time.Instant schedule(
      QueueRef queue, String scheduleId, Schedule schedule, NewTask template);

  /**
   * Removes a repeating task.
   *
   * @param queue the queue
   * @param scheduleId the schedule's id
   * @return true when it existed
   */
  boolean unschedule(QueueRef queue, String scheduleId);

  /**
   * Lists a queue's repeating tasks.
   *
   * @param queue the queue
   * @return the schedules, by id
   */
  List<ScheduleInfo> schedules(QueueRef queue);

  /**
   * Adds one task for each of the queue's schedules whose tick has come, each tick exactly once
   * among all nodes (a conditional write in the task store decides which node adds it). A {@link
   * QueueWorker} calls it about once a second for its queues.
   *
   * @param queue the queue
   * @return the indices added
   */
  List<Long> runSchedules(QueueRef queue);

  // ------------------------------------------------------------------------------ completions

  /**
   * Reads a task's outcome, if a worker acknowledged it and the outcome is within retention. Where
   * several workers acknowledged the same task (a lease taken over after its worker had already
   * written), the earliest outcome is returned.
   *
   * @param queue the queue
   * @param index the task's index
   * @return the outcome, or empty when none is stored (not yet acknowledged, acknowledged with a
   *     plain success and no completion listener or watcher, or expired)
   */
  Optional<Outcome> outcome(QueueRef queue, long index);

  /**
   * Adds a task and returns a handle to await its outcome: the stage completes when any worker on
   * any node acknowledges it (woken by the bookkeeper's signal where it has one, with the persisted
   * outcome as the source of truth, polled as a fallback).
   *
   * @param queue the queue
   * @param task the task
   * @return the handle
   */
  TaskHandle submit(QueueRef queue, NewTask task);

  /**
   * Awaits the outcome of a task added earlier, as {@link #submit}.
   *
   * @param queue the queue
   * @param index the task's index
   * @return a stage completing with the outcome
   */
  CompletionStage<Outcome> completion(QueueRef queue, long index);

  /**
   * Subscribes to a queue's work signal: {@code listener} runs when tasks may have become ready
   * (added, released or requeued without delay, the queue resumed), on any node, as far as the
   * bookkeeper has {@linkplain io.workqueue.spi.Bookkeeper#signals() signals}; without them, or
   * when a signal is lost, nothing is called, so a caller also polls (more slowly).
   *
   * @param queue the queue
   * @param listener called on a signal thread; must be quick and must not throw
   * @return closes the subscription
   */
  AutoCloseable onWork(QueueRef queue, Runnable listener);

  /**
   * Releases what the queue holds (subscriptions, schedule threads); the backends are the caller's
   * to close. Idempotent.
   */
  @Override
  default void close() {}
}
