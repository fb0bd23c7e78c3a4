package io.workqueue.spi;

import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;

/**
 * A repeating task as a {@link TaskStore} holds it.
 *
 * @param id the schedule's id
 * @param spec the schedule ({@link io.workqueue.Schedule#spec()})
 * @param template the sealed task template
 * @param origin when the schedule was made (interval schedules count from it)
 * @param nextTick the next tick to enqueue
 */
public record StoredSchedule(
    String id, String spec, byte[] template, Instant origin, Instant nextTick) {
  /** Checks the components. */
  public StoredSchedule {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(template, "template");
    Objects.requireNonNull(origin, "origin");
    Objects.requireNonNull(nextTick, "nextTick");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof StoredSchedule s
        && s.id.equals(id)
        && s.spec.equals(spec)
        && Arrays.equals(s.template, template)
        && s.origin.equals(origin)
        && s.nextTick.equals(nextTick);
  }

  @Override
  public int hashCode() {
    return Objects.hash(id, spec, Arrays.hashCode(template), origin, nextTick);
  }

  @Override
  public String toString() {
    return "StoredSchedule[" + id + ", " + spec + ", next " + nextTick + "]";
  }
}
