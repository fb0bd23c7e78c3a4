package io.workqueue;

import java.time.Instant;
import java.util.Objects;

/**
 * A repeating task as {@link WorkQueue#schedules} lists it.
 *
 * @param id the schedule's id
 * @param schedule when it ticks
 * @param nextTick the next tick that will enqueue a task
 */
public record ScheduleInfo(String id, Schedule schedule, Instant nextTick) {
  /** Checks the components. */
  public ScheduleInfo {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(schedule, "schedule");
    Objects.requireNonNull(nextTick, "nextTick");
  }
}
