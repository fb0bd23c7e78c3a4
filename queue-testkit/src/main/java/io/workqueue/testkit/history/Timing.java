package io.workqueue.testkit.history;

import java.time.Instant;
import java.util.Objects;

/**
 * When a call ran: by {@link System#nanoTime()} (the real order of events in this JVM) and by the
 * queue's clock (the time leases and deadlines are measured in).
 *
 * @param invokeNanos {@code System.nanoTime()} just before the call
 * @param completeNanos {@code System.nanoTime()} just after it returned or threw
 * @param invokeTime the queue's clock just before the call
 * @param completeTime the queue's clock just after it
 */
public record Timing(
    long invokeNanos, long completeNanos, Instant invokeTime, Instant completeTime) {
  /** Checks the fields. */
  public Timing {
    Objects.requireNonNull(invokeTime, "invokeTime");
    Objects.requireNonNull(completeTime, "completeTime");
  }

  /**
   * Whether this call surely ended before another began (by real time).
   *
   * @param other the other call
   * @return true when this call completed before {@code other} was invoked
   */
  public boolean precedes(Timing other) {
    return completeNanos - other.invokeNanos < 0;
  }
}
