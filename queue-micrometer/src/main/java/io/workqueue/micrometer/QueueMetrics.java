package io.workqueue.micrometer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.workqueue.InvalidArgumentException;
import io.workqueue.QueueEvent;
import io.workqueue.QueueInfo;
import io.workqueue.QueueListener;
import io.workqueue.QueueRef;
import io.workqueue.WorkQueue;
import io.workqueue.WorkQueues;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * WorkQueue metrics in a Micrometer {@link MeterRegistry}: a {@link QueueListener} that counts
 * every {@linkplain QueueEvent event} and times leases and schedule ticks, and {@linkplain #monitor
 * gauges} of a queue's {@link QueueInfo}, read at most once per {@linkplain
 * Builder#infoInterval(Duration) interval}.
 *
 * <pre>{@code
 * QueueMetrics metrics = QueueMetrics.of(registry);
 * WorkQueue queue = WorkQueues.builder()
 *     .taskStore(store).bookkeeper(bookkeeper).keyProvider(keys)
 *     .queueListener(metrics)
 *     .build();
 * metrics.monitor(queue, QueueRef.of("acme", "emails"));
 * }</pre>
 *
 * <p><b>Meters.</b> Every meter is tagged {@code owner} and {@code service}; none is tagged with a
 * worker or an index, so the number of series grows with the number of queues only. Names are
 * Micrometer's dotted names (a Prometheus registry shows {@code workqueue.events} as {@code
 * workqueue_events_total}, {@code workqueue.lease.held} as {@code workqueue_lease_held_seconds}).
 *
 * <table>
 *   <caption>From events (this node's)</caption>
 *   <tr><th>name</th><th>type</th><th>extra tag</th><th>what</th></tr>
 *   <tr><td>{@code workqueue.events}</td><td>counter</td><td>{@code event}</td>
 *       <td>events heard, by type: {@code added}, {@code fetched}, {@code recovered},
 *       {@code lease_extended}, {@code released}, {@code acked}, {@code failed},
 *       {@code dead_lettered}, {@code expired}, {@code scheduled_tick}, {@code paused},
 *       {@code resumed}, {@code purged} (the record's name in snake case)</td></tr>
 *   <tr><td>{@code workqueue.tasks.added}</td><td>counter</td><td></td>
 *       <td>tasks added (an {@code addAll} is one event and many tasks)</td></tr>
 *   <tr><td>{@code workqueue.lease.held}</td><td>timer</td><td>{@code outcome}</td>
 *       <td>how long a lease was held, from {@code Fetched} or {@code Recovered} to its end:
 *       {@code acked}, {@code failed}, {@code released}, {@code dead_lettered}, or
 *       {@code taken_over} (another worker recovered it after it expired)</td></tr>
 *   <tr><td>{@code workqueue.lease.untimed}</td><td>counter</td><td></td>
 *       <td>leases that could not be timed: an end whose start this node did not hear, a start
 *       whose end it did not hear before the task was leased again, or a start dropped because
 *       {@linkplain Builder#maxTrackedLeases(int) too many} were tracked</td></tr>
 *   <tr><td>{@code workqueue.lease.tracked}</td><td>gauge</td><td>(no queue tags)</td>
 *       <td>leases whose start is held in memory, waiting for their end</td></tr>
 *   <tr><td>{@code workqueue.schedule.lag}</td><td>timer</td><td></td>
 *       <td>from a repeating task's tick to the task being enqueued</td></tr>
 * </table>
 *
 * <table>
 *   <caption>From {@link WorkQueue#info} (the whole queue, all nodes), per monitored queue</caption>
 *   <tr><th>name</th><th>type</th><th>what</th></tr>
 *   <tr><td>{@code workqueue.tasks.waiting}</td><td>gauge</td>
 *       <td>the backlog: {@link QueueInfo#waiting()}</td></tr>
 *   <tr><td>{@code workqueue.tasks.inflight}</td><td>gauge</td>
 *       <td>unacknowledged deliveries: {@link QueueInfo#inFlight()}</td></tr>
 *   <tr><td>{@code workqueue.tasks.delayed}</td><td>gauge</td>
 *       <td>{@link QueueInfo#delayed()}</td></tr>
 *   <tr><td>{@code workqueue.tasks.parked}</td><td>gauge</td>
 *       <td>{@link QueueInfo#parked()}</td></tr>
 *   <tr><td>{@code workqueue.dead.letters}</td><td>gauge</td>
 *       <td>{@link QueueInfo#deadLetters()}</td></tr>
 *   <tr><td>{@code workqueue.paused}</td><td>gauge</td><td>1 when paused, else 0</td></tr>
 *   <tr><td>{@code workqueue.info.failures}</td><td>counter</td>
 *       <td>reads of {@code info} that failed (the gauges then keep their last value)</td></tr>
 * </table>
 *
 * <p><b>What events can tell.</b> A listener hears only the events of the node it is installed on
 * (see {@link QueueEvent}), so counters and timers are per node and add up across nodes; a lease
 * fetched on one node and acknowledged on another is counted on both but timed on neither ({@code
 * workqueue.lease.untimed}). Durations are differences of the events' own {@code at} times (the
 * reporting node's clock, the queue's {@link WorkQueues.Builder#clock clock}); a clock that went
 * back counts as zero. Gauges read the shared backends, so they show the whole queue and every node
 * shows the same values.
 *
 * <p><b>Cardinality.</b> With many owners, drop or merge tags with the registry's own filters, for
 * example {@code registry.config().meterFilter(MeterFilter.ignoreTags("owner"))}; counters and
 * timers of queues that then share an id add up, while of gauges sharing an id only the first
 * registered is shown. Percentiles and histograms of the timers are off, as for any Micrometer
 * timer, and are turned on the same way ({@code MeterFilter} with a {@code
 * DistributionStatisticConfig}).
 *
 * <p>Use one instance per registry; it may listen to any number of {@link WorkQueue}s (the events
 * name their queue). Thread-safe. {@link #onEvent} runs on the thread that changed the queue and
 * costs a few map look-ups and one short lock; it never calls a backend.
 */
public final class QueueMetrics implements QueueListener, AutoCloseable {

  /** The default {@linkplain Builder#infoInterval(Duration) interval between info reads}: 5 s. */
  public static final Duration DEFAULT_INFO_INTERVAL = Duration.ofSeconds(5);

  /** The longest {@linkplain Builder#infoInterval(Duration) interval between info reads}: 1 day. */
  public static final Duration MAX_INFO_INTERVAL = Duration.ofDays(1);

  /** The default {@linkplain Builder#maxTrackedLeases(int) bound on tracked leases}: 10,000. */
  public static final int DEFAULT_MAX_TRACKED_LEASES = 10_000;

  /** The largest {@linkplain Builder#maxTrackedLeases(int) bound on tracked leases}. */
  public static final int MAX_TRACKED_LEASES = 10_000_000;

  static final String EVENTS = "workqueue.events";
  static final String TASKS_ADDED = "workqueue.tasks.added";
  static final String LEASE_HELD = "workqueue.lease.held";
  static final String LEASE_UNTIMED = "workqueue.lease.untimed";
  static final String LEASE_TRACKED = "workqueue.lease.tracked";
  static final String SCHEDULE_LAG = "workqueue.schedule.lag";

  // The event tag: the record's simple name in snake case, so that a type added to QueueEvent later
  // is counted under its own name by this build too.
  private static final ClassValue<String> EVENT_NAMES =
      new ClassValue<>() {
        @Override
        protected String computeValue(Class<?> type) {
          return snakeCase(type.getSimpleName());
        }
      };

  private final MeterRegistry registry;
  private final Duration infoInterval;
  private final int maxTrackedLeases;
  private final @Nullable LeaseTracker leases;
  private final @Nullable Gauge tracked;
  private final Map<MeterKey, Meter> meters = new ConcurrentHashMap<>();
  private final Map<QueueRef, QueueMonitor> monitors = new ConcurrentHashMap<>();
  private volatile boolean closed;

  private record MeterKey(String name, QueueRef queue, String tag, String value) {}

  private QueueMetrics(Builder builder) {
    this.registry = builder.registry;
    this.infoInterval = builder.infoInterval;
    this.maxTrackedLeases = builder.maxTrackedLeases;
    if (maxTrackedLeases > 0) {
      LeaseTracker tracker = new LeaseTracker(maxTrackedLeases);
      this.leases = tracker;
      // One per registry: where another instance registered it already, this one neither
      // registers it nor removes the other's on close.
      this.tracked =
          registry.find(LEASE_TRACKED).gauge() != null
              ? null
              : Gauge.builder(LEASE_TRACKED, tracker, LeaseTracker::size)
                  .description("Leases whose start is held in memory, waiting for their end")
                  .strongReference(true)
                  .register(registry);
    } else {
      this.leases = null;
      this.tracked = null;
    }
  }

  /**
   * Metrics with the default settings: info read at most every 5 s, up to 10,000 tracked leases.
   *
   * @param registry where the meters go
   * @return the metrics, to pass to {@link WorkQueues.Builder#queueListener} and to {@link
   *     #monitor} queues with
   * @throws InvalidArgumentException naming {@code registry} when it is null
   */
  public static QueueMetrics of(MeterRegistry registry) {
    return builder(registry).build();
  }

  /**
   * Starts a builder.
   *
   * @param registry where the meters go
   * @return the builder
   * @throws InvalidArgumentException naming {@code registry} when it is null
   */
  public static Builder builder(MeterRegistry registry) {
    return new Builder(registry);
  }

  /**
   * Counts the event and times what it ends. Never calls a backend and never blocks on more than a
   * short in-memory lock. Does nothing once {@linkplain #close closed}.
   *
   * @param event the event
   * @throws InvalidArgumentException naming {@code event} when it is null (nothing is counted)
   */
  @Override
  public void onEvent(QueueEvent event) {
    if (event == null) {
      throw new InvalidArgumentException("event", "must not be null");
    }
    if (closed) {
      return;
    }
    QueueRef queue = event.queue();
    counter(EVENTS, queue, "event", EVENT_NAMES.get(event.getClass())).increment();
    if (event instanceof QueueEvent.Added added) {
      counter(TASKS_ADDED, queue, null, null).increment(added.indices().size());
    } else if (event instanceof QueueEvent.Fetched fetched) {
      started(queue, fetched.index(), fetched.worker(), fetched.deliveries(), fetched.at(), false);
    } else if (event instanceof QueueEvent.Recovered recovered) {
      started(
          queue,
          recovered.index(),
          recovered.worker(),
          recovered.deliveries(),
          recovered.at(),
          true);
    } else if (event instanceof QueueEvent.Released released) {
      ended(queue, released.index(), released.worker(), released.at(), "released");
    } else if (event instanceof QueueEvent.Acked acked) {
      ended(queue, acked.index(), acked.worker(), acked.at(), "acked");
    } else if (event instanceof QueueEvent.Failed failed) {
      ended(queue, failed.index(), failed.worker(), failed.at(), "failed");
    } else if (event instanceof QueueEvent.DeadLettered dead) {
      ended(queue, dead.index(), null, dead.at(), "dead_lettered");
    } else if (event instanceof QueueEvent.Expired expired) {
      // The task's row is gone: a lease on it, if any, ends untimed by anyone.
      forgetLease(queue, expired.index());
    } else if (event instanceof QueueEvent.Purged) {
      if (leases != null) {
        leases.forget(queue);
      }
    } else if (event instanceof QueueEvent.ScheduledTick tick) {
      timer(SCHEDULE_LAG, queue, null, null).record(nonNegative(tick.tick(), tick.at()));
    }
    // LeaseExtended, Paused, Resumed and any later type: counted above, nothing to time.
  }

  /**
   * Registers gauges of a queue's {@link QueueInfo} (see the table above). The gauges share one
   * read of {@link WorkQueue#info}, made when a gauge is read and the last read is older than the
   * {@linkplain Builder#infoInterval(Duration) interval}, however often the registry is scraped. A
   * read that fails is logged and counted ({@code workqueue.info.failures}) and the gauges keep
   * their last values ({@code NaN} before the first read that succeeded); nothing is thrown to the
   * registry, and the next read is tried an interval later. Nothing is read by this call.
   *
   * @param workQueue the queue to read, on any node
   * @param queue the queue's name
   * @return the monitor; closing it removes the gauges
   * @throws InvalidArgumentException naming {@code workQueue} or {@code queue} when null, or {@code
   *     queue} when this instance monitors it already (close that monitor first)
   * @throws IllegalStateException when this instance is closed
   */
  public QueueMonitor monitor(WorkQueue workQueue, QueueRef queue) {
    if (workQueue == null) {
      throw new InvalidArgumentException("workQueue", "must not be null");
    }
    if (queue == null) {
      throw new InvalidArgumentException("queue", "must not be null");
    }
    if (closed) {
      throw new IllegalStateException("QueueMetrics is closed");
    }
    QueueMonitor[] created = new QueueMonitor[1];
    monitors.computeIfAbsent(
        queue,
        q ->
            created[0] =
                new QueueMonitor(
                    registry,
                    workQueue,
                    q,
                    infoInterval,
                    queueTags(q),
                    m -> monitors.remove(m.queue(), m)));
    if (created[0] == null) {
      throw new InvalidArgumentException(
          "queue", queue + " is monitored already; close its QueueMonitor first");
    }
    try {
      created[0].register();
    } catch (RuntimeException e) {
      created[0].close();
      throw e;
    }
    return created[0];
  }

  /**
   * The queues monitored now.
   *
   * @return their monitors, in no particular order
   */
  public List<QueueMonitor> monitors() {
    return List.copyOf(monitors.values());
  }

  /**
   * The interval between reads of a monitored queue's info.
   *
   * @return the interval
   */
  public Duration infoInterval() {
    return infoInterval;
  }

  /**
   * The most leases tracked for timing at once.
   *
   * @return the bound; 0 when lease timing is off
   */
  public int maxTrackedLeases() {
    return maxTrackedLeases;
  }

  /**
   * Removes the gauges of every monitored queue and {@code workqueue.lease.tracked}, forgets the
   * tracked leases, and ignores events from now on (the {@link WorkQueue} may outlive this
   * instance). Counters and timers stay in the registry with their values. Idempotent.
   */
  @Override
  public void close() {
    closed = true;
    for (QueueMonitor monitor : new ArrayList<>(monitors.values())) {
      monitor.close();
    }
    if (tracked != null) {
      registry.remove(tracked);
    }
    if (leases != null) {
      leases.clear();
    }
  }

  private void started(
      QueueRef queue, long index, String worker, int deliveries, Instant at, boolean recovered) {
    if (leases == null) {
      return;
    }
    LeaseTracker.Displaced displaced = leases.start(queue, index, worker, deliveries, at);
    if (displaced.replaced() != null) {
      if (recovered) {
        // The previous holder's lease expired and this worker took it over: that lease's end.
        timer(LEASE_HELD, queue, "outcome", "taken_over")
            .record(nonNegative(displaced.replaced().at(), at));
      } else {
        // The previous lease ended where this node did not hear it.
        untimed(queue);
      }
    }
    for (Map.Entry<LeaseTracker.Key, LeaseTracker.Start> evicted : displaced.evicted()) {
      untimed(evicted.getKey().queue());
    }
  }

  private void ended(
      QueueRef queue, long index, @Nullable String worker, Instant at, String outcome) {
    if (leases == null) {
      return;
    }
    LeaseTracker.Start start = leases.end(queue, index);
    if (start == null) {
      untimed(queue);
    } else if (worker != null && !worker.equals(start.worker())) {
      // Another worker's lease on the task ended: the tracked one ended unheard, this one started
      // unheard.
      untimed(queue);
      untimed(queue);
    } else {
      timer(LEASE_HELD, queue, "outcome", outcome).record(nonNegative(start.at(), at));
    }
  }

  private void forgetLease(QueueRef queue, long index) {
    if (leases != null) {
      leases.end(queue, index);
    }
  }

  private void untimed(QueueRef queue) {
    counter(LEASE_UNTIMED, queue, null, null).increment();
  }

  private Counter counter(
      String name, QueueRef queue, @Nullable String tag, @Nullable String value) {
    return (Counter)
        meters.computeIfAbsent(
            new MeterKey(name, queue, tag == null ? "" : tag, value == null ? "" : value),
            k ->
                Counter.builder(name)
                    .description(description(name))
                    .tags(tags(k))
                    .register(registry));
  }

  private Timer timer(String name, QueueRef queue, @Nullable String tag, @Nullable String value) {
    return (Timer)
        meters.computeIfAbsent(
            new MeterKey(name, queue, tag == null ? "" : tag, value == null ? "" : value),
            k ->
                Timer.builder(name)
                    .description(description(name))
                    .tags(tags(k))
                    .register(registry));
  }

  private static Tags tags(MeterKey key) {
    Tags tags = queueTags(key.queue());
    return key.tag().isEmpty() ? tags : tags.and(key.tag(), key.value());
  }

  static Tags queueTags(QueueRef queue) {
    return Tags.of("owner", queue.owner(), "service", queue.service());
  }

  private static String description(String name) {
    return switch (name) {
      case EVENTS -> "Queue events heard by this node, by type";
      case TASKS_ADDED -> "Tasks added through this node";
      case LEASE_HELD -> "How long leases were held, from fetch or recovery to their end";
      case LEASE_UNTIMED -> "Leases whose start or end this node did not hear, so not timed";
      case SCHEDULE_LAG -> "From a repeating task's tick to the task being enqueued";
      default -> name;
    };
  }

  private static Duration nonNegative(Instant from, Instant to) {
    Duration d = Duration.between(from, to);
    return d.isNegative() ? Duration.ZERO : d;
  }

  static String snakeCase(String camel) {
    StringBuilder out = new StringBuilder(camel.length() + 4);
    for (int i = 0; i < camel.length(); i++) {
      char c = camel.charAt(i);
      if (Character.isUpperCase(c) && i > 0) {
        out.append('_');
      }
      out.append(c);
    }
    return out.toString().toLowerCase(Locale.ROOT);
  }

  /**
   * Settings of a {@link QueueMetrics}. Not thread-safe; each setting is checked when set, naming
   * the setting when it is rejected.
   */
  public static final class Builder {
    private final MeterRegistry registry;
    private Duration infoInterval = DEFAULT_INFO_INTERVAL;
    private int maxTrackedLeases = DEFAULT_MAX_TRACKED_LEASES;

    private Builder(MeterRegistry registry) {
      if (registry == null) {
        throw new InvalidArgumentException("registry", "must not be null");
      }
      this.registry = registry;
    }

    /**
     * Sets how old a monitored queue's info may get before a gauge read reads it again (optional;
     * default 5 s). Each read is one {@link WorkQueue#info} call, which reads the bookkeeper;
     * scrape as often as you like, the backends see at most one read per queue per interval.
     * Measured on the registry's clock.
     *
     * @param interval 1 ms to 1 day
     * @return this builder
     * @throws InvalidArgumentException naming {@code infoInterval} when null or out of range
     */
    public Builder infoInterval(Duration interval) {
      if (interval == null) {
        throw new InvalidArgumentException("infoInterval", "must not be null");
      }
      if (interval.compareTo(Duration.ofMillis(1)) < 0
          || interval.compareTo(MAX_INFO_INTERVAL) > 0) {
        throw new InvalidArgumentException(
            "infoInterval", "is " + interval + "; allowed are 1 ms to 1 day");
      }
      this.infoInterval = interval;
      return this;
    }

    /**
     * Sets how many lease starts are held in memory, waiting for their end, to time {@code
     * workqueue.lease.held} (optional; default 10,000, about 1 MB). Set it above the number of
     * tasks this node's workers hold at once. When it is full, the oldest start is dropped and
     * counted in {@code workqueue.lease.untimed}: a start whose end happened on another node, or
     * whose event was lost, never holds memory for long.
     *
     * @param max 0 (no lease timing, no tracking) to {@value #MAX_TRACKED_LEASES}
     * @return this builder
     * @throws InvalidArgumentException naming {@code maxTrackedLeases} when out of range
     */
    public Builder maxTrackedLeases(int max) {
      if (max < 0 || max > MAX_TRACKED_LEASES) {
        throw new InvalidArgumentException(
            "maxTrackedLeases", "is " + max + "; allowed are 0 to " + MAX_TRACKED_LEASES);
      }
      this.maxTrackedLeases = max;
      return this;
    }

    /**
     * Builds the metrics and registers {@code workqueue.lease.tracked} (unless lease timing is off,
     * or another instance registered it in the same registry already); other meters appear as
     * events arrive and queues are monitored.
     *
     * @return the metrics
     */
    public QueueMetrics build() {
      return new QueueMetrics(this);
    }
  }
}
