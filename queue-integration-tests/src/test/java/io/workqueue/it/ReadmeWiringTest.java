package io.workqueue.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.CqlSession;
import io.workqueue.Completion;
import io.workqueue.NewTask;
import io.workqueue.QueueRef;
import io.workqueue.WorkQueue;
import io.workqueue.WorkQueues;
import io.workqueue.cassandra.CassandraTaskStore;
import io.workqueue.crypto.CassandraKeysetStore;
import io.workqueue.crypto.MasterKey;
import io.workqueue.crypto.TinkKeyProvider;
import io.workqueue.redis.RedisBookkeeper;
import io.workqueue.testkit.TestQueues;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.JedisPooled;

/** The README's wiring on your own Cassandra and Redis, compiled and run on the test servers. */
class ReadmeWiringTest {

  @Test
  @DisplayName("the README's real-backend wiring works as printed")
  void wiring() {
    CqlSession cqlSession = RealServers.session();
    JedisPooled jedisPooled = RealServers.redisAdmin();
    MasterKey masterKey = MasterKey.generateEphemeral(); // the README uses a KMS here
    List<Completion> finished = new CopyOnWriteArrayList<>();

    // --- README wiring start
    CassandraTaskStore store =
        CassandraTaskStore.builder()
            .session(cqlSession)
            .keyspace("workqueue")
            .consistency(ConsistencyLevel.LOCAL_QUORUM)
            .build();
    store.createSchema();

    RedisBookkeeper bookkeeper = RedisBookkeeper.of(jedisPooled);

    TinkKeyProvider keys =
        TinkKeyProvider.builder()
            .masterKey(masterKey)
            .keysetStore(
                CassandraKeysetStore.builder().session(cqlSession).keyspace("workqueue").build())
            .build();

    WorkQueue queue =
        WorkQueues.builder()
            .taskStore(store)
            .bookkeeper(bookkeeper)
            .keyProvider(keys)
            .completionListener(finished::add)
            .build();
    // --- README wiring end

    QueueRef q = TestQueues.fresh();
    long index = queue.add(q, NewTask.of("hello"));
    assertThat(queue.fetch(q, "w").orElseThrow().index()).isEqualTo(index);
    assertThat(queue.ack(q, "w")).isTrue();
    assertThat(finished).extracting(Completion::index).containsExactly(index);
  }
}
