package io.workqueue.spi;

/**
 * An acknowledged task whose completion was not yet confirmed as delivered to the listener.
 *
 * @param index the task's index
 * @param worker the worker that acknowledged it (the outcome's key in the store)
 */
public record PendingCompletion(long index, String worker) {}
