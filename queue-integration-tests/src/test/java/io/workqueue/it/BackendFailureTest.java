package io.workqueue.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.workqueue.BackendUnavailableException;
import io.workqueue.Lease;
import io.workqueue.NewTask;
import io.workqueue.Outcome;
import io.workqueue.QueueInfo;
import io.workqueue.QueueRef;
import io.workqueue.WorkQueue;
import io.workqueue.WorkQueues;
import io.workqueue.cassandra.CassandraTaskStore;
import io.workqueue.redis.RedisBookkeeper;
import io.workqueue.testkit.InMemoryKeyProvider;
import io.workqueue.testkit.TestQueues;
import io.workqueue.testservers.CassandraNode;
import io.workqueue.testservers.RedisServer;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A backend that goes down gives a {@link BackendUnavailableException} naming it, never a raw
 * driver exception and never a half-applied change; the queue resumes when the backend is back.
 * Each test kills a private server of its own.
 */
class BackendFailureTest {
  private static final Duration TTR = Duration.ofMinutes(1);

  @Test
  @DisplayName("Redis down: calls fail naming redis and its port, and work again after restart")
  void redisDown() {
    try (RedisServer redis =
            RedisServer.start(RedisServer.Options.defaults().appendfsync("always"));
        RedisBookkeeper bookkeeper =
            RedisBookkeeper.builder().connect(redis.host(), redis.port()).build()) {
      WorkQueue queue =
          WorkQueues.builder()
              .taskStore(RealServers.store())
              .bookkeeper(bookkeeper)
              .keyProvider(new InMemoryKeyProvider())
              .build();
      QueueRef q = TestQueues.fresh();
      queue.add(q, NewTask.of("before"));
      queue.fetch(q, "w", TTR).orElseThrow();

      redis.kill9();

      for (Runnable call :
          new Runnable[] {
            () -> queue.add(q, NewTask.of("during")),
            () -> queue.fetch(q, "w2", TTR),
            () -> queue.ack(q, "w"),
            () -> queue.info(q)
          }) {
        assertThatThrownBy(call::run)
            .isInstanceOf(BackendUnavailableException.class)
            .hasMessageContaining("redis")
            .hasMessageContaining(String.valueOf(redis.port()))
            .satisfies(
                e -> assertThat(((BackendUnavailableException) e).backend()).isEqualTo("redis"));
      }

      redis.restart();

      QueueInfo info = queue.info(q);
      assertThat(info.index()).as("the add during the outage allocated nothing").isEqualTo(1);
      assertThat(info.leases()).extracting(Lease::worker).containsExactly("w");
      assertThat(queue.ack(q, "w")).isTrue();
      assertThat(queue.add(q, NewTask.of("after"))).isEqualTo(2);
    }
  }

  @Test
  @DisplayName("Cassandra down: adds and acks fail naming cassandra, leases stay, then it resumes")
  void cassandraDown() {
    try (CassandraNode node = CassandraNode.start(CassandraNode.Options.defaults());
        CassandraTaskStore store =
            CassandraTaskStore.builder()
                .contactPoints(java.util.List.of(node.contactPoint()))
                .localDatacenter(node.localDatacenter())
                .keyspace("wq_down")
                .requestTimeout(Duration.ofSeconds(1))
                .build()) {
      store.createSchema();
      WorkQueue queue =
          WorkQueues.builder()
              .taskStore(store)
              .bookkeeper(RealServers.bookkeeper())
              .keyProvider(new InMemoryKeyProvider())
              .completionListener(c -> {})
              .build();
      QueueRef q = TestQueues.fresh();
      queue.add(q, NewTask.of("before"));
      queue.fetch(q, "w", TTR).orElseThrow();

      node.kill9();

      assertThatThrownBy(() -> queue.add(q, NewTask.of("during")))
          .isInstanceOf(BackendUnavailableException.class)
          .hasMessageContaining("cassandra");
      assertThatThrownBy(() -> queue.ack(q, "w", Outcome.success("r")))
          .isInstanceOf(BackendUnavailableException.class)
          .hasMessageContaining("cassandra");
      QueueInfo during = queue.info(q);
      assertThat(during.leases())
          .as("the failed ack left the lease")
          .extracting(Lease::worker)
          .containsExactly("w");
      assertThat(during.waiting()).as("the failed add is not waiting").isZero();
      assertThat(queue.fetch(q, "other", TTR)).as("nor handed out").isEmpty();

      node.restart();

      // the driver reconnects by itself; give it a moment, bounded
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(60))
          .ignoreExceptionsInstanceOf(BackendUnavailableException.class)
          .until(() -> queue.ack(q, "w", Outcome.success("r")));
      long next = queue.add(q, NewTask.of("after"));
      assertThat(next).isEqualTo(during.index() + 1);
      assertThat(queue.fetch(q, "w", TTR).orElseThrow().value().asText()).isEqualTo("after");
    }
  }
}
