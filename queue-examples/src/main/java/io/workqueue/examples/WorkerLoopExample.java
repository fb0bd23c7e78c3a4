package io.workqueue.examples;

import io.workqueue.BackendUnavailableException;
import io.workqueue.Completion;
import io.workqueue.NewTask;
import io.workqueue.Outcome;
import io.workqueue.QueueRef;
import io.workqueue.Task;
import io.workqueue.UnreadableTaskException;
import io.workqueue.WorkQueue;
import io.workqueue.WorkQueues;
import io.workqueue.crypto.InMemoryKeysetStore;
import io.workqueue.crypto.MasterKey;
import io.workqueue.crypto.TinkKeyProvider;
import io.workqueue.testkit.InMemoryBookkeeper;
import io.workqueue.testkit.InMemoryTaskStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker loop with a handler: fetch, handle, acknowledge with the handler's result, or with a
 * failure when it throws. The library has no worker runtime yet; this is the loop one writes
 * meanwhile. Run it: {@code java -cp workqueue-demo.jar io.workqueue.examples.WorkerLoopExample}.
 */
public final class WorkerLoopExample {
  private WorkerLoopExample() {}

  /** What a worker does with one task. */
  @FunctionalInterface
  public interface TaskHandler {
    /**
     * Handles a task.
     *
     * @param task the leased task
     * @return the result (any Jackson-mappable object; {@code null} is the JSON value null)
     * @throws Exception to acknowledge the task with a failure outcome instead
     */
    Object handle(Task task) throws Exception;
  }

  /**
   * One worker: a loop on one thread that leases tasks of one queue, runs the handler and
   * acknowledges each task with its outcome, until {@link #close()}. Not restartable.
   */
  public static final class WorkerLoop implements Runnable, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WorkerLoop.class);

    private final WorkQueue queue;
    private final QueueRef ref;
    private final String worker;
    private final Duration timeToRecover;
    private final TaskHandler handler;
    private volatile boolean running = true;

    /**
     * Creates the loop; start it on a thread of your own.
     *
     * @param queue the queue
     * @param ref the queue to work on
     * @param worker this worker's id, unique among the workers of the queue
     * @param timeToRecover how long the handler may take before the task goes to another worker
     * @param handler the handler
     */
    public WorkerLoop(
        WorkQueue queue, QueueRef ref, String worker, Duration timeToRecover, TaskHandler handler) {
      this.queue = queue;
      this.ref = ref;
      this.worker = worker;
      this.timeToRecover = timeToRecover;
      this.handler = handler;
    }

    @Override
    public void run() {
      while (running) {
        try {
          Optional<Task> task = queue.fetch(ref, worker, timeToRecover);
          if (task.isEmpty()) {
            sleep(20); // idle; a later worker runtime will be woken instead of polling
            continue;
          }
          Outcome outcome;
          try {
            outcome = Outcome.success(handler.handle(task.get()));
          } catch (Exception e) {
            outcome = Outcome.failure(e);
          }
          if (!queue.ack(ref, worker, outcome)) {
            // The handler took longer than timeToRecover and another worker has the task now.
            log.warn("{}: lease on task {} of {} was taken over", worker, task.get().index(), ref);
          }
        } catch (UnreadableTaskException e) {
          log.warn("{}: {}", worker, e.getMessage()); // already taken out of circulation
        } catch (BackendUnavailableException e) {
          log.warn("{}: {}; retrying in 1 s", worker, e.getMessage());
          sleep(1000);
        }
      }
    }

    /** Stops the loop after the task at hand. */
    @Override
    public void close() {
      running = false;
    }

    private static void sleep(long millis) {
      try {
        Thread.sleep(millis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Runs two worker loops on an in-memory queue until every task is acknowledged.
   *
   * @param tasks how many tasks to add; every seventh fails in the handler
   * @return the completions, as the completion listener heard them
   * @throws InterruptedException when interrupted while waiting
   */
  public static List<Completion> run(int tasks) throws InterruptedException {
    ConcurrentLinkedQueue<Completion> completions = new ConcurrentLinkedQueue<>();
    CountDownLatch done = new CountDownLatch(tasks);
    WorkQueue queue =
        WorkQueues.builder()
            .taskStore(new InMemoryTaskStore())
            .bookkeeper(new InMemoryBookkeeper())
            .keyProvider(
                TinkKeyProvider.builder()
                    .masterKey(MasterKey.generateEphemeral())
                    .keysetStore(new InMemoryKeysetStore())
                    .build())
            .completionListener(
                c -> {
                  completions.add(c);
                  done.countDown();
                })
            .build();
    QueueRef images = QueueRef.of("tenant-1", "thumbnails");
    TaskHandler handler =
        task -> {
          int n = task.value().get("n").asInt();
          if (n % 7 == 0) {
            throw new IllegalArgumentException("image " + n + " is corrupt");
          }
          return Map.of("thumbnail", "thumb-" + n + ".png");
        };
    List<WorkerLoop> loops = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (String worker : List.of("worker-A", "worker-B")) {
      WorkerLoop loop = new WorkerLoop(queue, images, worker, Duration.ofSeconds(30), handler);
      loops.add(loop);
      Thread t = new Thread(loop, worker);
      threads.add(t);
      t.start();
    }
    for (int n = 1; n <= tasks; n++) {
      queue.add(images, NewTask.of(Map.of("n", n)));
    }
    boolean all = done.await(30, TimeUnit.SECONDS);
    loops.forEach(WorkerLoop::close);
    for (Thread t : threads) {
      t.join();
    }
    if (!all) {
      throw new IllegalStateException(done.getCount() + " tasks did not complete in 30 s");
    }
    return List.copyOf(completions);
  }

  /**
   * Runs the example and prints the outcomes.
   *
   * @param args none
   * @throws InterruptedException when interrupted
   */
  public static void main(String[] args) throws InterruptedException {
    for (Completion c : run(20)) {
      System.out.println("#" + c.index() + " by " + c.worker() + ": " + c.outcome());
    }
  }
}
