package io.workqueue.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.workqueue.QueueRef;
import io.workqueue.WorkQueue;
import io.workqueue.spi.BookkeeperState;
import io.workqueue.testkit.TestQueues;
import io.workqueue.testservers.RedisServer;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * Memory per queue is O(workers + in-flight + pending), never O(backlog): committed tasks that wait
 * to be fetched must cost Redis no bytes per task. Measured as the growth of INFO's {@code
 * used_memory} on a private server, so nothing else runs on it meanwhile.
 */
@DisplayName("RedisBookkeeper memory")
class RedisBookkeeperMemoryTest {

  private static final Instant T0 = Instant.ofEpochMilli(1_800_000_000_000L);
  private static final int TASKS = 100_000;
  private static final int BATCH = WorkQueue.MAX_BATCH;

  @Test
  @DisplayName("100,000 committed but unfetched tasks cost less than 7 bytes of Redis per task")
  void backlogCostsNoBytesPerTask() {
    try (RedisServer server = RedisServer.start();
        RedisBookkeeper bk = RedisBookkeeper.connect(server.host(), server.port());
        Jedis admin = new Jedis(server.host(), server.port())) {
      QueueRef q = TestQueues.fresh("memory");
      bk.initialize(q, 0, 1, 0);
      // Load the scripts and create the queue's counters before the first reading.
      long warm = bk.allocate(q, 1, T0);
      assertThat(bk.commit(q, warm, 1)).isTrue();
      long before = usedMemory(admin);

      for (int added = 0; added < TASKS; added += BATCH) {
        long first = bk.allocate(q, BATCH, T0);
        assertThat(bk.commit(q, first, BATCH)).isTrue();
      }
      long after = usedMemory(admin);
      double perTask = (after - before) / (double) TASKS;
      System.out.printf(
          "Redis used_memory: %d bytes before, %d after %d committed tasks in batches of %d:"
              + " %+.3f bytes per queued task%n",
          before, after, TASKS, BATCH, perTask);
      assertThat(bk.state(q))
          .isEqualTo(new BookkeeperState(TASKS + 1, TASKS + 1, 0, 0, 1, true, List.of()));
      assertThat(perTask).as("bytes per queued task").isLessThan(7.0);

      // The same reading sees per-task memory where there is some: pending (uncommitted) indices.
      long beforePending = usedMemory(admin);
      long first = bk.allocate(q, 10_000, T0);
      double perPending = (usedMemory(admin) - beforePending) / 10_000.0;
      System.out.printf("an allocated, uncommitted index costs %.1f bytes%n", perPending);
      assertThat(perPending).as("the measurement sees pending indices").isGreaterThan(7.0);
      assertThat(bk.commit(q, first, 10_000)).isTrue();
    }
  }

  private static long usedMemory(Jedis admin) {
    for (String line : admin.info("memory").split("\r?\n")) {
      if (line.startsWith("used_memory:")) {
        return Long.parseLong(line.substring("used_memory:".length()).trim());
      }
    }
    throw new IllegalStateException("INFO memory has no used_memory");
  }
}
