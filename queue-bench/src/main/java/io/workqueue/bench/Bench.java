package io.workqueue.bench;

import io.workqueue.QueueRef;
import io.workqueue.internal.Json;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.UUID;
import java.util.function.Supplier;
import redis.clients.jedis.JedisPooled;

/**
 * One bench run: every selected case against the given servers, in one process, with a progress
 * line per measurement. The floor is measured right next to the queue figure it is compared with
 * (same concurrency, one after the other), so both see the same state of the servers.
 *
 * <p>Not thread-safe; run once.
 */
public final class Bench {
  /** Rounds of the single-thread calls; the queue's and the floor's alternate. */
  private static final int SINGLE_ROUNDS = 5;

  private final BenchSettings settings;
  private final BenchServers servers;
  private final PrintStream out;
  private final BenchResults results;
  private final Settle settle;
  private final long t0 = System.nanoTime();

  /**
   * A run.
   *
   * @param settings what to run
   * @param servers where
   * @param out where the progress lines go
   */
  public Bench(BenchSettings settings, BenchServers servers, PrintStream out) {
    this.settings = settings;
    this.servers = servers;
    this.out = out;
    this.results = new BenchResults(settings, Instant.now());
    this.settle = new Settle(servers.session(), List.of(servers.redis(), servers.peerRedis()));
  }

  /**
   * Runs every selected case. A failing measurement is recorded as {@code failed: ...} and the run
   * goes on.
   *
   * @return the results, ratios included
   */
  public BenchResults run() {
    Machine.describe(results, servers);
    int sealedBytes =
        servers
            .keys()
            .seal(
                "bench",
                Json.bytes(Payloads.task().value()),
                "wq1|bench|size|1|VALUE|".getBytes(StandardCharsets.UTF_8))
            .length;
    Floor floor = new Floor(servers.session(), servers.redis(), sealedBytes);
    results.environment(
        "Payload: "
            + Payloads.JSON_BYTES
            + " B of JSON per task ({\"payload\":\"x…\"}); sealed: "
            + sealedBytes
            + " B, which is also the blob the floor writes per task.");
    results.environment(
        servers.recordsPlainOutcomes()
            ? "Queue settings: the library's defaults; every ack writes an outcome row"
                + " (recordPlainOutcomes on), the floor's ack writes nothing."
            : "Queue settings: recordPlainOutcomes off (--no-plain-outcomes): an ack with a plain"
                + " success writes no outcome row, as the floor's ack (the worker's no-op"
                + " handler returns a plain success too).");
    QueueRuns queue = new QueueRuns(servers.queue());
    FloorRuns floorRuns = new FloorRuns(floor);
    boolean queueCases =
        has(BenchCase.SINGLE, BenchCase.E2E, BenchCase.BATCH, BenchCase.WORKER, BenchCase.FLOOR);
    if (queueCases || has(BenchCase.BULLMQ, BenchCase.MEMORY)) {
      warmUp(queue, floorRuns);
    }

    if (has(BenchCase.SINGLE, BenchCase.FLOOR)) {
      single(queue, floorRuns);
    }
    for (int c : settings.concurrencies()) {
      if (has(BenchCase.FLOOR)) {
        measure(BenchCase.FLOOR, () -> floorRuns.perTaskLoop(c, settings.floorTasks()));
      }
      if (has(BenchCase.E2E)) {
        measure(BenchCase.E2E, () -> queue.perTaskLoop(c, settings.floorTasks()));
        measure(BenchCase.E2E, () -> queue.perTaskEndToEnd(c, settings.tasks()));
      }
    }
    for (int c : settings.concurrencies()) {
      if (has(BenchCase.FLOOR)) {
        measure(BenchCase.FLOOR, () -> floorRuns.batchLoop(c, settings.batchTasks()));
      }
      if (has(BenchCase.BATCH)) {
        measure(BenchCase.BATCH, () -> queue.batchLoop(c, settings.batchTasks()));
        measure(BenchCase.BATCH, () -> queue.batchEndToEnd(c, settings.batchTasks()));
      }
    }
    if (has(BenchCase.WORKER)) {
      workerRuntime();
    }
    if (has(BenchCase.BULLMQ)) {
      peer(queue);
    }
    if (has(BenchCase.MEMORY)) {
      memory(queue);
    }
    if (has(BenchCase.JMH)) {
      jmh();
    }
    results.ratios(Ratios.compute(results));
    results.totalSeconds((System.nanoTime() - t0) / 1e9);
    return results;
  }

