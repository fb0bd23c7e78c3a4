package io.workqueue.internal;

import io.workqueue.Outcome;
import io.workqueue.QueueException;
import io.workqueue.QueueRef;
import io.workqueue.spi.Signals;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Completes producers' stages with the outcomes of their tasks ({@link
 * io.workqueue.WorkQueue#submit}, {@link io.workqueue.WorkQueue#completion}).
 *
 * <p>The persisted outcome is the source of truth: a stage completes only with what {@code reader}
 * returns. While a queue has pending stages the watcher subscribes to its completion signal ({@link
 * Signals#onCompletion}); a signal naming a watched index triggers a read (retried briefly when the
 * outcome is not visible yet, as with a store that is read before its write settles). Every {@code
 * pollInterval} the pending indices are read anyway, the fallback for lost signals and for
 * bookkeepers without signals. A new watch reads once right away, after subscribing, so an outcome
 * written before the watch is found at once and one written after is signalled.
 *
 * <p>Reads run on the watcher's own daemon threads, never on the signal thread. A stage completes
 * at most once; cancelling it (or completing it by hand) stops the watch. Thread-safe.
 */
public final class CompletionWatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CompletionWatcher.class);

  /** Waits before re-reading an index that was signalled but whose outcome was not visible. */
  private static final long[] SIGNAL_RETRY_MILLIS = {5, 20, 80, 250};

  private final Optional<Signals> signals;
  private final BiFunction<QueueRef, Long, Optional<Outcome>> reader;
  private final Duration pollInterval;
  private final Object lock = new Object();
  private final Map<QueueRef, Watched> queues = new HashMap<>();
  private ScheduledThreadPoolExecutor executor;
  private ScheduledFuture<?> poller;
  private boolean closed;

  /** The pending stages of one queue and its signal subscription. Guarded by {@code lock}. */
  private static final class Watched {
    final Map<Long, List<CompletableFuture<Outcome>>> pending = new HashMap<>();
    AutoCloseable subscription;
  }

  /**
   * Creates a watcher; its threads start with the first watch.
   *
   * @param signals the bookkeeper's signals, if it has them
   * @param reader reads a task's persisted outcome (empty when there is none yet); may throw, in
   *     which case the index stays pending
   * @param pollInterval how often pending indices are read without a signal; 1 ms to 1 day
   * @throws io.workqueue.InvalidArgumentException naming the argument that is null or out of range
   */
  public CompletionWatcher(
      Optional<Signals> signals,
      BiFunction<QueueRef, Long, Optional<Outcome>> reader,
      Duration pollInterval) {
    this.signals = Validation.notNull("signals", signals);
    this.reader = Validation.notNull("reader", reader);
    this.pollInterval = Validation.positiveDuration("pollInterval", pollInterval);
  }

  /**
   * Watches a task: the stage completes with its outcome once one is persisted.
   *
   * @param queue the queue
   * @param index the task's index, 1 or more
   * @return a stage completing with the outcome; completed exceptionally with a {@link
   *     QueueException} when the watcher is closed before
   * @throws io.workqueue.InvalidArgumentException naming {@code queue} or {@code index} when null
   *     or below 1
   */
  public CompletionStage<Outcome> watch(QueueRef queue, long index) {
    Validation.notNull("queue", queue);
    if (index < 1) {
      throw new io.workqueue.InvalidArgumentException("index", "must be 1 or more, was " + index);
    }
    CompletableFuture<Outcome> stage = new CompletableFuture<>();
    boolean subscribe;
    synchronized (lock) {
      if (closed) {
        stage.completeExceptionally(closedException());
        return stage;
      }
      startThreads();
      Watched w = queues.computeIfAbsent(queue, q -> new Watched());
      subscribe = w.pending.isEmpty() && w.subscription == null;
      w.pending.computeIfAbsent(index, i -> new ArrayList<>(1)).add(stage);
    }
    stage.whenComplete((o, e) -> forget(queue, index, stage));
    if (subscribe) {
      subscribe(queue);
    }
    submit(() -> read(queue, index, 0));
    return stage;
  }

  /**
   * Stops watching: pending stages complete exceptionally with a {@link QueueException}, the
   * subscriptions are closed and the threads stopped. Idempotent.
   */
  @Override
  public void close() {
    List<CompletableFuture<Outcome>> orphans = new ArrayList<>();
    List<AutoCloseable> subscriptions = new ArrayList<>();
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      for (Watched w : queues.values()) {
        w.pending.values().forEach(orphans::addAll);
        if (w.subscription != null) {
          subscriptions.add(w.subscription);
        }
      }
      queues.clear();
      if (executor != null) {
        executor.shutdownNow();
      }
    }
    subscriptions.forEach(CompletionWatcher::closeQuietly);
    QueueException e = closedException();
    orphans.forEach(f -> f.completeExceptionally(e));
  }

  /**
   * How many stages are pending, for tests and metrics.
   *
   * @return the number of pending stages
   */
  public int pending() {
    synchronized (lock) {
      return queues.values().stream()
          .mapToInt(w -> w.pending.values().stream().mapToInt(List::size).sum())
          .sum();
    }
  }

  // ------------------------------------------------------------------------------ internals

  private void startThreads() {
    if (executor != null) {
      return;
    }
    executor =
        new ScheduledThreadPoolExecutor(
            2,
            r -> {
              Thread t = new Thread(r, "workqueue-completion-watcher");
              t.setDaemon(true);
              return t;
            });
    executor.setRemoveOnCancelPolicy(true);
    long every = Math.max(1, pollInterval.toMillis());
    poller = executor.scheduleWithFixedDelay(this::pollAll, every, every, TimeUnit.MILLISECONDS);
  }

  private void subscribe(QueueRef queue) {
    if (signals.isEmpty()) {
      return;
    }
    AutoCloseable subscription;
    try {
      subscription = signals.get().onCompletion(queue, index -> signalled(queue, index));
    } catch (RuntimeException e) {
      log.warn("no completion signal for {} ({}); polling every {}", queue, e, pollInterval);
      return;
    }
    boolean keep;
    synchronized (lock) {
      Watched w = queues.get(queue);
      keep = !closed && w != null && !w.pending.isEmpty() && w.subscription == null;
      if (keep) {
        w.subscription = subscription;
      }
    }
    if (!keep) {
      // everything completed (or the watcher closed) while subscribing
      closeQuietly(subscription);
      synchronized (lock) {
        Watched w = queues.get(queue);
        if (!closed && w != null && !w.pending.isEmpty() && w.subscription == null) {
          // a watch came in between and counted on this subscription
          keep = true;
        }
      }
      if (keep) {
        subscribe(queue);
      }
    }
  }

  private void signalled(QueueRef queue, long index) {
    synchronized (lock) {
      Watched w = queues.get(queue);
      if (w == null || !w.pending.containsKey(index)) {
        return;
      }
    }
    submit(() -> read(queue, index, 1));
  }

  /**
   * Reads an index's outcome and completes its stages.
   *
   * @param attempt 0 for a read without a signal; from 1, the read after a signal, retried a few
   *     times when the outcome is not visible yet
   */
  private void read(QueueRef queue, long index, int attempt) {
    if (!isPending(queue, index)) {
      return;
    }
    Optional<Outcome> outcome;
    try {
      outcome = reader.apply(queue, index);
    } catch (RuntimeException e) {
      log.warn("reading the outcome of task {} of {} failed; it stays pending", index, queue, e);
      return;
    }
    if (outcome.isPresent()) {
      complete(queue, index, outcome.get());
    } else if (attempt >= 1 && attempt <= SIGNAL_RETRY_MILLIS.length) {
      schedule(() -> read(queue, index, attempt + 1), SIGNAL_RETRY_MILLIS[attempt - 1]);
    } else if (attempt > SIGNAL_RETRY_MILLIS.length) {
      log.debug(
          "task {} of {} was signalled but its outcome is not readable; polling for it",
          index,
          queue);
    }
  }

  private void pollAll() {
    Map<QueueRef, List<Long>> snapshot = new HashMap<>();
    synchronized (lock) {
      queues.forEach((q, w) -> snapshot.put(q, new ArrayList<>(w.pending.keySet())));
    }
    snapshot.forEach(
        (q, indices) -> {
          for (long index : indices) {
            read(q, index, 0);
          }
        });
  }

  private boolean isPending(QueueRef queue, long index) {
    synchronized (lock) {
      Watched w = queues.get(queue);
      return w != null && w.pending.containsKey(index);
    }
  }

  private void complete(QueueRef queue, long index, Outcome outcome) {
    List<CompletableFuture<Outcome>> stages;
    synchronized (lock) {
      Watched w = queues.get(queue);
      stages = w == null ? null : w.pending.get(index);
      stages = stages == null ? List.of() : new ArrayList<>(stages);
    }
    stages.forEach(f -> f.complete(outcome));
  }

  /** Drops a completed (or cancelled) stage; unsubscribes when its queue has none left. */
  private void forget(QueueRef queue, long index, CompletableFuture<Outcome> stage) {
    AutoCloseable unsubscribe = null;
    synchronized (lock) {
      Watched w = queues.get(queue);
      if (w == null) {
        return;
      }
      List<CompletableFuture<Outcome>> stages = w.pending.get(index);
      if (stages != null) {
        stages.remove(stage);
        if (stages.isEmpty()) {
          w.pending.remove(index);
        }
      }
      if (w.pending.isEmpty()) {
        queues.remove(queue);
        unsubscribe = w.subscription;
      }
    }
    if (unsubscribe != null) {
      closeQuietly(unsubscribe);
    }
  }

  private void submit(Runnable r) {
    schedule(r, 0);
  }

  private void schedule(Runnable r, long delayMillis) {
    ScheduledThreadPoolExecutor e;
    synchronized (lock) {
      e = executor;
    }
    if (e == null) {
      return;
    }
    try {
      e.schedule(r, delayMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException closing) {
      // closed: the pending stages are completed exceptionally by close()
    }
  }

  private static QueueException closedException() {
    return new QueueException("the completion watcher is closed (its queue was closed)");
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      log.debug("closing a completion subscription failed", e);
    }
  }
}
