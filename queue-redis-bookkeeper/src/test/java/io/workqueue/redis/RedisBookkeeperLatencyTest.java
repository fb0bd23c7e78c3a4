package io.workqueue.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.workqueue.QueueRef;
import io.workqueue.spi.Fetch;
import io.workqueue.testkit.TestQueues;
import io.workqueue.testservers.RedisServer;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Single-threaded latency of the fetch and ack scripts against a local redis-server (AOF,
 * appendfsync everysec), one round trip each. Printed for the record; no timed assertions, since
 * shared CI machines vary.
 */
@DisplayName("RedisBookkeeper latency")
class RedisBookkeeperLatencyTest {

  private static final Instant T0 = Instant.ofEpochMilli(1_800_000_000_000L);
  private static final Duration TTR = Duration.ofSeconds(60);
  private static final Duration GRACE = Duration.ofSeconds(5);
  private static final int WARMUP = 3_000;
  private static final int MEASURED = 10_000;

  @Test
  @DisplayName("fetch and ack, one worker, p50 and p99 printed")
  void fetchAndAck() {
    try (RedisServer server = RedisServer.start();
        RedisBookkeeper bk = RedisBookkeeper.connect(server.host(), server.port())) {
      QueueRef q = TestQueues.fresh("latency");
      bk.initialize(q, 0, 1, 0);
      int total = WARMUP + MEASURED;
      for (int added = 0; added < total; added += 1000) {
        long first = bk.allocate(q, 1000, T0);
        assertThat(bk.commit(q, first, 1000)).isTrue();
      }
      long[] fetchNanos = new long[MEASURED];
      long[] ackNanos = new long[MEASURED];
      for (int i = 0; i < total; i++) {
        Instant now = T0.plusMillis(i);
        long t0 = System.nanoTime();
        Fetch f = bk.fetch(q, "worker-1", now, TTR, GRACE);
        long t1 = System.nanoTime();
        long index = ((Fetch.Leased) f).lease().index();
        boolean acked = bk.ack(q, "worker-1", index, Optional.of(now.plusSeconds(30)));
        long t2 = System.nanoTime();
        assertThat(acked).isTrue();
        if (i >= WARMUP) {
          fetchNanos[i - WARMUP] = t1 - t0;
          ackNanos[i - WARMUP] = t2 - t1;
        }
      }
      System.out.printf(
          "single-threaded over %d calls: fetch p50 %s p99 %s, ack (with completion) p50 %s p99"
              + " %s%n",
          MEASURED,
          micros(fetchNanos, 0.50),
          micros(fetchNanos, 0.99),
          micros(ackNanos, 0.50),
          micros(ackNanos, 0.99));
      assertThat(bk.state(q).fetched()).isEqualTo(total);
    }
  }

  private static String micros(long[] nanos, double quantile) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    long v = sorted[(int) Math.min(sorted.length - 1, Math.ceil(quantile * sorted.length) - 1)];
    return String.format("%.0f µs", v / 1000.0);
  }
}
