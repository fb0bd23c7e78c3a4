package io.workqueue;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;

/**
 * What a {@link QueueWorker} does when a {@link TaskHandler} throws: give the task back with {@link
 * WorkQueue#release(QueueRef, String, long, Duration, Object)} after an exponentially growing,
 * jittered delay, so that it is delivered again (to any worker); or end it at once with a failure
 * outcome.
 *
 * <p>The number of attempts is the queue's, not the policy's: a task released at its {@linkplain
 * QueueSettings#maxDeliveries() delivery limit} (or its own {@linkplain NewTask#maxDeliveries(int)
 * limit}) goes to the dead letters with the handler's exception as its last error, and its producer
 * sees a failure outcome. Without a limit a failing task is retried for as long as it keeps
 * failing, at most {@link #maxDelay()} apart.
 *
 * <p>The delay before delivery {@code n + 1}, after delivery {@code n} failed, is {@code
 * min(maxDelay, initialDelay * multiplier^(n-1))}, shortened by a random fraction of up to {@code
 * jitter} so that tasks that failed together do not come back together.
 *
 * <p>Immutable and thread-safe.
 */
public final class RetryPolicy {

  // Before DEFAULT, which uses it while the class initializes.
  private static final Predicate<Throwable> ANY = t -> true;

  /**
   * Retries after 1 s, 2 s, 4 s, ... up to 5 minutes apart, with up to 20% jitter, on any
   * exception.
   */
  public static final RetryPolicy DEFAULT =
      exponential(Duration.ofSeconds(1), Duration.ofMinutes(5));

  private final Duration initialDelay;
  private final double multiplier;
  private final Duration maxDelay;
  private final double jitter;
  private final Predicate<? super Throwable> retryable;
  private final boolean retries;

  private RetryPolicy(
      Duration initialDelay,
      double multiplier,
      Duration maxDelay,
      double jitter,
      Predicate<? super Throwable> retryable,
      boolean retries) {
    this.initialDelay = initialDelay;
    this.multiplier = multiplier;
    this.maxDelay = maxDelay;
    this.jitter = jitter;
    this.retryable = retryable;
    this.retries = retries;
  }

  /**
   * Exponential backoff doubling from {@code initialDelay} up to {@code maxDelay}, with up to 20%
   * jitter, retrying any exception.
   *
   * @param initialDelay the delay after the first failed delivery; 0 to {@link NewTask#MAX_DELAY}
   * @param maxDelay the longest delay; {@code initialDelay} to {@link NewTask#MAX_DELAY}
   * @return the policy
   * @throws InvalidArgumentException naming the argument that is null or out of range
   */
  public static RetryPolicy exponential(Duration initialDelay, Duration maxDelay) {
    checkDelay("initialDelay", initialDelay);
    checkDelay("maxDelay", maxDelay);
    if (maxDelay.compareTo(initialDelay) < 0) {
      throw new InvalidArgumentException(
          "maxDelay", "must be at least initialDelay (" + initialDelay + "), was " + maxDelay);
    }
    return new RetryPolicy(initialDelay, 2.0, maxDelay, 0.2, ANY, true);
  }

  /**
   * The same delay after every failed delivery, without jitter, retrying any exception.
   *
   * @param delay 0 to {@link NewTask#MAX_DELAY}
   * @return the policy
   * @throws InvalidArgumentException naming {@code delay} when it is null or out of range
   */
  public static RetryPolicy fixed(Duration delay) {
    checkDelay("delay", delay);
    return new RetryPolicy(delay, 1.0, delay, 0.0, ANY, true);
  }

  /**
   * No retries: a handler that throws ends its task at once with a failure outcome (the exception's
   * type and message). The task is acknowledged, not dead-lettered.
   *
   * @return the policy
   */
  public static RetryPolicy none() {
    return new RetryPolicy(Duration.ZERO, 1.0, Duration.ZERO, 0.0, t -> false, false);
  }

  /**
   * The same policy with another growth factor.
   *
   * @param multiplier 1.0 (constant delay) to 10.0
   * @return a new policy
   * @throws InvalidArgumentException naming {@code multiplier} when out of range (or not a number)
   */
  public RetryPolicy withMultiplier(double multiplier) {
    if (!(multiplier >= 1.0 && multiplier <= 10.0)) {
      throw new InvalidArgumentException("multiplier", "must be 1.0 to 10.0, was " + multiplier);
    }
    return new RetryPolicy(initialDelay, multiplier, maxDelay, jitter, retryable, retries);
  }

