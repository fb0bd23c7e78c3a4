package io.workqueue.internal.worker;

import java.time.Duration;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Wakes idle slots: a generation counter that {@link #wake()} bumps and {@link #await} waits on. A
 * slot reads the generation before it looks for work and waits only while it is unchanged, so a
 * signal that arrives while it was looking is never missed. A lock and a condition rather than
 * {@code synchronized}/{@code wait}, so that virtual threads do not pin their carrier. Thread-safe.
 */
final class WakeSignal {
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private long generation;

  /**
   * The current generation.
   *
   * @return a number that changes with every {@link #wake()}
   */
  long generation() {
    lock.lock();
    try {
      return generation;
    } finally {
      lock.unlock();
    }
  }

  /** Wakes every waiting slot. Quick: safe on a signal thread. */
  void wake() {
    lock.lock();
    try {
      generation++;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits until the generation differs from {@code seen} or {@code max} has passed. An interrupt
   * ends the wait early and is cleared: slots are stopped by their worker's state, not by
   * interrupts.
   *
   * @param seen the generation read before looking for work
   * @param max the longest wait
   * @return true when woken by a new generation, false on timeout or interrupt
   */
  boolean await(long seen, Duration max) {
    long nanos = max.toNanos();
    lock.lock();
    try {
      while (generation == seen) {
        if (nanos <= 0) {
          return false;
        }
        nanos = changed.awaitNanos(nanos);
      }
      return true;
    } catch (InterruptedException e) {
      return false;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits for {@code max} unless woken.
   *
   * @param max the longest wait
   */
  void pause(Duration max) {
    await(generation(), max);
  }
}
