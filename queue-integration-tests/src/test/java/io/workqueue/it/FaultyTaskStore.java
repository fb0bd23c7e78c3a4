package io.workqueue.it;

import io.workqueue.BackendUnavailableException;
import io.workqueue.QueueRef;
import io.workqueue.spi.QueueMark;
import io.workqueue.spi.StoredOutcome;
import io.workqueue.spi.StoredTask;
import io.workqueue.spi.TaskStore;
import java.time.Duration;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

/**
 * A task store that makes writers misbehave between allocation and commit: some are slow, some
 * stall past the hole grace period (before or after writing the row), some fail (before or after
 * writing), and some die (before or after writing), which the core cannot clean up after. Reads and
 * outcomes pass through. Remembers each index's fate. Thread-safe.
 */
final class FaultyTaskStore implements TaskStore {

  /** What happens to one {@code put}. */
  enum Fate {
    /** Written at once. */
    NORMAL,
    /** Written after a pause shorter than the grace period. */
    SLOW,
    /** Stalls past the grace period, then writes: its index was skipped meanwhile. */
    STALL_THEN_WRITE,
    /** Writes, then stalls past the grace period: its index was kept meanwhile. */
    WRITE_THEN_STALL,
    /** Fails before writing (the core skips the index at once). */
    FAIL_BEFORE_WRITE,
    /** Writes, then fails (the core skips the index at once; the row is orphaned). */
    FAIL_AFTER_WRITE,
    /** The writer dies before writing: a hole, skipped after the grace period. */
    DIE_BEFORE_WRITE,
    /** The writer dies after writing: a hole, delivered after the grace period. */
    DIE_AFTER_WRITE
  }

  /** A writer dying mid-add: an {@link Error}, so the core gets no chance to clean up. */
  static final class WriterDied extends Error {
    private static final long serialVersionUID = 1L;

    WriterDied(Fate fate) {
      super("the writer died (" + fate + ")", null, false, false);
    }
  }

  record Slot(QueueRef queue, long index) {}

  private final TaskStore delegate;
  private final Duration grace;
  private final Map<Fate, Double> odds;
  private final Random random;
  private final Map<Slot, Fate> fates = new ConcurrentHashMap<>();

  FaultyTaskStore(TaskStore delegate, Duration grace, Map<Fate, Double> odds, long seed) {
    this.delegate = delegate;
    this.grace = grace;
    this.odds = new EnumMap<>(odds);
    this.random = new Random(seed);
  }

  /** The fate of every index written so far. */
  Map<Slot, Fate> fates() {
    return Map.copyOf(fates);
  }

  /** How many puts met each fate. */
  Map<Fate, Long> counts() {
    Map<Fate, Long> counts = new EnumMap<>(Fate.class);
    fates.values().forEach(f -> counts.merge(f, 1L, Long::sum));
    return counts;
  }

  private Fate draw() {
    double dice;
    synchronized (random) {
      dice = random.nextDouble();
    }
    for (Map.Entry<Fate, Double> e : odds.entrySet()) {
      dice -= e.getValue();
      if (dice < 0) {
        return e.getKey();
      }
    }
    return Fate.NORMAL;
  }

  @Override
  public void put(QueueRef queue, List<StoredTask> tasks) {
    Fate fate = draw();
    tasks.forEach(t -> fates.put(new Slot(queue, t.index()), fate));
    switch (fate) {
      case NORMAL -> delegate.put(queue, tasks);
      case SLOW -> {
        pause(grace.dividedBy(10).plusMillis(randomMillis(grace.toMillis() / 3)));
        delegate.put(queue, tasks);
      }
      case STALL_THEN_WRITE -> {
        pause(grace.multipliedBy(5).dividedBy(2));
        delegate.put(queue, tasks);
      }
      case WRITE_THEN_STALL -> {
        delegate.put(queue, tasks);
        pause(grace.multipliedBy(5).dividedBy(2));
      }
      case FAIL_BEFORE_WRITE ->
          throw new BackendUnavailableException("faulty-store", "injected failure", null);
      case FAIL_AFTER_WRITE -> {
        delegate.put(queue, tasks);
        throw new BackendUnavailableException("faulty-store", "injected failure", null);
      }
      case DIE_BEFORE_WRITE -> throw new WriterDied(fate);
      case DIE_AFTER_WRITE -> {
        delegate.put(queue, tasks);
        throw new WriterDied(fate);
      }
    }
  }

  private long randomMillis(long bound) {
    synchronized (random) {
      return bound <= 0 ? 0 : (long) (random.nextDouble() * bound);
    }
  }

  private static void pause(Duration d) {
    LockSupport.parkNanos(d.toNanos()); // a writer stuck in a slow or hung write
  }

  @Override
  public Optional<StoredTask> get(QueueRef queue, long index) {
    return delegate.get(queue, index);
  }

  @Override
  public Map<Long, StoredTask> getAll(QueueRef queue, Collection<Long> indices) {
    return delegate.getAll(queue, indices);
  }

  @Override
  public void putOutcome(QueueRef queue, StoredOutcome outcome) {
    delegate.putOutcome(queue, outcome);
  }

  @Override
  public void putOutcomes(QueueRef queue, List<StoredOutcome> outcomes) {
    delegate.putOutcomes(queue, outcomes);
  }

  @Override
  public Optional<StoredOutcome> getOutcome(QueueRef queue, long index, String worker) {
    return delegate.getOutcome(queue, index, worker);
  }

  @Override
  public void createQueueMark(QueueRef queue) {
    delegate.createQueueMark(queue);
  }

  @Override
  public void putQueueMark(QueueRef queue, QueueMark mark) {
    delegate.putQueueMark(queue, mark);
  }

  @Override
  public Optional<QueueMark> queueMark(QueueRef queue) {
    return delegate.queueMark(queue);
  }

  @Override
  public OptionalLong highestIndex(QueueRef queue, long from) {
    return delegate.highestIndex(queue, from);
  }

  @Override
  public long dropBelow(QueueRef queue, long previousWatermark, long watermark) {
    return delegate.dropBelow(queue, previousWatermark, watermark);
  }
}