  /**
   * The same policy with another jitter: each delay is shortened by a random fraction between 0 and
   * {@code jitter}.
   *
   * @param jitter 0.0 (none) to 1.0 (anywhere between 0 and the full delay)
   * @return a new policy
   * @throws InvalidArgumentException naming {@code jitter} when out of range (or not a number)
   */
  public RetryPolicy withJitter(double jitter) {
    if (!(jitter >= 0.0 && jitter <= 1.0)) {
      throw new InvalidArgumentException("jitter", "must be 0.0 to 1.0, was " + jitter);
    }
    return new RetryPolicy(initialDelay, multiplier, maxDelay, jitter, retryable, retries);
  }

  /**
   * The same policy retrying only the exceptions {@code retryable} accepts; the others end their
   * task at once with a failure outcome, as with {@link #none()}.
   *
   * @param retryable decides per exception; must be quick and must not throw
   * @return a new policy
   * @throws InvalidArgumentException naming {@code retryable} when it is null
   */
  public RetryPolicy retryIf(Predicate<? super Throwable> retryable) {
    if (retryable == null) {
      throw new InvalidArgumentException("retryable", "must not be null");
    }
    return new RetryPolicy(initialDelay, multiplier, maxDelay, jitter, retryable, retries);
  }

  /**
   * Whether a failure is retried.
   *
   * @param failure what the handler threw
   * @return false for {@link #none()} and for exceptions {@link #retryIf} rejects
   */
  public boolean retries(Throwable failure) {
    return retries && retryable.test(failure);
  }

  /**
   * The delay before the next delivery, drawing the jitter at random.
   *
   * @param deliveries the delivery that failed, 1 for the first
   * @return the delay, 0 to {@link #maxDelay()}
   */
  public Duration delayAfter(int deliveries) {
    return delayAfter(deliveries, ThreadLocalRandom.current().nextDouble());
  }

  /**
   * The delay before the next delivery, with a given draw of the jitter.
   *
   * @param deliveries the delivery that failed, 1 for the first (values below 1 count as 1)
   * @param random a number from 0.0 (no shortening) to 1.0 (shortened by the full jitter)
   * @return the delay, 0 to {@link #maxDelay()}
   * @throws InvalidArgumentException naming {@code random} when it is outside 0.0 to 1.0
   */
  public Duration delayAfter(int deliveries, double random) {
    if (!(random >= 0.0 && random <= 1.0)) {
      throw new InvalidArgumentException("random", "must be 0.0 to 1.0, was " + random);
    }
    double max = maxDelay.toMillis();
    double base = initialDelay.toMillis();
    for (int i = 1; i < deliveries && base < max; i++) {
      base *= multiplier;
    }
    base = Math.min(base, max);
    return Duration.ofMillis(Math.round(base * (1.0 - jitter * random)));
  }

  /**
   * The delay after the first failed delivery.
   *
   * @return the initial delay
   */
  public Duration initialDelay() {
    return initialDelay;
  }

  /**
   * The growth factor from one delay to the next.
   *
   * @return the multiplier, 1.0 or more
   */
  public double multiplier() {
    return multiplier;
  }

  /**
   * The longest delay.
   *
   * @return the cap
   */
  public Duration maxDelay() {
    return maxDelay;
  }

  /**
   * The largest fraction by which a delay is shortened at random.
   *
   * @return 0.0 to 1.0
   */
  public double jitter() {
    return jitter;
  }

  private static void checkDelay(String argument, Duration d) {
    if (d == null) {
      throw new InvalidArgumentException(argument, "must not be null");
    }
    if (d.isNegative() || d.compareTo(NewTask.MAX_DELAY) > 0) {
      throw new InvalidArgumentException(
          argument, "must be 0 to " + NewTask.MAX_DELAY + ", was " + d);
    }
  }

  @Override
  public String toString() {
    if (!retries) {
      return "RetryPolicy[none]";
    }
    return "RetryPolicy[initialDelay="
        + initialDelay
        + ", multiplier="
        + multiplier
        + ", maxDelay="
        + maxDelay
        + ", jitter="
        + jitter
        + "]";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RetryPolicy p
        && p.initialDelay.equals(initialDelay)
        && p.multiplier == multiplier
        && p.maxDelay.equals(maxDelay)
        && p.jitter == jitter
        && p.retryable == retryable
        && p.retries == retries;
  }

  @Override
  public int hashCode() {
    return Objects.hash(initialDelay, multiplier, maxDelay, jitter, retries);
  }
}
