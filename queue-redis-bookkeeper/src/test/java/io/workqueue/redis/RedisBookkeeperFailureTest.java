package io.workqueue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.workqueue.BackendUnavailableException;
import io.workqueue.Lease;
import io.workqueue.QueueRef;
import io.workqueue.spi.BookkeeperState;
import io.workqueue.spi.Fetch;
import io.workqueue.spi.PendingCompletion;
import io.workqueue.testkit.TestQueues;
import io.workqueue.testservers.RedisServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.args.ClientPauseMode;
import redis.clients.jedis.exceptions.JedisException;

/** Redis down, killed, slow or full: typed failures that name Redis, and nothing half-done. */
@DisplayName("RedisBookkeeper when Redis fails")
class RedisBookkeeperFailureTest {

  private static final Instant T0 = Instant.ofEpochMilli(1_800_000_000_000L);
  private static final Duration TTR = Duration.ofSeconds(10);
  private static final Duration GRACE = Duration.ofSeconds(5);

  private static Consumer<BackendUnavailableException> namesRedis(String hostPort) {
    return e -> {
      assertThat(e.backend()).isEqualTo("redis");
      assertThat(e.getMessage()).startsWith("redis: ").contains(hostPort);
      assertThat(e.getCause()).isInstanceOf(JedisException.class);
    };
  }

