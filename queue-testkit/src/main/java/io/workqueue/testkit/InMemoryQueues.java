package io.workqueue.testkit;

import io.workqueue.WorkQueue;
import io.workqueue.WorkQueues;
import java.time.Clock;

/** One-line factory of a fully wired in-memory {@link WorkQueue}, for users' tests. */
public final class InMemoryQueues {
  private InMemoryQueues() {}

  /**
   * A queue over fresh in-memory adapters (really encrypting, with keys created on first use).
   *
   * @param clock the clock, typically a {@link SettableClock}
   * @return the queue; not durable, state lives as long as the returned instance
   */
  public static WorkQueue create(Clock clock) {
    return WorkQueues.builder()
        .taskStore(new InMemoryTaskStore())
        .bookkeeper(new InMemoryBookkeeper())
        .keyProvider(new InMemoryKeyProvider())
        .clock(clock)
        .build();
  }

  /**
   * A queue over fresh in-memory adapters on the system clock.
   *
   * @return the queue
   */
  public static WorkQueue create() {
    return create(Clock.systemUTC());
  }
}