  // ------------------------------------------------------------------------------------- warm-up

  private void warmUp(QueueRuns queue, FloorRuns floor) {
    int n = settings.warmupTasks();
    if (n <= 0) {
      return;
    }
    long start = System.nanoTime();
    queue.perTaskLoop(4, n);
    floor.perTaskLoop(4, n);
    queue.batchEndToEnd(4, n * 10);
    floor.batchLoop(4, n * 10);
    progress(
        String.format(
            Locale.ROOT,
            "warm-up: %,d tasks per task and %,d in batches, on the queue and on the floor (%.1f s)",
            n,
            n * 10,
            seconds(start)));
  }

  // --------------------------------------------------------------------------------- measurement

  private void measure(BenchCase c, Supplier<Row> run) {
    measureAll(c, () -> List.of(run.get()));
  }

  private void measureAll(BenchCase c, Supplier<List<Row>> run) {
    String busy = settle.await();
    long start = System.nanoTime();
    CpuShare cpu = CpuShare.now();
    try {
      List<Row> rows = run.get();
      OptionalDouble others = CpuShare.othersSince(cpu);
      for (Row row : rows) {
        if (!busy.isEmpty()) {
          row = withNote(row, busy);
        }
        if (others.isPresent()) {
          row = row.withOtherCores(others.getAsDouble());
        }
        results.add(row);
        progress(Progress.line(c, row, seconds(start)));
      }
    } catch (RuntimeException e) {
      Row failed = Row.unavailable(c.number(), "", "", "failed: " + e);
      results.add(failed);
      progress(Progress.line(c, failed, seconds(start)));
    }
    results.addSeconds(c, seconds(start));
  }

  private static Row withNote(Row row, String note) {
    return new Row(
        row.caseNumber(),
        row.system(),
        row.shape(),
        row.concurrency(),
        row.tasks(),
        row.seconds(),
        row.latencies(),
        row.note().isEmpty() ? note : row.note() + "; " + note,
        row.status(),
        row.otherCores());
  }

  // ----------------------------------------------------------------------------- case 1 and 5

  /**
   * The calls timed alone on one thread, queue and floor in alternating rounds, so that background
   * work on the servers hits both alike.
   */
  private void single(QueueRuns queue, FloorRuns floor) {
    SingleTimings q = new SingleTimings();
    SingleTimings f = new SingleTimings();
    int rounds = Math.max(1, Math.min(SINGLE_ROUNDS, settings.singleOps() / BenchSettings.BATCH));
    int ops = Math.max(1, settings.singleOps() / rounds);
    double qs = 0;
    double fs = 0;
    CpuShare cpu;
    try {
      settle.await();
      cpu = CpuShare.now();
      for (int i = 0; i < rounds; i++) {
        long t = System.nanoTime();
        if (has(BenchCase.SINGLE)) {
          queue.singleRound(q, ops);
        }
        qs += seconds(t);
        t = System.nanoTime();
        if (has(BenchCase.FLOOR)) {
          floor.singleRound(f, ops);
        }
        fs += seconds(t);
      }
    } catch (RuntimeException e) {
      Row failed = Row.unavailable(1, "", "", "failed: " + e);
      results.add(failed);
      progress(Progress.line(BenchCase.SINGLE, failed, qs + fs));
      return;
    }
    OptionalDouble others = CpuShare.othersSince(cpu);
    if (has(BenchCase.SINGLE)) {
      for (Row row : q.rows(1, Row.WORKQUEUE)) {
        row = others.isPresent() ? row.withOtherCores(others.getAsDouble()) : row;
        results.add(row);
        progress(Progress.line(BenchCase.SINGLE, row, qs));
      }
      results.addSeconds(BenchCase.SINGLE, qs);
    }
    if (has(BenchCase.FLOOR)) {
      for (Row row : f.rows(5, Row.FLOOR)) {
        row = others.isPresent() ? row.withOtherCores(others.getAsDouble()) : row;
        results.add(row);
        progress(Progress.line(BenchCase.FLOOR, row, fs));
      }
      results.addSeconds(BenchCase.FLOOR, fs);
    }
  }

  // ---------------------------------------------------------------------------- case 4: worker

