package io.workqueue;

import java.util.concurrent.CompletionStage;

/**
 * A task added by {@link WorkQueue#submit}: its index and a stage that completes with its outcome.
 *
 * @param queue the queue
 * @param index the task's index
 * @param outcome completes when a worker acknowledges the task
 */
public record TaskHandle(QueueRef queue, long index, CompletionStage<Outcome> outcome) {}
