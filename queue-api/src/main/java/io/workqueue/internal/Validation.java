package io.workqueue.internal;

import io.workqueue.InvalidArgumentException;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * Argument checks shared by the API's factories and the core. Every check throws {@link
 * InvalidArgumentException} naming the argument, before anything is written.
 */
public final class Validation {
  /** Longest owner or service id. */
  public static final int MAX_QUEUE_ID_LENGTH = 100;

  /** Longest worker id. */
  public static final int MAX_WORKER_ID_LENGTH = 200;

  /** Longest time to recover: one day, longer than any sensible lease. */
  public static final Duration MAX_TIME_TO_RECOVER = Duration.ofDays(1);

  // Owner and service ids become part of Redis keys (inside a {hash tag}) and of Cassandra
  // partition keys: braces, slashes, colons, whitespace and non-ASCII are kept out.
  private static final Pattern QUEUE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
  // Worker ids live in hash fields and values only, so ':' and '@' (host:pid, name@host) are fine.
  private static final Pattern WORKER_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:@-]*");

  private Validation() {}

  /**
   * Checks an owner or service id.
   *
   * @param argument the argument's name
   * @param id the id
   * @return the id
   */
  public static String queueId(String argument, String id) {
    return id(argument, id, QUEUE_ID, MAX_QUEUE_ID_LENGTH, "letters, digits, '.', '_' and '-'");
  }

  /**
   * Checks a worker id.
   *
   * @param id the id
   * @return the id
   */
  public static String workerId(String id) {
    return id(
        "worker",
        id,
        WORKER_ID,
        MAX_WORKER_ID_LENGTH,
        "letters, digits, '.', '_', ':', '@' and '-'");
  }

  private static String id(String argument, String id, Pattern pattern, int max, String allowed) {
    if (id == null) {
      throw new InvalidArgumentException(argument, "must not be null");
    }
    if (id.isBlank()) {
      throw new InvalidArgumentException(argument, "must not be blank");
    }
    if (id.length() > max) {
      throw new InvalidArgumentException(
          argument, "is " + id.length() + " characters long; at most " + max + " are allowed");
    }
    if (!pattern.matcher(id).matches()) {
      throw new InvalidArgumentException(
          argument,
          "'"
              + printable(id)
              + "' has characters the backends cannot hold; allowed are ASCII "
              + allowed
              + ", starting with a letter or digit");
    }
    return id;
  }

  /**
   * Checks a lease duration.
   *
   * @param argument the argument's name
   * @param d the duration
   * @return the duration
   */
  public static Duration positiveDuration(String argument, Duration d) {
    if (d == null) {
      throw new InvalidArgumentException(argument, "must not be null");
    }
    if (d.isNegative() || d.isZero()) {
      throw new InvalidArgumentException(argument, "must be positive, was " + d);
    }
    if (d.compareTo(MAX_TIME_TO_RECOVER) > 0) {
      throw new InvalidArgumentException(
          argument, "must be at most " + MAX_TIME_TO_RECOVER + ", was " + d);
    }
    if (d.toMillis() < 1) {
      throw new InvalidArgumentException(argument, "must be at least 1 ms, was " + d);
    }
    return d;
  }

  /**
   * Checks that a reference is not null.
   *
   * @param argument the argument's name
   * @param value the value
   * @param <T> its type
   * @return the value
   */
  public static <T> T notNull(String argument, T value) {
    if (value == null) {
      throw new InvalidArgumentException(argument, "must not be null");
    }
    return value;
  }

  private static String printable(String s) {
    StringBuilder b = new StringBuilder();
    s.codePoints()
        .limit(60)
        .forEach(
            cp -> {
              if (cp < 0x20 || cp == 0x7f) {
                b.append(String.format("\\u%04x", cp));
              } else {
                b.appendCodePoint(cp);
              }
            });
    return s.length() > 60 ? b + "..." : b.toString();
  }
}