  /**
   * The worker runtime: a drain of a prefilled queue (filled first, then the servers settle, then
   * the drain is timed), and an idle worker's add → handler start.
   */
  private void workerRuntime() {
    WorkerRuns runs = new WorkerRuns(servers.queue(), servers::newNode);
    int c = settings.workerConcurrency();
    long start = System.nanoTime();
    WorkerRuns.Prefilled filled = null;
    try {
      filled = runs.prefill(settings.workerTasks());
    } catch (RuntimeException e) {
      Row failed =
          Row.unavailable(4, Row.WORKQUEUE, Shapes.WORKER_DRAIN, "failed: prefilling: " + e);
      results.add(failed);
      progress(Progress.line(BenchCase.WORKER, failed, seconds(start)));
    }
    results.addSeconds(BenchCase.WORKER, seconds(start));
    if (filled != null) {
      WorkerRuns.Prefilled p = filled;
      measure(BenchCase.WORKER, () -> runs.drain(p, c));
    }
    measure(
        BenchCase.WORKER, () -> runs.idleLatency(settings.idleSamples(), settings.idleWarmup()));
  }

  // ------------------------------------------------------------------------------ case 6: BullMQ

  private void peer(QueueRuns queue) {
    long start = System.nanoTime();
    Bullmq.Setup setup;
    try {
      setup = Bullmq.setUp(settings.workDir());
    } catch (RuntimeException e) {
      setup = new Bullmq.Skipped("failed: installing BullMQ: " + e.getMessage());
    }
    if (setup instanceof Bullmq.Skipped skipped) {
      for (String shape : List.of(Shapes.BULL_ADD, Shapes.BULL_ADD_BULK, Shapes.BULL_DRAIN)) {
        Row row = Row.unavailable(6, Row.BULLMQ, shape, skipped.status());
        results.add(row);
        progress(Progress.line(BenchCase.BULLMQ, row, 0));
      }
    } else {
      Bullmq bullmq = ((Bullmq.Ready) setup).bullmq();
      results.environment(
          "BullMQ "
              + bullmq.version()
              + " on node "
              + bullmq.nodeVersion()
              + ", its own Redis (same version and persistence), default job options"
              + " (removeOnComplete false); installed by npm install (package-lock.json shipped) into "
              + settings.workDir().resolve("bullmq"));
      int port = servers.peerServer().port();
      JedisPooled redis = servers.peerRedis();
      measure(
          BenchCase.BULLMQ,
          () -> {
            redis.flushAll();
            Bullmq.Timed t =
                bullmq.run(
                    "add",
                    "add",
                    port,
                    peerQueue("add"),
                    settings.peerTasks(),
                    1,
                    Math.min(2_000, settings.peerTasks()),
                    true);
            return Row.measured(
                6,
                Row.BULLMQ,
                Shapes.BULL_ADD,
                1,
                t.count(),
                t.seconds(),
                List.of(t.latency()),
                "warm-up: " + Math.min(2_000, settings.peerTasks()) + " adds before");
          });
      measure(
          BenchCase.BULLMQ,
          () -> {
            redis.flushAll();
            int warm = Math.min(10_000, settings.peerBulkTasks());
            Bullmq.Timed t =
                bullmq.run(
                    "addBulk",
                    "addBulk 100",
                    port,
                    peerQueue("bulk"),
                    settings.peerBulkTasks(),
                    1,
                    warm,
                    true);
            return Row.measured(
                6,
                Row.BULLMQ,
                Shapes.BULL_ADD_BULK,
                1,
                t.count(),
                t.seconds(),
                List.of(t.latency()),
                "warm-up: " + warm + " jobs before");
          });
      for (int c : settings.bullmqConcurrencies()) {
        measure(
            BenchCase.BULLMQ,
            () -> {
              redis.flushAll();
              Bullmq.Timed t =
                  bullmq.run(
                      "drain",
                      "job cycle",
                      port,
                      peerQueue("drain"),
                      settings.peerTasks(),
                      c,
                      0,
                      true);
              return Row.measured(
                  6,
                  Row.BULLMQ,
                  Shapes.BULL_DRAIN,
                  c,
                  t.count(),
                  t.seconds(),
                  List.of(t.latency()),
                  "latency: processor start → 'completed' event (moveToFinished, which fetches"
                      + " the next job)");
            });
      }
      redis.flushAll();
    }
    results.addSeconds(BenchCase.BULLMQ, seconds(start));
    for (int c : settings.bullmqConcurrencies()) {
      measure(BenchCase.BULLMQ, () -> queue.drainPerTask(c, settings.peerTasks()));
      measure(BenchCase.BULLMQ, () -> queue.drainBatch(c, settings.peerTasks()));
    }
  }

