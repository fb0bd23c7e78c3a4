package io.workqueue;

/**
 * Hears a queue's {@linkplain QueueEvent events}; see {@link WorkQueues.Builder#queueListener}.
 * Called on the thread that made the change, so it must be quick; an exception it throws is logged
 * and never breaks the queue.
 */
@FunctionalInterface
public interface QueueListener {
  /**
   * Called once per event.
   *
   * @param event the event
   */
  void onEvent(QueueEvent event);
}