  private static void assertUnavailable(ThrowingCallable call, String hostPort, String... words) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(BackendUnavailableException.class, namesRedis(hostPort))
        .hasMessageContainingAll(words.length == 0 ? new String[] {"redis"} : words);
  }

  @Test
  @DisplayName(
      "no Redis listening: every method throws BackendUnavailableException naming host:port")
  void down() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String where = "127.0.0.1:" + port;
    QueueRef q = TestQueues.fresh();
    try (RedisBookkeeper bk = RedisBookkeeper.connect("127.0.0.1", port)) {
      String check = "check that redis-server is running";
      assertUnavailable(() -> bk.allocate(q, 1, T0), where, "allocate on queue " + q, check);
      assertUnavailable(() -> bk.commit(q, 1, 1), where, "commit", check);
      assertUnavailable(() -> bk.fetch(q, "w", T0, TTR, GRACE), where, "fetch", check);
      assertUnavailable(() -> bk.resolveHole(q, 1, false, T0), where, "resolve_hole");
      assertUnavailable(() -> bk.lease(q, "w"), where, "lease");
      assertUnavailable(() -> bk.ack(q, "w", 1, Optional.of(T0)), where, "ack");
      assertUnavailable(() -> bk.claimCompletions(q, T0, TTR, 5), where, "claim_completions");
      assertUnavailable(
          () -> bk.completionDelivered(q, new PendingCompletion(1, "w")),
          where,
          "completionDelivered");
      assertUnavailable(() -> bk.state(q), where, "state");
      assertUnavailable(() -> bk.rewind(q, 0), where, "rewind");
    }
  }

  @Test
  @DisplayName("a given client's failures name the endpoint set on the builder")
  void endpointOfGivenClient() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    try (redis.clients.jedis.JedisPooled client =
            new redis.clients.jedis.JedisPooled("127.0.0.1", port);
        RedisBookkeeper bk =
            RedisBookkeeper.builder().client(client).endpoint("cache-7.internal:6380").build()) {
      assertUnavailable(() -> bk.state(TestQueues.fresh()), "cache-7.internal:6380", "reach");
    }
  }

  @Test
  @DisplayName(
      "kill -9 of Redis with appendfsync always: calls fail meanwhile, and after the"
          + " restart every acknowledged step is there and the scripts are loaded again")
  void killAndRestart() {
    try (RedisServer server =
            RedisServer.start(RedisServer.Options.defaults().appendfsync("always"));
        RedisBookkeeper bk = RedisBookkeeper.connect(server.host(), server.port())) {
      QueueRef q = TestQueues.fresh();
      bk.initialize(q, 0, 1, 0);
      long first = bk.allocate(q, 5, T0);
      assertThat(bk.commit(q, first, 5)).isTrue();
      Lease one = ((Fetch.Leased) bk.fetch(q, "w1", T0, TTR, GRACE)).lease();
      assertThat(bk.ack(q, "w1", one.index(), Optional.of(T0))).isTrue();
      Lease two = ((Fetch.Leased) bk.fetch(q, "w2", T0, TTR, GRACE)).lease();
      long pending = bk.allocate(q, 1, T0);
      BookkeeperState before = bk.state(q);

      server.kill9();
      String where = server.host() + ":" + server.port();
      assertUnavailable(() -> bk.fetch(q, "w3", T0, TTR, GRACE), where);
      assertUnavailable(() -> bk.state(q), where, "could not reach");

      server.restart();
      assertThat(bk.state(q)).isEqualTo(before);
      assertThat(bk.fetch(q, "w2", T0.plusSeconds(1), TTR, GRACE))
          .isEqualTo(new Fetch.Leased(two, false));
      assertThat(bk.claimCompletions(q, T0, TTR, 5))
          .containsExactly(new PendingCompletion(one.index(), "w1"));
      assertThat(bk.fetch(q, "w3", T0.plus(GRACE), TTR, GRACE)).isInstanceOf(Fetch.Leased.class);
      assertThat(bk.fetch(q, "w4", T0.plus(GRACE), TTR, GRACE)).isInstanceOf(Fetch.Leased.class);
      assertThat(bk.fetch(q, "w5", T0.plus(GRACE), TTR, GRACE)).isInstanceOf(Fetch.Leased.class);
      assertThat(bk.fetch(q, "w6", T0.plus(GRACE), TTR, GRACE)).isEqualTo(new Fetch.Hole(pending));
    }
  }

  @Test
  @DisplayName(
      "after a restart without calls in between, at most one call fails on a stale"
          + " connection, and the next ones succeed")
  void staleConnections() {
    try (RedisServer server = RedisServer.start();
        RedisBookkeeper bk = RedisBookkeeper.connect(server.host(), server.port())) {
      QueueRef q = TestQueues.fresh();
      bk.initialize(q, 0, 1, 0);
      // open several pooled connections
      List<Thread> threads =
          java.util.stream.IntStream.range(0, 4)
              .mapToObj(i -> new Thread(() -> bk.allocate(q, 1, T0)))
              .toList();
      threads.forEach(Thread::start);
      for (Thread t : threads) {
        try {
          t.join();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      server.kill9();
      server.restart();
      int failures = 0;
      for (int i = 0; i < 5; i++) {
        try {
          bk.state(q);
        } catch (BackendUnavailableException e) {
          failures++;
        }
      }
      assertThat(failures).isLessThanOrEqualTo(1);
      assertThat(bk.state(q).allocated()).isEqualTo(4);
    }
  }

  @Test
  @DisplayName(
      "a Redis that does not answer in time: the failure says so, and the step ran"
          + " entirely or not at all")
  void timeout() {
    try (RedisServer server = RedisServer.start();
        RedisBookkeeper bk =
            RedisBookkeeper.builder()
                .connect(server.host(), server.port())
                .clientConfig(
                    DefaultJedisClientConfig.builder()
                        .connectionTimeoutMillis(300)
                        .socketTimeoutMillis(300)
                        .build())
                .build();
        Jedis admin = new Jedis(server.host(), server.port())) {
      QueueRef q = TestQueues.fresh();
      bk.initialize(q, 0, 1, 0);
      assertThat(bk.allocate(q, 2, T0)).isEqualTo(1);
      admin.clientPause(1500, ClientPauseMode.ALL);
      assertUnavailable(
          () -> bk.allocate(q, 3, T0),
          server.host() + ":" + server.port(),
          "did not answer in time",
          "socket timeout");
      await()
          .atMost(Duration.ofSeconds(10))
          .ignoreExceptionsInstanceOf(BackendUnavailableException.class)
          .until(() -> bk.state(q) != null);
      BookkeeperState s = bk.state(q);
      assertThat(s.allocated()).isIn(2L, 5L);
      assertThat(s.committed()).isZero();
      assertThat(bk.commit(q, 1, (int) s.allocated())).isTrue();
      assertThat(bk.state(q).committed()).isEqualTo(s.allocated());
    }
  }

  @Test
  @DisplayName("a Redis out of memory refuses the write: typed failure, nothing changed")
  void outOfMemory() {
    try (RedisServer server = RedisServer.start();
        RedisBookkeeper bk = RedisBookkeeper.connect(server.host(), server.port());
        Jedis admin = new Jedis(server.host(), server.port())) {
      QueueRef q = TestQueues.fresh();
      bk.initialize(q, 0, 1, 0);
      long first = bk.allocate(q, 3, T0);
      assertThat(bk.commit(q, first, 3)).isTrue();
      Lease lease = ((Fetch.Leased) bk.fetch(q, "w1", T0, TTR, GRACE)).lease();
      BookkeeperState before = bk.state(q);
      Map<String, String> keysBefore = SharedRedisKeys.dump(admin, q);

      admin.configSet("maxmemory", "1");
      try {
        String where = server.host() + ":" + server.port();
        assertUnavailable(() -> bk.allocate(q, 1, T0), where, "out of memory", "maxmemory");
        assertUnavailable(() -> bk.fetch(q, "w2", T0, TTR, GRACE), where, "out of memory");
        // reading still works, and shows nothing changed
        assertThat(bk.state(q)).isEqualTo(before);
        assertThat(bk.lease(q, "w1")).contains(lease);
      } finally {
        admin.configSet("maxmemory", "0");
      }
      assertThat(SharedRedisKeys.dump(admin, q)).isEqualTo(keysBefore);
      assertThat(bk.ack(q, "w1", lease.index(), Optional.empty())).isTrue();
    }
  }

  /** Dumps a queue's keys as text, to compare before and after. */
  static final class SharedRedisKeys {
    static Map<String, String> dump(Jedis admin, QueueRef q) {
      Map<String, String> out = new java.util.TreeMap<>();
      for (String key : QueueKeys.of("wq", q).all()) {
        String type = admin.type(key);
        switch (type) {
          case "hash" -> out.put(key, new java.util.TreeMap<>(admin.hgetAll(key)).toString());
          case "zset" -> out.put(key, admin.zrangeWithScores(key, 0, -1).toString());
          case "none" -> {}
          default -> out.put(key, type);
        }
      }
      return out;
    }
  }
}
