package io.workqueue.bench;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * What one bench run does: the cases, the counts and the concurrencies. Immutable.
 *
 * @param cases the cases to run
 * @param concurrencies thread counts for the end-to-end cases and the floor
 * @param bullmqConcurrencies worker concurrencies of the drains (BullMQ and the queue alike)
 * @param singleOps calls of each kind in the single-thread case (batch calls: a hundredth)
 * @param tasks tasks per measurement of the per-task end-to-end case (producers while workers)
 * @param floorTasks tasks per measurement of the per-task floor and of the queue in the floor's
 *     loop shape
 * @param batchTasks tasks per measurement of the batch end-to-end case and the batch floor
 * @param warmupTasks per-task warm-up tasks before the first case (batch warm-up: ten times as
 *     many), on the queue and on the floor
 * @param peerTasks jobs of BullMQ's awaited add and of every drain, on both sides
 * @param peerBulkTasks jobs of BullMQ's addBulk
 * @param memoryTasks queued tasks for the Redis memory figures; they stay as the waiting tasks of
 *     the loaded queue of the fetch-latency probe
 * @param leasedTasks leased tasks in the loaded queue of the fetch-latency probe, which also holds
 *     ten times as many delayed tasks
 * @param probeFetches fetches timed in the empty and in the loaded queue
 * @param workerTasks tasks the worker runtime (case 4) drains from a prefilled queue
 * @param idleSamples tasks added one at a time to an idle worker (case 4) whose add → handler start
 *     is recorded (a fifth as many more before, not recorded, at most 50)
 * @param jmh the JMH settings
 * @param outputDir where the report and the charts go
 * @param workDir where npm installs BullMQ (a {@code bullmq} folder under it)
 */
public record BenchSettings(
    Set<BenchCase> cases,
    List<Integer> concurrencies,
    List<Integer> bullmqConcurrencies,
    int singleOps,
    int tasks,
    int floorTasks,
    int batchTasks,
    int warmupTasks,
    int peerTasks,
    int peerBulkTasks,
    int memoryTasks,
    int leasedTasks,
    int probeFetches,
    int workerTasks,
    int idleSamples,
    JmhSettings jmh,
    Path outputDir,
    Path workDir) {

  /** The size of every batch: {@value}. */
  public static final int BATCH = 100;

  /** The concurrency PERFORMANCE.md's throughput targets are judged at. */
  public static final int TARGET_CONCURRENCY = 16;

  /** Copies the collections. */
  public BenchSettings {
    cases = cases.isEmpty() ? EnumSet.noneOf(BenchCase.class) : EnumSet.copyOf(cases);
    concurrencies = List.copyOf(concurrencies);
    bullmqConcurrencies = List.copyOf(bullmqConcurrencies);
  }

  /**
   * The worker runtime's concurrency, which is also the concurrency its ratio to BullMQ's drain is
   * taken at: {@value #TARGET_CONCURRENCY} when the drains run at it (the default), else the
   * highest drain concurrency.
   *
   * @return the concurrency
   */
  public int workerConcurrency() {
    return bullmqConcurrencies.contains(TARGET_CONCURRENCY) || bullmqConcurrencies.isEmpty()
        ? TARGET_CONCURRENCY
        : bullmqConcurrencies.stream().mapToInt(i -> i).max().getAsInt();
  }

  /**
   * The idle worker's warm-up: tasks added and handled before the recorded ones.
   *
   * @return a fifth of {@link #idleSamples()}, 1 to 50
   */
  public int idleWarmup() {
    return Math.max(1, Math.min(50, idleSamples / 5));
  }

  /**
   * The JMH part's settings; kept short on purpose.
   *
   * @param forks forked JVMs per benchmark; 0 runs in this JVM
   * @param warmupIterations warm-up iterations
   * @param iterations measured iterations
   * @param iterationMillis length of each iteration
   */
  public record JmhSettings(int forks, int warmupIterations, int iterations, int iterationMillis) {}
}
