package io.workqueue.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import io.workqueue.NewTask;
import io.workqueue.QueueRef;
import io.workqueue.WorkQueue;
import io.workqueue.WorkQueues;
import io.workqueue.testkit.TestQueues;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.JedisPooled;

/**
 * Single-threaded latency of add, fetch and ack on the real servers, printed next to the raw floor
 * measured in the same run (PERFORMANCE.md: add = INCR + INSERT, fetch = INCR + SELECT by key, ack
 * = DEL). A measurement, not a timed assertion: the figures go to the README.
 */
class LatencyReportTest {
  private static final int WARMUP = 1_000;
  private static final int OPS = 3_000;

  @Test
  @DisplayName("prints single-threaded p50/p99 of add, fetch and ack beside the raw floor")
  void report() {
    WorkQueue queue =
        WorkQueues.builder()
            .taskStore(RealServers.store())
            .bookkeeper(RealServers.bookkeeper())
            .keyProvider(RealServers.tink())
            .build();
    Map<String, Object> value = Map.of("payload", "x".repeat(100));
    NewTask task = NewTask.of(value);

    run(queue, TestQueues.fresh("warm"), task, WARMUP); // JIT, prepared statements, keyset cache
    Histogram[] q = run(queue, TestQueues.fresh("lat"), task, OPS);

    Histogram[] floor = floor(OPS);

    String report =
        String.format(
            Locale.ROOT,
            "%nsingle thread, %d ops each, 100 B JSON values (ms)%n"
                + "%-6s %8s %8s %10s %10s %8s%n"
                + "%-6s %8.3f %8.3f %10.3f %10.3f %8.2f%n"
                + "%-6s %8.3f %8.3f %10.3f %10.3f %8.2f%n"
                + "%-6s %8.3f %8.3f %10.3f %10.3f %8.2f%n",
            OPS,
            "op",
            "p50",
            "p99",
            "floor p50",
            "floor p99",
            "p50/fl",
            "add",
            ms(q[0], 50),
            ms(q[0], 99),
            ms(floor[0], 50),
            ms(floor[0], 99),
            ms(q[0], 50) / ms(floor[0], 50),
            "fetch",
            ms(q[1], 50),
            ms(q[1], 99),
            ms(floor[1], 50),
            ms(floor[1], 99),
            ms(q[1], 50) / ms(floor[1], 50),
            "ack",
            ms(q[2], 50),
            ms(q[2], 99),
            ms(floor[2], 50),
            ms(floor[2], 99),
            ms(q[2], 50) / ms(floor[2], 50));
    System.out.println(report);
    for (Histogram h : q) {
      assertThat(h.getTotalCount()).isEqualTo(OPS);
    }
  }

  private static double ms(Histogram h, double percentile) {
    return h.getValueAtPercentile(percentile) / 1_000_000.0;
  }

  private static Histogram[] run(WorkQueue queue, QueueRef q, NewTask task, int n) {
    Histogram add = new Histogram(3);
    Histogram fetch = new Histogram(3);
    Histogram ack = new Histogram(3);
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      queue.add(q, task);
      add.recordValue(System.nanoTime() - t0);
    }
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      assertThat(queue.fetch(q, "w", Duration.ofMinutes(1))).isPresent();
      long t1 = System.nanoTime();
      assertThat(queue.ack(q, "w")).isTrue();
      long t2 = System.nanoTime();
      fetch.recordValue(t1 - t0);
      ack.recordValue(t2 - t1);
    }
    return new Histogram[] {add, fetch, ack};
  }

  /** The raw floor on the same servers: what a queue with no logic of its own would cost. */
  private static Histogram[] floor(int n) {
    CqlSession session = RealServers.session();
    session.execute(
        "CREATE TABLE IF NOT EXISTS "
            + RealServers.KEYSPACE
            + ".floor (k text, idx bigint, v blob, PRIMARY KEY (k, idx))");
    PreparedStatement insert =
        session.prepare(
            "INSERT INTO " + RealServers.KEYSPACE + ".floor (k, idx, v) VALUES (?, ?, ?)");
    PreparedStatement select =
        session.prepare("SELECT v FROM " + RealServers.KEYSPACE + ".floor WHERE k = ? AND idx = ?");
    JedisPooled redis = RealServers.redisAdmin();
    String k = "floor-" + System.nanoTime();
    ByteBuffer payload = ByteBuffer.wrap(new byte[160]);
    Histogram add = new Histogram(3);
    Histogram fetch = new Histogram(3);
    Histogram ack = new Histogram(3);
    for (int round = 0; round < 2; round++) { // the first round warms up
      add.reset();
      fetch.reset();
      ack.reset();
      for (int i = 0; i < n; i++) {
        long t0 = System.nanoTime();
        long idx = redis.incr(k + ":alloc");
        session.execute(insert.bind(k, idx, payload));
        add.recordValue(System.nanoTime() - t0);
      }
      for (int i = 0; i < n; i++) {
        long t0 = System.nanoTime();
        long idx = redis.incr(k + ":fetched");
        assertThat(session.execute(select.bind(k, idx)).one()).isNotNull();
        long t1 = System.nanoTime();
        redis.del(k + ":lease:" + idx);
        long t2 = System.nanoTime();
        fetch.recordValue(t1 - t0);
        ack.recordValue(t2 - t1);
      }
      redis.del(k + ":alloc", k + ":fetched");
      session.execute("TRUNCATE " + RealServers.KEYSPACE + ".floor");
    }
    return new Histogram[] {add, fetch, ack};
  }
}
