package io.workqueue.examples;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.workqueue.InvalidArgumentException;
import io.workqueue.QueueRef;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Picocli converters for the queue's own types; a bad value is a usage error (exit code 2). */
final class Converters {
  static final ObjectMapper JSON = new ObjectMapper();

  private static final Pattern SIMPLE_DURATION =
      Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h|d)", Pattern.CASE_INSENSITIVE);

  private Converters() {}

  /** {@code owner/service}, as {@link QueueRef#toString()} prints it. */
  static final class Queue implements ITypeConverter<QueueRef> {
    @Override
    public QueueRef convert(String value) {
      return queue(value);
    }
  }

  static QueueRef queue(String value) {
    int slash = value.indexOf('/');
    if (slash < 0 || slash != value.lastIndexOf('/')) {
      throw new TypeConversionException(
          "'" + value + "' is not a queue: write OWNER/SERVICE, for example acme/billing");
    }
    try {
      return QueueRef.of(value.substring(0, slash), value.substring(slash + 1));
    } catch (InvalidArgumentException e) {
      throw new TypeConversionException("'" + value + "' is not a queue: " + e.getMessage());
    }
  }

  /** An owner's id alone, as in {@code acme}. */
  static final class Owner implements ITypeConverter<String> {
    @Override
    public String convert(String value) {
      return owner(value);
    }
  }

  static String owner(String value) {
    if (value.contains("/")) {
      throw new TypeConversionException(
          "'" + value + "' is not an owner: give the owner alone, for example acme");
    }
    try {
      return QueueRef.of(value, "any").owner(); // the owner's rules are the queue's
    } catch (InvalidArgumentException e) {
      throw new TypeConversionException("'" + value + "' is not an owner: " + e.getMessage());
    }
  }

  /** A Java regular expression. */
  static final class Regex implements ITypeConverter<Pattern> {
    @Override
    public Pattern convert(String value) {
      try {
        return Pattern.compile(value);
      } catch (PatternSyntaxException e) {
        throw new TypeConversionException(
            "'"
                + abbreviate(value, 60)
                + "' is not a regular expression: "
                + e.getDescription()
                + " near index "
                + e.getIndex());
      }
    }
  }

  /** {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h}, {@code 1d} or ISO-8601 ({@code PT30S}). */
  static final class Time implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      return duration(value);
    }
  }

  static Duration duration(String value) {
    String v = value.trim();
    Matcher m = SIMPLE_DURATION.matcher(v);
    try {
      if (m.matches()) {
        double amount = Double.parseDouble(m.group(1));
        double millis =
            switch (m.group(2).toLowerCase(Locale.ROOT)) {
              case "ms" -> amount;
              case "s" -> amount * 1_000;
              case "m" -> amount * 60_000;
              case "h" -> amount * 3_600_000;
              default -> amount * 86_400_000;
            };
        return Duration.ofMillis(Math.round(millis));
      }
      return Duration.parse(v.toUpperCase(Locale.ROOT));
    } catch (DateTimeParseException | ArithmeticException e) {
      throw new TypeConversionException(
          "'" + value + "' is not a duration: write for example 500ms, 30s, 2m, 1h or PT30S");
    }
  }

  /** JSON text: an object, an array, a quoted string, a number, true, false or null. */
  static final class Json implements ITypeConverter<JsonNode> {
    @Override
    public JsonNode convert(String value) {
      return json(value);
    }
  }

  static JsonNode json(String value) {
    try {
      JsonNode node = JSON.readTree(value);
      if (node == null || node.isMissingNode()) {
        throw new TypeConversionException("no JSON given");
      }
      return node;
    } catch (JsonProcessingException e) {
      throw new TypeConversionException(
          "'"
              + abbreviate(value, 60)
              + "' is not JSON (quote text as JSON strings, e.g. '\"hello\"'): "
              + e.getOriginalMessage());
    }
  }

  static String abbreviate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max - 3) + "...";
  }
}
