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
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A worker with a handler, run by the library's {@link QueueWorker}: it fetches, runs the handler
 * on several slots, acknowledges each task with the handler's result, extends leases while handlers
 * run, and retries or fails the tasks whose handler throws, as its {@link RetryPolicy} says. No
 * fetch loop to write.
 *
 * <p>The handler makes thumbnails. Two kinds of errors, told apart by the retry policy: an I/O
 * error (here: the first delivery of every fifth image) is transient, so the task is released and
 * delivered again after a short fixed delay, and succeeds then; anything else (here: every seventh
 * image is corrupt, an {@link IllegalArgumentException}) is not retried and ends the task at once
 * with a failure outcome naming the exception, which its producer sees. The worker logs both as
 * warnings.
 *
 * <p>Run it: {@code java -cp workqueue-demo.jar io.workqueue.examples.WorkerLoopExample}.
 */
public final class WorkerLoopExample {
  private WorkerLoopExample() {}

  /** How long a retried task waits before its next delivery. */
  public static final Duration RETRY_DELAY = Duration.ofMillis(100);

  /**
   * What a run did.
   *
   * @param outcomes each task's outcome as its producer received it, by the task's number {@code n}
   * @param stats the worker's counts after it closed
   * @param closedInTime whether the worker's handlers all finished within its shutdown grace
   */
  public record Run(
      SortedMap<Integer, Outcome> outcomes, QueueWorker.Stats stats, boolean closedInTime) {}

  /**
   * The handler: a thumbnail for image {@code n}, or an exception.
   *
   * @return the handler; thread-safe, as the worker calls it from several slots at once
   */
  public static TaskHandler thumbnailer() {
    return task -> {
      int n = task.value().get("n").asInt();
      if (n % 7 == 0) {
        throw new IllegalArgumentException("image " + n + " is corrupt"); // not retried
      }
      if (n % 5 == 0 && task.deliveries() == 1) {
        throw new IOException("storage busy for image " + n); // retried, succeeds next time
      }
      // Any Jackson-mappable value becomes the success outcome's result.
      return Map.of("thumbnail", "thumb-" + n + ".png", "delivery", task.deliveries());
    };
  }

  /**
   * Runs a worker with three slots on an in-memory queue, submits the tasks and awaits every
   * outcome, then closes the worker.
   *
   * @param tasks how many tasks to add, numbered {@code n} = 1 to {@code tasks}
   * @return the outcomes and the worker's counts
   * @throws TimeoutException when the tasks did not all complete in 30 s
   * @throws InterruptedException when interrupted while waiting
   * @throws ExecutionException never: the outcome stages complete normally
   */
  public static Run run(int tasks)
      throws TimeoutException, InterruptedException, ExecutionException {
    try (WorkQueue queue =
        WorkQueues.builder()
            .taskStore(new InMemoryTaskStore())
            .bookkeeper(new InMemoryBookkeeper())
            .keyProvider(
                TinkKeyProvider.builder()
                    .masterKey(MasterKey.generateEphemeral())
                    .keysetStore(new InMemoryKeysetStore())
                    .build())
            .build()) {
      QueueRef images = QueueRef.of("tenant-1", "thumbnails");
      QueueWorker worker =
          QueueWorker.builder(queue)
              .queue(images)
              .workerId("thumbnailer") // its slots fetch as thumbnailer:0 to thumbnailer:2
              .handler(thumbnailer())
              .concurrency(3)
              .timeToRecover(Duration.ofSeconds(30)) // extended while a handler runs
              .retryPolicy(RetryPolicy.fixed(RETRY_DELAY).retryIf(e -> e instanceof IOException))
              .build()
              .start();
      boolean closedInTime;
      SortedMap<Integer, Outcome> outcomes = new TreeMap<>();
      try {
        List<TaskHandle> handles = new ArrayList<>();
        for (int n = 1; n <= tasks; n++) {
          handles.add(queue.submit(images, NewTask.of(Map.of("n", n))));
        }
        CompletableFuture<?>[] all =
            handles.stream()
                .map(h -> h.outcome().toCompletableFuture())
                .toArray(CompletableFuture[]::new);
        CompletableFuture.allOf(all).get(30, TimeUnit.SECONDS);
        for (int i = 0; i < handles.size(); i++) {
          outcomes.put(i + 1, handles.get(i).outcome().toCompletableFuture().get());
        }
      } finally {
        // Stops fetching, lets running handlers finish (none here), releases what is left.
        closedInTime = worker.close(Duration.ofSeconds(5));
      }
      return new Run(outcomes, worker.stats(), closedInTime);
    }
  }

  /**
   * Runs the example and prints the outcomes.
   *
   * @param args none
   * @throws Exception when the tasks did not complete
   */
  public static void main(String[] args) throws Exception {
    Run run = run(20);
    run.outcomes().forEach((n, outcome) -> System.out.println("image " + n + ": " + outcome));
    System.out.println(run.stats());
  }
}
