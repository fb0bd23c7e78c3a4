package io.workqueue.bench;

/** The cases of issue 13, in the order of the report. */
public enum BenchCase {
  /** 1. add, fetch and ack (and their batch forms) each alone, one thread. */
  SINGLE(1, "single", "Single thread: add, fetch, ack each alone"),
  /** 2. Producers and workers, each at the concurrency, one task per call. */
  E2E(2, "e2e", "Per-task end-to-end"),
  /** 3. addAll of 100, fetchBatch of 100, ackAll. */
  BATCH(3, "batch", "Batch end-to-end"),
  /** 4. The worker runtime (QueueWorker). */
  WORKER(4, "worker", "Worker runtime (QueueWorker)"),
  /** 5. Raw Cassandra driver and raw Jedis: PERFORMANCE.md's floor. */
  FLOOR(5, "floor", "The floor: raw Cassandra + Redis"),
  /** 6. BullMQ 5.x on a Redis of its own. */
  BULLMQ(6, "bullmq", "The peer: BullMQ"),
  /** 7. Redis memory per queued task, fetch latency in a loaded queue. */
  MEMORY(7, "memory", "Memory and fetch under load"),
  /** 8. JMH: sealing, JSON mapping, the in-memory queue. */
  JMH(8, "jmh", "JMH: in-process costs");

  private final int number;
  private final String id;
  private final String title;

  BenchCase(int number, String id, String title) {
    this.number = number;
    this.id = id;
    this.title = title;
  }

  /**
   * The case's number in the issue.
   *
   * @return 1 to 8
   */
  public int number() {
    return number;
  }

  /**
   * The name used on the command line ({@code --cases}).
   *
   * @return the id
   */
  public String id() {
    return id;
  }

  /**
   * The case's title in the report.
   *
   * @return the title
   */
  public String title() {
    return title;
  }

  /**
   * The case with this number.
   *
   * @param number 1 to 8
   * @return the case
   */
  static BenchCase ofNumber(int number) {
    for (BenchCase c : values()) {
      if (c.number == number) {
        return c;
      }
    }
    throw new IllegalArgumentException("no case " + number);
  }

  /**
   * The case with this id (or number).
   *
   * @param id as in {@link #id()}, or the number
   * @return the case
   */
  static BenchCase parse(String id) {
    String s = id.trim().toLowerCase(java.util.Locale.ROOT);
    for (BenchCase c : values()) {
      if (c.id.equals(s) || Integer.toString(c.number).equals(s)) {
        return c;
      }
    }
    throw new IllegalArgumentException(
        "unknown case '" + id + "'; known: single, e2e, batch, worker, floor, bullmq, memory, jmh");
  }
}
