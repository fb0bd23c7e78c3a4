package io.workqueue.internal.worker;

import io.workqueue.Outcome;
import io.workqueue.QueueRef;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;

/**
 * The batch path's group acks: slots hand in outcomes, one thread acknowledges them per queue with
 * {@code ackAll}. A group is flushed as soon as {@link #FLUSH_AT} outcomes wait, else {@link
 * #FLUSH_AFTER} after the first of them, or at once when no more are coming (no handler runs and no
 * task waits) or the batcher stops. Thread-safe.
 */
final class AckBatcher {

  /** How many waiting outcomes flush a group at once. */
  static final int FLUSH_AT = 100;

  /** How long the first waiting outcome waits for others at most. */
  static final Duration FLUSH_AFTER = Duration.ofMillis(1);

  /** An outcome waiting for its group ack. */
  record Pending(Execution ex, Outcome outcome) {}

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition added = lock.newCondition();
  private final Condition flushed = lock.newCondition();
  private final BiConsumer<QueueRef, List<Pending>> flusher;
  private final BooleanSupplier moreComing;
  private Map<QueueRef, List<Pending>> pending = new LinkedHashMap<>();
  private int count;
  private long firstAt;
  private boolean flushing;
  private boolean stopping;
  private boolean stopped;
  private Thread thread;

  /**
   * Creates a batcher, not yet started.
   *
   * @param flusher acknowledges one queue's group and counts the outcome (called on the batcher's
   *     thread, never for an empty group; must not throw)
   * @param moreComing whether more outcomes are expected soon (a handler runs or a task waits)
   */
  AckBatcher(BiConsumer<QueueRef, List<Pending>> flusher, BooleanSupplier moreComing) {
    this.flusher = flusher;
    this.moreComing = moreComing;
  }

  /**
   * Starts the flushing thread.
   *
   * @param name the thread's name
   */
  void start(String name) {
    thread = new Thread(this::run, name);
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Hands in an outcome; quick.
   *
   * @param ex the execution, its handler returned
   * @param outcome its outcome
   */
  void add(Execution ex, Outcome outcome) {
    boolean now = !moreComing.getAsBoolean();
    Pending p = new Pending(ex, outcome);
    lock.lock();
    try {
      if (!stopped) {
        pending.computeIfAbsent(ex.queue, q -> new ArrayList<>()).add(p);
        if (count++ == 0) {
          firstAt = System.nanoTime();
          added.signalAll();
        } else if (count >= FLUSH_AT || now) {
          added.signalAll();
        }
        return;
      }
    } finally {
      lock.unlock();
    }
    // a handler that outlived close: acknowledge it here, nobody else will
    flusher.accept(ex.queue, List.of(p));
  }

  private void run() {
    long window = FLUSH_AFTER.toNanos();
    while (true) {
      Map<QueueRef, List<Pending>> group;
      lock.lock();
      try {
        while (count == 0) {
          if (stopping) {
            stopped = true;
            return;
          }
          added.awaitUninterruptibly();
        }
        while (count < FLUSH_AT && !stopping && moreComing.getAsBoolean()) {
          long left = firstAt + window - System.nanoTime();
          if (left <= 0) {
            break;
          }
          try {
            added.awaitNanos(left);
          } catch (InterruptedException e) {
            break;
          }
        }
        group = pending;
        pending = new LinkedHashMap<>();
        count = 0;
        flushing = true;
      } finally {
        lock.unlock();
      }
      try {
        group.forEach(flusher);
      } finally {
        lock.lock();
        try {
          flushing = false;
          flushed.signalAll();
        } finally {
          lock.unlock();
        }
      }
    }
  }

  /**
   * Stops the batcher once every outcome handed in is acknowledged (or given up), waiting at most
   * {@code max}.
   *
   * @param max the longest wait
   * @return true when everything was flushed
   */
  boolean stop(Duration max) {
    long nanos = max.toNanos();
    lock.lock();
    try {
      stopping = true;
      added.signalAll();
      if (thread == null) {
        return count == 0;
      }
      while (count > 0 || flushing) {
        if (nanos <= 0) {
          return false;
        }
        try {
          nanos = flushed.awaitNanos(nanos);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
    } finally {
      lock.unlock();
    }
    try {
      thread.join(TimeUnit.SECONDS.toMillis(1));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return true;
  }
}
