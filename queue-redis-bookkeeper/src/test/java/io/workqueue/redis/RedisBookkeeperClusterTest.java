package io.workqueue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.workqueue.QueueRef;
import io.workqueue.spi.BookkeeperState;
import io.workqueue.testkit.TestQueues;
import io.workqueue.testservers.RedisServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisCluster;

/**
 * The bookkeeper on Redis Cluster through {@link JedisCluster}: a one-node cluster (all 16384 slots
 * on one redis-server started with {@code cluster-enabled yes}), where Redis itself rejects
 * commands whose keys span slots.
 */
@DisplayName("RedisBookkeeper on Redis Cluster")
class RedisBookkeeperClusterTest {

  @Test
  @DisplayName(
      "answers as the reference through JedisCluster, scheduling steps included, and reloads"
          + " scripts after a flush")
  void cluster() throws IOException {
    // The cluster bus port defaults to the data port + 10000, too high for most free ports.
    int busPort;
    try (ServerSocket s = new ServerSocket(0)) {
      busPort = s.getLocalPort();
    }
    try (RedisServer server =
            RedisServer.start(
                RedisServer.Options.defaults()
                    .extraArgs(
                        "--cluster-enabled", "yes", "--cluster-port", Integer.toString(busPort)));
        Jedis admin = new Jedis(server.host(), server.port())) {
      admin.clusterAddSlotsRange(0, 16383);
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> admin.clusterInfo().contains("cluster_state:ok"));
      try (JedisCluster cluster = new JedisCluster(new HostAndPort(server.host(), server.port()));
          RedisBookkeeper bk = RedisBookkeeper.builder().client(cluster).build()) {
        ReferenceEquivalenceTest.sameAnswers(bk, 42);
        SchedulingEquivalenceTest.sameAnswers(bk, 43);

        QueueRef q = TestQueues.fresh();

        bk.initialize(q, 0, 1, 0);
        Instant t0 = Instant.ofEpochMilli(1_800_000_000_000L);
        long first = bk.allocate(q, 2, t0);
        admin.scriptFlush();
        assertThat(bk.commit(q, first, 2)).isTrue();
        assertThat(bk.state(q)).isEqualTo(new BookkeeperState(2, 2, 0, 0, 1, true, List.of()));
      }
    }
  }
}
