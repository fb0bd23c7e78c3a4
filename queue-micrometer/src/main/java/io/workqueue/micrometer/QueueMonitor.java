package io.workqueue.micrometer;

import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.workqueue.QueueInfo;
import io.workqueue.QueueRef;
import io.workqueue.WorkQueue;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.ToDoubleFunction;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gauges of one queue's {@link QueueInfo}, from {@link QueueMetrics#monitor}. Every gauge reads
 * the same cached snapshot; the snapshot is read again through {@link WorkQueue#info} when a gauge
 * is read and the last attempt is at least the {@linkplain QueueMetrics.Builder#infoInterval
 * interval} old, by one thread while concurrent readers wait for it. A failed read is logged (a
 * warning when the queue starts failing, debug while it goes on, info when it reads again) and
 * counted in {@code workqueue.info.failures}; the gauges keep the last snapshot. Thread-safe.
 */
public final class QueueMonitor implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(QueueMonitor.class);

  static final String WAITING = "workqueue.tasks.waiting";
  static final String IN_FLIGHT = "workqueue.tasks.inflight";
  static final String DELAYED = "workqueue.tasks.delayed";
  static final String PARKED = "workqueue.tasks.parked";
  static final String DEAD_LETTERS = "workqueue.dead.letters";
  static final String PAUSED = "workqueue.paused";
  static final String INFO_FAILURES = "workqueue.info.failures";

  private final MeterRegistry registry;
  private final WorkQueue workQueue;
  private final QueueRef queue;
  private final long intervalNanos;
  private final Tags tags;
  private final Consumer<QueueMonitor> onClose;
  private final Clock clock;
  private final List<Meter> meters = new ArrayList<>();

  private final Object lock = new Object();
  // Guarded by lock.
  private @Nullable QueueInfo last;
  private @Nullable Instant lastReadAt;
  private long lastAttemptNanos;
  private boolean attempted;
  private boolean failing;
  private boolean closed;
  private @Nullable Counter failures;

  QueueMonitor(
      MeterRegistry registry,
      WorkQueue workQueue,
      QueueRef queue,
      Duration interval,
      Tags tags,
      Consumer<QueueMonitor> onClose) {
    this.registry = registry;
    this.workQueue = workQueue;
    this.queue = queue;
    this.intervalNanos = interval.toNanos();
    this.tags = tags;
    this.onClose = onClose;
    this.clock = registry.config().clock();
  }

  void register() {
    gauge(WAITING, "Tasks added and not yet handed out (the backlog)", QueueInfo::waiting);
    gauge(IN_FLIGHT, "Unacknowledged deliveries", QueueInfo::inFlight);
    gauge(DELAYED, "Tasks not yet due: added with a delay, or released with one", i -> i.delayed());
    gauge(PARKED, "Tasks waiting for room in their concurrency group", i -> i.parked());
    gauge(DEAD_LETTERS, "Tasks in the dead letters", i -> i.deadLetters());
    gauge(PAUSED, "1 when fetch is paused, else 0", i -> i.paused() ? 1 : 0);
    Counter failures =
        Counter.builder(INFO_FAILURES)
            .description("Reads of the queue's info that failed; the gauges kept their last values")
            .tags(tags)
            .register(registry);
    synchronized (lock) {
      meters.add(failures);
      this.failures = failures;
    }
  }

  private void gauge(String name, String description, ToDoubleFunction<QueueInfo> value) {
    Gauge gauge =
        Gauge.builder(name, this, m -> m.value(value))
            .description(description)
            .tags(tags)
            .strongReference(true)
            .register(registry);
    synchronized (lock) {
      meters.add(gauge);
    }
  }

  /**
   * The queue these gauges show.
   *
   * @return the queue
   */
  public QueueRef queue() {
    return queue;
  }

  /**
   * The snapshot the gauges show now, without reading anything.
   *
   * @return the last snapshot read, or empty before the first read that succeeded
   */
  public Optional<QueueInfo> lastInfo() {
    synchronized (lock) {
      return Optional.ofNullable(last);
    }
  }

  /**
   * When the snapshot the gauges show was read, by the registry's wall clock.
   *
   * @return the time of the last read that succeeded, or empty before the first
   */
  public Optional<Instant> lastReadAt() {
    synchronized (lock) {
      return Optional.ofNullable(lastReadAt);
    }
  }

  /**
   * Removes the gauges and {@code workqueue.info.failures} from the registry; the queue is no
   * longer read, and can be {@linkplain QueueMetrics#monitor monitored} again. Idempotent.
   */
  @Override
  public void close() {
    List<Meter> toRemove;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      toRemove = List.copyOf(meters);
      meters.clear();
    }
    for (Meter meter : toRemove) {
      registry.remove(meter);
    }
    onClose.accept(this);
  }

  /** A gauge's value: never throws, NaN when nothing was read yet or the monitor is closed. */
  private double value(ToDoubleFunction<QueueInfo> f) {
    QueueInfo info = current();
    return info == null ? Double.NaN : f.applyAsDouble(info);
  }

  private @Nullable QueueInfo current() {
    synchronized (lock) {
      if (closed) {
        return null;
      }
      long now = clock.monotonicTime();
      if (attempted && now - lastAttemptNanos < intervalNanos) {
        return last;
      }
      attempted = true;
      lastAttemptNanos = now;
      try {
        last = workQueue.info(queue);
        lastReadAt = Instant.ofEpochMilli(clock.wallTime());
        if (failing) {
          failing = false;
          log.info("Reading the info of queue {} works again; its gauges are current", queue);
        }
      } catch (RuntimeException e) {
        if (failures != null) {
          failures.increment();
        }
        if (!failing) {
          failing = true;
          log.warn(
              "Could not read the info of queue {}; its gauges keep the values read at {} and"
                  + " reading is tried again every {} ms",
              queue,
              lastReadAt == null ? "(never)" : lastReadAt,
              intervalNanos / 1_000_000,
              e);
        } else {
          log.debug("Reading the info of queue {} still fails", queue, e);
        }
      }
      return last;
    }
  }
}
