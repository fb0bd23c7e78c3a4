package io.workqueue.spi;

import io.workqueue.BackendUnavailableException;
import io.workqueue.InvalidArgumentException;
import io.workqueue.Priority;
import io.workqueue.QueueRef;
import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Holds sealed tasks by (owner, service, index), and their outcomes. Never sees plaintext: the core
 * seals before {@link #put} and opens after {@link #get}.
 *
 * <p>Implementations are thread-safe. A failure to reach the store is a {@link
 * BackendUnavailableException} naming the store; writes are idempotent per (queue, index), so the
 * core may retry them. Stores keep tasks for a retention time (Cassandra: the table's TTL) and
 * delete only whole ranges of indices ({@link #dropBelow}), never single rows.
 *
 * <p>The contract kit is {@code io.workqueue.testkit.TaskStoreContract}.
 */
public interface TaskStore {

  /**
   * Writes tasks of one queue. Returns once every task is durable at the store's configured
   * consistency; throws when any may not be. Writing an index again with the same content is a
   * no-op.
   *
   * @param queue the queue
   * @param tasks the tasks, each with a distinct index
   */
  void put(QueueRef queue, List<StoredTask> tasks);

  /**
   * Reads one task.
   *
   * @param queue the queue
   * @param index the index
   * @return the task, or empty when it was never written, has expired or was dropped
   */
  Optional<StoredTask> get(QueueRef queue, long index);

  /**
   * Reads several tasks of one queue; the batch path reads a range per partition.
   *
   * @param queue the queue
   * @param indices the indices
   * @return the tasks found, by index; missing ones are absent from the map
   */
  Map<Long, StoredTask> getAll(QueueRef queue, Collection<Long> indices);

  /**
   * Writes an outcome. Returns once it is durable; writing the same (index, worker) again replaces
   * it.
   *
   * @param queue the queue
   * @param outcome the sealed outcome
   */
  void putOutcome(QueueRef queue, StoredOutcome outcome);

  /**
   * Writes several outcomes of one queue; the Cassandra store writes one batch per partition.
   *
   * @param queue the queue
   * @param outcomes the sealed outcomes
   */
  default void putOutcomes(QueueRef queue, List<StoredOutcome> outcomes) {
    for (StoredOutcome o : outcomes) {
      putOutcome(queue, o);
    }
  }

  /**
   * Reads the outcome one worker wrote for an index.
   *
   * @param queue the queue
   * @param index the index
   * @param worker the worker that acknowledged
   * @return the outcome, or empty when none was written or it has expired
   */
  Optional<StoredOutcome> getOutcome(QueueRef queue, long index, String worker);

  /**
   * Records that a queue exists, with {@link QueueMark#NEW}, unless a mark is there already (a
   * conditional write: a lagging node never clobbers a later mark).
   *
   * @param queue the queue
   */
  void createQueueMark(QueueRef queue);

  /**
   * Records a queue's progress, replacing the mark.
   *
   * @param queue the queue
   * @param mark the progress
   */
  void putQueueMark(QueueRef queue, QueueMark mark);

  /**
   * Reads a queue's progress.
   *
   * @param queue the queue
   * @return the mark, or empty for a queue never recorded
   */
  Optional<QueueMark> queueMark(QueueRef queue);

  /**
   * Finds the highest index stored for a queue at or above {@code from}, reading partition by
   * partition upward from the one holding {@code from} until two in a row are empty.
   *
   * @param queue the queue
   * @param from where to start, 1 or more
   * @return the highest index found, or empty when none is stored from there on
   */
  OptionalLong highestIndex(QueueRef queue, long from);

  /**
   * Drops, as whole ranges, the tasks and outcomes of every index below {@code watermark} that the
   * store can drop without touching an index at or above it (Cassandra: whole bucket partitions).
   * Indices below {@code previousWatermark} were dropped by an earlier call and need no work.
   *
   * @param queue the queue
   * @param previousWatermark the watermark of the previous call (0 for none)
   * @param watermark every index below it is finished and may go
   * @return the new watermark: the lowest index the store still holds (at most {@code watermark})
   */
  long dropBelow(QueueRef queue, long previousWatermark, long watermark);

  // ---------------------------------------------------------------------------- scheduling

  /**
   * Reads every outcome written for an index (one per worker that acknowledged it), earliest first.
   *
   * @param queue the queue
   * @param index the index
   * @return the outcomes, possibly none
   */
  default List<StoredOutcome> outcomes(QueueRef queue, long index) {
    throw new UnsupportedOperationException("outcomes");
  }

  /**
   * Drops a queue: its tasks and outcomes in every lane up to the given highest indices (whole
   * partitions, plus any the store finds above them), its schedules and its queue mark. After this
   * {@link #queueMark} is empty and {@link #services} no longer lists the queue.
   *
   * @param queue the queue
   * @param highestIndex per lane, the highest index that may hold a task (lanes absent: none)
   */
  default void purge(QueueRef queue, Map<Priority, Long> highestIndex) {
    throw new UnsupportedOperationException("purge");
  }

  /**
   * The argument check of {@link #purge} for implementations: every lane's highest index lies in
   * that lane's range ({@link Priority#base()}, meaning none, up to the lane's last index).
   *
   * @param highestIndex as given to {@link #purge}
   * @return the same entries, in lane order
   * @throws InvalidArgumentException naming {@code highestIndex} when it is null, holds null or an
   *     index outside its lane
   */
  static SortedMap<Priority, Long> checkHighestIndices(Map<Priority, Long> highestIndex) {
    if (highestIndex == null) {
      throw new InvalidArgumentException("highestIndex", "must not be null (nor hold null)");
    }
    SortedMap<Priority, Long> lanes = new TreeMap<>(Comparator.comparingInt(Priority::lane));
    for (Map.Entry<Priority, Long> e : highestIndex.entrySet()) {
      if (e.getKey() == null || e.getValue() == null) {
        throw new InvalidArgumentException("highestIndex", "must not be null (nor hold null)");
      }
      long base = e.getKey().base();
      if (e.getValue() < base || e.getValue() > base + Priority.LANE_SIZE - 1) {
        throw new InvalidArgumentException(
            "highestIndex",
            "index of lane "
                + e.getKey()
                + " must be "
                + base
                + " (none) to "
                + (base + Priority.LANE_SIZE - 1)
                + ", was "
                + e.getValue());
      }
      lanes.put(e.getKey(), e.getValue());
    }
    return lanes;
  }

  /**
   * Lists the queues of an owner that have a queue mark.
   *
   * @param owner the owner
   * @return the queue names, sorted
   */
  default List<String> services(String owner) {
    throw new UnsupportedOperationException("services");
  }

  /**
   * Writes a schedule, replacing one with the same id.
   *
   * @param queue the queue
   * @param schedule the schedule
   */
  default void putSchedule(QueueRef queue, StoredSchedule schedule) {
    throw new UnsupportedOperationException("schedules");
  }

  /**
   * Deletes a schedule.
   *
   * @param queue the queue
   * @param id the schedule's id
   * @return true when it existed
   */
  default boolean deleteSchedule(QueueRef queue, String id) {
    throw new UnsupportedOperationException("schedules");
  }

  /**
   * Reads a queue's schedules.
   *
   * @param queue the queue
   * @return the schedules, by id
   */
  default List<StoredSchedule> schedules(QueueRef queue) {
    throw new UnsupportedOperationException("schedules");
  }

  /**
   * Moves a schedule's next tick, only if it is still {@code expected} (a conditional write:
   * Cassandra's lightweight transaction), so that of several nodes claiming the same tick exactly
   * one succeeds.
   *
   * @param queue the queue
   * @param id the schedule's id
   * @param expected the next tick the caller read
   * @param next the tick after it, or an earlier one to give a claimed tick back; it must differ
   *     from {@code expected} by a millisecond or more
   * @return true when this call moved it; false when the schedule is gone or another caller moved
   *     it first
   */
  default boolean advanceSchedule(QueueRef queue, String id, Instant expected, Instant next) {
    throw new UnsupportedOperationException("schedules");
  }
}
