package io.workqueue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Optional;

/**
 * An acknowledged task, as the {@link io.workqueue.spi.CompletionListener} receives it.
 *
 * @param queue the task's queue
 * @param index the task's index
 * @param worker the worker that acknowledged it
 * @param token the token given at add, if any (empty also when the task could not be opened)
 * @param outcome the outcome given at ack
 * @param completedAt when the ack happened, by the acknowledging node's clock
 */
public record Completion(
    QueueRef queue,
    long index,
    String worker,
    Optional<JsonNode> token,
    Outcome outcome,
    Instant completedAt) {}
