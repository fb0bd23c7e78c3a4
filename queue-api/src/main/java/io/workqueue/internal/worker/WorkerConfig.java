package io.workqueue.internal.worker;

import io.workqueue.QueueRef;
import io.workqueue.RetryPolicy;
import io.workqueue.TaskHandler;
import io.workqueue.WorkQueue;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadFactory;

/**
 * A {@link io.workqueue.QueueWorker}'s settings, checked by its builder.
 *
 * @param workQueue the queue the worker fetches from
 * @param queues the queues it serves, in the order a slot tries them first
 * @param workerId the base id; slot {@code n} fetches as {@code <workerId>:<n>} on the per-task
 *     path, the batch fetcher as {@code <workerId>:b}
 * @param handler the work
 * @param concurrency how many slots (handlers at once)
 * @param threadFactory makes the slot threads
 * @param timeToRecover each lease's time to recover, and each extension's length
 * @param extendEvery how often a running handler's lease is extended
 * @param maxHandlerTime how long a handler may run before it is interrupted
 * @param retryPolicy what a thrown exception leads to
 * @param pollInterval the longest an idle slot waits without a signal
 * @param shutdownGrace the grace period of {@code close()}
 * @param runSchedules whether the worker runs its queues' schedules about once a second
 * @param batchSize the most tasks leased per fetch; 1 for the per-slot single-task path
 */
public record WorkerConfig(
    WorkQueue workQueue,
    List<QueueRef> queues,
    String workerId,
    TaskHandler handler,
    int concurrency,
    ThreadFactory threadFactory,
    Duration timeToRecover,
    Duration extendEvery,
    Duration maxHandlerTime,
    RetryPolicy retryPolicy,
    Duration pollInterval,
    Duration shutdownGrace,
    boolean runSchedules,
    int batchSize) {

  /** The suffix of the worker id the batch fetcher leases with: {@code <workerId>:b}. */
  public static final String BATCH_SUFFIX = ":b";

  /** Copies the queue list. */
  public WorkerConfig {
    queues = List.copyOf(queues);
  }

  /**
   * Whether the worker leases in batches (batch size over 1).
   *
   * @return true on the batch path
   */
  public boolean batched() {
    return batchSize > 1;
  }

  /**
   * The worker ids the worker leases with: one per slot on the per-task path, {@code <workerId>:b}
   * on the batch path.
   *
   * @return the ids
   */
  public List<String> leaseIds() {
    if (batched()) {
      return List.of(workerId + BATCH_SUFFIX);
    }
    List<String> ids = new java.util.ArrayList<>();
    for (int n = 0; n < concurrency; n++) {
      ids.add(workerId + ":" + n);
    }
    return List.copyOf(ids);
  }
}
