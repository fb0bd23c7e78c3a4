package io.workqueue.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/** Runs a body on several threads at once and times them from a common start to the last end. */
final class Load {
  /** No run of the bench may take longer than this; a stuck run fails instead of hanging. */
  static final long TIMEOUT_MINUTES = 15;

  private Load() {}

  /** The work of one thread. */
  @FunctionalInterface
  interface Body {
    void run(int thread) throws Exception;
  }

  /** A group of threads doing the same work. */
  record Group(String name, int threads, Body body) {}

  /**
   * Runs every group's threads together: all start at once and the time ends when the last one
   * ends.
   *
   * @return the elapsed seconds
   * @throws IllegalStateException with the first failure of any thread, or on timeout
   */
  static double run(Group... groups) {
    List<Thread> threads = new ArrayList<>();
    CountDownLatch ready = new CountDownLatch(sum(groups));
    CountDownLatch go = new CountDownLatch(1);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    for (Group g : groups) {
      for (int i = 0; i < g.threads(); i++) {
        int index = i;
        Thread t =
            new Thread(
                () -> {
                  ready.countDown();
                  try {
                    go.await();
                    g.body().run(index);
                  } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                  }
                },
                "bench-" + g.name() + "-" + i);
        t.setDaemon(true);
        threads.add(t);
        t.start();
      }
    }
    try {
      ready.await();
      long t0 = System.nanoTime();
      go.countDown();
      long deadline = t0 + TimeUnit.MINUTES.toNanos(TIMEOUT_MINUTES);
      for (Thread t : threads) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new IllegalStateException(
              "a bench run took more than " + TIMEOUT_MINUTES + " minutes");
        }
        TimeUnit.NANOSECONDS.timedJoin(t, left);
        if (t.isAlive()) {
          throw new IllegalStateException(
              "a bench run took more than " + TIMEOUT_MINUTES + " minutes (" + t.getName() + ")");
        }
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      Throwable f = failure.get();
      if (f != null) {
        throw new IllegalStateException("a bench thread failed: " + f, f);
      }
      return seconds;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /**
   * Runs one group.
   *
   * @return the elapsed seconds
   */
  static double run(String name, int threads, Body body) {
    return run(new Group(name, threads, body));
  }

  private static int sum(Group[] groups) {
    int n = 0;
    for (Group g : groups) {
      n += g.threads();
    }
    return n;
  }
}
