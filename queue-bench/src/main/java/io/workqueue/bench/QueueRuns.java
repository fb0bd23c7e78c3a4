package io.workqueue.bench;

import io.workqueue.NewTask;
import io.workqueue.QueueRef;
import io.workqueue.Task;
import io.workqueue.WorkQueue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/** The queue's measurements on the real adapters. */
final class QueueRuns {
  /** Long enough that no lease expires during a run. */
  static final Duration TTR = Duration.ofMinutes(10);

  /** How long a worker that found nothing waits before it asks again. */
  private static final long IDLE_PARK_NANOS = 200_000;

  private static final int N = BenchSettings.BATCH;
  private static final String OWNER = "bench";

  private final WorkQueue queue;

  QueueRuns(WorkQueue queue) {
    this.queue = queue;
  }

  /** A queue no other measurement uses. */
  static QueueRef fresh(String name) {
    return QueueRef.of(OWNER, name + "-" + UUID.randomUUID().toString().substring(0, 8));
  }

  // ------------------------------------------------------------------------------ single thread

  /**
   * One round on one thread: {@code ops} adds, then {@code ops} fetch + ack; then the batch forms
   * with {@code ops / 100} (at least 1) batches.
   */
  void singleRound(SingleTimings t, int ops) {
    QueueRef q = fresh("single");
    for (int i = 0; i < ops; i++) {
      io.workqueue.NewTask task = Payloads.task();
      long t0 = System.nanoTime();
      queue.add(q, task);
      t.add.since(0, t0);
    }
    for (int i = 0; i < ops; i++) {
      long t0 = System.nanoTime();
      queue.fetch(q, "w", TTR).orElseThrow(() -> new IllegalStateException("no task to fetch"));
      long t1 = t.fetch.since(0, t0);
      requireAcked(queue.ack(q, "w"));
      t.ack.since(0, t1);
    }
    int batches = Math.max(1, ops / N);
    QueueRef qb = fresh("single-batch");
    for (int i = 0; i < batches; i++) {
      List<io.workqueue.NewTask> tasks = Payloads.tasks(N);
      long t0 = System.nanoTime();
      queue.addAll(qb, tasks);
      t.addAll.since(0, t0);
    }
    for (int i = 0; i < batches; i++) {
      long t0 = System.nanoTime();
      List<Task> got = queue.fetchBatch(qb, "w", N, TTR);
      long t1 = t.fetchBatch.since(0, t0);
      if (got.size() != N) {
        throw new IllegalStateException("fetchBatch returned " + got.size() + " of " + N);
      }
      Set<Long> acked = queue.ackAll(qb, "w", indices(got));
      t.ackAll.since(0, t1);
      if (acked.size() != N) {
        throw new IllegalStateException("ackAll acknowledged " + acked.size() + " of " + N);
      }
    }
    t.ops += ops;
    t.batchTasks += (long) batches * N;
  }

  // ----------------------------------------------------------------------------------- per task

  /**
   * Case 2: {@code c} producers add while {@code c} workers fetch and ack, {@code tasks} in all.
   */
  Row perTaskEndToEnd(int c, int tasks) {
    QueueRef q = fresh("e2e-c" + c);
    AtomicInteger toAdd = new AtomicInteger(tasks);
    AtomicInteger acked = new AtomicInteger();
    AtomicLong idle = new AtomicLong();
    Histograms add = new Histograms(c);
    Histograms fetch = new Histograms(c);
    Histograms ack = new Histograms(c);
    double seconds =
        Load.run(
            new Load.Group(
                "producer",
                c,
                t -> {
                  while (toAdd.getAndDecrement() > 0) {
                    io.workqueue.NewTask task = Payloads.task();
                    long t0 = System.nanoTime();
                    queue.add(q, task);
                    add.since(t, t0);
                  }
                }),
            new Load.Group(
                "worker",
                c,
                t -> {
                  String worker = "w" + t;
                  while (acked.get() < tasks) {
                    long t0 = System.nanoTime();
                    Optional<Task> got = queue.fetch(q, worker, TTR);
                    if (got.isEmpty()) {
                      idle.incrementAndGet();
                      LockSupport.parkNanos(IDLE_PARK_NANOS);
                      continue;
                    }
                    long t1 = fetch.since(t, t0);
                    requireAcked(queue.ack(q, worker));
                    ack.since(t, t1);
                    acked.incrementAndGet();
                  }
                }));
    return Row.measured(
        2,
        Row.WORKQUEUE,
        Shapes.PER_TASK_E2E,
        c,
        tasks,
        seconds,
        List.of(add.merged("add"), fetch.merged("fetch"), ack.merged("ack")),
        idleNote(idle.get()));
  }

