package io.workqueue;

import io.workqueue.internal.Validation;
import io.workqueue.internal.worker.WorkerConfig;
import io.workqueue.internal.worker.WorkerRuntime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadFactory;
import java.util.regex.Pattern;

/**
 * Runs a {@link TaskHandler} on the tasks of one or more queues: fetches, runs the handler,
 * acknowledges with its outcome, and takes care of what surrounds it.
 *
 * <pre>{@code
 * QueueWorker worker = QueueWorker.builder(workQueue)
 *     .queue(QueueRef.of("acme", "thumbnails"))
 *     .handler(task -> resize(task.valueAs(Image.class)))   // the result becomes the outcome
 *     .concurrency(4)
 *     .build()
 *     .start();
 * ...
 * worker.close(Duration.ofSeconds(30));                     // graceful shutdown
 * }</pre>
 *
 * <ul>
 *   <li><b>Concurrency.</b> {@link Builder#concurrency(int) n} slots, each a thread from the {@link
 *       Builder#threadFactory(ThreadFactory) thread factory} (on Java 21, {@code
 *       Thread.ofVirtual().factory()} gives virtual threads), run the handler on one task at a time
 *       each. How the slots get their tasks depends on the {@link Builder#batchSize(int) batch
 *       size}:
 *       <ul>
 *         <li><b>Batch path</b> (batch size over 1, the default {@value #DEFAULT_BATCH_SIZE}): one
 *             fetcher thread per worker leases tasks with {@link WorkQueue#fetchBatch} under a
 *             single worker id, {@code <workerId>:b}, which holds all of the worker's leases (by
 *             index). It leases no more than the batch size per call, and no more than the free
 *             slots plus a prefetch of tasks that wait in a local buffer, and only while a slot is
 *             free. The prefetch is {@code n} tasks; only while the slots run out of tasks during a
 *             fetch's round trip (handlers quicker than a fetch) it grows, up to the batch size,
 *             and it shrinks back once tasks wait: tasks leased ahead start soon. (Their leases are
 *             held meanwhile; see <i>Leases</i>.) The slots take tasks from the buffer. Outcomes
 *             are acknowledged in groups with {@link WorkQueue#ackAll(QueueRef, String,
 *             java.util.Map) ackAll}: as soon as 100 are waiting, else about a millisecond after
 *             the first, or at once when no handler runs and no task waits in the buffer (and all
 *             of them before {@link #close(Duration)} returns). The fetcher tries the queues in
 *             turn, starting after the queue it last got tasks from.
 *         <li><b>Per-task path</b> ({@code batchSize(1)}): each slot fetches one task at a time
 *             with {@link WorkQueue#fetch(QueueRef, String, Duration) fetch} under a worker id of
 *             its own, {@code <workerId>:<slot>}, that holds at most one lease at a time, and
 *             acknowledges it with {@link WorkQueue#ack(QueueRef, String, long, Outcome) ack}
 *             before it fetches again. Slots try the queues in turn, starting after the queue they
 *             last got a task from.
 *       </ul>
 *       {@link #workerIds()} lists the ids in use.
 *   <li><b>No busy polling.</b> An idle fetcher (or slot) waits for the queue's work signal ({@link
 *       WorkQueue#onWork}); the {@link Builder#pollInterval(Duration) poll interval} is only the
 *       fallback for lost signals, delayed tasks coming due and backends without signals.
 *   <li><b>Leases.</b> Each task is fetched with the {@link Builder#timeToRecover(Duration) time to
 *       recover}, and its lease is extended by as much every {@link
 *       Builder#leaseExtensionInterval(Duration) extension interval} while the handler runs, so a
 *       long handler keeps its task while a dead worker's tasks go to the others after one time to
 *       recover. On the batch path the leases of tasks waiting in the buffer are extended (one by
 *       one, by index) too, since their clock runs from the fetch; a buffered task whose lease was
 *       taken over is dropped from the buffer without running (logged, not counted in the {@link
 *       Stats}). A task whose lease was taken over while its handler ran (by another worker, or on
 *       the batch path by this worker's own fetcher after the lease ran out), or whose ack finds
 *       the lease gone, has its result discarded (logged, counted as abandoned).
 *   <li><b>Failures.</b> A handler that throws has its task {@linkplain WorkQueue#release(QueueRef,
 *       String, long, Duration, Object) released} for a retry after the {@link RetryPolicy}'s
 *       backoff; at the queue's delivery limit the queue dead-letters it instead, and its producer
 *       sees a failure outcome. A result Jackson cannot map ends the task with a failure outcome
 *       (logged, not retried).
 *   <li><b>Handlers that hang.</b> Past the {@link Builder#maxHandlerTime(Duration) maximum handler
 *       time} the lease is no longer extended and the handler is interrupted. If it returns (or
 *       throws) after that, its result is discarded and the task released for a retry as if it had
 *       thrown; if it ignores the interrupt, its slot stays busy and the task goes to another
 *       worker once its lease runs out. Either way it is logged. A handler whose lease was taken
 *       over (the extension found another holder) is interrupted too and its result discarded.
 *   <li><b>Shutdown.</b> {@link #close(Duration)} stops fetching; on the batch path it releases the
 *       buffered tasks that have not started at once with no delay (not counted in the {@link
 *       Stats}). It lets running handlers finish within the grace period, then interrupts the rest
 *       and releases their tasks with no delay, so other workers pick them up at once; the outcomes
 *       still waiting for a group ack are acknowledged before it returns. Each release counts as a
 *       delivery (the task's next delivery is numbered one more, and a task released at the queue's
 *       delivery limit is dead-lettered), also for a buffered task that never started. Closing
 *       again does nothing.
 *   <li><b>Schedules.</b> While running, the worker calls {@link WorkQueue#runSchedules} for each
 *       of its queues about once a second (see {@link Builder#runSchedules(boolean)}).
 * </ul>
 *
 * <p>Everything is logged through SLF4J under this class's name. Thread-safe.
 */
