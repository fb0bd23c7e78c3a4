package io.workqueue.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Turns a run's rows into the ratio table, with PERFORMANCE.md's targets. */
final class Ratios {
  private static final int TARGET_C = BenchSettings.TARGET_CONCURRENCY;

  private Ratios() {}

  static List<Ratio> compute(BenchResults r) {
    List<Ratio> out = new ArrayList<>();
    List<Integer> cs = r.settings().concurrencies();

    // queue / floor, per task and per batch, both queue shapes
    for (int c : cs) {
      out.add(
          Ratio.of(
              "per-task end-to-end (producers + workers) / per-task floor",
              c,
              tps(r, Row.WORKQUEUE, Shapes.PER_TASK_E2E, c),
              tps(r, Row.FLOOR, Shapes.PER_TASK_LOOP, c),
              "tasks/s",
              c == TARGET_C ? "≥ 0.8" : "",
              c == TARGET_C ? Ratio.Bound.atLeast(0.8) : Optional.empty()));
    }
    for (int c : cs) {
      out.add(
          Ratio.of(
              "per-task loop add→fetch→ack (floor's shape) / per-task floor",
              c,
              tps(r, Row.WORKQUEUE, Shapes.PER_TASK_LOOP, c),
              tps(r, Row.FLOOR, Shapes.PER_TASK_LOOP, c),
              "tasks/s",
              c == TARGET_C ? "≥ 0.8" : "",
              c == TARGET_C ? Ratio.Bound.atLeast(0.8) : Optional.empty()));
    }
    for (int c : cs) {
      out.add(
          Ratio.of(
              "batch end-to-end (producers + workers) / batch floor",
              c,
              tps(r, Row.WORKQUEUE, Shapes.BATCH_E2E, c),
              tps(r, Row.FLOOR, Shapes.BATCH_LOOP, c),
              "tasks/s",
              c == TARGET_C ? "≥ 0.5" : "",
              c == TARGET_C ? Ratio.Bound.atLeast(0.5) : Optional.empty()));
    }
    for (int c : cs) {
      out.add(
          Ratio.of(
              "batch loop addAll→fetchBatch→ackAll (floor's shape) / batch floor",
              c,
              tps(r, Row.WORKQUEUE, Shapes.BATCH_LOOP, c),
              tps(r, Row.FLOOR, Shapes.BATCH_LOOP, c),
              "tasks/s",
              c == TARGET_C ? "≥ 0.5" : "",
              c == TARGET_C ? Ratio.Bound.atLeast(0.5) : Optional.empty()));
    }

    // against BullMQ's drain
    int peerC = r.settings().workerConcurrency();
    double bullDrain = tps(r, Row.BULLMQ, Shapes.BULL_DRAIN, peerC);
    out.add(
        Ratio.of(
            "batch end-to-end / BullMQ worker drain",
            peerC,
            tps(r, Row.WORKQUEUE, Shapes.BATCH_E2E, peerC),
            bullDrain,
            "tasks/s",
            "≥ 4",
            Ratio.Bound.atLeast(4)));
    out.add(
        Ratio.of(
            "batch floor / BullMQ worker drain (PERFORMANCE.md: the batch path's ceiling, ~9×)",
            peerC,
            tps(r, Row.FLOOR, Shapes.BATCH_LOOP, peerC),
            bullDrain,
            "tasks/s",
            "",
            Optional.empty()));
    out.add(
        Ratio.of(
            "worker runtime (QueueWorker, no-op handler) drain / BullMQ worker drain",
            peerC,
            tps(r, Row.WORKQUEUE, Shapes.WORKER_DRAIN, peerC),
            bullDrain,
            "tasks/s",
            "≥ 3",
            Ratio.Bound.atLeast(3)));

    // single thread p50
    out.add(
        Ratio.of(
            "single thread p50: add / floor add",
            1,
            p50(r, Row.WORKQUEUE, Shapes.single("add"), "add"),
            p50(r, Row.FLOOR, Shapes.single("add"), "add"),
            "ms p50",
            "≤ 1.6",
            Ratio.Bound.atMost(1.6)));
    out.add(
        Ratio.of(
            "single thread p50: fetch / floor fetch",
            1,
            p50(r, Row.WORKQUEUE, Shapes.single("fetch"), "fetch"),
            p50(r, Row.FLOOR, Shapes.single("fetch"), "fetch"),
            "ms p50",
            "≤ 1.6",
            Ratio.Bound.atMost(1.6)));
    out.add(
        Ratio.absolute(
            "single thread p50: ack (reference: floor ack)",
            1,
            p50(r, Row.WORKQUEUE, Shapes.single("ack"), "ack"),
            p50(r, Row.FLOOR, Shapes.single("ack"), "ack"),
            "ms p50",
            "≤ 0.5 ms",
            Ratio.Bound.atMost(0.5)));

    // memory
    double wqBytes = figure(r, Row.WORKQUEUE, "Redis bytes per queued task (the queue's keys)");
    double wqUsed = figure(r, Row.WORKQUEUE, "Redis used_memory growth per queued task");
    double bullBytes = figure(r, Row.BULLMQ, "Redis used_memory per waiting job");
    out.add(
        Ratio.absolute(
            "Redis bytes per queued task, the queue's keys (reference: BullMQ per waiting job)",
            0,
            wqBytes,
            bullBytes,
            "B/task",
            "≤ 7 B",
            Ratio.Bound.atMost(7)));
    out.add(
        Ratio.absolute(
            "Redis used_memory growth per queued task (INFO, whole server)",
            0,
            wqUsed,
            bullBytes,
            "B/task",
            "≤ 7 B",
            Ratio.Bound.atMost(7)));
    out.add(
        Ratio.of(
            "Redis bytes per queued task / BullMQ's",
            0,
            wqBytes,
            bullBytes,
            "B/task",
            "≤ 0.01",
            Ratio.Bound.atMost(0.01)));
    double loaded =
        r.rows().stream()
            .filter(
                x ->
                    x.status().isEmpty()
                        && x.caseNumber() == 7
                        && x.shape().startsWith("fetch+ack, queue holds ")
                        && !x.shape().equals(Shapes.PROBE_EMPTY))
            .findFirst()
            .flatMap(x -> x.latency("fetch"))
            .map(Latency::p50)
            .orElse(Double.NaN);
    out.add(
        Ratio.of(
            "fetch p50, 10,000 delayed + 1,000 leased tasks / empty queue",
            1,
            loaded,
            p50(r, Row.WORKQUEUE, Shapes.PROBE_EMPTY, "fetch"),
            "ms p50",
            "≤ 1.2",
            Ratio.Bound.atMost(1.2)));
    out.add(
        Ratio.absolute(
            "add → handler start p50, idle worker (reference: add alone p50)",
            1,
            r.find(Row.WORKQUEUE, Shapes.WORKER_IDLE, 1)
                .flatMap(x -> x.latency(Shapes.WORKER_ADD_TO_START))
                .map(Latency::p50)
                .orElse(Double.NaN),
            p50(r, Row.WORKQUEUE, Shapes.single("add"), "add"),
            "ms p50",
            "< 5 ms",
            Ratio.Bound.atMost(Math.nextDown(5.0))));
    out.add(
        Ratio.absolute(
            "sealing + JSON mapping per 100 B task (JMH)",
            1,
            figure(r, Row.WORKQUEUE, "sealing + JSON mapping per 100 B task (add side)"),
            Double.NaN,
            "µs/task",
            "< 10 µs",
            Ratio.Bound.atMost(10)));

    // the same shapes as BullMQ
    out.add(
        Ratio.of(
            "add awaited one by one / BullMQ add",
            1,
            tps(r, Row.WORKQUEUE, Shapes.single("add"), 1),
            tps(r, Row.BULLMQ, Shapes.BULL_ADD, 1),
            "tasks/s",
            "",
            Optional.empty()));
    out.add(
        Ratio.of(
            "add awaited, p50 latency / BullMQ add p50",
            1,
            p50(r, Row.WORKQUEUE, Shapes.single("add"), "add"),
            p50(r, Row.BULLMQ, Shapes.BULL_ADD, "add"),
            "ms p50",
            "",
            Optional.empty()));
    out.add(
        Ratio.of(
            "addAll 100 / BullMQ addBulk 100",
            1,
            tps(r, Row.WORKQUEUE, Shapes.single("addAll 100"), 1),
            tps(r, Row.BULLMQ, Shapes.BULL_ADD_BULK, 1),
            "tasks/s",
            "",
            Optional.empty()));
    for (int c : r.settings().bullmqConcurrencies()) {
      out.add(
          Ratio.of(
              "drain, fetch+ack per task / BullMQ worker drain",
              c,
              tps(r, Row.WORKQUEUE, Shapes.DRAIN_PER_TASK, c),
              tps(r, Row.BULLMQ, Shapes.BULL_DRAIN, c),
              "tasks/s",
              "",
              Optional.empty()));
      out.add(
          Ratio.of(
              "drain, fetchBatch 100+ackAll / BullMQ worker drain",
              c,
              tps(r, Row.WORKQUEUE, Shapes.DRAIN_BATCH, c),
              tps(r, Row.BULLMQ, Shapes.BULL_DRAIN, c),
              "tasks/s",
              "",
              Optional.empty()));
    }
    return out;
  }

  private static double tps(BenchResults r, String system, String shape, int c) {
    return r.find(system, shape, c).map(Row::tasksPerSecond).orElse(Double.NaN);
  }

  private static double p50(BenchResults r, String system, String shape, String op) {
    return r.find(system, shape, 1)
        .flatMap(x -> x.latency(op))
        .map(Latency::p50)
        .orElse(Double.NaN);
  }

  private static double figure(BenchResults r, String system, String what) {
    return r.figure(system, what).map(Figure::value).orElse(Double.NaN);
  }
}
