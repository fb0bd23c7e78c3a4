package io.workqueue.spi;

import io.workqueue.Completion;

/**
 * Receives every acknowledged task's outcome and token, at least once.
 *
 * <p>The queue persists the outcome before it releases the lease and marks the completion as
 * pending in the bookkeeper in the same step as the ack. A listener that throws, or a process that
 * dies before the listener returned, leaves the completion pending; {@link
 * io.workqueue.WorkQueue#deliverPendingCompletions} (which fetch also calls on its own, at most
 * once a second per queue) delivers it again. Listeners must therefore be idempotent per (queue,
 * index). Configure the same listener on every node that acknowledges tasks of a queue.
 *
 * <p>Called on the thread that acknowledges; must be thread-safe.
 */
@FunctionalInterface
public interface CompletionListener {
  /**
   * Handles one completion.
   *
   * @param completion the acknowledged task's queue, index, token and outcome
   * @throws RuntimeException to have the completion delivered again later
   */
  void onCompletion(Completion completion);
}
