package io.workqueue.spi;

/**
 * A queue's progress as the task store keeps it: written when a queue is first used and then about
 * once every thousand indices, so that the bookkeeping can be rebuilt from the store after it was
 * lost. Both figures are allowed to lag behind the truth: a rebuild reads the store above {@code
 * allocated} for the real highest index, and replays (redelivers) from {@code lowestUnfinished}.
 *
 * @param allocated an index known to be allocated (0 for a new queue)
 * @param lowestUnfinished an index at or below the lowest unfinished task at the time of writing
 */
public record QueueMark(long allocated, long lowestUnfinished) {
  /** The mark of a new queue. */
  public static final QueueMark NEW = new QueueMark(0, 1);
}