  /** The floor's shape on the queue: {@code c} threads each loop add → fetch → ack. */
  Row perTaskLoop(int c, int tasks) {
    QueueRef q = fresh("loop-c" + c);
    AtomicInteger toAdd = new AtomicInteger(tasks);
    AtomicInteger acked = new AtomicInteger();
    AtomicLong idle = new AtomicLong();
    Histograms add = new Histograms(c);
    Histograms fetch = new Histograms(c);
    Histograms ack = new Histograms(c);
    double seconds =
        Load.run(
            "loop",
            c,
            t -> {
              String worker = "w" + t;
              while (acked.get() < tasks) {
                if (toAdd.getAndDecrement() > 0) {
                  io.workqueue.NewTask task = Payloads.task();
                  long t0 = System.nanoTime();
                  queue.add(q, task);
                  add.since(t, t0);
                }
                long t0 = System.nanoTime();
                Optional<Task> got = queue.fetch(q, worker, TTR);
                if (got.isEmpty()) {
                  // another thread's add below ours is not committed yet
                  idle.incrementAndGet();
                  LockSupport.parkNanos(IDLE_PARK_NANOS);
                  continue;
                }
                long t1 = fetch.since(t, t0);
                requireAcked(queue.ack(q, worker));
                ack.since(t, t1);
                acked.incrementAndGet();
              }
            });
    return Row.measured(
        2,
        Row.WORKQUEUE,
        Shapes.PER_TASK_LOOP,
        c,
        tasks,
        seconds,
        List.of(add.merged("add"), fetch.merged("fetch"), ack.merged("ack")),
        idleNote(idle.get()));
  }

  // -------------------------------------------------------------------------------------- batch

  /** Case 3: {@code c} producers addAll 100 while {@code c} workers fetchBatch 100 and ackAll. */
  Row batchEndToEnd(int c, int tasks) {
    QueueRef q = fresh("batch-c" + c);
    int total = tasks / N * N;
    AtomicInteger batchesToAdd = new AtomicInteger(total / N);
    AtomicInteger acked = new AtomicInteger();
    AtomicLong idle = new AtomicLong();
    AtomicLong partial = new AtomicLong();
    Histograms add = new Histograms(c);
    Histograms fetch = new Histograms(c);
    Histograms ack = new Histograms(c);
    double seconds =
        Load.run(
            new Load.Group(
                "producer",
                c,
                t -> {
                  while (batchesToAdd.getAndDecrement() > 0) {
                    List<io.workqueue.NewTask> batch = Payloads.tasks(N);
                    long t0 = System.nanoTime();
                    queue.addAll(q, batch);
                    add.since(t, t0);
                  }
                }),
            new Load.Group(
                "worker",
                c,
                t -> {
                  String worker = "w" + t;
                  while (acked.get() < total) {
                    long t0 = System.nanoTime();
                    List<Task> got = queue.fetchBatch(q, worker, N, TTR);
                    if (got.isEmpty()) {
                      idle.incrementAndGet();
                      LockSupport.parkNanos(IDLE_PARK_NANOS);
                      continue;
                    }
                    if (got.size() < N) {
                      partial.incrementAndGet();
                    }
                    long t1 = fetch.since(t, t0);
                    Set<Long> done = queue.ackAll(q, worker, indices(got));
                    ack.since(t, t1);
                    if (done.size() != got.size()) {
                      throw new IllegalStateException(
                          "ackAll acknowledged " + done.size() + " of " + got.size());
                    }
                    acked.addAndGet(done.size());
                  }
                }));
    return Row.measured(
        3,
        Row.WORKQUEUE,
        Shapes.BATCH_E2E,
        c,
        total,
        seconds,
        List.of(add.merged("addAll 100"), fetch.merged("fetchBatch 100"), ack.merged("ackAll 100")),
        batchNote(idle.get(), partial.get()));
  }

