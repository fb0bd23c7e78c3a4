package io.workqueue;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;
import java.util.Objects;
import java.util.Optional;

/**
 * When a {@linkplain WorkQueue#schedule repeating task} ticks: {@link #every(Duration)} a fixed
 * interval, or a Unix {@link #cron(String)} expression in UTC (parsed by cron-utils). Immutable;
 * {@link #spec()} is the text stored with the schedule and {@link #parse(String)} reads it back.
 */
public final class Schedule {
  /** The shortest interval: 1 second. */
  public static final Duration MIN_INTERVAL = Duration.ofSeconds(1);

  private static final CronParser CRON =
      new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));

  private final String spec;
  private final Optional<Duration> interval;
  private final Optional<ExecutionTime> cron;

  private Schedule(String spec, Optional<Duration> interval, Optional<ExecutionTime> cron) {
    this.spec = spec;
    this.interval = interval;
    this.cron = cron;
  }

  /**
   * Ticks every {@code interval}, counted from when the schedule was made.
   *
   * @param interval 1 second or more
   * @return the schedule
   * @throws InvalidArgumentException naming {@code interval} when it is shorter
   */
  public static Schedule every(Duration interval) {
    if (interval == null || interval.compareTo(MIN_INTERVAL) < 0) {
      throw new InvalidArgumentException(
          "interval", "must be " + MIN_INTERVAL + " or longer, was " + interval);
    }
    return new Schedule("every " + interval, Optional.of(interval), Optional.empty());
  }

  /**
   * Ticks at the times a Unix cron expression names (five fields: minute, hour, day of month,
   * month, day of week), in UTC; for example {@code "0 3 * * *"} is 03:00 UTC every day.
   *
   * @param expression the expression
   * @return the schedule
   * @throws InvalidArgumentException naming {@code expression} when it does not parse
   */
  public static Schedule cron(String expression) {
    if (expression == null || expression.isBlank()) {
      throw new InvalidArgumentException("expression", "must be a Unix cron expression");
    }
    String trimmed = expression.trim();
    try {
      ExecutionTime time = ExecutionTime.forCron(CRON.parse(trimmed));
      return new Schedule("cron " + trimmed, Optional.empty(), Optional.of(time));
    } catch (IllegalArgumentException e) {
      throw new InvalidArgumentException(
          "expression",
          "is not a Unix cron expression (minute hour day-of-month month day-of-week): "
              + e.getMessage(),
          e);
    }
  }

  /**
   * Reads a {@link #spec()} back.
   *
   * @param spec {@code "every <ISO-8601 duration>"} or {@code "cron <expression>"}
   * @return the schedule
   * @throws InvalidArgumentException naming {@code spec} when it is neither
   */
  public static Schedule parse(String spec) {
    Objects.requireNonNull(spec, "spec");
    if (spec.startsWith("every ")) {
      try {
        return every(Duration.parse(spec.substring(6)));
      } catch (DateTimeParseException e) {
        throw new InvalidArgumentException("spec", "has no ISO-8601 duration: " + spec, e);
      }
    }
    if (spec.startsWith("cron ")) {
      return cron(spec.substring(5));
    }
    throw new InvalidArgumentException(
        "spec", "must start with 'every ' or 'cron ', was '" + spec + "'");
  }

  /**
   * The first tick strictly after a time.
   *
   * @param after the time
   * @param origin when the schedule was made (interval schedules count from it)
   * @return the next tick, or empty when a cron expression never matches again
   */
  public Optional<Instant> nextAfter(Instant after, Instant origin) {
    if (interval.isPresent()) {
      long step = interval.get().toMillis();
      long since = after.toEpochMilli() - origin.toEpochMilli();
      long n = since < 0 ? 0 : since / step + 1;
      return Optional.of(origin.plusMillis(n * step));
    }
    return cron.orElseThrow()
        .nextExecution(ZonedDateTime.ofInstant(after, ZoneOffset.UTC))
        .map(ZonedDateTime::toInstant);
  }

  /**
   * The stored form.
   *
   * @return {@code "every PT5M"} or {@code "cron 0 3 * * *"}
   */
  public String spec() {
    return spec;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Schedule s && s.spec.equals(spec);
  }

  @Override
  public int hashCode() {
    return spec.hashCode();
  }

  @Override
  public String toString() {
    return spec;
  }
}
