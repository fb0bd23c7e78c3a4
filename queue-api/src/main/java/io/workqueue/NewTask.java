package io.workqueue;

import com.fasterxml.jackson.databind.JsonNode;
import io.workqueue.internal.Json;
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
 */
public final class NewTask {
  private final JsonNode value;
  private final Optional<JsonNode> token;

  private NewTask(JsonNode value, Optional<JsonNode> token) {
    this.value = value;
    this.token = token;
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
    return new NewTask(value, Optional.of(Json.tree("token", token, Json.MAX_SMALL_BYTES)));
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
    return o instanceof NewTask t && t.value.equals(value) && t.token.equals(token);
  }

  @Override
  public int hashCode() {
    return Objects.hash(value, token);
  }

  @Override
  public String toString() {
    return "NewTask[" + (token.isPresent() ? "with token" : "no token") + "]";
  }
}
