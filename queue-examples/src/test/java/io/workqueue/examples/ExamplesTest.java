package io.workqueue.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.fasterxml.jackson.databind.JsonNode;
import io.workqueue.Completion;
import io.workqueue.NewTask;
import io.workqueue.Outcome;
import io.workqueue.QueueRef;
import io.workqueue.QueueWorker;
import io.workqueue.Task;
import io.workqueue.TaskHandle;
import io.workqueue.WorkQueue;
import io.workqueue.crypto.InMemoryKeysetStore;
import io.workqueue.crypto.MasterKey;
import io.workqueue.testservers.CassandraNode;
import io.workqueue.testservers.RedisServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.IntStream;
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
      "WorkerLoopExample: QueueWorker ends every task; I/O errors retried, corrupt images failed")
  void workerLoop() throws Exception {
    WorkerLoopExample.Run run = WorkerLoopExample.run(30);

    assertThat(run.outcomes().keySet()).containsExactlyElementsOf(rangeClosed(1, 30));
    run.outcomes()
        .forEach(
            (n, outcome) -> {
              if (n % 7 == 0) {
                // RetryPolicy.retryIf rejects it: acknowledged at once with a failure outcome
                assertThat(outcome).as("image %d", n).isInstanceOf(Outcome.Failure.class);
                JsonNode error = ((Outcome.Failure) outcome).error();
                assertThat(error.get("type").asText())
                    .isEqualTo(IllegalArgumentException.class.getName());
                assertThat(error.get("message").asText()).isEqualTo("image " + n + " is corrupt");
              } else {
                assertThat(outcome).as("image %d", n).isInstanceOf(Outcome.Success.class);
                JsonNode result = ((Outcome.Success) outcome).result().orElseThrow();
                assertThat(result.get("thumbnail").asText()).isEqualTo("thumb-" + n + ".png");
                // every fifth failed its first delivery with an IOException and was retried
                assertThat(result.get("delivery").asInt())
                    .as("image %d", n)
                    .isEqualTo(n % 5 == 0 ? 2 : 1);
              }
            });
    assertThat(run.stats()).isEqualTo(new QueueWorker.Stats(26, 4, 6, 0));
    assertThat(run.closedInTime()).isTrue();
  }

  @Test
  @DisplayName("AwaitOutcomeExample: the producer receives the worker's result through submit")
  void awaitOutcome() throws Exception {
    Outcome outcome = AwaitOutcomeExample.run();

    assertThat(outcome).isInstanceOf(Outcome.Success.class);
    assertThat(((Outcome.Success) outcome).result().orElseThrow().get("priceCents").asInt())
        .isEqualTo(1000);
  }

  @Test
  @DisplayName(
      "AwaitOutcomeExample: the outcome stage waits for a worker; completion(index) sees it too")
  void outcomeWaitsForWorker() throws Exception {
    try (WorkQueue queue = AwaitOutcomeExample.inMemoryQueue()) {
      QueueRef quotes = QueueRef.of("tenant-1", "quotes");
      // No worker yet: the producer gives up after its timeout, and the task stays queued.
      assertThatThrownBy(
              () -> AwaitOutcomeExample.requestQuote(queue, quotes, 1, Duration.ofMillis(200)))
          .isInstanceOf(TimeoutException.class);
      TaskHandle handle = queue.submit(quotes, NewTask.of(Map.of("items", 2)));
      Thread.sleep(200);
      assertThat(handle.outcome().toCompletableFuture()).isNotDone();

      QueueWorker worker = AwaitOutcomeExample.startWorker(queue, quotes);
      try {
        Outcome outcome = handle.outcome().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(((Outcome.Success) outcome).result().orElseThrow().get("priceCents").asInt())
            .isEqualTo(500);
        // the task given up on was priced too; awaited later by its index
        Outcome first =
            queue
                .completion(quotes, handle.index() - 1)
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        assertThat(((Outcome.Success) first).result().orElseThrow().get("priceCents").asInt())
            .isEqualTo(250);
        // a failure outcome the handler returns reaches the producer as it is, without a retry
        Outcome none = AwaitOutcomeExample.requestQuote(queue, quotes, 0, Duration.ofSeconds(10));
        assertThat(none).isInstanceOf(Outcome.Failure.class);
        assertThat(((Outcome.Failure) none).error().get("reason").asText())
            .isEqualTo("no items to price");
      } finally {
        assertThat(worker.close(Duration.ofSeconds(5))).isTrue();
      }
      assertThat(worker.stats()).isEqualTo(new QueueWorker.Stats(2, 1, 0, 0));
    }
  }

  private static List<Integer> rangeClosed(int from, int to) {
    return IntStream.rangeClosed(from, to).boxed().toList();
  }
}
