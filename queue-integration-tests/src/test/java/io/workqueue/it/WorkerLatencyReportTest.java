package io.workqueue.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.workqueue.NewTask;
import io.workqueue.QueueRef;
import io.workqueue.QueueWorker;
import io.workqueue.WorkQueue;
import io.workqueue.WorkQueues;
import io.workqueue.spi.Bookkeeper;
import io.workqueue.spi.KeyProvider;
import io.workqueue.spi.TaskStore;
import io.workqueue.testkit.InMemoryBookkeeper;
import io.workqueue.testkit.InMemoryKeyProvider;
import io.workqueue.testkit.InMemoryTaskStore;
import io.workqueue.testkit.TestQueues;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Add-to-handler-start latency with an idle {@link QueueWorker}: a producer node adds one task at a
 * time and the worker (another node, idle, waiting for the work signal, with a 2 s poll interval as
 * its only fallback) starts the handler. Printed as p50/p99, in memory and on the real servers. A
 * measurement, not a timed assertion (the target is a p50 under 5 ms).
 */
class WorkerLatencyReportTest {

  @Test
  @DisplayName("prints add-to-handler-start p50/p99 of an idle worker, in memory")
  void inMemory() throws Exception {
    InMemoryTaskStore store = new InMemoryTaskStore();
    InMemoryBookkeeper bookkeeper = new InMemoryBookkeeper();
    InMemoryKeyProvider keys = new InMemoryKeyProvider();
    report("in memory", store, bookkeeper, keys, 300, 2_000);
  }

  @Test
  @DisplayName("prints add-to-handler-start p50/p99 of an idle worker, on Cassandra + Redis")
  void realServers() throws Exception {
    report(
        "Cassandra + Redis + Tink",
        RealServers.store(),
        RealServers.bookkeeper(),
        RealServers.tink(),
        200,
        1_000);
  }

  private static void report(
      String label,
      TaskStore store,
      Bookkeeper bookkeeper,
      KeyProvider keys,
      int warmup,
      int samples)
      throws Exception {
    WorkQueue producer = node(store, bookkeeper, keys);
    WorkQueue workerNode = node(store, bookkeeper, keys);
    QueueRef q = TestQueues.fresh("latency");
    BlockingQueue<Long> starts = new LinkedBlockingQueue<>();
    QueueWorker worker =
        QueueWorker.builder(workerNode)
            .queue(q)
            .workerId("latency")
            .handler(
                t -> {
                  starts.add(System.nanoTime());
                  return null;
                })
            .pollInterval(QueueWorker.DEFAULT_POLL_INTERVAL)
            .runSchedules(false)
            .build()
            .start();
    Histogram addToStart = new Histogram(3);
    Histogram returnToStart = new Histogram(3);
    Histogram add = new Histogram(3);
    NewTask task = NewTask.of(Map.of("payload", "x".repeat(100)));
    try {
      for (int i = 0; i < warmup + samples; i++) {
        long t0 = System.nanoTime();
        producer.add(q, task);
        long t1 = System.nanoTime();
        Long started = starts.poll(30, TimeUnit.SECONDS);
        assertThat(started).as("handler start of task %d", i).isNotNull();
        if (i >= warmup) {
          add.recordValue(t1 - t0);
          addToStart.recordValue(Math.max(0, started - t0));
          returnToStart.recordValue(Math.max(0, started - t1));
        }
        // let the slot acknowledge and go back to waiting for a signal: idle again
        long handled = i + 1;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (worker.stats().handled() < handled && System.nanoTime() < deadline) {
          LockSupport.parkNanos(100_000);
        }
        LockSupport.parkNanos(1_000_000);
      }
    } finally {
      worker.close(Duration.ofSeconds(5));
      producer.close();
      workerNode.close();
    }
    System.out.printf(
        Locale.ROOT,
        "%nidle worker, %s, %d samples (ms)%n"
            + "%-26s %8s %8s%n"
            + "%-26s %8.3f %8.3f%n"
            + "%-26s %8.3f %8.3f%n"
            + "%-26s %8.3f %8.3f%n",
        label,
        samples,
        "",
        "p50",
        "p99",
        "add call",
        ms(add, 50),
        ms(add, 99),
        "add start -> handler start",
        ms(addToStart, 50),
        ms(addToStart, 99),
        "add return -> handler start",
        ms(returnToStart, 50),
        ms(returnToStart, 99));
    assertThat(addToStart.getTotalCount()).isEqualTo(samples);
    assertThat(worker.stats().succeeded()).isEqualTo(warmup + samples);
  }

  private static WorkQueue node(TaskStore store, Bookkeeper bookkeeper, KeyProvider keys) {
    return WorkQueues.builder().taskStore(store).bookkeeper(bookkeeper).keyProvider(keys).build();
  }

  private static double ms(Histogram h, double percentile) {
    return h.getValueAtPercentile(percentile) / 1_000_000.0;
  }
}
