package io.workqueue.testkit;

import io.workqueue.InvalidArgumentException;
import io.workqueue.Priority;
import io.workqueue.QueueRef;
import io.workqueue.spi.QueueMark;
import io.workqueue.spi.StoredOutcome;
import io.workqueue.spi.StoredSchedule;
import io.workqueue.spi.StoredTask;
import io.workqueue.spi.TaskStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * A {@link TaskStore} in memory. Thread-safe, not durable, no retention limit. Drops whole buckets
 * of {@code bucketSize} indices, as the Cassandra store does, so tests see the same watermarks;
 * {@link #purge} too works bucket by bucket as the Cassandra store does.
 *
 * <p>Task times ({@code enqueuedAt}, {@code notBefore}) and outcome times are kept to the
 * nanosecond. Schedules keep millisecond precision, as in Cassandra: {@link #putSchedule} truncates
 * {@code origin} and {@code nextTick} to the millisecond and {@link #advanceSchedule} compares and
 * writes milliseconds.
 *
 * <p>Checks its arguments as the Cassandra store does: bad input is an {@link
 * InvalidArgumentException} naming the argument, and nothing is changed then.
 */
public final class InMemoryTaskStore implements TaskStore {
  private final long bucketSize;
  private final Map<QueueRef, ConcurrentSkipListMap<Long, StoredTask>> tasks =
      new ConcurrentHashMap<>();
  private final Map<QueueRef, ConcurrentSkipListMap<Long, Map<String, StoredOutcome>>> outcomes =
      new ConcurrentHashMap<>();
  private final Map<QueueRef, QueueMark> marks = new ConcurrentHashMap<>();
  // guarded by itself, so that advanceSchedule is a compare-and-set
  private final Map<QueueRef, TreeMap<String, StoredSchedule>> schedules = new HashMap<>();

  /** A store with buckets of 1,000 indices. */
  public InMemoryTaskStore() {
    this(1000);
  }

  /**
   * A store with a bucket size.
   *
   * @param bucketSize indices per bucket, 1 or more
   */
  public InMemoryTaskStore(long bucketSize) {
    if (bucketSize < 1) {
      throw new IllegalArgumentException("bucketSize must be 1 or more, was " + bucketSize);
    }
    this.bucketSize = bucketSize;
  }

  private ConcurrentSkipListMap<Long, StoredTask> of(QueueRef queue) {
    return tasks.computeIfAbsent(queue, q -> new ConcurrentSkipListMap<>());
  }

  private ConcurrentSkipListMap<Long, Map<String, StoredOutcome>> outcomesOf(QueueRef queue) {
    return outcomes.computeIfAbsent(queue, q -> new ConcurrentSkipListMap<>());
  }

  /**
   * {@inheritDoc}
   *
   * @throws InvalidArgumentException naming {@code queue} or {@code tasks} when one is null, a task
   *     is null, two tasks have the same index or a task's {@code maxDeliveries} is negative
   */
  @Override
  public void put(QueueRef queue, List<StoredTask> rows) {
    requireArgument(queue, "queue");
    requireArgument(rows, "tasks");
    Set<Long> seen = new HashSet<>();
    for (StoredTask t : rows) {
      requireArgument(t, "tasks");
      if (!seen.add(t.index())) {
        throw new InvalidArgumentException(
            "tasks", "index " + t.index() + " appears more than once; each task needs its own");
      }
      if (t.maxDeliveries() < 0) {
        throw new InvalidArgumentException(
            "tasks",
            "maxDeliveries of index "
                + t.index()
                + " must be 0 (the queue's limit) or more, was "
                + t.maxDeliveries());
      }
    }
    ConcurrentSkipListMap<Long, StoredTask> m = of(queue);
    for (StoredTask t : rows) {
      m.put(t.index(), t);
    }
  }

  @Override
  public Optional<StoredTask> get(QueueRef queue, long index) {
    requireArgument(queue, "queue");
    return Optional.ofNullable(of(queue).get(index));
  }

  @Override
  public Map<Long, StoredTask> getAll(QueueRef queue, Collection<Long> indices) {
    requireArgument(queue, "queue");
    requireArgument(indices, "indices");
    ConcurrentSkipListMap<Long, StoredTask> m = of(queue);
    Map<Long, StoredTask> found = new HashMap<>();
    for (Long i : indices) {
      requireArgument(i, "indices");
      StoredTask t = m.get(i);
      if (t != null) {
        found.put(i, t);
      }
    }
    return found;
  }

  @Override
  public void putOutcome(QueueRef queue, StoredOutcome outcome) {
    requireArgument(queue, "queue");
    requireArgument(outcome, "outcome");
    outcomesOf(queue)
        .computeIfAbsent(outcome.index(), i -> new ConcurrentHashMap<>())
        .put(outcome.worker(), outcome);
  }

  @Override
  public Optional<StoredOutcome> getOutcome(QueueRef queue, long index, String worker) {
    requireArgument(queue, "queue");
    requireArgument(worker, "worker");
    Map<String, StoredOutcome> byWorker = outcomesOf(queue).get(index);
    return byWorker == null ? Optional.empty() : Optional.ofNullable(byWorker.get(worker));
  }

  /**
   * {@inheritDoc}
   *
   * <p>Outcomes with the same completion time come in the order of their workers' ids.
   */
  @Override
  public List<StoredOutcome> outcomes(QueueRef queue, long index) {
    requireArgument(queue, "queue");
    Map<String, StoredOutcome> byWorker = outcomesOf(queue).get(index);
    if (byWorker == null) {
      return List.of();
    }
    List<StoredOutcome> all = new ArrayList<>(byWorker.values());
    all.sort(EARLIEST_FIRST);
    return List.copyOf(all);
  }

  /** The order of {@link #outcomes}: by completion time, then by worker. */
  private static final Comparator<StoredOutcome> EARLIEST_FIRST =
      Comparator.comparing(StoredOutcome::completedAt).thenComparing(StoredOutcome::worker);

  @Override
  public void createQueueMark(QueueRef queue) {
    requireArgument(queue, "queue");
    marks.putIfAbsent(queue, QueueMark.NEW);
  }

  @Override
  public void putQueueMark(QueueRef queue, QueueMark mark) {
    requireArgument(queue, "queue");
    requireArgument(mark, "mark");
    marks.put(queue, mark);
  }

  @Override
  public Optional<QueueMark> queueMark(QueueRef queue) {
    requireArgument(queue, "queue");
    return Optional.ofNullable(marks.get(queue));
  }

  @Override
  public OptionalLong highestIndex(QueueRef queue, long from) {
    requireArgument(queue, "queue");
    Map.Entry<Long, StoredTask> last = of(queue).lastEntry();
    return last == null || last.getKey() < from
        ? OptionalLong.empty()
        : OptionalLong.of(last.getKey());
  }

  @Override
  public long dropBelow(QueueRef queue, long previousWatermark, long watermark) {
    requireArgument(queue, "queue");
    if (previousWatermark < 0) {
      throw new InvalidArgumentException(
          "previousWatermark", "must be 0 or more, was " + previousWatermark);
    }
    long keepFrom = Math.floorDiv(watermark, bucketSize) * bucketSize; // watermark's bucket
    if (keepFrom <= previousWatermark) {
      return previousWatermark;
    }
    of(queue).headMap(keepFrom).clear();
    outcomesOf(queue).headMap(keepFrom).clear();
    return keepFrom;
  }

  /**
   * {@inheritDoc}
   *
   * <p>Works as the Cassandra store does: for each lane given, drops the buckets from the one
   * holding the lane's first index up to the one holding its highest index, then bucket after
   * bucket upward while tasks or outcomes are there, until two buckets in a row are empty. Then the
   * schedules, then the queue mark.
   *
   * @throws InvalidArgumentException naming {@code queue} when it is null, or {@code highestIndex}
   *     when the map is null, holds null or an index outside its lane ({@link Priority#base()} to
   *     {@code base() + LANE_SIZE - 1}); nothing is dropped then
   */
  @Override
  public void purge(QueueRef queue, Map<Priority, Long> highestIndex) {
    requireArgument(queue, "queue");
    Map<Priority, Long> lanes = TaskStore.checkHighestIndices(highestIndex);
    synchronized (schedules) {
      schedules.remove(queue);
    }
    ConcurrentSkipListMap<Long, StoredTask> t = of(queue);
    ConcurrentSkipListMap<Long, Map<String, StoredOutcome>> o = outcomesOf(queue);
    for (Map.Entry<Priority, Long> lane : lanes.entrySet()) {
      long first = Math.floorDiv(lane.getKey().base() + 1, bucketSize);
      long last = Math.floorDiv(Math.max(lane.getValue(), lane.getKey().base() + 1), bucketSize);
      long laneEnd = Math.floorDiv(lane.getKey().base() + Priority.LANE_SIZE - 1, bucketSize);
      t.subMap(first * bucketSize, (last + 1) * bucketSize).clear();
      o.subMap(first * bucketSize, (last + 1) * bucketSize).clear();
      int emptyInARow = 0;
      for (long b = last + 1; emptyInARow < 2 && b <= laneEnd; b++) {
        long from = b * bucketSize;
        long to = from + bucketSize;
        if (t.subMap(from, to).isEmpty() && o.subMap(from, to).isEmpty()) {
          emptyInARow++;
        } else {
          emptyInARow = 0;
          t.subMap(from, to).clear();
          o.subMap(from, to).clear();
        }
      }
    }
    marks.remove(queue);
  }

  /**
   * {@inheritDoc}
   *
   * @throws InvalidArgumentException naming {@code owner} when it is null or blank
   */
  @Override
  public List<String> services(String owner) {
    requireArgument(owner, "owner");
    if (owner.isBlank()) {
      throw new InvalidArgumentException("owner", "must not be blank");
    }
    return marks.keySet().stream()
        .filter(q -> q.owner().equals(owner))
        .map(QueueRef::service)
        .sorted()
        .toList();
  }

  /**
   * {@inheritDoc}
   *
   * <p>Keeps {@code origin} and {@code nextTick} to the millisecond (truncated), as Cassandra does.
   *
   * @throws InvalidArgumentException naming {@code queue} or {@code schedule} when one is null, or
   *     {@code schedule} when its id is blank
   */
  @Override
  public void putSchedule(QueueRef queue, StoredSchedule schedule) {
    requireArgument(queue, "queue");
    requireArgument(schedule, "schedule");
    if (schedule.id().isBlank()) {
      throw new InvalidArgumentException("schedule", "id must not be blank");
    }
    StoredSchedule kept =
        new StoredSchedule(
            schedule.id(),
            schedule.spec(),
            schedule.template().clone(),
            millis(schedule.origin(), "schedule"),
            millis(schedule.nextTick(), "schedule"));
    synchronized (schedules) {
      schedules.computeIfAbsent(queue, q -> new TreeMap<>()).put(kept.id(), kept);
    }
  }

  /**
   * {@inheritDoc}
   *
   * @throws InvalidArgumentException naming {@code queue} or {@code id} when one is null
   */
  @Override
  public boolean deleteSchedule(QueueRef queue, String id) {
    requireArgument(queue, "queue");
    requireArgument(id, "id");
    synchronized (schedules) {
      TreeMap<String, StoredSchedule> m = schedules.get(queue);
      return m != null && m.remove(id) != null;
    }
  }

  @Override
  public List<StoredSchedule> schedules(QueueRef queue) {
    requireArgument(queue, "queue");
    synchronized (schedules) {
      TreeMap<String, StoredSchedule> m = schedules.get(queue);
      return m == null ? List.of() : List.copyOf(m.values());
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Compares and writes milliseconds, as Cassandra does: {@code expected} matches a next tick in
   * the same millisecond, and {@code next} is kept truncated to the millisecond.
   *
   * @throws InvalidArgumentException naming {@code queue}, {@code id}, {@code expected} or {@code
   *     next} when one is null, or {@code next} when it is not at least a millisecond after {@code
   *     expected}
   */
  @Override
  public boolean advanceSchedule(QueueRef queue, String id, Instant expected, Instant next) {
    requireArgument(queue, "queue");
    requireArgument(id, "id");
    requireArgument(expected, "expected");
    requireArgument(next, "next");
    Instant expectedMs = millis(expected, "expected");
    Instant nextMs = millis(next, "next");
    if (nextMs.equals(expectedMs)) {
      throw new InvalidArgumentException(
          "next",
          "must differ from expected (" + expectedMs + ") by a millisecond or more, was " + next);
    }
    synchronized (schedules) {
      TreeMap<String, StoredSchedule> m = schedules.get(queue);
      StoredSchedule s = m == null ? null : m.get(id);
      if (s == null || !s.nextTick().equals(expectedMs)) {
        return false;
      }
      m.put(id, new StoredSchedule(s.id(), s.spec(), s.template(), s.origin(), nextMs));
      return true;
    }
  }

  private static Instant millis(Instant at, String argument) {
    try {
      return Instant.ofEpochMilli(at.toEpochMilli());
    } catch (ArithmeticException e) {
      throw new InvalidArgumentException(argument, "time " + at + " is out of range", e);
    }
  }

  private static void requireArgument(Object value, String name) {
    if (value == null) {
      throw new InvalidArgumentException(name, "must not be null (nor hold null)");
    }
  }
}