  /** The floor's batch shape on the queue: each thread loops addAll → fetchBatch → ackAll. */
  Row batchLoop(int c, int tasks) {
    QueueRef q = fresh("batch-loop-c" + c);
    int total = tasks / N * N;
    AtomicInteger batchesToAdd = new AtomicInteger(total / N);
    AtomicInteger acked = new AtomicInteger();
    AtomicLong idle = new AtomicLong();
    AtomicLong partial = new AtomicLong();
    Histograms add = new Histograms(c);
    Histograms fetch = new Histograms(c);
    Histograms ack = new Histograms(c);
    double seconds =
        Load.run(
            "batch-loop",
            c,
            t -> {
              String worker = "w" + t;
              while (acked.get() < total) {
                if (batchesToAdd.getAndDecrement() > 0) {
                  List<io.workqueue.NewTask> batch = Payloads.tasks(N);
                  long t0 = System.nanoTime();
                  queue.addAll(q, batch);
                  add.since(t, t0);
                }
                long t0 = System.nanoTime();
                List<Task> got = queue.fetchBatch(q, worker, N, TTR);
                if (got.isEmpty()) {
                  idle.incrementAndGet();
                  LockSupport.parkNanos(IDLE_PARK_NANOS);
                  continue;
                }
                if (got.size() < N) {
                  partial.incrementAndGet();
                }
                long t1 = fetch.since(t, t0);
                Set<Long> done = queue.ackAll(q, worker, indices(got));
                ack.since(t, t1);
                acked.addAndGet(done.size());
              }
            });
    return Row.measured(
        3,
        Row.WORKQUEUE,
        Shapes.BATCH_LOOP,
        c,
        total,
        seconds,
        List.of(add.merged("addAll 100"), fetch.merged("fetchBatch 100"), ack.merged("ackAll 100")),
        batchNote(idle.get(), partial.get()));
  }

  // -------------------------------------------------------------------------------------- drain

  /** Fills a fresh queue with {@code tasks} tasks (addAll of 100 on 4 threads; not timed). */
  QueueRef prefill(String name, int tasks) {
    QueueRef q = fresh(name);
    fill(q, tasks);
    return q;
  }

  /** Adds {@code tasks} tasks to a queue with addAll of 100 on 4 threads. */
  void fill(QueueRef q, int tasks) {
    AtomicInteger left = new AtomicInteger(tasks);
    Load.run(
        "fill",
        4,
        t -> {
          while (true) {
            int before = left.getAndAdd(-N);
            if (before <= 0) {
              return;
            }
            queue.addAll(q, Payloads.tasks(Math.min(N, before)));
          }
        });
  }

  /**
   * Adds tasks due in a day, ahead of the tasks added afterwards: the fetch pointer steps over
   * them.
   */
  void fillDelayed(QueueRef q, int tasks) {
    for (int done = 0; done < tasks; done += N) {
      List<NewTask> batch = new ArrayList<>();
      for (NewTask t : Payloads.tasks(Math.min(N, tasks - done))) {
        batch.add(t.delay(Duration.ofDays(1)));
      }
      queue.addAll(q, batch);
    }
  }

