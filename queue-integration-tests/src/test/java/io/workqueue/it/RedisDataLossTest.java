package io.workqueue.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.workqueue.NewTask;
import io.workqueue.QueueRef;
import io.workqueue.Task;
import io.workqueue.WorkQueue;
import io.workqueue.WorkQueues;
import io.workqueue.redis.RedisBookkeeper;
import io.workqueue.testkit.InMemoryKeyProvider;
import io.workqueue.testkit.TestQueues;
import io.workqueue.testservers.RedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.LongStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * Total loss of Redis data (FLUSHALL on a real server): the queue notices on its next call,
 * rebuilds the bookkeeping from Cassandra by itself, redelivers every unfinished task and hands out
 * no index twice as new.
 */
class RedisDataLossTest {
  private static final Duration TTR = Duration.ofMinutes(1);

  @Test
  @DisplayName(
      "after FLUSHALL every unfinished task is delivered again and new indices go on above")
  void flushed() {
    try (RedisServer redis =
            RedisServer.start(RedisServer.Options.defaults().appendfsync("always"));
        RedisBookkeeper bookkeeper = RedisBookkeeper.connect(redis.host(), redis.port());
        Jedis admin = new Jedis(redis.host(), redis.port())) {
      WorkQueue queue =
          WorkQueues.builder()
              .taskStore(RealServers.store())
              .bookkeeper(bookkeeper)
              .keyProvider(new InMemoryKeyProvider())
              .build();
      QueueRef q = TestQueues.fresh("flush");
      List<NewTask> batch = new ArrayList<>();
      for (int i = 0; i < 500; i++) {
        batch.add(NewTask.of(i));
      }
      for (int i = 0; i < 5; i++) {
        queue.addAll(q, batch); // 1..2500
      }
      Set<Long> finished = new TreeSet<>();
      for (int round = 0; round < 21; round++) { // 1..2100 acknowledged
        List<Task> got = queue.fetchBatch(q, "w", 100, TTR);
        got.forEach(t -> finished.add(t.index()));
        queue.ackAll(q, "w", got.stream().map(Task::index).toList());
      }
      List<Task> inFlight = queue.fetchBatch(q, "crashed", 50, TTR); // 2101..2150, never acked
      assertThat(inFlight).hasSize(50);
      long before = queue.info(q).index();

      assertThat(admin.flushAll()).isEqualTo("OK");

      Set<Long> redelivered = new TreeSet<>();
      for (List<Task> got = queue.fetchBatch(q, "r", 200, TTR);
          !got.isEmpty();
          got = queue.fetchBatch(q, "r", 200, TTR)) {
        for (Task t : got) {
          assertThat(t.deliveries())
              .as("index %d is handed out again, not as new", t.index())
              .isEqualTo(2);
          redelivered.add(t.index());
        }
        queue.ackAll(q, "r", got.stream().map(Task::index).toList());
      }
      assertThat(redelivered)
          .as("every unfinished task, the crashed worker's leases included")
          .containsAll(LongStream.rangeClosed(2101, 2500).boxed().toList());
      long duplicates = redelivered.stream().filter(finished::contains).count();
      System.out.printf(
          "Redis FLUSHALL with 2,500 tasks (2,100 acknowledged, 50 leased, 350 waiting): rebuilt"
              + " from Cassandra, %d tasks delivered again (%d of them already acknowledged), lost 0%n",
          redelivered.size(), duplicates);
      long next = queue.add(q, NewTask.of("after"));
      assertThat(next).as("no index handed out before is reused").isGreaterThan(before);
      Task fresh = queue.fetch(q, "r", TTR).orElseThrow();
      assertThat(fresh.index()).isEqualTo(next);
      assertThat(fresh.deliveries()).isEqualTo(1);
    }
  }
}
