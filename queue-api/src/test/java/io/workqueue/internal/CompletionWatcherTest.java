package io.workqueue.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.workqueue.InvalidArgumentException;
import io.workqueue.Outcome;
import io.workqueue.QueueException;
import io.workqueue.QueueRef;
import io.workqueue.spi.Signals;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The producer-side watcher with a fake reader and hand-made signals. */
class CompletionWatcherTest {
  private static final QueueRef Q = QueueRef.of("acme", "jobs");
  private static final QueueRef OTHER = QueueRef.of("acme", "other");
  private static final Duration NEVER = Duration.ofHours(1);
  private static final Outcome DONE = Outcome.success(42);

  /** Outcomes "persisted" by index, visible after a number of reads, and a read counter. */
  private final Map<Long, Outcome> outcomes = new ConcurrentHashMap<>();

  private final Map<Long, AtomicInteger> hiddenReads = new ConcurrentHashMap<>();
  private final AtomicInteger reads = new AtomicInteger();
  private final Semaphore readsDone = new Semaphore(0);
  private volatile RuntimeException readFailure;
  private final HandSignals signals = new HandSignals();
  private CompletionWatcher watcher;

  private Optional<Outcome> read(QueueRef queue, long index) {
    try {
      return readNow(queue, index);
    } finally {
      readsDone.release();
    }
  }

  private Optional<Outcome> readNow(QueueRef queue, long index) {
    reads.incrementAndGet();
    RuntimeException fail = readFailure;
    if (fail != null) {
      throw fail;
    }
    AtomicInteger hidden = hiddenReads.get(index);
    if (hidden != null && hidden.getAndDecrement() > 0) {
      return Optional.empty();
    }
    return queue.equals(Q) ? Optional.ofNullable(outcomes.get(index)) : Optional.empty();
  }

  private CompletionWatcher watcher(Optional<Signals> s, Duration poll) {
    watcher = new CompletionWatcher(s, this::read, poll);
    return watcher;
  }

  @AfterEach
  void close() {
    if (watcher != null) {
      watcher.close();
    }
  }

