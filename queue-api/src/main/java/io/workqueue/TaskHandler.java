package io.workqueue;

/**
 * The work a {@link QueueWorker} does for each task it leases.
 *
 * <p>What the handler returns becomes the task's outcome: an {@link Outcome} is used as it is (so a
 * handler may end a task with {@link Outcome#failure(Object)} without a retry, or with {@link
 * Outcome#success()} and no result); any other value, {@code null} included, becomes {@link
 * Outcome#success(Object)} with that value as the result. A value Jackson cannot map (or one over
 * the result size limit) ends the task with a failure outcome naming the mapping error, logged, and
 * is not retried.
 *
 * <p>A handler that throws is retried as the worker's {@link RetryPolicy} says. The handler runs on
 * one of the worker's slot threads; it should answer {@linkplain Thread#interrupt() interrupts}
 * (the worker interrupts a handler that runs past its {@linkplain
 * QueueWorker.Builder#maxHandlerTime(java.time.Duration) maximum time}, whose lease was taken over,
 * or that is still running when a graceful shutdown runs out of time). Handlers run concurrently on
 * up to {@linkplain QueueWorker.Builder#concurrency(int) concurrency} threads, so they must be
 * thread-safe.
 */
@FunctionalInterface
public interface TaskHandler {

  /**
   * Does the work of one task.
   *
   * @param task the leased task
   * @return the outcome, or a result for {@link Outcome#success(Object)}
   * @throws Exception when the work failed; the task is then retried or ends as the retry policy
   *     says
   */
  Object handle(Task task) throws Exception;
}
