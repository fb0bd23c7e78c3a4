package io.workqueue.testkit;

import io.workqueue.QueueRef;
import io.workqueue.spi.QueueMark;
import io.workqueue.spi.StoredOutcome;
import io.workqueue.spi.StoredTask;
import io.workqueue.spi.TaskStore;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * A {@link TaskStore} in memory. Thread-safe, not durable, no retention limit. Drops whole buckets
 * of {@code bucketSize} indices, as the Cassandra store does, so tests see the same watermarks.
 */
public final class InMemoryTaskStore implements TaskStore {
  private final long bucketSize;
  private final Map<QueueRef, ConcurrentSkipListMap<Long, StoredTask>> tasks =
      new ConcurrentHashMap<>();
  private final Map<QueueRef, Map<String, StoredOutcome>> outcomes = new ConcurrentHashMap<>();
  private final Map<QueueRef, QueueMark> marks = new ConcurrentHashMap<>();

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

  @Override
  public void put(QueueRef queue, List<StoredTask> rows) {
    ConcurrentSkipListMap<Long, StoredTask> m = of(queue);
    for (StoredTask t : rows) {
      m.put(t.index(), t);
    }
  }

  @Override
  public Optional<StoredTask> get(QueueRef queue, long index) {
    return Optional.ofNullable(of(queue).get(index));
  }

  @Override
  public Map<Long, StoredTask> getAll(QueueRef queue, Collection<Long> indices) {
    ConcurrentSkipListMap<Long, StoredTask> m = of(queue);
    Map<Long, StoredTask> found = new HashMap<>();
    for (Long i : indices) {
      StoredTask t = m.get(i);
      if (t != null) {
        found.put(i, t);
      }
    }
    return found;
  }

  @Override
  public void putOutcome(QueueRef queue, StoredOutcome outcome) {
    outcomes
        .computeIfAbsent(queue, q -> new ConcurrentHashMap<>())
        .put(outcome.index() + "|" + outcome.worker(), outcome);
  }

  @Override
  public Optional<StoredOutcome> getOutcome(QueueRef queue, long index, String worker) {
    return Optional.ofNullable(outcomes.getOrDefault(queue, Map.of()).get(index + "|" + worker));
  }

  @Override
  public void createQueueMark(QueueRef queue) {
    marks.putIfAbsent(queue, QueueMark.NEW);
  }

  @Override
  public void putQueueMark(QueueRef queue, QueueMark mark) {
    marks.put(queue, mark);
  }

  @Override
  public Optional<QueueMark> queueMark(QueueRef queue) {
    return Optional.ofNullable(marks.get(queue));
  }

  @Override
  public OptionalLong highestIndex(QueueRef queue, long from) {
    Map.Entry<Long, StoredTask> last = of(queue).lastEntry();
    return last == null || last.getKey() < from
        ? OptionalLong.empty()
        : OptionalLong.of(last.getKey());
  }

  @Override
  public long dropBelow(QueueRef queue, long previousWatermark, long watermark) {
    long keepFrom = (watermark / bucketSize) * bucketSize; // first index of watermark's bucket
    if (keepFrom <= previousWatermark) {
      return Math.max(previousWatermark, 0);
    }
    of(queue).headMap(keepFrom).clear();
    Map<String, StoredOutcome> o = outcomes.get(queue);
    if (o != null) {
      o.values().removeIf(x -> x.index() < keepFrom);
    }
    return keepFrom;
  }
}
