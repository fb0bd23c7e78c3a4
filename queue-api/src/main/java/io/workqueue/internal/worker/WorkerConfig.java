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
 * @param workerId the base id; slot {@code n} fetches as {@code <workerId>:<n>}
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
    boolean runSchedules) {

  /** Copies the queue list. */
  public WorkerConfig {
    queues = List.copyOf(queues);
  }
}
