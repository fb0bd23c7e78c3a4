package io.workqueue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.workqueue.internal.Json;
import java.util.Optional;

/**
 * How a task ended: success, with or without a result, or failure with an error. Results and errors
 * are mapped to JSON when the outcome is made. Falsy results ({@code 0}, {@code false}, {@code ""},
 * {@code null}) are results: {@code success(0).result()} is present.
 *
 * <p>Results and errors are at most {@value io.workqueue.internal.Json#MAX_SMALL_BYTES} bytes as
 * JSON.
 */
public sealed interface Outcome {

  /**
   * Success without a result.
   *
   * @return the outcome
   */
  static Outcome success() {
    return new Success(Optional.empty());
  }

  /**
   * Success with a result.
   *
   * @param result any Jackson-mappable object; {@code null} is the JSON value null, a result
   * @return the outcome
   * @throws InvalidArgumentException naming {@code result} when Jackson cannot map it
   */
  static Outcome success(Object result) {
    return new Success(Optional.of(Json.tree("result", result, Json.MAX_SMALL_BYTES)));
  }

  /**
   * Failure with an error object.
   *
   * @param error any Jackson-mappable object describing the failure
   * @return the outcome
   * @throws InvalidArgumentException naming {@code error} when Jackson cannot map it
   */
  static Outcome failure(Object error) {
    if (error instanceof Throwable t) {
      ObjectNode node = Json.MAPPER.createObjectNode();
      node.put("type", t.getClass().getName());
      node.put("message", String.valueOf(t.getMessage()));
      return new Failure(node);
    }
    return new Failure(Json.tree("error", error, Json.MAX_SMALL_BYTES));
  }

  /**
   * Whether the task succeeded.
   *
   * @return true for {@link Success}
   */
  boolean isSuccess();

  /**
   * The success's result.
   *
   * @param result the result, empty for a success without one
   */
  record Success(Optional<JsonNode> result) implements Outcome {
    @Override
    public boolean isSuccess() {
      return true;
    }
  }

  /**
   * The failure's error.
   *
   * @param error the error as JSON; a {@link Throwable} becomes {@code {"type":..,"message":..}}
   */
  record Failure(JsonNode error) implements Outcome {
    @Override
    public boolean isSuccess() {
      return false;
    }
  }
}