  /** Case 6, the queue's side: {@code c} workers fetch and ack a prefilled queue. */
  Row drainPerTask(int c, int tasks) {
    QueueRef q = prefill("drain-c" + c, tasks);
    AtomicInteger acked = new AtomicInteger();
    Histograms cycle = new Histograms(c);
    double seconds =
        Load.run(
            "drain",
            c,
            t -> {
              String worker = "w" + t;
              while (true) {
                long t0 = System.nanoTime();
                Optional<Task> got = queue.fetch(q, worker, TTR);
                if (got.isEmpty()) {
                  return;
                }
                requireAcked(queue.ack(q, worker));
                cycle.since(t, t0);
                acked.incrementAndGet();
              }
            });
    requireAll(acked.get(), tasks);
    return Row.measured(
        6,
        Row.WORKQUEUE,
        Shapes.DRAIN_PER_TASK,
        c,
        tasks,
        seconds,
        List.of(cycle.merged("fetch+ack")),
        "");
  }

  /** Case 6, the queue's batch side: {@code c} workers fetchBatch 100 and ackAll. */
  Row drainBatch(int c, int tasks) {
    QueueRef q = prefill("drain-batch-c" + c, tasks);
    AtomicInteger acked = new AtomicInteger();
    Histograms cycle = new Histograms(c);
    double seconds =
        Load.run(
            "drain-batch",
            c,
            t -> {
              String worker = "w" + t;
              while (true) {
                long t0 = System.nanoTime();
                List<Task> got = queue.fetchBatch(q, worker, N, TTR);
                if (got.isEmpty()) {
                  return;
                }
                acked.addAndGet(queue.ackAll(q, worker, indices(got)).size());
                cycle.since(t, t0);
              }
            });
    requireAll(acked.get(), tasks);
    return Row.measured(
        6,
        Row.WORKQUEUE,
        Shapes.DRAIN_BATCH,
        c,
        tasks,
        seconds,
        List.of(cycle.merged("fetchBatch 100+ackAll")),
        "");
  }

  // -------------------------------------------------------------------------------------- probe

  /** Single-thread fetch + ack of {@code probes} tasks; the fetch latency is what counts. */
  Latency probe(QueueRef q, int probes) {
    Histograms fetch = new Histograms(1);
    for (int i = 0; i < probes; i++) {
      long t0 = System.nanoTime();
      queue.fetch(q, "probe", TTR).orElseThrow(() -> new IllegalStateException("nothing to probe"));
      fetch.since(0, t0);
      requireAcked(queue.ack(q, "probe"));
    }
    return fetch.merged("fetch");
  }

  /** Leases one task to each of {@code workers} workers, who never ack. */
  void lease(QueueRef q, int workers) {
    AtomicInteger next = new AtomicInteger();
    Load.run(
        "lease",
        4,
        t -> {
          for (int w = next.getAndIncrement(); w < workers; w = next.getAndIncrement()) {
            queue
                .fetch(q, "holder-" + w, Duration.ofHours(1))
                .orElseThrow(() -> new IllegalStateException("nothing to lease"));
          }
        });
  }

  // ------------------------------------------------------------------------------------ helpers

  private static List<Long> indices(List<Task> tasks) {
    List<Long> indices = new ArrayList<>(tasks.size());
    for (Task t : tasks) {
      indices.add(t.index());
    }
    return indices;
  }

  private static void requireAcked(boolean acked) {
    if (!acked) {
      throw new IllegalStateException("ack returned false for a lease the worker held");
    }
  }

  private static void requireAll(int acked, int tasks) {
    if (acked != tasks) {
      throw new IllegalStateException("drained " + acked + " of " + tasks + " tasks");
    }
  }

  private static String idleNote(long idle) {
    return idle == 0 ? "" : idle + " empty fetch(es) while waiting for adds";
  }

  private static String batchNote(long idle, long partial) {
    List<String> parts = new ArrayList<>();
    if (idle > 0) {
      parts.add(idle + " empty fetchBatch(es)");
    }
    if (partial > 0) {
      parts.add(partial + " short batch(es) (< 100)");
    }
    return String.join(", ", parts);
  }
}
