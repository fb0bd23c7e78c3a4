package io.workqueue.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.workqueue.QueueRef;
import io.workqueue.spi.BookkeeperState;
import io.workqueue.spi.Fetch;
import io.workqueue.spi.FetchBatch;
import io.workqueue.testkit.TestQueues;
import io.workqueue.testservers.RedisServer;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
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

  @Test
  @DisplayName(
      "fetch against an empty queue, plain and with 10,000 delayed tasks and 1,000 open leases:"
          + " p50 and p99 printed")
  void fetchWithDelayedAndLeased() {
    try (RedisServer server = RedisServer.start();
        RedisBookkeeper bk = RedisBookkeeper.connect(server.host(), server.port())) {
      QueueRef plain = TestQueues.fresh("latency");
      bk.initialize(plain, 0, 1, 0);
      long first = bk.allocate(plain, 1, T0);
      assertThat(bk.commit(plain, first, 1)).isTrue();
      assertThat(bk.fetch(plain, "holder", T0, TTR, GRACE)).isInstanceOf(Fetch.Leased.class);

      QueueRef loaded = TestQueues.fresh("latency");
      bk.initialize(loaded, 0, 1, 0);
      Instant later = T0.plus(Duration.ofHours(1));
      for (int added = 0; added < 10_000; added += 1000) {
        long from = bk.allocate(loaded, 1000, T0);
        Map<Long, Instant> due = new HashMap<>();
        for (long i = from; i < from + 1000; i++) {
          due.put(i, later);
        }
        assertThat(bk.commit(loaded, from, 1000, due, T0)).isTrue();
      }
      long from = bk.allocate(loaded, 1000, T0);
      assertThat(bk.commit(loaded, from, 1000)).isTrue();
      // The pointer steps over the delayed indices, at most 1,000 per call, then leases.
      int leased = 0;
      for (int call = 0; call < 30 && leased < 1000; call++) {
        FetchBatch b = bk.fetchBatch(loaded, "holder-" + call, 100, T0, Duration.ofHours(1), GRACE);
        leased += b.leases().size();
      }
      assertThat(leased).isEqualTo(1000);
      BookkeeperState s = bk.state(loaded);
      assertThat(s.delayed()).isEqualTo(10_000);
      assertThat(s.leases()).hasSize(1000);
      assertThat(s.fetched()).isEqualTo(11_000);

      // Alternating calls, so that both see the same warm-up and the same machine load.
      long[] plainNanos = new long[MEASURED];
      long[] loadedNanos = new long[MEASURED];
      for (int i = 0; i < WARMUP + MEASURED; i++) {
        Instant now = T0.plusMillis(i);
        String worker = "worker-" + (i % 16);
        long t0 = System.nanoTime();
        Fetch p = bk.fetch(plain, worker, now, TTR, GRACE);
        long t1 = System.nanoTime();
        Fetch l = bk.fetch(loaded, worker, now, TTR, GRACE);
        long t2 = System.nanoTime();
        assertThat(p).isEqualTo(Fetch.EMPTY);
        assertThat(l).isEqualTo(Fetch.EMPTY);
        if (i >= WARMUP) {
          plainNanos[i - WARMUP] = t1 - t0;
          loadedNanos[i - WARMUP] = t2 - t1;
        }
      }
      System.out.printf(
          "fetch of an empty queue over %d calls: plain p50 %s p99 %s; with 10,000 delayed tasks"
              + " and 1,000 open leases p50 %s p99 %s%n",
          MEASURED,
          micros(plainNanos, 0.50),
          micros(plainNanos, 0.99),
          micros(loadedNanos, 0.50),
          micros(loadedNanos, 0.99));
      assertThat(bk.state(loaded).delayed()).isEqualTo(10_000);
      assertThat(bk.state(loaded).leases()).hasSize(1000);
    }
  }

  private static String micros(long[] nanos, double quantile) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    long v = sorted[(int) Math.min(sorted.length - 1, Math.ceil(quantile * sorted.length) - 1)];
    return String.format("%.0f µs", v / 1000.0);
  }
}
