package io.workqueue.testkit;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/** A {@link Clock} that tests move by hand instead of sleeping. Thread-safe; always UTC. */
public final class SettableClock extends Clock {
  private final AtomicReference<Instant> now;

  /**
   * A clock standing at an instant.
   *
   * @param start the first reading
   */
  public SettableClock(Instant start) {
    this.now = new AtomicReference<>(start);
  }

  /**
   * A clock standing at the current system time, truncated to milliseconds (the resolution the
   * backends keep).
   *
   * @return the clock
   */
  public static SettableClock atSystemTime() {
    return new SettableClock(Instant.ofEpochMilli(System.currentTimeMillis()));
  }

  /**
   * Moves the clock forward.
   *
   * @param d how far, not negative
   * @return the new reading
   */
  public Instant advance(Duration d) {
    if (d.isNegative()) {
      throw new IllegalArgumentException("a clock does not go back: " + d);
    }
    return now.updateAndGet(t -> t.plus(d));
  }

  /**
   * Sets the reading.
   *
   * @param instant the new reading
   */
  public void set(Instant instant) {
    now.set(instant);
  }

  @Override
  public Instant instant() {
    return now.get();
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    throw new UnsupportedOperationException("SettableClock is always UTC");
  }
}
