package io.workqueue.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.workqueue.QueueRef;
import io.workqueue.spi.BookkeeperState;
import io.workqueue.spi.Signals;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The in-process signals of the in-memory bookkeeper. */
@DisplayName("InMemorySignals")
class InMemorySignalsTest {
  private static final Instant NOW = Instant.ofEpochMilli(1_800_000_000_000L);

  private final InMemoryBookkeeper bookkeeper = new InMemoryBookkeeper();
  private final Signals signals = bookkeeper.signals().orElseThrow();
  private final ExecutorService other = Executors.newSingleThreadExecutor();

  @AfterEach
  void stop() {
    other.shutdownNow();
  }

  private QueueRef initialized() {
    QueueRef q = TestQueues.fresh();
    bookkeeper.initialize(q, 0, 1, 0);
    return q;
  }

  @Test
  @DisplayName("a subscriber that throws is logged and the others are still called")
  void throwingSubscriber() throws Exception {
    QueueRef q = initialized();
    List<String> calls = new CopyOnWriteArrayList<>();
    List<AutoCloseable> subscriptions =
        List.of(
            signals.onWork(q, () -> calls.add("a")),
            signals.onWork(
                q,
                () -> {
                  throw new IllegalStateException("a subscriber's bug");
                }),
            signals.onWork(q, () -> calls.add("c")),
            signals.onCompletion(
                q,
                i -> {
                  throw new IllegalStateException("a subscriber's bug");
                }),
            signals.onCompletion(q, i -> calls.add("done " + i)));
    try {
      long first = bookkeeper.allocate(q, 1, NOW);
      assertThat(bookkeeper.commit(q, first, 1)).as("the step itself succeeds").isTrue();
      assertThat(calls).containsExactly("a", "c");
      bookkeeper.fetch(q, "w", NOW, Duration.ofSeconds(10), Duration.ZERO);
      assertThat(bookkeeper.ackHeld(q, "w")).hasValue(first);
      assertThat(calls).containsExactly("a", "c", "done " + first);
    } finally {
      for (AutoCloseable s : subscriptions) {
        s.close();
      }
    }
  }

  @Test
  @DisplayName("subscribers are called after the step, outside the bookkeeper's lock")
  void afterTheStepOutsideTheLock() throws Exception {
    QueueRef q = initialized();
    List<BookkeeperState> seen = new ArrayList<>();
    AutoCloseable subscription =
        signals.onWork(
            q,
            () -> {
              // another thread reads the queue: it would wait forever for a lock still held
              Future<BookkeeperState> state = other.submit(() -> bookkeeper.state(q));
              try {
                seen.add(state.get(10, TimeUnit.SECONDS));
              } catch (Exception e) {
                throw new AssertionError("the queue's lock is still held", e);
              }
            });
    long first = bookkeeper.allocate(q, 3, NOW);
    bookkeeper.commit(q, first, 3);
    subscription.close();
    assertThat(seen).hasSize(1);
    assertThat(seen.get(0).committed()).as("the step is applied").isEqualTo(3);
  }

  @Test
  @DisplayName("the same listener subscribed twice is called twice; closing one leaves the other")
  void sameListenerTwice() throws Exception {
    QueueRef q = initialized();
    List<String> calls = new CopyOnWriteArrayList<>();
    Runnable listener = () -> calls.add("x");
    AutoCloseable first = signals.onWork(q, listener);
    AutoCloseable second = signals.onWork(q, listener);
    bookkeeper.pause(q, true);
    bookkeeper.pause(q, false);
    assertThat(calls).hasSize(2);
    first.close();
    first.close();
    bookkeeper.pause(q, true);
    bookkeeper.pause(q, false);
    assertThat(calls).hasSize(3);
    second.close();
    bookkeeper.pause(q, true);
    bookkeeper.pause(q, false);
    assertThat(calls).hasSize(3);
  }
}
