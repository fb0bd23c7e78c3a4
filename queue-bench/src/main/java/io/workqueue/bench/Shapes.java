package io.workqueue.bench;

import java.util.List;

/** The names of the measured shapes, shared by the queue, the floor and BullMQ. */
final class Shapes {
  /** Case 2: producer threads add, worker threads fetch and ack, at the same time. */
  static final String PER_TASK_E2E = "per task: producers add while workers fetch+ack";

  /** PERFORMANCE.md's floor shape, also run on the queue: every thread loops add→fetch→ack. */
  static final String PER_TASK_LOOP = "per task: add→fetch→ack loop per thread";

  /** Case 3: producer threads addAll 100, worker threads fetchBatch 100 and ackAll. */
  static final String BATCH_E2E = "batch: producers addAll 100 while workers fetchBatch 100+ackAll";

  /** The floor's batch shape, also run on the queue. */
  static final String BATCH_LOOP = "batch: addAll 100→fetchBatch 100→ackAll loop per thread";

  /** Case 6, the queue's side of BullMQ's drain: a prefilled queue, fetch + ack per task. */
  static final String DRAIN_PER_TASK = "drain, prefilled: fetch+ack per task";

  /** Case 6, the queue's batch side of BullMQ's drain. */
  static final String DRAIN_BATCH = "drain, prefilled: fetchBatch 100+ackAll";

  /** Case 6: BullMQ's worker with a no-op processor on a prefilled queue. */
  static final String BULL_DRAIN = "drain, prefilled: Worker, no-op processor";

  /** Case 6: BullMQ's {@code await queue.add()} one by one. */
  static final String BULL_ADD = "add awaited one by one";

  /** Case 6: BullMQ's {@code addBulk} of 100. */
  static final String BULL_ADD_BULK = "addBulk 100";

  /**
   * Case 4: a {@code QueueWorker} with a no-op handler drains a prefilled queue. The latency is per
   * task from its handler's start to its acknowledgement (the worker node's {@code Acked} event),
   * like BullMQ's processor start → {@code completed}; not the time since the drain began, which in
   * a prefilled queue only says where a task stood in it.
   */
  static final String WORKER_DRAIN =
      "drain, prefilled: QueueWorker, no-op handler (latency: handler start → task acknowledged)";

  /** Case 4: the main latency op of {@link #WORKER_DRAIN}. */
  static final String WORKER_ACKED = "handler start → acked";

  /**
   * Case 4: the second latency op of {@link #WORKER_DRAIN}: from one handler start to the next on
   * the same slot, i.e. how long a slot waits for its next task (the ack of one and the fetch of
   * the next on a per-task path; mostly a hand-over from a local buffer on a batch path).
   */
  static final String WORKER_CYCLE = "slot: handler start → its next handler start";

  /** Case 4: an idle started worker with one slot; one task added at a time. */
  static final String WORKER_IDLE =
      "idle QueueWorker, 1 slot waiting for the work signal: add one task → handler start";

  /** Case 4: the latency op of {@link #WORKER_IDLE} that PERFORMANCE.md's target is on. */
  static final String WORKER_ADD_TO_START = "add → handler start";

  /** Case 7: fetch latency in a queue holding nothing but the probed tasks. */
  static final String PROBE_EMPTY = "fetch+ack, queue holds only the probed tasks";

  /** Case 7: fetch latency with delayed, leased and waiting tasks in the queue. */
  static final String PROBE_LOADED =
      "fetch+ack, queue holds %d delayed + %d leased + %d waiting tasks";

  private Shapes() {}

  /** The shape of a call timed alone on one thread. */
  static String single(String op) {
    return "alone, one thread: " + op;
  }

  /**
   * A row of a call timed alone: throughput is calls (or tasks, for batch calls) over the time
   * spent in that call.
   */
  static Row singleRow(
      int caseNumber, String system, String op, long tasks, Latency latency, String note) {
    double seconds = latency.histogram().getMean() * latency.count() / 1e9;
    return Row.measured(caseNumber, system, single(op), 1, tasks, seconds, List.of(latency), note);
  }
}
