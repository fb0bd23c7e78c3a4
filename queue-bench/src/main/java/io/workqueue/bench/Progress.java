package io.workqueue.bench;

import java.util.Locale;

/** The one-line summaries the bench prints while it runs. */
final class Progress {
  private Progress() {}

  /** A row as one line: case, system, shape, concurrency, throughput, p50s, time. */
  static String line(BenchCase c, Row row, double seconds) {
    StringBuilder sb = new StringBuilder();
    sb.append("[case ").append(c.number()).append("] ");
    if (!row.system().isEmpty()) {
      sb.append(row.system()).append(" · ");
    }
    if (!row.shape().isEmpty()) {
      sb.append(row.shape());
    } else {
      sb.append(c.title());
    }
    if (row.status().isPresent()) {
      return sb.append(": ").append(row.status().get()).toString();
    }
    sb.append(
        String.format(
            Locale.ROOT, " · c=%d: %,.0f tasks/s", row.concurrency(), row.tasksPerSecond()));
    for (Latency l : row.latencies()) {
      sb.append(String.format(Locale.ROOT, " · %s p50 %.3f ms", l.op(), l.p50()));
    }
    sb.append(String.format(Locale.ROOT, " (%,d tasks, %.1f s", row.tasks(), seconds));
    if (row.otherCores() >= 0.1) {
      sb.append(String.format(Locale.ROOT, "; other processes used %.1f cores", row.otherCores()));
    }
    sb.append(')');
    return sb.toString();
  }
}