public final class QueueWorker implements AutoCloseable {

  /** The default grace period of {@link #close()}: 30 seconds. */
  public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(30);

  /** The default maximum handler time: 30 minutes. */
  public static final Duration DEFAULT_MAX_HANDLER_TIME = Duration.ofMinutes(30);

  /** The default poll interval of an idle fetcher or slot that hears no signal: 2 seconds. */
  public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(2);

  /** The default {@linkplain Builder#batchSize(int) batch size}: 100 tasks per fetch. */
  public static final int DEFAULT_BATCH_SIZE = 100;

  /** The largest {@linkplain Builder#batchSize(int) batch size}: {@value WorkQueue#MAX_BATCH}. */
  public static final int MAX_BATCH_SIZE = WorkQueue.MAX_BATCH;

  /** The most slots one worker may have. */
  public static final int MAX_CONCURRENCY = 1000;

  /** The longest base worker id, leaving room for the slot or batch suffix. */
  public static final int MAX_WORKER_ID_LENGTH = Validation.MAX_WORKER_ID_LENGTH - 5;

  private static final Pattern WORKER_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:@-]*");

  private final WorkerConfig cfg;
  private final WorkerRuntime runtime;

  private QueueWorker(WorkerConfig cfg) {
    this.cfg = cfg;
    this.runtime = new WorkerRuntime(cfg);
  }

  /**
   * Starts building a worker on a queue.
   *
   * @param workQueue the queue to fetch from
   * @return a builder
   * @throws InvalidArgumentException naming {@code workQueue} when it is null
   */
  public static Builder builder(WorkQueue workQueue) {
    return new Builder(Validation.notNull("workQueue", workQueue));
  }

  /**
   * Starts the slots and returns at once; they run until {@link #close(Duration)}. Calling it on a
   * running worker does nothing.
   *
   * @return this worker
   * @throws QueueException when the worker was closed or used with {@link #runFor} (a worker runs
   *     once; build a new one)
   */
  public QueueWorker start() {
    runtime.start();
    return this;
  }

  /**
   * Runs the worker in the calling thread's time, like kqueue's {@code runJobs}: starts it, waits
   * until {@code countLimit} tasks were handled or {@code timeLimit} has passed, whichever comes
   * first, then {@linkplain #close(Duration) closes} it with the {@linkplain
   * Builder#shutdownGrace(Duration) shutdown grace period}. At most {@code countLimit} tasks are
   * leased (on the batch path too: no fetch asks for more than what is left). An interrupt of the
   * calling thread ends the wait early as the time limit would (the interrupt flag stays set).
   *
   * @param countLimit 1 or more tasks
   * @param timeLimit 1 ms to 1 day
   * @return the counts of the run
   * @throws InvalidArgumentException naming {@code countLimit} or {@code timeLimit} when out of
   *     range (nothing started)
   * @throws QueueException when the worker was started or closed already
   */
  public Stats runFor(long countLimit, Duration timeLimit) {
    if (countLimit < 1) {
      throw new InvalidArgumentException("countLimit", "must be 1 or more, was " + countLimit);
    }
    Validation.positiveDuration("timeLimit", timeLimit);
    return runtime.runFor(countLimit, timeLimit);
  }

  /**
   * Shuts down gracefully: stops fetching at once and (on the batch path) releases the buffered
   * tasks whose handler has not started with no delay, lets running handlers finish (and their
   * tasks be acknowledged) within {@code grace}, then interrupts the handlers still running and
   * releases their tasks with no delay so other workers take them at once, and acknowledges the
   * outcomes still waiting for a group ack before it returns. A release counts as a delivery, also
   * for a buffered task that never started: a task released at its delivery limit is dead-lettered.
   * Idempotent: a second call does nothing but wait for the first to end and return its answer.
   *
   * @param grace 0 to 1 day
   * @return true when every running handler finished within the grace period
   * @throws InvalidArgumentException naming {@code grace} when null, negative or over a day
   */
  public boolean close(Duration grace) {
    if (grace == null
        || grace.isNegative()
        || grace.compareTo(Validation.MAX_TIME_TO_RECOVER) > 0) {
      throw new InvalidArgumentException(
          "grace", "must be 0 to " + Validation.MAX_TIME_TO_RECOVER + ", was " + grace);
    }
    return runtime.close(grace);
  }

  /**
   * {@link #close(Duration)} with the {@linkplain Builder#shutdownGrace(Duration) shutdown grace}.
   */
  @Override
  public void close() {
    runtime.close(cfg.shutdownGrace());
  }

  /**
   * Whether the worker is fetching: started and not closing.
   *
   * @return true while running
   */
  public boolean isRunning() {
    return runtime.isRunning();
  }

  /**
   * What the worker did so far.
   *
   * @return the counts
   */
  public Stats stats() {
    return runtime.stats();
  }

  /**
   * The worker ids the worker leases tasks with: on the batch path the one id of its fetcher,
   * {@code <workerId>:b}; on the per-task path ({@code batchSize(1)}) one id per slot, {@code
   * <workerId>:<slot>}.
   *
   * @return the ids its leases are held by
   */
  public List<String> workerIds() {
    return new ArrayList<>(cfg.leaseIds());
  }

  /**
   * The queues the worker serves.
   *
   * @return the queues, in the order given
   */
  public List<QueueRef> queues() {
    return cfg.queues();
  }

  @Override
  public String toString() {
    return "QueueWorker[" + cfg.workerId() + " x" + cfg.concurrency() + " on " + cfg.queues() + "]";
  }

  /**
   * What a worker did.
   *
   * @param succeeded tasks acknowledged with a success outcome
   * @param failed tasks acknowledged with a failure outcome (returned by the handler, a result that
   *     cannot be mapped, or an exception the retry policy does not retry)
   * @param retried tasks released for another delivery after their handler threw or timed out
   *     (released at the delivery limit, they were dead-lettered)
   * @param abandoned tasks whose handler started but that were left unfinished: released at
   *     shutdown, whose lease was taken over, or whose ack or release failed. Tasks leased into the
   *     batch buffer that never started (released at shutdown, or dropped when their lease was
   *     taken over) are not counted anywhere.
   */
  public record Stats(long succeeded, long failed, long retried, long abandoned) {
    /**
     * Tasks whose handler ran and whose end was recorded: succeeded, failed and retried.
     *
     * @return the sum
     */
    public long handled() {
      return succeeded + failed + retried;
    }
  }

  /** Settings of a worker. Not thread-safe; the built worker is. */
  public static final class Builder {
    private final WorkQueue workQueue;
    private final Set<QueueRef> queues = new LinkedHashSet<>();
    private String workerId = "worker-" + UUID.randomUUID().toString().substring(0, 8);
    private TaskHandler handler;
    private int concurrency = 1;
    private ThreadFactory threadFactory =
        r -> {
          Thread t = new Thread(r);
          t.setDaemon(true);
          return t;
        };
    private Duration timeToRecover = WorkQueue.DEFAULT_TIME_TO_RECOVER;
    private Duration extendEvery;
    private Duration maxHandlerTime = DEFAULT_MAX_HANDLER_TIME;
    private RetryPolicy retryPolicy = RetryPolicy.DEFAULT;
    private Duration pollInterval = DEFAULT_POLL_INTERVAL;
    private Duration shutdownGrace = DEFAULT_SHUTDOWN_GRACE;
    private boolean runSchedules = true;
    private int batchSize = DEFAULT_BATCH_SIZE;

    private Builder(WorkQueue workQueue) {
      this.workQueue = workQueue;
    }

    /**
     * Adds a queue to serve (at least one is required).
     *
     * @param queue the queue
     * @return this builder
     * @throws InvalidArgumentException naming {@code queue} when it is null
     */
    public Builder queue(QueueRef queue) {
      queues.add(Validation.notNull("queue", queue));
      return this;
    }

    /**
     * Adds queues to serve; a queue given twice is served once.
     *
     * @param queues the queues
     * @return this builder
     * @throws InvalidArgumentException naming {@code queues} when the collection or an element is
     *     null
     */
    public Builder queues(Collection<QueueRef> queues) {
      Validation.notNull("queues", queues);
      for (QueueRef q : queues) {
        Validation.notNull("queues", q);
      }
      this.queues.addAll(queues);
      return this;
    }

    /**
     * Sets the worker's id (default: {@code worker-} and 8 random characters). On the batch path
     * the worker leases as {@code <workerId>:b}; on the per-task path slot {@code n} fetches as
     * {@code <workerId>:<n>}. Ids must be unique among the workers that are alive at the same time:
     * two workers with the same id share their leases.
     *
     * @param workerId ASCII letters, digits, '.', '_', ':', '@' and '-', starting with a letter or
     *     digit, at most {@value #MAX_WORKER_ID_LENGTH} characters
     * @return this builder
     * @throws InvalidArgumentException naming {@code workerId} when it is not allowed
     */
    public Builder workerId(String workerId) {
      if (workerId == null || workerId.isEmpty()) {
        throw new InvalidArgumentException("workerId", "must not be null or empty");
      }
      if (workerId.length() > MAX_WORKER_ID_LENGTH) {
        throw new InvalidArgumentException(
            "workerId",
            "is "
                + workerId.length()
                + " characters long; at most "
                + MAX_WORKER_ID_LENGTH
                + " are allowed");
      }
      if (!WORKER_ID.matcher(workerId).matches()) {
        throw new InvalidArgumentException(
            "workerId",
            "allowed are ASCII letters, digits, '.', '_', ':', '@' and '-', starting with a letter"
                + " or digit");
      }
      this.workerId = workerId;
      return this;
    }

    /**
     * Sets the work (required).
     *
     * @param handler the handler, called concurrently by the slots
     * @return this builder
     * @throws InvalidArgumentException naming {@code handler} when it is null
     */
    public Builder handler(TaskHandler handler) {
      this.handler = Validation.notNull("handler", handler);
      return this;
    }

    /**
     * Sets how many handlers run at once (default 1).
     *
     * @param concurrency 1 to {@value #MAX_CONCURRENCY}
     * @return this builder
     * @throws InvalidArgumentException naming {@code concurrency} when out of range
     */
    public Builder concurrency(int concurrency) {
      if (concurrency < 1 || concurrency > MAX_CONCURRENCY) {
        throw new InvalidArgumentException(
            "concurrency", "must be 1 to " + MAX_CONCURRENCY + ", was " + concurrency);
      }
      this.concurrency = concurrency;
      return this;
    }

    /**
     * Sets the most tasks leased per fetch (default {@value #DEFAULT_BATCH_SIZE}). Over 1, the
     * worker runs on the batch path: one fetcher leases tasks with {@link WorkQueue#fetchBatch}
     * under the worker id {@code <workerId>:b}, never more per call than this, than what is left of
     * a {@link QueueWorker#runFor} count limit, or than the free slots plus a prefetch of what the
     * slots start soon ({@code concurrency} tasks, more only while handlers are quicker than a
     * fetch); outcomes are acknowledged in groups with {@link WorkQueue#ackAll(QueueRef, String,
     * java.util.Map) ackAll}. 1 keeps the per-task path: each slot fetches and acknowledges one
     * task at a time under its own worker id {@code <workerId>:<slot>}.
     *
     * @param batchSize 1 to {@value #MAX_BATCH_SIZE}
     * @return this builder
     * @throws InvalidArgumentException naming {@code batchSize} when out of range
     */
    public Builder batchSize(int batchSize) {
      if (batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
        throw new InvalidArgumentException(
            "batchSize", "must be 1 to " + MAX_BATCH_SIZE + ", was " + batchSize);
      }
      this.batchSize = batchSize;
      return this;
    }

    /**
     * Sets what makes the slot threads (default: daemon platform threads). The worker names them
     * {@code workqueue-worker-<workerId>:<slot>}.
     *
     * @param threadFactory for example {@code Thread.ofVirtual().factory()} on Java 21
     * @return this builder
     * @throws InvalidArgumentException naming {@code threadFactory} when it is null
     */
    public Builder threadFactory(ThreadFactory threadFactory) {
      this.threadFactory = Validation.notNull("threadFactory", threadFactory);
      return this;
    }

    /**
     * Sets each lease's time to recover (default {@link WorkQueue#DEFAULT_TIME_TO_RECOVER}): how
     * long after this worker stops extending a lease (it died, or its handler hangs) the task goes
     * to another worker.
     *
     * @param timeToRecover 1 ms to 1 day
     * @return this builder
     * @throws InvalidArgumentException naming {@code timeToRecover} when out of range
     */
    public Builder timeToRecover(Duration timeToRecover) {
      this.timeToRecover = Validation.positiveDuration("timeToRecover", timeToRecover);
      return this;
    }

    /**
     * Sets how often a running handler's lease is extended by the time to recover (default: a third
     * of the time to recover).
     *
     * @param interval 1 ms to less than the time to recover
     * @return this builder
     * @throws InvalidArgumentException naming {@code interval} when not positive; {@link #build()}
     *     names it when it is not shorter than the time to recover
     */
    public Builder leaseExtensionInterval(Duration interval) {
      this.extendEvery = Validation.positiveDuration("interval", interval);
      return this;
    }

    /**
     * Sets how long a handler may run (default {@link #DEFAULT_MAX_HANDLER_TIME}); after that its
     * lease is no longer extended and it is interrupted.
     *
     * @param maxHandlerTime 1 ms to 1 day
     * @return this builder
     * @throws InvalidArgumentException naming {@code maxHandlerTime} when out of range
     */
    public Builder maxHandlerTime(Duration maxHandlerTime) {
      this.maxHandlerTime = Validation.positiveDuration("maxHandlerTime", maxHandlerTime);
      return this;
    }

    /**
     * Sets what a handler's exception leads to (default {@link RetryPolicy#DEFAULT}).
     *
     * @param retryPolicy the policy
     * @return this builder
     * @throws InvalidArgumentException naming {@code retryPolicy} when it is null
     */
    public Builder retryPolicy(RetryPolicy retryPolicy) {
      this.retryPolicy = Validation.notNull("retryPolicy", retryPolicy);
      return this;
    }

    /**
     * Sets the longest an idle fetcher (per-task path: slot) waits before it looks for work without
     * a signal (default {@link #DEFAULT_POLL_INTERVAL}).
     *
     * @param pollInterval 1 ms to 1 day
     * @return this builder
     * @throws InvalidArgumentException naming {@code pollInterval} when out of range
     */
    public Builder pollInterval(Duration pollInterval) {
      this.pollInterval = Validation.positiveDuration("pollInterval", pollInterval);
      return this;
    }

    /**
     * Sets the grace period of {@link QueueWorker#close()} and of the end of {@link
     * QueueWorker#runFor} (default {@link #DEFAULT_SHUTDOWN_GRACE}).
     *
     * @param grace 0 to 1 day
     * @return this builder
     * @throws InvalidArgumentException naming {@code grace} when out of range
     */
    public Builder shutdownGrace(Duration grace) {
      if (grace == null
          || grace.isNegative()
          || grace.compareTo(Validation.MAX_TIME_TO_RECOVER) > 0) {
        throw new InvalidArgumentException(
            "grace", "must be 0 to " + Validation.MAX_TIME_TO_RECOVER + ", was " + grace);
      }
      this.shutdownGrace = grace;
      return this;
    }

    /**
     * Sets whether the worker runs its queues' schedules ({@link WorkQueue#runSchedules}) about
     * once a second while running (default true). Any number of workers may do so: each tick is
     * added once.
     *
     * @param runSchedules false to leave schedules to other nodes
     * @return this builder
     */
    public Builder runSchedules(boolean runSchedules) {
      this.runSchedules = runSchedules;
      return this;
    }

    /**
     * Builds the worker, not yet started.
     *
     * @return the worker
     * @throws InvalidArgumentException naming {@code queues} when none was given, {@code handler}
     *     when none was set, or {@code interval} when the lease extension interval is not shorter
     *     than the time to recover
     */
    public QueueWorker build() {
      if (queues.isEmpty()) {
        throw new InvalidArgumentException("queues", "at least one queue is required");
      }
      if (handler == null) {
        throw new InvalidArgumentException("handler", "is required");
      }
      Duration every = extendEvery;
      if (every == null) {
        every = timeToRecover.dividedBy(3);
        if (every.toMillis() < 1) {
          every = Duration.ofMillis(1);
        }
      } else if (every.compareTo(timeToRecover) >= 0) {
        throw new InvalidArgumentException(
            "interval",
            "the lease extension interval ("
                + every
                + ") must be shorter than the time to recover ("
                + timeToRecover
                + ")");
      }
      return new QueueWorker(
          new WorkerConfig(
              workQueue,
              List.copyOf(queues),
              workerId,
              handler,
              concurrency,
              threadFactory,
              timeToRecover,
              every,
              maxHandlerTime,
              retryPolicy,
              pollInterval,
              shutdownGrace,
              runSchedules,
              batchSize));
    }
  }
}
