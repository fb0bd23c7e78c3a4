package io.workqueue.internal.worker;

import io.workqueue.QueueRef;
import io.workqueue.Task;
import java.util.concurrent.Future;

/**
 * One run of the handler on one leased task, and who decides how it ends. The slot that runs the
 * handler, the lease keeper (extension, time limit) and a closing worker race to end it; {@link
 * #move} lets exactly one of them win, and interrupts the handler only while it still runs.
 */
final class Execution {

  /** Where an execution stands. */
  enum State {
    /** The handler runs; its lease is extended. */
    RUNNING,
    /** The handler ran past the maximum handler time: interrupted, its lease no longer extended. */
    TIMED_OUT,
    /** The lease was taken over by another worker: interrupted, its result is discarded. */
    LOST,
    /** The worker closed before the handler finished: interrupted, the task released. */
    ABANDONED,
    /** The handler returned; the slot acknowledges or releases the task. */
    FINISHING
  }

  final String worker;
  final QueueRef queue;
  final Task task;
  final long startNanos;
  private final Thread thread;
  private State state = State.RUNNING;
  private boolean returned;
  private volatile Future<?> extender;
  private volatile Future<?> timeout;

  Execution(String worker, QueueRef queue, Task task, Thread thread) {
    this.worker = worker;
    this.queue = queue;
    this.task = task;
    this.thread = thread;
    this.startNanos = System.nanoTime();
  }

  synchronized State state() {
    return state;
  }

  /**
   * Moves the execution from {@code from} (or {@code orFrom}) to {@code to}, interrupting the
   * handler when it has not returned yet.
   *
   * @return true when this call made the move
   */
  synchronized boolean move(State from, State orFrom, State to) {
    if (state != from && state != orFrom) {
      return false;
    }
    state = to;
    if (!returned) {
      thread.interrupt();
    }
    return true;
  }

  /**
   * Called by the slot once the handler returned or threw: no interrupt reaches the slot after
   * this, and one it got already is cleared. A running or timed-out execution becomes the slot's to
   * finish.
   *
   * @return the state before the call
   */
  synchronized State handlerReturned() {
    returned = true;
    Thread.interrupted();
    State before = state;
    if (state == State.RUNNING || state == State.TIMED_OUT) {
      state = State.FINISHING;
    }
    return before;
  }

  synchronized boolean hasReturned() {
    return returned;
  }

  void watch(Future<?> extender, Future<?> timeout) {
    this.extender = extender;
    this.timeout = timeout;
  }

  void stopExtending() {
    Future<?> f = extender;
    if (f != null) {
      f.cancel(false);
    }
  }

  void stopWatching() {
    stopExtending();
    Future<?> f = timeout;
    if (f != null) {
      f.cancel(false);
    }
  }

  String describe() {
    return "task " + task.index() + " of " + queue + " (worker " + worker + ")";
  }
}
