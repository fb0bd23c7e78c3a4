package io.workqueue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.workqueue.InvalidArgumentException;
import io.workqueue.QueueException;
import io.workqueue.QueueRef;
import io.workqueue.testkit.TestQueues;
import io.workqueue.testservers.RedisServer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.UnifiedJedis;

/** RedisSignals on a real redis-server, with messages PUBLISHed by hand. */
@DisplayName("RedisSignals")
class RedisSignalsTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private RedisSignals signals;

  @BeforeEach
  void create() {
    signals = new RedisSignals(SharedRedis.admin(), "wq-sig");
  }

  @AfterEach
  void close() {
    signals.close();
  }

  /** How many connections subscribe to a channel, asked of the server. */
  static long subscribers(UnifiedJedis client, String channel) {
    @SuppressWarnings("unchecked")
    List<Object> reply =
        (List<Object>) client.sendCommand(Protocol.Command.PUBSUB, "NUMSUB", channel);
    return (Long) reply.get(1);
  }

  private static void awaitSubscribers(UnifiedJedis client, String channel, long n) {
    await().atMost(WAIT).ignoreExceptions().until(() -> subscribers(client, channel) == n);
  }

  @Nested
  @DisplayName("delivers")
  class Delivers {
    @Test
    @DisplayName("a message on <prefix>:{owner/service}:work to the queue's work listeners")
    void work() {
      QueueRef q = TestQueues.fresh();
      AtomicInteger calls = new AtomicInteger();
      signals.onWork(q, calls::incrementAndGet);
      String channel = "wq-sig:{" + q.owner() + "/" + q.service() + "}:work";
      assertThat(signals.workChannel(q)).isEqualTo(channel);
      awaitSubscribers(SharedRedis.admin(), channel, 1);

      SharedRedis.admin().publish(channel, "1");
      await().atMost(WAIT).until(() -> calls.get() == 1);
      SharedRedis.admin().publish(channel, "1");
      await().atMost(WAIT).until(() -> calls.get() == 2);
    }

    @Test
    @DisplayName("each index of a comma-separated message on :done, skipping parts that are not")
    void done() {
      QueueRef q = TestQueues.fresh();
      List<Long> seen = new CopyOnWriteArrayList<>();
      signals.onCompletion(q, seen::add);
      String channel = "wq-sig:{" + q.owner() + "/" + q.service() + "}:done";
      assertThat(signals.doneChannel(q)).isEqualTo(channel);
      awaitSubscribers(SharedRedis.admin(), channel, 1);

      SharedRedis.admin().publish(channel, "5,6,1000000000000007");
      SharedRedis.admin().publish(channel, "x,8,-1,,0");
      SharedRedis.admin().publish(channel, "9");
      await().atMost(WAIT).until(() -> seen.size() == 5);
      assertThat(seen).containsExactly(5L, 6L, 1_000_000_000_000_007L, 8L, 9L);
    }

    @Test
    @DisplayName("nothing across queues, and nothing of :done to work listeners")
    void isolated() {
      QueueRef a = TestQueues.fresh();
      QueueRef b = TestQueues.fresh();
      AtomicInteger workA = new AtomicInteger();
      AtomicInteger workB = new AtomicInteger();
      List<Long> doneA = new CopyOnWriteArrayList<>();
      signals.onWork(a, workA::incrementAndGet);
      signals.onWork(b, workB::incrementAndGet);
      signals.onCompletion(a, doneA::add);
      awaitSubscribers(SharedRedis.admin(), signals.workChannel(a), 1);
      awaitSubscribers(SharedRedis.admin(), signals.workChannel(b), 1);
      awaitSubscribers(SharedRedis.admin(), signals.doneChannel(a), 1);

      SharedRedis.admin().publish(signals.doneChannel(b), "3");
      SharedRedis.admin().publish(signals.doneChannel(a), "4");
      SharedRedis.admin().publish(signals.workChannel(b), "1");
      await().atMost(WAIT).until(() -> workB.get() == 1 && doneA.size() == 1);
      assertThat(workA.get()).isZero();
      assertThat(doneA).containsExactly(4L);
    }

    @Test
    @DisplayName("to the other listeners when one throws")
    void throwingListener() {
      QueueRef q = TestQueues.fresh();
      AtomicInteger calls = new AtomicInteger();
      signals.onWork(
          q,
          () -> {
            throw new IllegalStateException("listener bug");
          });
      signals.onWork(q, calls::incrementAndGet);
      List<Long> seen = new CopyOnWriteArrayList<>();
      signals.onCompletion(
          q,
          i -> {
            throw new IllegalStateException("listener bug");
          });
      signals.onCompletion(q, seen::add);
      awaitSubscribers(SharedRedis.admin(), signals.workChannel(q), 1);
      awaitSubscribers(SharedRedis.admin(), signals.doneChannel(q), 1);

      SharedRedis.admin().publish(signals.workChannel(q), "1");
      SharedRedis.admin().publish(signals.doneChannel(q), "1,2");
      await().atMost(WAIT).until(() -> calls.get() == 1 && seen.size() == 2);
    }
  }

  @Nested
  @DisplayName("subscriptions")
  class Subscriptions {
    @Test
    @DisplayName("share one connection; a channel is unsubscribed when its last listener leaves")
    void addAndRemove() throws Exception {
      QueueRef q = TestQueues.fresh();
      AtomicInteger first = new AtomicInteger();
      AtomicInteger second = new AtomicInteger();
      AutoCloseable s1 = signals.onWork(q, first::incrementAndGet);
      AutoCloseable s2 = signals.onWork(q, second::incrementAndGet);
      String channel = signals.workChannel(q);
      awaitSubscribers(SharedRedis.admin(), channel, 1);

      s1.close();
      s1.close(); // idempotent
      SharedRedis.admin().publish(channel, "1");
      await().atMost(WAIT).until(() -> second.get() == 1);
      assertThat(first.get()).isZero();
      assertThat(subscribers(SharedRedis.admin(), channel)).isEqualTo(1);

      s2.close();
      awaitSubscribers(SharedRedis.admin(), channel, 0);
      assertThat(signals.channels()).isEmpty();

      AtomicInteger third = new AtomicInteger();
      signals.onWork(q, third::incrementAndGet);
      awaitSubscribers(SharedRedis.admin(), channel, 1);
      SharedRedis.admin().publish(channel, "1");
      await().atMost(WAIT).until(() -> third.get() == 1);
      assertThat(second.get()).isEqualTo(1);
      assertThat(signals.connections()).isEqualTo(1);
    }

    @Test
    @DisplayName("close ends them all, stops the connection, refuses new ones; twice is fine")
    void close() {
      QueueRef q = TestQueues.fresh();
      signals.onWork(q, () -> {});
      signals.onCompletion(q, i -> {});
      awaitSubscribers(SharedRedis.admin(), signals.workChannel(q), 1);
      awaitSubscribers(SharedRedis.admin(), signals.doneChannel(q), 1);

      signals.close();
      awaitSubscribers(SharedRedis.admin(), signals.workChannel(q), 0);
      awaitSubscribers(SharedRedis.admin(), signals.doneChannel(q), 0);
      signals.close();
      assertThatThrownBy(() -> signals.onWork(q, () -> {}))
          .isInstanceOf(QueueException.class)
          .hasMessageContaining("closed");
      assertThat(signals.subscriberAlive()).isFalse();
    }

    @Test
    @DisplayName("close gives the connection back to the client's pool out of subscriber mode")
    void connectionReturnedClean() {
      ConnectionPoolConfig one = new ConnectionPoolConfig();
      one.setMaxTotal(1);
      one.setMaxWait(WAIT);
      try (JedisPooled client =
          new JedisPooled(
              one,
              new HostAndPort(SharedRedis.server().host(), SharedRedis.server().port()),
              DefaultJedisClientConfig.builder().build())) {
        RedisSignals own = new RedisSignals(client, "wq-sig");
        QueueRef q = TestQueues.fresh();
        own.onWork(q, () -> {});
        own.onCompletion(q, i -> {});
        awaitSubscribers(SharedRedis.admin(), own.doneChannel(q), 1);
        own.close();
        assertThat(client.ping()).isEqualTo("PONG"); // the pool's only connection
        assertThat(client.set("wq-sig-clean-" + q.owner(), "1")).isEqualTo("OK");
        assertThat(client.del("wq-sig-clean-" + q.owner())).isEqualTo(1);
      }
    }
  }

  @Nested
  @DisplayName("after a dropped connection")
  class Reconnect {
    @Test
    @DisplayName("reconnects, subscribes again, and wakes every work listener once")
    void killedConnection() {
      try (RedisServer redis = RedisServer.start();
          JedisPooled client = new JedisPooled(new HostAndPort(redis.host(), redis.port()));
          RedisSignals own = new RedisSignals(client, "wq")) {
        QueueRef q = TestQueues.fresh();
        AtomicInteger work = new AtomicInteger();
        List<Long> done = new CopyOnWriteArrayList<>();
        own.onWork(q, work::incrementAndGet);
        own.onCompletion(q, done::add);
        awaitSubscribers(client, own.workChannel(q), 1);
        awaitSubscribers(client, own.doneChannel(q), 1);
        assertThat(own.connections()).isEqualTo(1);

        client.sendCommand(Protocol.Command.CLIENT, "KILL", "TYPE", "pubsub");
        await().atMost(WAIT).until(() -> own.connections() == 2);
        await().atMost(WAIT).until(() -> work.get() == 1); // the catch-up call
        awaitSubscribers(client, own.workChannel(q), 1);
        awaitSubscribers(client, own.doneChannel(q), 1);

        client.publish(own.workChannel(q), "1");
        client.publish(own.doneChannel(q), "12");
        await().atMost(WAIT).until(() -> work.get() == 2 && done.size() == 1);
        assertThat(done).containsExactly(12L);
      }
    }

    @Test
    @DisplayName("waits with backoff while Redis is down, then resumes")
    void serverRestart() {
      try (RedisServer redis = RedisServer.start();
          JedisPooled client = new JedisPooled(new HostAndPort(redis.host(), redis.port()));
          RedisSignals own = new RedisSignals(client, "wq")) {
        QueueRef q = TestQueues.fresh();
        AtomicInteger work = new AtomicInteger();
        own.onWork(q, work::incrementAndGet);
        awaitSubscribers(client, own.workChannel(q), 1);

        redis.kill9();
        QueueRef added = TestQueues.fresh();
        AtomicInteger addedWork = new AtomicInteger();
        own.onWork(added, addedWork::incrementAndGet); // while down: taken on reconnect
        redis.restart();
        await().atMost(Duration.ofSeconds(30)).until(() -> own.connections() >= 2);
        await().atMost(WAIT).until(() -> work.get() >= 1 && addedWork.get() >= 1);
        awaitSubscribers(client, own.workChannel(q), 1);
        awaitSubscribers(client, own.workChannel(added), 1);

        int before = addedWork.get();
        await()
            .atMost(WAIT)
            .ignoreExceptions()
            .until(() -> client.publish(own.workChannel(added), "1") == 1);
        await().atMost(WAIT).until(() -> addedWork.get() == before + 1);
      }
    }
  }

  @Nested
  @DisplayName("bad input")
  class BadInput {
    @Test
    @DisplayName("is refused with the argument named")
    void refused() {
      assertThatThrownBy(() -> new RedisSignals(null, "wq"))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("client");
      for (String prefix : new String[] {null, "", "has space", "{tag}", "x".repeat(65)}) {
        assertThatThrownBy(() -> new RedisSignals(SharedRedis.admin(), prefix))
            .isInstanceOf(InvalidArgumentException.class)
            .hasMessageContaining("keyPrefix");
      }
      assertThatThrownBy(() -> signals.onWork(null, () -> {}))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("queue");
      assertThatThrownBy(() -> signals.onWork(TestQueues.fresh(), null))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("listener");
      assertThatThrownBy(() -> signals.onCompletion(TestQueues.fresh(), null))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("listener");
      assertThat(signals.channels()).isEmpty();
      assertThat(signals.connections()).isZero();
    }
  }
}
