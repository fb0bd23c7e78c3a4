package io.workqueue.internal.worker;

import io.workqueue.QueueRef;
import io.workqueue.Task;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The batch path's local buffer: tasks the fetcher leased that wait for a free slot, and how many
 * slots are busy, which together decide how much the fetcher may lease next: no more than the batch
 * size, and no more than the free slots plus the prefetch less what already waits, and nothing
 * while no slot is free. Leases in the buffer are held (their clock runs), so the prefetch only
 * covers what the slots start soon: {@code concurrency} tasks, more (up to the batch size) only
 * while the slots run out of tasks during a fetch's round trip (handlers quicker than a fetch). The
 * fetcher fetches again once half of what it may hold is free, so that fetches stay batches when
 * slots free up one by one. A lock and conditions rather than {@code synchronized}, so that virtual
 * threads do not pin their carrier. Thread-safe.
 */
final class TaskBuffer {

  /** A leased task waiting for a slot. */
  static final class Leased {
    final QueueRef queue;
    final Task task;

    /** When its lease was last set (fetched or extended), System.nanoTime. */
    volatile long leasedAt;

    Leased(QueueRef queue, Task task, long leasedAt) {
      this.queue = queue;
      this.task = task;
      this.leasedAt = leasedAt;
    }

    String key() {
      return key(queue, task.index());
    }

    static String key(QueueRef queue, long index) {
      return queue + "#" + index;
    }
  }

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition notEmpty = lock.newCondition();
  private final Condition space = lock.newCondition();
  private final ArrayDeque<Leased> waiting = new ArrayDeque<>();
  private final Set<String> keys = new HashSet<>();
  private final int slots;
  private final int batchSize;
  private int prefetch;
  private int busy;
  private boolean open = true;

  /**
   * Creates an empty buffer.
   *
   * @param slots how many slots take from it
   * @param batchSize the most tasks one fetch may lease
   */
  TaskBuffer(int slots, int batchSize) {
    this.slots = slots;
    this.batchSize = batchSize;
    this.prefetch = slots;
  }

  /**
   * Whether the slots have work as a fetch starts: a task waits or a handler runs.
   *
   * @return the answer, for {@link #fetched(boolean, boolean)}
   */
  boolean hasWork() {
    lock.lock();
    try {
      return !waiting.isEmpty() || busy > 0;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Adapts the prefetch once a fetch returned (before its tasks are offered). When the slots had
   * work as it started, ran out of it while it was under way (none waits and a slot is idle) and
   * the queue has more (the fetch was full), handlers are quicker than a fetch: the prefetch
   * doubles, up to the batch size. When more than half of it still waits, it halves, down to {@code
   * concurrency}.
   *
   * @param hadWork {@link #hasWork()} as the fetch started
   * @param full whether the fetch returned as many tasks as it asked for
   */
  void fetched(boolean hadWork, boolean full) {
    lock.lock();
    try {
      if (hadWork && full && waiting.isEmpty() && busy < slots) {
        prefetch = Math.min(Math.max(slots, batchSize), prefetch * 2);
      } else if (waiting.size() > prefetch / 2) {
        prefetch = Math.max(slots, prefetch / 2);
      }
    } finally {
      lock.unlock();
    }
  }

  /** How many tasks a fetch may lease now; 0 while no slot is free. Under the lock. */
  private int roomLocked() {
    int free = slots - busy;
    if (free <= 0) {
      return 0;
    }
    return Math.max(0, Math.min(batchSize, free + prefetch - waiting.size()));
  }

  /**
   * Whether a fetch of {@code room} tasks is worth it now: half of what may be held is free, or a
   * free slot has nothing to take. Under the lock.
   */
  private boolean worthFetching(int room) {
    int refillAt = Math.max(1, Math.min(batchSize, slots + prefetch) / 2);
    return room >= refillAt || (room > 0 && waiting.size() < slots - busy);
  }

  /**
   * Waits until the fetcher may lease a worthwhile batch, the buffer closes or {@code max} passes.
   *
   * @param max the longest wait
   * @return how many tasks to lease (0 when closed or nothing is free yet)
   */
  int awaitRoom(Duration max) {
    long nanos = max.toNanos();
    lock.lock();
    try {
      while (open) {
        int room = roomLocked();
        if (worthFetching(room)) {
          return room;
        }
        if (nanos <= 0) {
          return 0;
        }
        try {
          nanos = space.awaitNanos(nanos);
        } catch (InterruptedException e) {
          return 0;
        }
      }
      return 0;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Adds leased tasks for the slots.
   *
   * @param tasks the tasks, in the order the slots should take them
   * @return what was not added: all of them as refused when the buffer is closed (the caller
   *     releases them); else the number of duplicates, tasks already in the buffer (their own
   *     expired lease, leased again by the same worker id), each kept once
   */
  Offered offer(List<Leased> tasks) {
    lock.lock();
    try {
      if (!open) {
        return new Offered(tasks, 0);
      }
      int duplicates = 0;
      for (Leased t : tasks) {
        if (keys.add(t.key())) {
          waiting.add(t);
        } else {
          duplicates++;
        }
      }
      notEmpty.signalAll();
      return new Offered(List.of(), duplicates);
    } finally {
      lock.unlock();
    }
  }

  /**
   * What {@link #offer} did not add.
   *
   * @param refused the tasks refused because the buffer is closed
   * @param duplicates how many were already in the buffer
   */
  record Offered(List<Leased> refused, int duplicates) {}

  /**
   * Takes the next task for a slot, waiting until there is one; the slot is busy until {@link
   * #done()}.
   *
   * @return the task, or null once the buffer is closed
   */
  Leased take() {
    lock.lock();
    try {
      while (open && waiting.isEmpty()) {
        try {
          notEmpty.await();
        } catch (InterruptedException e) {
          // slots stop by the buffer closing, not by interrupts
        }
      }
      if (!open) {
        return null;
      }
      Leased t = waiting.poll();
      keys.remove(t.key());
      busy++;
      return t;
    } finally {
      lock.unlock();
    }
  }

  /** A slot finished the task it took. */
  void done() {
    lock.lock();
    try {
      busy--;
      if (worthFetching(roomLocked())) {
        space.signal(); // only the fetcher waits for space
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Removes a task whose lease was taken over before a slot took it.
   *
   * @param t the task
   * @return true when it was still waiting
   */
  boolean remove(Leased t) {
    lock.lock();
    try {
      if (!waiting.remove(t)) {
        return false;
      }
      keys.remove(t.key());
      space.signalAll();
      return true;
    } finally {
      lock.unlock();
    }
  }

  /**
   * The tasks waiting now.
   *
   * @return a copy
   */
  List<Leased> snapshot() {
    lock.lock();
    try {
      return new ArrayList<>(waiting);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Whether no task waits and no slot is busy.
   *
   * @return true when idle
   */
  boolean idle() {
    lock.lock();
    try {
      return waiting.isEmpty() && busy == 0;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Whether a task waits.
   *
   * @return true when the buffer is not empty
   */
  boolean hasWaiting() {
    lock.lock();
    try {
      return !waiting.isEmpty();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Closes the buffer: slots stop taking, the fetcher stops offering, and the waiting tasks are
   * handed back for release.
   *
   * @return the tasks that waited, never started
   */
  List<Leased> close() {
    lock.lock();
    try {
      open = false;
      List<Leased> left = new ArrayList<>(waiting);
      waiting.clear();
      keys.clear();
      notEmpty.signalAll();
      space.signalAll();
      return left;
    } finally {
      lock.unlock();
    }
  }
}
