package io.workqueue.bench;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** The floor's measurements, in the same shapes as the queue's. */
final class FloorRuns {
  private static final int N = BenchSettings.BATCH;

  private final Floor floor;

  FloorRuns(Floor floor) {
    this.floor = floor;
  }

  /**
   * One round on one thread: {@code ops} adds, then {@code ops} fetch + ack; then the batch forms
   * with {@code ops / 100} (at least 1) batches.
   */
  void singleRound(SingleTimings t, int ops) {
    Floor.Lane lane = floor.lane("single");
    for (int i = 0; i < ops; i++) {
      long t0 = System.nanoTime();
      lane.add();
      t.add.since(0, t0);
    }
    for (int i = 0; i < ops; i++) {
      long t0 = System.nanoTime();
      long idx = lane.fetch();
      long t1 = t.fetch.since(0, t0);
      lane.ack(idx);
      t.ack.since(0, t1);
    }
    int batches = Math.max(1, ops / N);
    Floor.Lane batchLane = floor.lane("single-batch");
    for (int i = 0; i < batches; i++) {
      long t0 = System.nanoTime();
      batchLane.addBatch(N);
      t.addAll.since(0, t0);
    }
    for (int i = 0; i < batches; i++) {
      long t0 = System.nanoTime();
      long first = batchLane.fetchBatch(N);
      long t1 = t.fetchBatch.since(0, t0);
      batchLane.ackBatch(first, N);
      t.ackAll.since(0, t1);
    }
    t.ops += ops;
    t.batchTasks += (long) batches * N;
    t.misses += lane.misses() + batchLane.misses();
  }

  /** {@code threads} threads, each looping add → fetch → ack, {@code tasks} in all. */
  Row perTaskLoop(int threads, int tasks) {
    Floor.Lane lane = floor.lane("loop-c" + threads);
    AtomicInteger left = new AtomicInteger(tasks);
    Histograms add = new Histograms(threads);
    Histograms fetch = new Histograms(threads);
    Histograms ack = new Histograms(threads);
    double seconds =
        Load.run(
            "floor-loop",
            threads,
            t -> {
              while (left.getAndDecrement() > 0) {
                long t0 = System.nanoTime();
                lane.add();
                long t1 = add.since(t, t0);
                long idx = lane.fetch();
                long t2 = fetch.since(t, t1);
                lane.ack(idx);
                ack.since(t, t2);
              }
            });
    return Row.measured(
        5,
        Row.FLOOR,
        Shapes.PER_TASK_LOOP,
        threads,
        tasks,
        seconds,
        List.of(add.merged("add"), fetch.merged("fetch"), ack.merged("ack")),
        misses(lane.misses()));
  }

  /** {@code threads} threads, each looping add 100 → fetch 100 → ack 100, {@code tasks} in all. */
  Row batchLoop(int threads, int tasks) {
    Floor.Lane lane = floor.lane("batch-c" + threads);
    AtomicInteger left = new AtomicInteger(tasks / N);
    Histograms add = new Histograms(threads);
    Histograms fetch = new Histograms(threads);
    Histograms ack = new Histograms(threads);
    double seconds =
        Load.run(
            "floor-batch",
            threads,
            t -> {
              while (left.getAndDecrement() > 0) {
                long t0 = System.nanoTime();
                lane.addBatch(N);
                long t1 = add.since(t, t0);
                long first = lane.fetchBatch(N);
                long t2 = fetch.since(t, t1);
                lane.ackBatch(first, N);
                ack.since(t, t2);
              }
            });
    return Row.measured(
        5,
        Row.FLOOR,
        Shapes.BATCH_LOOP,
        threads,
        (long) (tasks / N) * N,
        seconds,
        List.of(add.merged("addAll 100"), fetch.merged("fetchBatch 100"), ack.merged("ackAll 100")),
        misses(lane.misses()));
  }

  private static String misses(long misses) {
    return misses == 0
        ? ""
        : misses + " read(s) found no row yet (another thread's add still running)";
  }
}