  private static Outcome await(CompletionStage<Outcome> stage) throws Exception {
    return stage.toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  /** Signals whose listeners the test calls by hand. */
  static final class HandSignals implements Signals {
    final Map<QueueRef, List<LongConsumer>> done = new ConcurrentHashMap<>();
    final AtomicInteger opened = new AtomicInteger();
    final Semaphore closed = new Semaphore(0);
    volatile boolean broken;

    @Override
    public AutoCloseable onWork(QueueRef queue, Runnable listener) {
      throw new AssertionError("the watcher never listens for work");
    }

    @Override
    public AutoCloseable onCompletion(QueueRef queue, LongConsumer listener) {
      if (broken) {
        throw new IllegalStateException("no signals today");
      }
      opened.incrementAndGet();
      done.computeIfAbsent(queue, q -> new CopyOnWriteArrayList<>()).add(listener);
      return () -> {
        if (done.get(queue).remove(listener)) {
          closed.release();
        }
      };
    }

    void fire(QueueRef queue, long index) {
      done.getOrDefault(queue, List.of()).forEach(l -> l.accept(index));
    }

    int listening(QueueRef queue) {
      return done.getOrDefault(queue, List.of()).size();
    }
  }

  @Nested
  @DisplayName("completes a stage")
  class Completes {
    @Test
    @DisplayName("at once when the outcome was persisted before the watch")
    void alreadyPersisted() throws Exception {
      outcomes.put(7L, DONE);
      assertThat(await(watcher(Optional.of(signals), NEVER).watch(Q, 7))).isEqualTo(DONE);
    }

    @Test
    @DisplayName("on the completion signal, with the persisted outcome, long before any poll")
    void onSignal() throws Exception {
      CompletionStage<Outcome> stage = watcher(Optional.of(signals), NEVER).watch(Q, 3);
      assertThat(signals.listening(Q)).isEqualTo(1);
      assertThat(readsDone.tryAcquire(5, TimeUnit.SECONDS)).isTrue(); // the watch's own read
      Outcome failure = Outcome.failure("boom");
      outcomes.put(3L, failure);
      signals.fire(Q, 3);
      assertThat(await(stage)).isEqualTo(failure);
    }

    @Test
    @DisplayName("when the signal comes before the outcome is visible: the read is retried")
    void signalBeforeVisible() throws Exception {
      CompletionStage<Outcome> stage = watcher(Optional.of(signals), NEVER).watch(Q, 4);
      assertThat(readsDone.tryAcquire(5, TimeUnit.SECONDS)).isTrue();
      assertThat(stage.toCompletableFuture().isDone()).isFalse();
      outcomes.put(4L, DONE);
      hiddenReads.put(4L, new AtomicInteger(2));
      signals.fire(Q, 4);
      assertThat(await(stage)).isEqualTo(DONE);
    }

    @Test
    @DisplayName("by polling when the signal is lost")
    void lostSignal() throws Exception {
      CompletionStage<Outcome> stage =
          watcher(Optional.of(signals), Duration.ofMillis(20)).watch(Q, 5);
      outcomes.put(5L, DONE);
      assertThat(await(stage)).isEqualTo(DONE);
    }

    @Test
    @DisplayName("by polling where the bookkeeper has no signals")
    void noSignals() throws Exception {
      CompletionStage<Outcome> stage = watcher(Optional.empty(), Duration.ofMillis(20)).watch(Q, 6);
      outcomes.put(6L, DONE);
      assertThat(await(stage)).isEqualTo(DONE);
    }

    @Test
    @DisplayName("by polling where subscribing to the signal fails")
    void brokenSignals() throws Exception {
      signals.broken = true;
      CompletionStage<Outcome> stage =
          watcher(Optional.of(signals), Duration.ofMillis(20)).watch(Q, 6);
      outcomes.put(6L, DONE);
      assertThat(await(stage)).isEqualTo(DONE);
    }

    @Test
    @DisplayName("after a failing read, on a later poll (the index stays pending)")
    void failingReader() throws Exception {
      readFailure = new QueueException("store down");
      CompletionStage<Outcome> stage =
          watcher(Optional.of(signals), Duration.ofMillis(20)).watch(Q, 8);
      outcomes.put(8L, DONE);
      signals.fire(Q, 8);
      assertThat(stage.toCompletableFuture().isDone()).isFalse();
      readFailure = null;
      assertThat(await(stage)).isEqualTo(DONE);
    }

    @Test
    @DisplayName("every stage watching the same index, with the same outcome")
    void sameIndexTwice() throws Exception {
      CompletionWatcher w = watcher(Optional.of(signals), NEVER);
      CompletionStage<Outcome> a = w.watch(Q, 9);
      CompletionStage<Outcome> b = w.watch(Q, 9);
      assertThat(readsDone.tryAcquire(2, 5, TimeUnit.SECONDS)).isTrue();
      outcomes.put(9L, DONE);
      signals.fire(Q, 9);
      assertThat(await(a)).isEqualTo(DONE);
      assertThat(await(b)).isEqualTo(DONE);
    }
  }

  @Nested
  @DisplayName("subscriptions")
  class Subscriptions {
    @Test
    @DisplayName("one per queue while it has pending stages, closed when the last completes")
    void perQueueWhilePending() throws Exception {
      CompletionWatcher w = watcher(Optional.of(signals), NEVER);
      CompletionStage<Outcome> a = w.watch(Q, 1);
      CompletionStage<Outcome> b = w.watch(Q, 2);
      CompletionStage<Outcome> c = w.watch(OTHER, 1);
      assertThat(signals.opened.get()).isEqualTo(2);
      assertThat(signals.listening(Q)).isEqualTo(1);
      assertThat(signals.listening(OTHER)).isEqualTo(1);

      outcomes.put(1L, DONE);
      signals.fire(Q, 1);
      assertThat(await(a)).isEqualTo(DONE);
      assertThat(signals.listening(Q)).isEqualTo(1); // index 2 is still pending
      outcomes.put(2L, DONE);
      signals.fire(Q, 2);
      assertThat(await(b)).isEqualTo(DONE);
      assertThat(signals.closed.tryAcquire(5, TimeUnit.SECONDS)).isTrue();
      assertThat(signals.listening(Q)).isZero();
      assertThat(signals.listening(OTHER)).isEqualTo(1);
      assertThat(c.toCompletableFuture().isDone()).isFalse();
    }

    @Test
    @DisplayName("a signal for an index nobody watches reads nothing")
    void unwatchedIndex() throws Exception {
      CompletionWatcher w = watcher(Optional.of(signals), NEVER);
      CompletionStage<Outcome> pending = w.watch(Q, 2);
      assertThat(readsDone.tryAcquire(5, TimeUnit.SECONDS)).isTrue(); // the watch's own read
      for (long i = 100; i < 200; i++) {
        signals.fire(Q, i);
      }
      signals.fire(OTHER, 2);
      assertThat(readsDone.tryAcquire(200, TimeUnit.MILLISECONDS)).isFalse();
      assertThat(reads.get()).isEqualTo(1);
      assertThat(pending.toCompletableFuture().isDone()).isFalse();
    }

    @Test
    @DisplayName("cancelling a stage stops its watch and, with it the last, the subscription")
    void cancel() throws Exception {
      CompletionWatcher w = watcher(Optional.of(signals), NEVER);
      CompletableFuture<Outcome> stage = w.watch(Q, 11).toCompletableFuture();
      assertThat(w.pending()).isEqualTo(1);
      stage.cancel(false);
      assertThat(w.pending()).isZero();
      assertThat(signals.closed.tryAcquire(5, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Nested
  @DisplayName("close")
  class Close {
    @Test
    @DisplayName("fails pending stages with a QueueException, unsubscribes, and is idempotent")
    void failsPending() {
      CompletionWatcher w = watcher(Optional.of(signals), NEVER);
      CompletionStage<Outcome> stage = w.watch(Q, 12);
      w.close();
      assertThatThrownBy(() -> stage.toCompletableFuture().get(5, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(QueueException.class);
      assertThat(signals.listening(Q)).isZero();
      assertThat(w.pending()).isZero();
      w.close();
    }

    @Test
    @DisplayName("a watch after close fails at once")
    void watchAfterClose() {
      CompletionWatcher w = watcher(Optional.of(signals), NEVER);
      w.close();
      outcomes.put(1L, DONE);
      CompletableFuture<Outcome> stage = w.watch(Q, 1).toCompletableFuture();
      assertThat(stage.isCompletedExceptionally()).isTrue();
      assertThatThrownBy(stage::join).hasCauseInstanceOf(QueueException.class);
    }
  }

  @Nested
  @DisplayName("bad input")
  class BadInput {
    @Test
    @DisplayName("is refused with the argument named, changing nothing")
    void refused() {
      assertThatThrownBy(() -> new CompletionWatcher(null, this::none, NEVER))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("signals");
      assertThatThrownBy(() -> new CompletionWatcher(Optional.empty(), null, NEVER))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("reader");
      assertThatThrownBy(() -> new CompletionWatcher(Optional.empty(), this::none, Duration.ZERO))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("pollInterval");
      CompletionWatcher w = watcher(Optional.of(signals), NEVER);
      assertThatThrownBy(() -> w.watch(null, 1))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("queue");
      assertThatThrownBy(() -> w.watch(Q, 0))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("index");
      assertThat(w.pending()).isZero();
      assertThat(signals.opened.get()).isZero();
    }

    private Optional<Outcome> none(QueueRef q, Long i) {
      return Optional.empty();
    }
  }
}
