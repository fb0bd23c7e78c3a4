package io.workqueue.examples;

import io.workqueue.NewTask;
import io.workqueue.Outcome;
import io.workqueue.QueueRef;
import io.workqueue.QueueWorker;
import io.workqueue.RetryPolicy;
import io.workqueue.TaskHandle;
import io.workqueue.TaskHandler;
import io.workqueue.WorkQueue;
import io.workqueue.WorkQueues;
import io.workqueue.crypto.InMemoryKeysetStore;
import io.workqueue.crypto.MasterKey;
import io.workqueue.crypto.TinkKeyProvider;
import io.workqueue.testkit.InMemoryBookkeeper;
import io.workqueue.testkit.InMemoryTaskStore;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A producer awaiting its task's outcome: {@link WorkQueue#submit} adds the task and returns a
 * {@link TaskHandle} whose {@link TaskHandle#outcome() outcome()} is a {@code
 * CompletionStage<Outcome>} that completes when a worker, on any node, acknowledges the task. The
 * stage completes with the persisted outcome (woken by the bookkeeper's completion signal, polled
 * as a fallback), so the producer and the workers need not share a JVM. A task added earlier, with
 * {@code add} or by another process, is awaited by its index with {@link WorkQueue#completion}.
 *
 * <p>Block on the stage, as {@link #requestQuote} does, or chain on it without a thread waiting:
 *
 * <pre>{@code
 * queue.submit(quotes, NewTask.of(Map.of("items", 4)))
 *     .outcome()
 *     .thenAccept(outcome -> reply(outcome));
 * }</pre>
 *
 * <p>Run it: {@code java -cp workqueue-demo.jar io.workqueue.examples.AwaitOutcomeExample}.
 */
public final class AwaitOutcomeExample {
  private AwaitOutcomeExample() {}

  /**
   * A queue on the in-memory backends, with an ephemeral master key.
   *
   * @return the queue; close it to stop its completion watcher
   */
  public static WorkQueue inMemoryQueue() {
    return WorkQueues.builder()
        .taskStore(new InMemoryTaskStore())
        .bookkeeper(new InMemoryBookkeeper())
        .keyProvider(
            TinkKeyProvider.builder()
                .masterKey(MasterKey.generateEphemeral())
                .keysetStore(new InMemoryKeysetStore())
                .build())
        .build();
  }

  /**
   * The worker's handler: 250 cents an item. A quote for no items ends with a failure outcome the
   * handler returns itself, which is final: the worker does not retry it.
   *
   * @return the handler
   */
  public static TaskHandler pricer() {
    return task -> {
      int items = task.value().get("items").asInt();
      if (items < 1) {
        return Outcome.failure(Map.of("reason", "no items to price"));
      }
      return Map.of("priceCents", items * 250);
    };
  }

  /**
   * Starts a worker running {@link #pricer()} on a queue.
   *
   * @param queue the queue
   * @param quotes the queue to serve
   * @return the started worker
   */
  public static QueueWorker startWorker(WorkQueue queue, QueueRef quotes) {
    return QueueWorker.builder(queue)
        .queue(quotes)
        .workerId("pricer")
        .handler(pricer())
        .retryPolicy(RetryPolicy.none())
        .build()
        .start();
  }

  /**
   * Submits a quote request and waits for its outcome.
   *
   * @param queue the queue
   * @param quotes the queue to add to
   * @param items how many items to price
   * @param timeout how long to wait
   * @return the outcome: success with {@code {"priceCents": ...}}, or the handler's failure
   * @throws TimeoutException when no worker acknowledged the task in time (the task stays queued;
   *     the wait is cancelled)
   * @throws InterruptedException when interrupted
   * @throws ExecutionException when the queue was closed while waiting
   */
  public static Outcome requestQuote(WorkQueue queue, QueueRef quotes, int items, Duration timeout)
      throws TimeoutException, InterruptedException, ExecutionException {
    TaskHandle handle = queue.submit(quotes, NewTask.of(Map.of("items", items)));
    CompletableFuture<Outcome> outcome = handle.outcome().toCompletableFuture();
    try {
      return outcome.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      outcome.cancel(false); // stops watching the task; a later completion(...) may still await it
      throw e;
    }
  }

  /**
   * Runs a worker and a producer that awaits the outcome of its quote request, on an in-memory
   * queue.
   *
   * @return the outcome the producer received
   * @throws Exception when the outcome did not arrive
   */
  public static Outcome run() throws Exception {
    try (WorkQueue queue = inMemoryQueue()) {
      QueueRef quotes = QueueRef.of("tenant-1", "quotes");
      QueueWorker worker = startWorker(queue, quotes);
      try {
        return requestQuote(queue, quotes, 4, Duration.ofSeconds(10));
      } finally {
        worker.close(Duration.ofSeconds(5));
      }
    }
  }

  /**
   * Runs the example and prints the outcome.
   *
   * @param args none
   * @throws Exception when the outcome did not arrive
   */
  public static void main(String[] args) throws Exception {
    System.out.println("quote for 4 items: " + run());
  }
}
