package io.workqueue.micrometer;

import io.workqueue.QueueRef;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The leases this node saw start and has not yet seen end, for timing how long they are held. At
 * most {@code max} entries: where an end is never heard (it happened on another node, or its event
 * was lost in a crash) the oldest start is dropped to make room, so memory stays bounded whatever
 * is lost. Keyed by queue and index (a task is leased to one worker at a time), with the worker in
 * the value, so an end that names another worker, or none ({@code DeadLettered}), is still matched
 * to the task. Thread-safe: one lock around a few map operations.
 */
final class LeaseTracker {

  /** A task of a queue. */
  record Key(QueueRef queue, long index) {}

  /**
   * The start of a lease.
   *
   * @param worker the holder
   * @param deliveries the delivery count the start reported, which tells a new lease of the same
   *     worker from the same lease reported again
   * @param at when it started, by the reporting node's clock
   */
  record Start(String worker, int deliveries, Instant at) {
    boolean sameLease(String otherWorker, int otherDeliveries) {
      return worker.equals(otherWorker) && deliveries == otherDeliveries;
    }
  }

  /**
   * A start that made way for another: {@code replaced} is the previous lease of the same task
   * (ended unheard, or taken over), {@code evicted} the oldest starts dropped for room.
   *
   * @param replaced the previous start of the same task, if it was another lease
   * @param evicted starts dropped because the tracker was full
   */
  record Displaced(@Nullable Start replaced, List<Map.Entry<Key, Start>> evicted) {
    static final Displaced NONE = new Displaced(null, List.of());
  }

  private final int max;
  // Insertion order: the eldest entry is the one whose end is the likeliest to have been lost.
  private final LinkedHashMap<Key, Start> starts = new LinkedHashMap<>();

  LeaseTracker(int max) {
    this.max = max;
  }

  /**
   * Records the start of a lease. The same lease reported again (same worker, same deliveries)
   * keeps its first start.
   *
   * @return what made way for it
   */
  Displaced start(QueueRef queue, long index, String worker, int deliveries, Instant at) {
    Key key = new Key(queue, index);
    synchronized (starts) {
      Start previous = starts.get(key);
      if (previous != null && previous.sameLease(worker, deliveries)) {
        return Displaced.NONE;
      }
      if (previous != null) {
        starts.remove(key); // so that the new start goes to the young end of the order
      }
      starts.put(key, new Start(worker, deliveries, at));
      List<Map.Entry<Key, Start>> evicted = List.of();
      if (starts.size() > max) {
        evicted = new ArrayList<>(1);
        Iterator<Map.Entry<Key, Start>> eldest = starts.entrySet().iterator();
        while (starts.size() > max) {
          Map.Entry<Key, Start> e = eldest.next();
          evicted.add(Map.entry(e.getKey(), e.getValue()));
          eldest.remove();
        }
      }
      return previous == null && evicted.isEmpty()
          ? Displaced.NONE
          : new Displaced(previous, evicted);
    }
  }

  /**
   * Ends whatever lease of the task is tracked.
   *
   * @return its start, or null when none is tracked
   */
  @Nullable Start end(QueueRef queue, long index) {
    synchronized (starts) {
      return starts.remove(new Key(queue, index));
    }
  }

  /**
   * Forgets every lease of a queue (it was purged). Linear in the tracked leases; purges are rare.
   *
   * @return how many were forgotten
   */
  int forget(QueueRef queue) {
    synchronized (starts) {
      int before = starts.size();
      starts.keySet().removeIf(k -> k.queue().equals(queue));
      return before - starts.size();
    }
  }

  /** Forgets everything. */
  void clear() {
    synchronized (starts) {
      starts.clear();
    }
  }

  /**
   * The number of tracked leases.
   *
   * @return at most {@code max}
   */
  int size() {
    synchronized (starts) {
      return starts.size();
    }
  }
}
