package io.workqueue.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.workqueue.NewTask;
import io.workqueue.Outcome;
import io.workqueue.QueueRef;
import io.workqueue.QueueWorker;
import io.workqueue.RetryPolicy;
import io.workqueue.TaskHandle;
import io.workqueue.WorkQueue;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The README's worker snippet, compiled and run; keep the two in step. */
class ReadmeWorkerSnippetTest {

  @Test
  @DisplayName("the README worker snippet works as printed")
  void snippet() throws Exception {
    WorkQueue queue = InMemoryQueues.create();
    // --- README worker snippet start
    QueueRef emails = QueueRef.of("tenant-1", "emails");
    QueueWorker worker =
        QueueWorker.builder(queue)
            .queue(emails)
            .handler(task -> Map.of("sent", task.value().get("to").asText())) // the result
            .concurrency(4)
            .timeToRecover(Duration.ofSeconds(30)) // extended while a handler runs
            .retryPolicy(RetryPolicy.exponential(Duration.ofSeconds(1), Duration.ofMinutes(5)))
            .build()
            .start();

    TaskHandle handle = queue.submit(emails, NewTask.of(Map.of("to", "ada@example.com")));
    Outcome outcome = handle.outcome().toCompletableFuture().get(10, TimeUnit.SECONDS);
    // Success[result=Optional[{"sent":"ada@example.com"}]]

    worker.close(Duration.ofSeconds(30)); // stop fetching, finish or release what runs
    // --- README worker snippet end

    assertThat(outcome.isSuccess()).isTrue();
    assertThat(outcome)
        .isInstanceOfSatisfying(
            Outcome.Success.class,
            s ->
                assertThat(s.result().orElseThrow().get("sent").asText())
                    .isEqualTo("ada@example.com"));
    assertThat(outcome.toString())
        .isEqualTo("Success[result=Optional[{\"sent\":\"ada@example.com\"}]]");
    assertThat(worker.stats().succeeded()).isEqualTo(1);
    assertThat(worker.isRunning()).isFalse();
    assertThat(queue.info(emails).leases()).isEmpty();
  }
}
