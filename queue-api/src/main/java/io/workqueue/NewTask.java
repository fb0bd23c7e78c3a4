package io.workqueue;

import com.fasterxml.jackson.databind.JsonNode;
import io.workqueue.internal.Json;
import io.workqueue.internal.Validation;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A task to add: a value and an optional token, both mapped to JSON when the {@code NewTask} is
 * made, so a value Jackson cannot map is rejected here, before anything is written. Immutable and
 * thread-safe; {@link #token(Object)} returns a copy.
 *
 * <p>The value is at most {@value io.workqueue.internal.Json#MAX_VALUE_BYTES} bytes as UTF-8 JSON,
 * the token at most {@value io.workqueue.internal.Json#MAX_SMALL_BYTES} bytes. The token is opaque
 * to the queue: it travels sealed with the task and comes back to the {@link
 * io.workqueue.spi.CompletionListener} with the outcome (the origin's flow token).
 *
 * <p>Scheduling options: {@link #delay(Duration)} or {@link #notBefore(Instant)} (the later call
 * wins), {@link #priority(Priority)}, {@link #group(String)} and {@link #maxDeliveries(int)}.
 */
public final class NewTask {
  /** The longest delay: 365 days. */
  public static final Duration MAX_DELAY = Duration.ofDays(365);

  private final JsonNode value;
  private final Optional<JsonNode> token;
  private final Optional<Duration> delay;
  private final Optional<Instant> notBefore;
  private final Priority priority;
  private final Optional<String> group;
  private final int maxDeliveries;

  private NewTask(JsonNode value, Optional<JsonNode> token) {
    this(value, token, Optional.empty(), Optional.empty(), Priority.NORMAL, Optional.empty(), 0);
  }

  private NewTask(
      JsonNode value,
      Optional<JsonNode> token,
      Optional<Duration> delay,
      Optional<Instant> notBefore,
      Priority priority,
      Optional<String> group,
      int maxDeliveries) {
    this.value = value;
    this.token = token;
    this.delay = delay;
    this.notBefore = notBefore;
    this.priority = priority;
    this.group = group;
    this.maxDeliveries = maxDeliveries;
  }

  /**
   * A task with a value.
   *
   * @param value any Jackson-mappable object, a {@link JsonNode} included; {@code null} is the JSON
   *     value null
   * @return the task
   * @throws InvalidArgumentException naming {@code value} when Jackson cannot map it
   * @throws PayloadTooLargeException when its JSON is larger than the limit
   */
  public static NewTask of(Object value) {
    return new NewTask(Json.tree("value", value, Json.MAX_VALUE_BYTES), Optional.empty());
  }

  /**
   * The same task with a token.
   *
   * @param token any Jackson-mappable object, returned with the outcome to the completion listener;
   *     {@code null} is the JSON value null
   * @return a new task with the token
   * @throws InvalidArgumentException naming {@code token} when Jackson cannot map it
   * @throws PayloadTooLargeException when its JSON is larger than the limit
   */
  public NewTask token(Object token) {
    return new NewTask(
        value,
        Optional.of(Json.tree("token", token, Json.MAX_SMALL_BYTES)),
        delay,
        notBefore,
        priority,
        group,
        maxDeliveries);
  }

  /**
   * The same task, not handed out before {@code delay} after it is added (by the adding node's
   * clock). Replaces an earlier {@link #notBefore(Instant)}.
   *
   * @param delay 0 to {@link #MAX_DELAY}
   * @return a new task with the delay
   * @throws InvalidArgumentException naming {@code delay} when it is null, negative or longer
   */
  public NewTask delay(Duration delay) {
    if (delay == null || delay.isNegative() || delay.compareTo(MAX_DELAY) > 0) {
      throw new InvalidArgumentException(
          "delay", "must be 0 to " + MAX_DELAY + " (365 days), was " + delay);
    }
    return new NewTask(
        value, token, Optional.of(delay), Optional.empty(), priority, group, maxDeliveries);
  }

  /**
   * The same task, not handed out before {@code time}; a time already past makes it ready at once.
   * Replaces an earlier {@link #delay(Duration)}.
   *
   * @param time the earliest delivery time
   * @return a new task with the time
   * @throws InvalidArgumentException naming {@code notBefore} when it is null
   */
  public NewTask notBefore(Instant time) {
    Validation.notNull("notBefore", time);
    return new NewTask(
        value, token, Optional.empty(), Optional.of(time), priority, group, maxDeliveries);
  }

  /**
   * The same task in another lane.
   *
   * @param priority the lane; {@link Priority#NORMAL} by default
   * @return a new task with the priority
   * @throws InvalidArgumentException naming {@code priority} when it is null
   */
  public NewTask priority(Priority priority) {
    Validation.notNull("priority", priority);
    return new NewTask(value, token, delay, notBefore, priority, group, maxDeliveries);
  }

  /**
   * The same task in a concurrency group: at most {@link QueueSettings#groupLimit()} tasks of one
   * group are leased at once; tasks of a group at its limit wait without holding back other tasks.
   *
   * @param group letters, digits, '.', '_' and '-', starting with a letter or digit, at most 100
   *     characters
   * @return a new task in the group
   * @throws InvalidArgumentException naming {@code group} when it is not such an id
   */
  public NewTask group(String group) {
    Validation.queueId("group", group);
    return new NewTask(value, token, delay, notBefore, priority, Optional.of(group), maxDeliveries);
  }

  /**
   * The same task with its own delivery limit, overriding the queue's {@link
   * QueueSettings#maxDeliveries()}.
   *
   * @param max 1 to {@value QueueSettings#MAX}
   * @return a new task with the limit
   * @throws InvalidArgumentException naming {@code maxDeliveries} when out of range
   */
  public NewTask maxDeliveries(int max) {
    if (max < 1 || max > QueueSettings.MAX) {
      throw new InvalidArgumentException(
          "maxDeliveries", "must be 1 to " + QueueSettings.MAX + ", was " + max);
    }
    return new NewTask(value, token, delay, notBefore, priority, group, max);
  }

  /**
   * The delay, if one was given.
   *
   * @return the delay
   */
  public Optional<Duration> delay() {
    return delay;
  }

  /**
   * The earliest delivery time, if one was given.
   *
   * @return the time
   */
  public Optional<Instant> notBefore() {
    return notBefore;
  }

  /**
   * The lane.
   *
   * @return the priority
   */
  public Priority priority() {
    return priority;
  }

  /**
   * The concurrency group, if any.
   *
   * @return the group
   */
  public Optional<String> group() {
    return group;
  }

  /**
   * The task's own delivery limit, 0 when the queue's applies.
   *
   * @return the limit
   */
  public int maxDeliveries() {
    return maxDeliveries;
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
   * The token as JSON, if one was given.
   *
   * @return the token
   */
  public Optional<JsonNode> token() {
    return token;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NewTask t
        && t.value.equals(value)
        && t.token.equals(token)
        && t.delay.equals(delay)
        && t.notBefore.equals(notBefore)
        && t.priority == priority
        && t.group.equals(group)
        && t.maxDeliveries == maxDeliveries;
  }

  @Override
  public int hashCode() {
    return Objects.hash(value, token, delay, notBefore, priority, group, maxDeliveries);
  }

  @Override
  public String toString() {
    return "NewTask[" + (token.isPresent() ? "with token" : "no token") + "]";
  }
}
