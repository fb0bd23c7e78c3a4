package io.workqueue.bench;

import io.workqueue.Outcome;
import io.workqueue.QueueEvent;
import io.workqueue.QueueInfo;
import io.workqueue.QueueListener;
import io.workqueue.QueueRef;
import io.workqueue.QueueWorker;
import io.workqueue.WorkQueue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import org.HdrHistogram.Histogram;

/**
 * Case 4: the worker runtime, {@link QueueWorker}, with a no-op handler on the real adapters. The
 * worker runs on a node of its own (its own {@link WorkQueue} and Redis signal subscriber, the same
 * servers), as it would on another machine than the producer's.
 *
 * <ul>
 *   <li>{@link #drain}: a queue prefilled with addAll 100 (not timed) is drained by {@link
 *       QueueWorker#runFor}; every task must be handled exactly once.
 *   <li>{@link #idleLatency}: an idle started worker with one slot; one task is added at a time and
 *       the time to its handler's start recorded.
 * </ul>
 */
final class WorkerRuns {
  /** The worker id of the bench's workers (slots are {@code bench-worker:<n>}). */
  static final String WORKER_ID = "bench-worker";

  /** No drain may take longer than the other loads of the bench. */
  private static final Duration DRAIN_LIMIT = Duration.ofMinutes(Load.TIMEOUT_MINUTES);

  /** How long the idle probe waits for one handler to start before it gives up. */
  private static final long START_WAIT_SECONDS = 30;

  /**
   * How long the idle probe waits after the previous task's ack before it adds the next task: long
   * enough for the slot's empty fetch to return and the slot to wait for the work signal again.
   */
  private static final long IDLE_GAP_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

  private static final int N = BenchSettings.BATCH;
  private static final long MAX_NANOS = 60_000_000_000L;

  private final WorkQueue producer;
  private final Function<QueueListener, BenchServers.Node> nodes;

  /**
   * Runs on a producer queue and fresh worker nodes.
   *
   * @param producer the queue that adds the tasks (the bench's node)
   * @param nodes makes a node for each worker, with a listener of its queue events; closed after
   */
  WorkerRuns(WorkQueue producer, Function<QueueListener, BenchServers.Node> nodes) {
    this.producer = producer;
    this.nodes = nodes;
  }

  // -------------------------------------------------------------------------------------- drain

  /** A queue filled before the clock starts, and what addAll returned for it. */
  record Prefilled(QueueRef queue, long[] indices, double seconds) {}

  /** Fills a fresh queue with addAll of 100 on 4 threads, keeping the indices addAll returned. */
  Prefilled prefill(int tasks) {
    QueueRef q = QueueRuns.fresh("worker-drain");
    AtomicInteger left = new AtomicInteger(tasks);
    ConcurrentLinkedQueue<List<Long>> added = new ConcurrentLinkedQueue<>();
    double seconds =
        Load.run(
            "worker-fill",
            4,
            t -> {
              while (true) {
                int before = left.getAndAdd(-N);
                if (before <= 0) {
                  return;
                }
                added.add(producer.addAll(q, Payloads.tasks(Math.min(N, before))));
              }
            });
    long[] indices = added.stream().flatMap(List::stream).mapToLong(Long::longValue).toArray();
    if (indices.length != tasks) {
      throw new IllegalStateException(
          "addAll returned " + indices.length + " indices for " + tasks + " tasks");
    }
    return new Prefilled(q, indices, seconds);
  }

