package io.workqueue.bench;

import org.HdrHistogram.Histogram;

/**
 * The latency of one kind of call in a measurement, in nanoseconds, held in an HdrHistogram.
 *
 * @param op what was timed, e.g. {@code add} or {@code fetchBatch 100}
 * @param histogram the recorded latencies in nanoseconds
 */
public record Latency(String op, Histogram histogram) {

  /** A fresh histogram for call latencies: 1 µs to 1 min, 3 significant digits. */
  static Histogram newHistogram() {
    return new Histogram(1_000L, 60_000_000_000L, 3);
  }

  /**
   * How many calls were timed.
   *
   * @return the count
   */
  public long count() {
    return histogram.getTotalCount();
  }

  /**
   * A percentile in milliseconds.
   *
   * @param percentile 0 to 100
   * @return the value in ms, NaN when nothing was recorded
   */
  public double millis(double percentile) {
    if (histogram.getTotalCount() == 0) {
      return Double.NaN;
    }
    return histogram.getValueAtPercentile(percentile) / 1_000_000.0;
  }

  /**
   * The median in ms.
   *
   * @return p50 in ms
   */
  public double p50() {
    return millis(50);
  }

  /**
   * The 99th percentile in ms.
   *
   * @return p99 in ms
   */
  public double p99() {
    return millis(99);
  }

  /**
   * The 99.9th percentile in ms.
   *
   * @return p99.9 in ms
   */
  public double p999() {
    return millis(99.9);
  }
}
