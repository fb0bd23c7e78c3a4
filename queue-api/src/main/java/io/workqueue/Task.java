package io.workqueue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.workqueue.internal.Json;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A delivered task: opened (decrypted) and leased to the worker that fetched it until {@link
 * #deadline()}. Immutable and thread-safe.
 */
public final class Task {
  private final QueueRef queue;
  private final long index;
  private final JsonNode value;
  private final Optional<JsonNode> token;
  private final int deliveries;
  private final Instant enqueuedAt;
  private final Instant deadline;

  /**
   * Creates a task; the core does this, users and backends read tasks.
   *
   * @param queue the task's queue
   * @param index its index, 1 or more
   * @param value its value
   * @param token its token, if it has one
   * @param deliveries how often it was handed out, this time included (1 on first delivery)
   * @param enqueuedAt when it was added
   * @param deadline when the current lease expires
   */
  public Task(
      QueueRef queue,
      long index,
      JsonNode value,
      Optional<JsonNode> token,
      int deliveries,
      Instant enqueuedAt,
      Instant deadline) {
    this.queue = Objects.requireNonNull(queue, "queue");
    this.index = index;
    this.value = Objects.requireNonNull(value, "value");
    this.token = Objects.requireNonNull(token, "token");
    this.deliveries = deliveries;
    this.enqueuedAt = Objects.requireNonNull(enqueuedAt, "enqueuedAt");
    this.deadline = Objects.requireNonNull(deadline, "deadline");
  }

  /**
   * The task's queue.
   *
   * @return the queue
   */
  public QueueRef queue() {
    return queue;
  }

  /**
   * The task's index within its queue: unique, assigned at add, starting at 1.
   *
   * @return the index
   */
  public long index() {
    return index;
  }

  /**
   * The value as JSON.
   *
   * @return the value
   */
  public JsonNode value() {
    return value;
  }

  /**
   * The value mapped to a type.
   *
   * @param type the type to map to
   * @param <T> the type
   * @return the value as that type
   * @throws InvalidArgumentException naming {@code type} when the value does not map to it
   */
  public <T> T valueAs(Class<T> type) {
    try {
      return Json.MAPPER.treeToValue(value, type);
    } catch (JsonProcessingException | IllegalArgumentException e) {
      throw new InvalidArgumentException(
          "type", "the value of task " + index + " does not map to " + type.getName(), e);
    }
  }

  /**
   * The token given at add, if any.
   *
   * @return the token
   */
  public Optional<JsonNode> token() {
    return token;
  }

  /**
   * The task's lane, read from its index.
   *
   * @return the priority
   */
  public Priority priority() {
    return Priority.ofIndex(index);
  }

  /**
   * How often the task was handed out, this delivery included: 1 on the first delivery, more after
   * a lease expired and the task was recovered.
   *
   * @return the delivery count
   */
  public int deliveries() {
    return deliveries;
  }

  /**
   * When the task was added.
   *
   * @return the enqueue time
   */
  public Instant enqueuedAt() {
    return enqueuedAt;
  }

  /**
   * When this delivery's lease expires: the fetch time plus the fetching worker's time to recover.
   * After it the task may go to another worker.
   *
   * @return the lease deadline
   */
  public Instant deadline() {
    return deadline;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Task t
        && t.queue.equals(queue)
        && t.index == index
        && t.value.equals(value)
        && t.token.equals(token)
        && t.deliveries == deliveries
        && t.enqueuedAt.equals(enqueuedAt)
        && t.deadline.equals(deadline);
  }

  @Override
  public int hashCode() {
    return Objects.hash(queue, index, deliveries);
  }

  @Override
  public String toString() {
    return "Task[" + queue + " #" + index + ", deliveries=" + deliveries + "]";
  }
}
