package io.workqueue.bench;

import java.util.ArrayList;
import java.util.List;
import org.HdrHistogram.Histogram;

/** One histogram per thread (no sharing on the hot path), merged when the run is over. */
final class Histograms {
  private static final long MAX_NANOS = 60_000_000_000L;

  private final List<Histogram> perThread = new ArrayList<>();

  /**
   * A histogram for each of {@code threads} threads.
   *
   * @param threads how many threads record
   */
  Histograms(int threads) {
    for (int i = 0; i < threads; i++) {
      perThread.add(Latency.newHistogram());
    }
  }

  /** The histogram of one thread. */
  Histogram of(int thread) {
    return perThread.get(thread);
  }

  /** Records the time since {@code startNanos} on a thread's histogram; returns now. */
  long since(int thread, long startNanos) {
    long now = System.nanoTime();
    perThread.get(thread).recordValue(Math.min(now - startNanos, MAX_NANOS));
    return now;
  }

  /** All threads' recordings as one latency. */
  Latency merged(String op) {
    Histogram all = Latency.newHistogram();
    for (Histogram h : perThread) {
      all.add(h);
    }
    return new Latency(op, all);
  }
}
