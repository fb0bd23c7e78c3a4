package io.workqueue.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import io.workqueue.Completion;
import io.workqueue.Outcome;
import io.workqueue.QueueRef;
import io.workqueue.Task;
import io.workqueue.WorkQueue;
import io.workqueue.crypto.InMemoryKeysetStore;
import io.workqueue.crypto.MasterKey;
import io.workqueue.testservers.CassandraNode;
import io.workqueue.testservers.RedisServer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.JedisPooled;

@DisplayName("The wiring examples")
class ExamplesTest {

  @Test
  @DisplayName("EmbeddingExample wires the queue on the application's CqlSession and JedisPooled")
  void embedding() {
    CassandraNode node = CassandraNode.shared();
    RedisServer redis = RedisServer.shared();
    ConcurrentLinkedQueue<Completion> done = new ConcurrentLinkedQueue<>();
    try (CqlSession session =
            CqlSession.builder()
                .addContactPoint(node.contactPoint())
                .withLocalDatacenter(node.localDatacenter())
                .withConfigLoader(
                    DriverConfigLoader.programmaticBuilder()
                        .withDuration(
                            DefaultDriverOption.METADATA_SCHEMA_WINDOW, Duration.ofMillis(10))
                        .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(10))
                        .build())
                .build();
        JedisPooled jedis = new JedisPooled(redis.host(), redis.port())) {
      WorkQueue queue =
          EmbeddingExample.wire(
              session,
              jedis,
              "wq_examples_embedding",
              MasterKey.generateEphemeral(),
              new InMemoryKeysetStore(),
              done::add);
      QueueRef billing =
          QueueRef.of("tenant-1", "billing-" + UUID.randomUUID().toString().substring(0, 8));

      Task task = EmbeddingExample.roundTrip(queue, billing);

      assertThat(task.value().get("invoice").asInt()).isEqualTo(42);
      assertThat(task.token().orElseThrow().asText()).isEqualTo("flow-7");
      assertThat(done)
          .singleElement()
          .satisfies(
              c -> {
                assertThat(c.index()).isEqualTo(task.index());
                assertThat(c.outcome()).isInstanceOf(Outcome.Success.class);
              });
      // The clients stay the application's: still open after the queue was used.
      assertThat(session.isClosed()).isFalse();
      assertThat(jedis.ping()).isEqualTo("PONG");
    }
  }

  @Test
  @DisplayName(
      "WorkerLoopExample acknowledges every task: results, and failures where the handler threw")
  void workerLoop() throws InterruptedException {
    List<Completion> completions = WorkerLoopExample.run(30);

    assertThat(completions).hasSize(30);
    assertThat(completions.stream().map(Completion::index).distinct()).hasSize(30);
    assertThat(completions)
        .filteredOn(c -> c.outcome() instanceof Outcome.Failure)
        .extracting(Completion::index)
        .containsExactlyInAnyOrder(7L, 14L, 21L, 28L);
    assertThat(completions)
        .filteredOn(c -> c.index() == 3)
        .singleElement()
        .satisfies(
            c ->
                assertThat(
                        ((Outcome.Success) c.outcome())
                            .result()
                            .orElseThrow()
                            .get("thumbnail")
                            .asText())
                    .isEqualTo("thumb-3.png"));
    assertThat(completions.stream().map(Completion::worker).distinct())
        .isSubsetOf("worker-A", "worker-B");
  }

  @Test
  @DisplayName("AwaitOutcomeExample: the producer receives its task's result through the listener")
  void awaitOutcome() throws Exception {
    Completion done = AwaitOutcomeExample.run();

    assertThat(done.worker()).isEqualTo("worker-A");
    assertThat(((Outcome.Success) done.outcome()).result().orElseThrow().get("priceCents").asInt())
        .isEqualTo(1000);
  }

  @Test
  @DisplayName("OutcomeWaiter hands out a completion that arrived before anyone asked, once")
  void outcomeBeforeAsking() throws Exception {
    AwaitOutcomeExample.OutcomeWaiter waiter = new AwaitOutcomeExample.OutcomeWaiter();
    QueueRef q = QueueRef.of("tenant-1", "quotes");
    Completion c =
        new Completion(q, 5, "worker-A", Optional.empty(), Outcome.success(1), Instant.now());

    waiter.onCompletion(c);
    waiter.onCompletion(c); // at least once: a second delivery changes nothing
    CompletableFuture<Completion> f = waiter.outcomeOf(q, 5);

    assertThat(f).isCompletedWithValue(c);
    assertThat(waiter.size()).isZero();
    assertThat(waiter.outcomeOf(q, 6)).isNotDone();
    assertThat(waiter.size()).isEqualTo(1);
  }
}
