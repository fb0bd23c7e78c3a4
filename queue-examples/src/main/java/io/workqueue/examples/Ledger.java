package io.workqueue.examples;

import com.fasterxml.jackson.databind.JsonNode;
import io.workqueue.Completion;
import io.workqueue.QueueRef;
import io.workqueue.Task;
import io.workqueue.spi.CompletionListener;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;

/**
 * The demo's books: which tasks were added (and when), which completions the {@link
 * CompletionListener} heard of (and when), which deliveries were redeliveries. Lost tasks are those
 * added but never heard of as completed, computed here and nowhere else. Thread-safe.
 */
final class Ledger implements CompletionListener {

  /** One task of one queue. */
  record Key(QueueRef queue, long index) {}

  /** A delivery after the first: a task recovered from a worker that did not acknowledge it. */
  record Redelivery(QueueRef queue, long index, int deliveries, String worker, long nanos) {}

  private final Map<Key, Long> addedAt = new ConcurrentHashMap<>();
  private final Map<Key, Long> completedAt = new ConcurrentHashMap<>();
  private final AtomicInteger completed = new AtomicInteger();
  private final AtomicLong duplicateCompletions = new AtomicLong();
  private final AtomicLong failedOutcomes = new AtomicLong();
  private final AtomicLong refusedAcks = new AtomicLong();
  private final AtomicLong errors = new AtomicLong();
  private final AtomicReference<String> firstError = new AtomicReference<>();
  private final ConcurrentLinkedQueue<Redelivery> redeliveries = new ConcurrentLinkedQueue<>();
  private final AtomicLong firstAddNanos = new AtomicLong(Long.MAX_VALUE);
  private final Map<Key, Seen> seen = new ConcurrentHashMap<>();

  /** What a worker saw of a task, kept for a few chosen tasks. */
  record Seen(JsonNode value, Optional<JsonNode> token, String worker) {}

  /** Records tasks whose add call started at {@code startNanos} and returned these indices. */
  void added(QueueRef queue, List<Long> indices, long startNanos) {
    firstAddNanos.accumulateAndGet(startNanos, Math::min);
    for (long index : indices) {
      addedAt.put(new Key(queue, index), startNanos);
    }
  }

  @Override
  public void onCompletion(Completion completion) {
    long now = System.nanoTime();
    Key key = new Key(completion.queue(), completion.index());
    if (completedAt.putIfAbsent(key, now) == null) {
      completed.incrementAndGet();
      if (!completion.outcome().isSuccess()) {
        failedOutcomes.incrementAndGet();
      }
    } else {
      duplicateCompletions.incrementAndGet(); // at least once: the listener is idempotent
    }
  }

  /** Records a delivery: redeliveries, and what the worker saw of watched tasks. */
  void delivered(Task task, String worker, Key watched) {
    if (task.deliveries() > 1) {
      redeliveries.add(
          new Redelivery(task.queue(), task.index(), task.deliveries(), worker, System.nanoTime()));
    }
    if (task.index() == watched.index() && task.queue().equals(watched.queue())) {
      seen.putIfAbsent(watched, new Seen(task.value(), task.token(), worker));
    }
  }

  void refusedAcks(int count) {
    refusedAcks.addAndGet(count);
  }

  void error(RuntimeException e) {
    errors.incrementAndGet();
    firstError.compareAndSet(null, ExitCode.message(e));
  }

  int addedCount() {
    return addedAt.size();
  }

  int completedCount() {
    return completed.get();
  }

  /** Whether every added task was heard of as completed. */
  boolean allCompleted() {
    return completedAt.keySet().containsAll(addedAt.keySet());
  }

  /** The tasks added but never completed, by queue and index. */
  List<Key> lost() {
    List<Key> lost = new ArrayList<>();
    for (Key k : addedAt.keySet()) {
      if (!completedAt.containsKey(k)) {
        lost.add(k);
      }
    }
    lost.sort(Comparator.comparing((Key k) -> k.queue().toString()).thenComparing(Key::index));
    return lost;
  }

  /** Completions of tasks that were never added in this run (none expected). */
  long unexpectedCompletions() {
    return completedAt.keySet().stream().filter(k -> !addedAt.containsKey(k)).count();
  }

  /** Add-to-ack latencies in microseconds: from the start of the add call to the completion. */
  Histogram latencies() {
    Histogram h = new Histogram(TimeUnit.HOURS.toMicros(1), 3);
    for (Map.Entry<Key, Long> e : completedAt.entrySet()) {
      Long start = addedAt.get(e.getKey());
      if (start != null) {
        h.recordValue(Math.min(h.getHighestTrackableValue(), (e.getValue() - start) / 1_000));
      }
    }
    return h;
  }

  List<Redelivery> redeliveries() {
    return List.copyOf(redeliveries);
  }

  long duplicateCompletions() {
    return duplicateCompletions.get();
  }

  long failedOutcomes() {
    return failedOutcomes.get();
  }

  long refusedAcks() {
    return refusedAcks.get();
  }

  long errors() {
    return errors.get();
  }

  Optional<String> firstError() {
    return Optional.ofNullable(firstError.get());
  }

  Optional<Seen> seen(Key key) {
    return Optional.ofNullable(seen.get(key));
  }

  /** From the first add to the last completion of a task that was delivered only once. */
  double elapsedSecondsWithoutRedeliveries() {
    long first = firstAddNanos.get();
    if (first == Long.MAX_VALUE) {
      return 0;
    }
    Set<Key> redelivered = new HashSet<>();
    for (Redelivery r : redeliveries) {
      redelivered.add(new Key(r.queue(), r.index()));
    }
    long last = first;
    for (Map.Entry<Key, Long> e : completedAt.entrySet()) {
      if (!redelivered.contains(e.getKey())) {
        last = Math.max(last, e.getValue());
      }
    }
    return (last - first) / 1e9;
  }
}