  /**
   * A {@link QueueWorker} of {@code c} slots and a no-op handler drains a prefilled queue: {@link
   * QueueWorker#runFor} with the queue's task count as its count limit, timed from the call (the
   * slots start) to its return (the last ack done and the worker closed). The latency is per task,
   * from its handler's start to its acknowledgement: the {@code Acked} event of the worker's node,
   * which comes right after the ack's Redis step, on the thread that acknowledged. Beside it, a
   * slot's wait for its next task: from one handler start to the next on the same slot (the first
   * task of each slot has none). The row fails unless every task was handled and acknowledged
   * exactly once.
   */
  Row drain(Prefilled p, int c) {
    int tasks = p.indices().length;
    ConcurrentLinkedQueue<SlotLog> logs = new ConcurrentLinkedQueue<>();
    ThreadLocal<SlotLog> slot =
        ThreadLocal.withInitial(
            () -> {
              SlotLog log = new SlotLog();
              logs.add(log);
              return log;
            });
    ConcurrentHashMap<Long, Long> startedAt = new ConcurrentHashMap<>(tasks * 2);
    ConcurrentLinkedQueue<Histogram> ackHistograms = new ConcurrentLinkedQueue<>();
    ThreadLocal<Histogram> ackHistogram =
        ThreadLocal.withInitial(
            () -> {
              Histogram h = Latency.newHistogram();
              ackHistograms.add(h);
              return h;
            });
    LongAdder acked = new LongAdder();
    QueueListener onAcked =
        event -> {
          if (event instanceof QueueEvent.Acked a) {
            long now = System.nanoTime();
            Long started = startedAt.remove(a.index());
            if (started != null) {
              ackHistogram.get().recordValue(Math.min(now - started, MAX_NANOS));
              acked.increment();
            }
          }
        };
    QueueWorker.Stats stats;
    double seconds;
    QueueInfo after;
    try (BenchServers.Node node = nodes.apply(onAcked)) {
      QueueWorker worker =
          QueueWorker.builder(node.queue())
              .queue(p.queue())
              .workerId(WORKER_ID)
              .handler(
                  task -> {
                    long now = slot.get().started(task.index());
                    startedAt.put(task.index(), now);
                    return Outcome.success(); // no result: a plain success
                  })
              .concurrency(c)
              .timeToRecover(QueueRuns.TTR)
              .build();
      long t0 = System.nanoTime();
      stats = worker.runFor(tasks, DRAIN_LIMIT);
      seconds = (System.nanoTime() - t0) / 1e9;
      after = producer.info(p.queue());
    }
    Histogram cycle = Latency.newHistogram();
    List<long[]> handled = new ArrayList<>();
    for (SlotLog log : logs) {
      cycle.add(log.cycle);
      handled.add(log.indices());
    }
    Histogram ack = Latency.newHistogram();
    ackHistograms.forEach(ack::add);
    Optional<String> wrong =
        check(
            p.indices(),
            handled,
            acked.sum(),
            stats,
            after.waiting(),
            after.inFlight(),
            after.deadLetters());
    String note =
        String.format(
            Locale.ROOT,
            "every task handled and acknowledged exactly once (%,d); runFor stats: %s; %d of %d"
                + " slots got tasks; prefilled with addAll 100 on 4 threads in %.1f s before the"
                + " clock started; the time includes the worker's start and close",
            stats.succeeded(),
            describe(stats),
            logs.size(),
            c,
            p.seconds());
    return new Row(
        4,
        Row.WORKQUEUE,
        Shapes.WORKER_DRAIN,
        c,
        stats.succeeded(),
        seconds,
        List.of(new Latency(Shapes.WORKER_ACKED, ack), new Latency(Shapes.WORKER_CYCLE, cycle)),
        wrong.isPresent() ? "" : note,
        wrong.map(w -> "failed: " + w),
        Double.NaN);
  }

  /**
   * What is wrong with a drain, if anything: every added task must have been handled once and
   * acknowledged as a success, none twice, none left in the queue.
   *
   * @param added the indices addAll returned
   * @param handled the indices each slot's handler was called with, in any order
   * @param acked the {@code Acked} events heard for tasks whose handler had started (each event
   *     clears its task's start, so a second event for a task is not counted)
   * @param stats the worker's counts
   * @param waiting tasks still waiting in the queue afterwards
   * @param inFlight leases still open afterwards
   * @param deadLetters tasks dead-lettered
   * @return empty when the drain is right, else what is wrong
   */
  static Optional<String> check(
      long[] added,
      List<long[]> handled,
      long acked,
      QueueWorker.Stats stats,
      long waiting,
      long inFlight,
      long deadLetters) {
    List<String> wrong = new ArrayList<>();
    long[] want = added.clone();
    Arrays.sort(want);
    long[] got = handled.stream().flatMapToLong(Arrays::stream).sorted().toArray();
    long twice = 0;
    for (int i = 1; i < got.length; i++) {
      if (got[i] == got[i - 1]) {
        twice++;
      }
    }
    long distinct = got.length - twice;
    long missing = 0;
    long unknown = 0;
    int i = 0;
    int j = 0;
    while (i < want.length || j < got.length) {
      if (j >= got.length || (i < want.length && want[i] < got[j])) {
        missing++;
        i++;
      } else if (i >= want.length || got[j] < want[i]) {
        unknown++;
        j = skipSame(got, j);
      } else {
        i++;
        j = skipSame(got, j);
      }
    }
    if (got.length != want.length || twice > 0 || missing > 0 || unknown > 0) {
      wrong.add(
          String.format(
              Locale.ROOT,
              "the handler ran %,d times on %,d distinct tasks for %,d added (%,d handled more"
                  + " than once, %,d never, %,d not added)",
              got.length,
              distinct,
              want.length,
              twice,
              missing,
              unknown));
    }
    if (acked != want.length) {
      wrong.add(
          String.format(Locale.ROOT, "%,d Acked event(s) for %,d added tasks", acked, want.length));
    }
    if (stats.succeeded() != want.length
        || stats.failed() != 0
        || stats.retried() != 0
        || stats.abandoned() != 0) {
      wrong.add("runFor stats " + describe(stats) + " for " + want.length + " tasks");
    }
    if (waiting != 0 || inFlight != 0 || deadLetters != 0) {
      wrong.add(
          "the queue still holds "
              + waiting
              + " waiting, "
              + inFlight
              + " leased and "
              + deadLetters
              + " dead-lettered task(s)");
    }
    return wrong.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", wrong));
  }

  private static int skipSame(long[] sorted, int j) {
    long v = sorted[j];
    while (j < sorted.length && sorted[j] == v) {
      j++;
    }
    return j;
  }

