package io.workqueue.cassandra;

import static org.assertj.core.api.Assertions.assertThat;

import io.workqueue.QueueRef;
import io.workqueue.spi.StoredTask;
import io.workqueue.testkit.TestQueues;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.LongConsumer;
import java.util.stream.LongStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Prints single-threaded latencies against the local node; asserts results, not times. */
@DisplayName("CassandraTaskStore latency (printed, not asserted)")
class CassandraTaskStoreLatencyTest {

  private static final Logger LOG = LoggerFactory.getLogger(CassandraTaskStoreLatencyTest.class);
  private static final int WARMUP = 1000;
  private static final int SAMPLES = 3000;
  private static final int BATCH_WARMUP = 200;
  private static final int BATCH_SAMPLES = 500;

  private static StoredTask task(long index, int size) {
    return new StoredTask(index, new byte[size], Optional.of(new byte[16]), Instant.now());
  }

  private static void measure(String what, int from, LongConsumer op) {
    measure(what, from, WARMUP, SAMPLES, op);
  }

  private static void measure(String what, int from, int warmup, int samples, LongConsumer op) {
    for (int i = 0; i < warmup; i++) {
      op.accept(from + i);
    }
    long[] nanos = new long[samples];
    for (int i = 0; i < samples; i++) {
      long t0 = System.nanoTime();
      op.accept(from + warmup + i);
      nanos[i] = System.nanoTime() - t0;
    }
    Arrays.sort(nanos);
    LOG.info(
        String.format(
            Locale.ROOT,
            "%-32s p50 %7.3f ms  p99 %7.3f ms  max %7.3f ms  (%d samples)",
            what,
            nanos[samples / 2] / 1e6,
            nanos[(int) (samples * 0.99)] / 1e6,
            nanos[samples - 1] / 1e6,
            samples));
  }

  @Test
  @DisplayName("put of 1 task, get, putAll of 100 and getAll of 100, single-threaded")
  void singleThreaded() {
    CassandraTaskStore store = TestCassandra.store();
    QueueRef q = TestQueues.fresh();
    int n = WARMUP + SAMPLES;
    measure("put (1 task, 256 B)", 1, i -> store.put(q, List.of(task(i, 256))));
    measure("get (1 task, 256 B)", 1, i -> assertThat(store.get(q, i)).isPresent());

    QueueRef b = TestQueues.fresh();
    measure(
        "put (100 tasks, 256 B each)",
        0,
        BATCH_WARMUP,
        BATCH_SAMPLES,
        i ->
            store.put(
                b,
                LongStream.range(i * 100 + 1, i * 100 + 101).mapToObj(x -> task(x, 256)).toList()));
    measure(
        "getAll (100 consecutive)",
        0,
        BATCH_WARMUP,
        BATCH_SAMPLES,
        i ->
            assertThat(
                    store.getAll(b, LongStream.range(i * 100 + 1, i * 100 + 101).boxed().toList()))
                .hasSize(100));
    assertThat(store.get(q, n)).isPresent();
  }
}