  private static String peerQueue(String name) {
    return name + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  // ------------------------------------------------------------------------------ case 7: memory

  private void memory(QueueRuns queue) {
    long start = System.nanoTime();
    int n = settings.memoryTasks();
    try {
      // Redis bytes per queued task, WorkQueue
      JedisPooled redis = servers.redis();
      QueueRef q = QueueRuns.fresh("memory");
      long before = RedisMemory.settledUsed(redis);
      queue.fill(q, n);
      long after = RedisMemory.settledUsed(redis);
      double perTask = (after - before) / (double) n;
      String pattern = "wq:{" + q.owner() + "/" + q.service() + "}:*";
      RedisMemory.KeysUsage keys = RedisMemory.keysUsage(redis, pattern);
      results.add(
          new Figure(
              7,
              Row.WORKQUEUE,
              "Redis bytes per queued task (the queue's keys)",
              keys.bytes() / (double) n,
              Double.NaN,
              "B/task",
              String.format(
                  Locale.ROOT,
                  "%,d tasks queued; MEMORY USAGE of the queue's %d keys (%s): %,d B in all",
                  n,
                  keys.keys(),
                  pattern,
                  keys.bytes())));
      results.add(
          new Figure(
              7,
              Row.WORKQUEUE,
              "Redis used_memory growth per queued task",
              perTask,
              Double.NaN,
              "B/task",
              String.format(
                  Locale.ROOT,
                  "%,d tasks added with addAll 100; INFO used_memory %,d → %,d B (the whole"
                      + " server: allocator and buffer noise of ±100 KB included)",
                  n,
                  before,
                  after)));
      progress(
          String.format(
              Locale.ROOT,
              "[case 7] WorkQueue Redis per queued task: %.3f B in the queue's %d keys (%,d B),"
                  + " used_memory growth %.2f B (%,d tasks)",
              keys.bytes() / (double) n,
              keys.keys(),
              keys.bytes(),
              perTask,
              n));

      // fetch p50, empty queue vs 10,000 delayed + 1,000 leased + waiting
      int probes = settings.probeFetches();
      QueueRef empty = queue.prefill("probe-empty", probes);
      Latency emptyFetch = queue.probe(empty, probes);
      results.add(
          Row.measured(
              7,
              Row.WORKQUEUE,
              Shapes.PROBE_EMPTY,
              1,
              probes,
              seconds(emptyFetch),
              List.of(emptyFetch),
              ""));
      progress(Progress.line(BenchCase.MEMORY, results.rows().get(results.rows().size() - 1), 0));
      // A second queue: 10 x leased delayed tasks first (the fetch pointer steps over them),
      // then leased + probes waiting ones, of which the first leased are leased to distinct
      // workers that never ack.
      int leased = settings.leasedTasks();
      int delayed = 10 * leased;
      QueueRef loaded = QueueRuns.fresh("probe-loaded");
      long beforeDelayed = RedisMemory.settledUsed(redis);
      queue.fillDelayed(loaded, delayed);
      long afterDelayed = RedisMemory.settledUsed(redis);
      results.add(
          new Figure(
              7,
              Row.WORKQUEUE,
              "Redis used_memory per delayed task",
              (afterDelayed - beforeDelayed) / (double) Math.max(1, delayed),
              Double.NaN,
              "B/delayed",
              String.format(Locale.ROOT, "%,d tasks added with a delay of a day", delayed)));
      queue.fill(loaded, leased + probes);
      long beforeLeases = RedisMemory.settledUsed(redis);
      queue.lease(loaded, leased);
      long afterLeases = RedisMemory.settledUsed(redis);
      results.add(
          new Figure(
              7,
              Row.WORKQUEUE,
              "Redis used_memory per leased task",
              (afterLeases - beforeLeases) / (double) Math.max(1, leased),
              Double.NaN,
              "B/lease",
              String.format(Locale.ROOT, "%,d single-task leases by as many workers", leased)));
      Latency loadedFetch = queue.probe(loaded, probes);
      results.add(
          Row.measured(
              7,
              Row.WORKQUEUE,
              String.format(Locale.ROOT, Shapes.PROBE_LOADED, delayed, leased, probes),
              1,
              probes,
              seconds(loadedFetch),
              List.of(loadedFetch),
              ""));
      progress(Progress.line(BenchCase.MEMORY, results.rows().get(results.rows().size() - 1), 0));
    } catch (RuntimeException e) {
      Row failed = Row.unavailable(7, Row.WORKQUEUE, "memory and fetch under load", "failed: " + e);
      results.add(failed);
      progress(Progress.line(BenchCase.MEMORY, failed, 0));
    }
    bullmqMemory(n);
    results.addSeconds(BenchCase.MEMORY, seconds(start));
  }

  private void bullmqMemory(int n) {
    Bullmq.Setup setup;
    try {
      setup = Bullmq.setUp(settings.workDir());
    } catch (RuntimeException e) {
      setup = new Bullmq.Skipped("failed: installing BullMQ: " + e.getMessage());
    }
    if (setup instanceof Bullmq.Skipped skipped) {
      results.add(
          Row.unavailable(7, Row.BULLMQ, "Redis used_memory per waiting job", skipped.status()));
      progress("[case 7] BullMQ Redis used_memory per waiting job: " + skipped.status());
      return;
    }
    Bullmq bullmq = ((Bullmq.Ready) setup).bullmq();
    try {
      JedisPooled redis = servers.peerRedis();
      redis.flushAll();
      long before = RedisMemory.settledUsed(redis);
      bullmq.run(
          "fill", "addBulk 100", servers.peerServer().port(), peerQueue("mem"), n, 1, 0, false);
      long after = RedisMemory.settledUsed(redis);
      double perJob = (after - before) / (double) n;
      results.add(
          new Figure(
              7,
              Row.BULLMQ,
              "Redis used_memory per waiting job",
              perJob,
              Double.NaN,
              "B/job",
              String.format(
                  Locale.ROOT,
                  "%,d jobs added with addBulk 100; used_memory %,d → %,d B",
                  n,
                  before,
                  after)));
      progress(
          String.format(
              Locale.ROOT,
              "[case 7] BullMQ Redis used_memory per waiting job: %.1f B (%,d jobs)",
              perJob,
              n));
      redis.flushAll();
    } catch (RuntimeException e) {
      Row failed =
          Row.unavailable(7, Row.BULLMQ, "Redis used_memory per waiting job", "failed: " + e);
      results.add(failed);
      progress(Progress.line(BenchCase.MEMORY, failed, 0));
    }
  }

  // --------------------------------------------------------------------------------- case 8: JMH

  private void jmh() {
    settle.await();
    long start = System.nanoTime();
    try {
      CpuShare cpu = CpuShare.now();
      List<Figure> figures = JmhRun.run(settings.jmh());
      OptionalDouble others = CpuShare.othersSince(cpu);
      for (Figure f : figures) {
        if (others.isPresent()) {
          f =
              new Figure(
                  f.caseNumber(),
                  f.system(),
                  f.what(),
                  f.value(),
                  f.error(),
                  f.unit(),
                  f.note()
                      + String.format(
                          Locale.ROOT,
                          "; other processes used %.1f cores meanwhile",
                          others.getAsDouble()));
        }
        results.add(f);
        progress(
            String.format(
                Locale.ROOT, "[case 8] %s: %.3f %s (%s)", f.what(), f.value(), f.unit(), f.note()));
      }
    } catch (RuntimeException e) {
      Row failed = Row.unavailable(8, Row.WORKQUEUE, "JMH", "failed: " + e);
      results.add(failed);
      progress(Progress.line(BenchCase.JMH, failed, 0));
    }
    results.addSeconds(BenchCase.JMH, seconds(start));
  }

  // ------------------------------------------------------------------------------------ helpers

  private boolean has(BenchCase... any) {
    for (BenchCase c : any) {
      if (settings.cases().contains(c)) {
        return true;
      }
    }
    return false;
  }

  private void progress(String line) {
    long s = (System.nanoTime() - t0) / 1_000_000_000L;
    out.printf(Locale.ROOT, "[%02d:%02d] %s%n", s / 60, s % 60, line);
    out.flush();
  }

  private static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  private static double seconds(Latency l) {
    return l.histogram().getMean() * l.count() / 1e9;
  }
}
