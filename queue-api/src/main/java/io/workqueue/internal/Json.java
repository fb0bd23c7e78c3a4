package io.workqueue.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.workqueue.InvalidArgumentException;
import io.workqueue.PayloadTooLargeException;
import io.workqueue.QueueException;
import java.io.IOException;
import java.util.Iterator;
import java.util.Map;

/**
 * The JSON mapping every value, token and outcome goes through. One mapper, configured once:
 * java.time types as ISO strings, no failure on empty beans turned off (an empty bean is a bug).
 */
public final class Json {
  /** Largest value as UTF-8 JSON: 256 KiB, the limit SQS users know. */
  public static final int MAX_VALUE_BYTES = 256 * 1024;

  /** Largest token, result or error as UTF-8 JSON: 64 KiB. */
  public static final int MAX_SMALL_BYTES = 64 * 1024;

  /** Deepest nesting of arrays and objects a value may have. */
  public static final int MAX_DEPTH = 1000;

  /**
   * The shared mapper; thread-safe once configured. Decimals are read back as exact big decimals,
   * so a value comes back with every digit it was given.
   */
  public static final JsonMapper MAPPER =
      JsonMapper.builder()
          .addModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
          .build();

  private Json() {}

  /**
   * Maps an object to a tree, rejecting what Jackson cannot map.
   *
   * @param argument the argument's name for the error message
   * @param value any Jackson-mappable object; {@code null} maps to JSON null
   * @param limit the largest allowed size in bytes as JSON
   * @return the tree
   */
  public static JsonNode tree(String argument, Object value, int limit) {
    JsonNode node;
    try {
      node = value instanceof JsonNode n ? n : MAPPER.valueToTree(value);
    } catch (IllegalArgumentException e) {
      throw new InvalidArgumentException(
          argument,
          "cannot be mapped to JSON by Jackson ("
              + (value == null ? "null" : value.getClass().getName())
              + "): "
              + rootMessage(e),
          e);
    } catch (StackOverflowError e) {
      throw new InvalidArgumentException(
          argument, "is nested too deeply to map to JSON; at most " + MAX_DEPTH + " levels");
    }
    if (node == null || node instanceof MissingNode) {
      throw new InvalidArgumentException(argument, "maps to no JSON value");
    }
    checkRepresentable(argument, node, 1);
    int size = bytes(node).length;
    if (size > limit) {
      throw new PayloadTooLargeException(argument, size, limit);
    }
    return node;
  }

  /**
   * Refuses what JSON cannot carry faithfully: nesting deeper than {@link #MAX_DEPTH}, NaN and
   * infinite numbers (JSON has none), and strings with unpaired UTF-16 surrogates (they cannot be
   * encoded as UTF-8 and would come back changed).
   */
  private static void checkRepresentable(String argument, JsonNode node, int depth) {
    if (node.isContainerNode() && depth > MAX_DEPTH) {
      throw new InvalidArgumentException(
          argument, "is nested deeper than " + MAX_DEPTH + " levels of arrays and objects");
    }
    if ((node.isDouble() || node.isFloat()) && !Double.isFinite(node.doubleValue())) {
      throw new InvalidArgumentException(
          argument, "holds " + node.doubleValue() + ", which JSON cannot represent");
    }
    if (node.isTextual()) {
      checkText(argument, node.textValue());
    }
    if (node.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        checkText(argument, field.getKey());
        checkRepresentable(argument, field.getValue(), depth + 1);
      }
    } else if (node.isArray()) {
      for (JsonNode element : node) {
        checkRepresentable(argument, element, depth + 1);
      }
    }
  }

  private static void checkText(String argument, String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw new InvalidArgumentException(
            argument,
            "holds a string with an unpaired UTF-16 surrogate at position "
                + i
                + ", which UTF-8 cannot carry");
      }
    }
  }

  /**
   * Serializes a tree to UTF-8 JSON.
   *
   * @param node the tree
   * @return the bytes
   */
  public static byte[] bytes(JsonNode node) {
    try {
      return MAPPER.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new QueueException("cannot serialize JSON tree: " + e.getOriginalMessage(), e);
    }
  }

  /**
   * Parses UTF-8 JSON that this library wrote.
   *
   * @param bytes the bytes
   * @return the tree
   */
  public static JsonNode parse(byte[] bytes) {
    try {
      return MAPPER.readTree(bytes);
    } catch (IOException e) {
      throw new QueueException("stored JSON cannot be parsed: " + e.getMessage(), e);
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage();
  }
}
