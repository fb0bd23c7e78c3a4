package io.workqueue.spi;

import io.workqueue.QueueRef;
import java.util.function.LongConsumer;

/**
 * Signals a bookkeeper passes between nodes (the Redis bookkeeper: pub/sub published by its
 * scripts; the in-memory one: in-process calls). Best effort: a signal may be lost (a dropped
 * connection), so every user of one also polls, more slowly, as a fallback.
 *
 * <p>While the signal connection is up, a subscription sees every signal sent after the call that
 * made it returned: a subscriber may subscribe, check the state, and then rely on the signal for
 * anything that happens later. (The Redis signals wait up to 5 s for the server to confirm the
 * subscription; with the server unreachable they return without it and deliver once connected.)
 */
public interface Signals {

  /**
   * Calls {@code listener} when work may have become ready in a queue: tasks committed, released or
   * requeued with no delay, a queue resumed. Delayed tasks coming due send no signal.
   *
   * @param queue the queue
   * @param listener called on a signal thread; must be quick
   * @return closes the subscription
   */
  AutoCloseable onWork(QueueRef queue, Runnable listener);

  /**
   * Calls {@code listener} with each index acknowledged (or dead-lettered) in a queue.
   *
   * @param queue the queue
   * @param listener called on a signal thread; must be quick
   * @return closes the subscription
   */
  AutoCloseable onCompletion(QueueRef queue, LongConsumer listener);
}
