package io.workqueue.bench;

import java.util.List;
import java.util.Optional;

/**
 * One measured (or not measured) line of the report.
 *
 * @param caseNumber the case of the issue, 1 to 8
 * @param system {@value #WORKQUEUE}, {@value #FLOOR} or {@value #BULLMQ}
 * @param shape what was run, e.g. {@code add→fetch→ack loop per thread}
 * @param concurrency threads (or BullMQ concurrency); 0 where not applicable
 * @param tasks how many tasks went through
 * @param seconds how long that took
 * @param latencies the timed calls
 * @param note anything a reader needs to read the line right (may be empty)
 * @param status empty when measured, else why not (e.g. {@code not available: ...})
 * @param otherCores the cores that processes other than the bench's own kept busy on average during
 *     the measurement (someone else's build on a shared machine), NaN when unknown
 */
public record Row(
    int caseNumber,
    String system,
    String shape,
    int concurrency,
    long tasks,
    double seconds,
    List<Latency> latencies,
    String note,
    Optional<String> status,
    double otherCores) {

  /** The queue under test. */
  public static final String WORKQUEUE = "WorkQueue";

  /** Raw Cassandra driver and raw Jedis, no queue logic (PERFORMANCE.md). */
  public static final String FLOOR = "floor";

  /** BullMQ 5.x on its own Redis with the same persistence. */
  public static final String BULLMQ = "BullMQ";

  /** Copies the latency list. */
  public Row {
    latencies = List.copyOf(latencies);
  }

  /**
   * A measured line.
   *
   * @return the row
   */
  static Row measured(
      int caseNumber,
      String system,
      String shape,
      int concurrency,
      long tasks,
      double seconds,
      List<Latency> latencies,
      String note) {
    return new Row(
        caseNumber,
        system,
        shape,
        concurrency,
        tasks,
        seconds,
        latencies,
        note,
        Optional.empty(),
        Double.NaN);
  }

  /**
   * A line that could not be measured, with the reason.
   *
   * @return the row
   */
  static Row unavailable(int caseNumber, String system, String shape, String status) {
    return new Row(
        caseNumber, system, shape, 0, 0, 0, List.of(), "", Optional.of(status), Double.NaN);
  }

  /**
   * The same row with the CPU other processes used meanwhile.
   *
   * @param cores average cores busy with other processes
   * @return the row
   */
  Row withOtherCores(double cores) {
    return new Row(
        caseNumber, system, shape, concurrency, tasks, seconds, latencies, note, status, cores);
  }

  /**
   * Tasks per second, or NaN when not measured.
   *
   * @return the throughput
   */
  public double tasksPerSecond() {
    return status.isPresent() || seconds <= 0 ? Double.NaN : tasks / seconds;
  }

  /**
   * The latency of one op.
   *
   * @param op the op's name
   * @return its latency, if timed
   */
  public Optional<Latency> latency(String op) {
    return latencies.stream().filter(l -> l.op().equals(op)).findFirst();
  }
}