  private static String describe(QueueWorker.Stats s) {
    return s.succeeded()
        + " succeeded, "
        + s.failed()
        + " failed, "
        + s.retried()
        + " retried, "
        + s.abandoned()
        + " abandoned";
  }

  /** One slot's handler calls: the cycle histogram and the indices, written by its thread only. */
  private static final class SlotLog {
    final Histogram cycle = Latency.newHistogram();
    private long last;
    private long[] indices = new long[1024];
    private int n;

    /** Records a handler start; returns its time. */
    long started(long index) {
      long now = System.nanoTime();
      if (last != 0) {
        cycle.recordValue(Math.min(now - last, MAX_NANOS));
      }
      last = now;
      if (n == indices.length) {
        indices = Arrays.copyOf(indices, n * 2);
      }
      indices[n++] = index;
      return now;
    }

    long[] indices() {
      return Arrays.copyOf(indices, n);
    }
  }

  // ------------------------------------------------------------------------------- idle worker

  /**
   * An idle, started {@link QueueWorker} with one slot: the producer adds one task at a time, the
   * time from the add call to the handler's start is recorded; after each task's ack the probe
   * waits a little so the slot is idle again (waiting for the work signal) when the next task
   * comes. The first {@code warmup} tasks are not recorded.
   */
  Row idleLatency(int samples, int warmup) {
    QueueRef q = QueueRuns.fresh("worker-idle");
    BlockingQueue<long[]> starts = new LinkedBlockingQueue<>();
    Histogram addToStart = Latency.newHistogram();
    Histogram returnToStart = Latency.newHistogram();
    Histogram add = Latency.newHistogram();
    int total = warmup + samples;
    long[] indices = new long[total];
    QueueWorker.Stats stats;
    QueueInfo after;
    double busy = 0;
    LongAdder acked = new LongAdder();
    QueueListener onAcked =
        event -> {
          if (event instanceof QueueEvent.Acked) {
            acked.increment();
          }
        };
    try (BenchServers.Node node = nodes.apply(onAcked)) {
      QueueWorker worker =
          QueueWorker.builder(node.queue())
              .queue(q)
              .workerId(WORKER_ID + "-idle")
              .handler(
                  task -> {
                    starts.add(new long[] {System.nanoTime(), task.index()});
                    return Outcome.success(); // no result: a plain success
                  })
              .concurrency(1)
              .timeToRecover(QueueRuns.TTR)
              .build()
              .start();
      try {
        for (int i = 0; i < total; i++) {
          long t0 = System.nanoTime();
          long index = producer.add(q, Payloads.task());
          long t1 = System.nanoTime();
          long[] started = starts.poll(START_WAIT_SECONDS, TimeUnit.SECONDS);
          if (started == null) {
            throw new IllegalStateException(
                "the handler of task "
                    + index
                    + " (sample "
                    + (i + 1)
                    + ") did not start within "
                    + START_WAIT_SECONDS
                    + " s of its add");
          }
          if (started[1] != index) {
            throw new IllegalStateException(
                "the handler started task " + started[1] + " where " + index + " was added");
          }
          indices[i] = index;
          if (i >= warmup) {
            add.recordValue(t1 - t0);
            addToStart.recordValue(started[0] - t0);
            // the handler may start before the add call has returned: that counts as 0
            returnToStart.recordValue(Math.max(0, started[0] - t1));
            busy += (started[0] - t0) / 1e9;
          }
          awaitHandled(worker, i + 1);
          LockSupport.parkNanos(IDLE_GAP_NANOS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      } finally {
        worker.close(Duration.ofSeconds(5));
      }
      stats = worker.stats();
      after = producer.info(q);
    }
    List<long[]> handled = new ArrayList<>();
    handled.add(indices);
    long[] extra = starts.stream().mapToLong(s -> s[1]).toArray();
    handled.add(extra);
    Optional<String> wrong =
        check(
            indices,
            handled,
            acked.sum(),
            stats,
            after.waiting(),
            after.inFlight(),
            after.deadLetters());
    String note =
        String.format(
            Locale.ROOT,
            "one task at a time, the next %d ms after the previous ack; %d warm-up tasks before;"
                + " tasks/s is 1 / mean of add → handler start",
            TimeUnit.NANOSECONDS.toMillis(IDLE_GAP_NANOS),
            warmup);
    return new Row(
        4,
        Row.WORKQUEUE,
        Shapes.WORKER_IDLE,
        1,
        samples,
        busy,
        List.of(
            new Latency(Shapes.WORKER_ADD_TO_START, addToStart),
            new Latency("add return → handler start", returnToStart),
            new Latency("add", add)),
        wrong.isPresent() ? "" : note,
        wrong.map(w -> "failed: " + w),
        Double.NaN);
  }

  private static void awaitHandled(QueueWorker worker, long handled) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_WAIT_SECONDS);
    while (worker.stats().handled() < handled) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "task "
                + handled
                + " was not acknowledged within "
                + START_WAIT_SECONDS
                + " s of its handler's start: "
                + describe(worker.stats()));
      }
      LockSupport.parkNanos(50_000);
    }
  }
}
