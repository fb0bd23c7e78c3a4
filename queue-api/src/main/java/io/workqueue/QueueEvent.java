package io.workqueue;

import java.time.Instant;
import java.util.List;

/**
 * What happened in a queue, as a {@link QueueListener} hears it. Events are reported by the node
 * that made the change, after the change is durable, at most once per change (a crash in between
 * loses the event, never the change); they are for monitoring, not for bookkeeping.
 */
public sealed interface QueueEvent {

  /**
   * The queue.
   *
   * @return the queue
   */
  QueueRef queue();

  /**
   * When it happened, by the reporting node's clock.
   *
   * @return the time
   */
  Instant at();

  /**
   * Tasks were added.
   *
   * @param queue the queue
   * @param indices their indices
   * @param at when
   */
  record Added(QueueRef queue, List<Long> indices, Instant at) implements QueueEvent {
    /** Copies the list. */
    public Added {
      indices = List.copyOf(indices);
    }
  }

  /**
   * A task was leased to a worker (a fresh task, a released or delayed one that came due, or a
   * replay); {@link Recovered} when it was taken over from an expired lease.
   *
   * @param queue the queue
   * @param worker the worker
   * @param index the task
   * @param deliveries its deliveries, this one included
   * @param at when
   */
  record Fetched(QueueRef queue, String worker, long index, int deliveries, Instant at)
      implements QueueEvent {}

  /**
   * A task whose lease expired was taken over by another worker.
   *
   * @param queue the queue
   * @param worker the new holder
   * @param index the task
   * @param deliveries its deliveries, this one included
   * @param at when
   */
  record Recovered(QueueRef queue, String worker, long index, int deliveries, Instant at)
      implements QueueEvent {}

  /**
   * A holder extended its lease.
   *
   * @param queue the queue
   * @param worker the holder
   * @param index the task
   * @param deadline the new deadline
   * @param at when
   */
  record LeaseExtended(QueueRef queue, String worker, long index, Instant deadline, Instant at)
      implements QueueEvent {}

  /**
   * A holder gave a task back for redelivery.
   *
   * @param queue the queue
   * @param worker the holder
   * @param index the task
   * @param dueAt when it may be delivered again
   * @param at when
   */
  record Released(QueueRef queue, String worker, long index, Instant dueAt, Instant at)
      implements QueueEvent {}

  /**
   * A task was acknowledged with a success outcome.
   *
   * @param queue the queue
   * @param worker the worker
   * @param index the task
   * @param at when
   */
  record Acked(QueueRef queue, String worker, long index, Instant at) implements QueueEvent {}

  /**
   * A task was acknowledged with a failure outcome (by its worker, or because it cannot be opened).
   *
   * @param queue the queue
   * @param worker the worker
   * @param index the task
   * @param at when
   */
  record Failed(QueueRef queue, String worker, long index, Instant at) implements QueueEvent {}

  /**
   * A task went to the dead letters after its last allowed delivery.
   *
   * @param queue the queue
   * @param index the task
   * @param deliveries how many times it was delivered
   * @param at when
   */
  record DeadLettered(QueueRef queue, long index, int deliveries, Instant at)
      implements QueueEvent {}

  /**
   * A fetch found a task's row gone (past the store's retention time) and stepped over it.
   *
   * @param queue the queue
   * @param index the task
   * @param at when
   */
  record Expired(QueueRef queue, long index, Instant at) implements QueueEvent {}

  /**
   * A repeating task ticked and enqueued a task.
   *
   * @param queue the queue
   * @param scheduleId the schedule
   * @param tick the tick's time
   * @param index the enqueued task
   * @param at when
   */
  record ScheduledTick(QueueRef queue, String scheduleId, Instant tick, long index, Instant at)
      implements QueueEvent {}

  /**
   * The queue was paused.
   *
   * @param queue the queue
   * @param at when
   */
  record Paused(QueueRef queue, Instant at) implements QueueEvent {}

  /**
   * The queue was resumed.
   *
   * @param queue the queue
   * @param at when
   */
  record Resumed(QueueRef queue, Instant at) implements QueueEvent {}

  /**
   * The queue's tasks and bookkeeping were dropped.
   *
   * @param queue the queue
   * @param at when
   */
  record Purged(QueueRef queue, Instant at) implements QueueEvent {}
}
