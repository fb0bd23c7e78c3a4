package io.workqueue.bench;

import io.workqueue.NewTask;
import io.workqueue.QueueRef;
import io.workqueue.Task;
import io.workqueue.WorkQueue;
import io.workqueue.testkit.InMemoryQueues;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * JMH: the in-memory queue of queue-testkit ({@link InMemoryQueues}), really sealing, one thread:
 * the cost of the core itself with no I/O. A fresh queue per iteration, so rows of earlier
 * iterations do not pile up.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class InMemoryQueueBenchmark {
  private static final Duration TTR = Duration.ofMinutes(10);

  private WorkQueue queue;
  private QueueRef q;

  /** A fresh in-memory queue. */
  @Setup(Level.Iteration)
  public void setUp() {
    queue = InMemoryQueues.create();
    q = QueueRef.of("bench", "jmh");
  }

  /**
   * One add.
   *
   * @return the index
   */
  @Benchmark
  public long add() {
    return queue.add(q, NewTask.of(Payloads.VALUE));
  }

  /**
   * One task through: add, fetch, ack.
   *
   * @return whether the ack held
   */
  @Benchmark
  public boolean addFetchAck() {
    queue.add(q, NewTask.of(Payloads.VALUE));
    queue.fetch(q, "w", TTR).orElseThrow();
    return queue.ack(q, "w");
  }

  /**
   * 100 tasks through the batch path; the score is per task.
   *
   * @return the acknowledged indices
   */
  @Benchmark
  @OperationsPerInvocation(BenchSettings.BATCH)
  public Set<Long> addAllFetchBatchAckAll() {
    queue.addAll(q, Payloads.tasks(BenchSettings.BATCH));
    List<Task> got = queue.fetchBatch(q, "w", BenchSettings.BATCH, TTR);
    List<Long> indices = new ArrayList<>(got.size());
    for (Task t : got) {
      indices.add(t.index());
    }
    return queue.ackAll(q, "w", indices);
  }
}
