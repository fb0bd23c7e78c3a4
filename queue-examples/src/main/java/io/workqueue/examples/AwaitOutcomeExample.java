package io.workqueue.examples;

import io.workqueue.Completion;
import io.workqueue.NewTask;
import io.workqueue.Outcome;
import io.workqueue.QueueRef;
import io.workqueue.Task;
import io.workqueue.WorkQueue;
import io.workqueue.WorkQueues;
import io.workqueue.crypto.InMemoryKeysetStore;
import io.workqueue.crypto.MasterKey;
import io.workqueue.crypto.TinkKeyProvider;
import io.workqueue.spi.CompletionListener;
import io.workqueue.testkit.InMemoryBookkeeper;
import io.workqueue.testkit.InMemoryTaskStore;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Awaiting a task's outcome through the {@link CompletionListener}, until the library has
 * completion futures of its own: the producer adds a task and waits on a future that the listener
 * completes when the task is acknowledged.
 *
 * <p>The listener runs on the node that acknowledges, so this works where the producer and the
 * workers share a JVM (or share a queue instance). Run it: {@code java -cp workqueue-demo.jar
 * io.workqueue.examples.AwaitOutcomeExample}.
 */
public final class AwaitOutcomeExample {
  private AwaitOutcomeExample() {}

  /**
   * A completion listener that completes one future per task. A completion that arrives before
   * anybody asked for it is kept until asked for, so there is no race between {@code add} returning
   * and the worker acknowledging. Completions nobody asks for stay in memory: ask for every task
   * you add, or bound the map (e.g. with Caffeine) in real code. Thread-safe.
   */
  public static final class OutcomeWaiter implements CompletionListener {
    private record Key(QueueRef queue, long index) {}

    private final ConcurrentMap<Key, CompletableFuture<Completion>> futures =
        new ConcurrentHashMap<>();

    /**
     * The future of a task's completion; forgotten here once it is complete and handed out.
     *
     * @param queue the task's queue
     * @param index the task's index, as {@code add} returned it
     * @return the future
     */
    public CompletableFuture<Completion> outcomeOf(QueueRef queue, long index) {
      Key key = new Key(queue, index);
      CompletableFuture<Completion> f =
          futures.computeIfAbsent(key, k -> new CompletableFuture<>());
      f.whenComplete((c, e) -> futures.remove(key, f));
      return f;
    }

    @Override
    public void onCompletion(Completion completion) {
      // Delivered at least once: completing an already completed future does nothing.
      futures
          .computeIfAbsent(
              new Key(completion.queue(), completion.index()), k -> new CompletableFuture<>())
          .complete(completion);
    }

    /**
     * How many completions or waiters are held.
     *
     * @return the number of entries
     */
    public int size() {
      return futures.size();
    }
  }

  /**
   * Adds a task and waits for its outcome.
   *
   * @param queue the queue, built with {@code waiter} as its completion listener
   * @param waiter the listener
   * @param ref the queue to add to
   * @param value the task's value
   * @param timeout how long to wait
   * @return the completion
   * @throws TimeoutException when no worker acknowledged the task in time
   * @throws InterruptedException when interrupted
   * @throws ExecutionException never: the listener only completes normally
   */
  public static Completion addAndAwait(
      WorkQueue queue, OutcomeWaiter waiter, QueueRef ref, Object value, Duration timeout)
      throws TimeoutException, InterruptedException, ExecutionException {
    long index = queue.add(ref, NewTask.of(value));
    return waiter.outcomeOf(ref, index).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Runs a producer that awaits the outcome of its task, and a worker thread, on an in-memory
   * queue.
   *
   * @return the completion the producer received
   * @throws Exception when the outcome did not arrive
   */
  public static Completion run() throws Exception {
    OutcomeWaiter waiter = new OutcomeWaiter();
    WorkQueue queue =
        WorkQueues.builder()
            .taskStore(new InMemoryTaskStore())
            .bookkeeper(new InMemoryBookkeeper())
            .keyProvider(
                TinkKeyProvider.builder()
                    .masterKey(MasterKey.generateEphemeral())
                    .keysetStore(new InMemoryKeysetStore())
                    .build())
            .completionListener(waiter)
            .build();
    QueueRef quotes = QueueRef.of("tenant-1", "quotes");
    Thread worker =
        new Thread(
            () -> {
              for (int i = 0; i < 500; i++) {
                Optional<Task> task = queue.fetch(quotes, "worker-A", Duration.ofSeconds(30));
                if (task.isPresent()) {
                  int items = task.get().value().get("items").asInt();
                  queue.ack(quotes, "worker-A", Outcome.success(Map.of("priceCents", items * 250)));
                  return;
                }
                try {
                  Thread.sleep(10);
                } catch (InterruptedException e) {
                  return;
                }
              }
            },
            "worker-A");
    worker.start();
    Completion done =
        addAndAwait(queue, waiter, quotes, Map.of("items", 4), Duration.ofSeconds(10));
    worker.join();
    return done;
  }

  /**
   * Runs the example and prints the outcome.
   *
   * @param args none
   * @throws Exception when the outcome did not arrive
   */
  public static void main(String[] args) throws Exception {
    Completion done = run();
    System.out.println(
        "task #" + done.index() + " done by " + done.worker() + ": " + done.outcome());
  }
}
