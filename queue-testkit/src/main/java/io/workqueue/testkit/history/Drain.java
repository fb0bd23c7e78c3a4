package io.workqueue.testkit.history;

import io.workqueue.QueueException;
import io.workqueue.QueueInfo;
import io.workqueue.QueueRef;
import io.workqueue.Task;
import io.workqueue.WorkQueue;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * Empties queues at the end of a run, through a recording queue, so that the checker can tell a
 * task that was lost from one that was still waiting: fetches and acknowledges whatever can be
 * handed out (expired leases of dead workers and holes past their grace period included) and
 * delivers pending completions, round after round, until every add that returned was delivered, no
 * lease is left, nothing waits, no hole is left unresolved (the queue's index equals its fetch
 * pointer) and every successful ack was heard, or until a time limit.
 *
 * <p>Bounded: {@link #run(Duration)} never takes (much) longer than its limit. Between rounds time
 * passes by {@link #passTime}: by default the thread parks for the poll interval; with a {@link
 * io.workqueue.testkit.SettableClock} pass {@code clock::advance} instead. Not thread-safe; one
 * drain per thread.
 */
public final class Drain {
  private final RecordingWorkQueue queue;
  private final List<QueueRef> queues;
  private String worker = "drain";
  private Duration timeToRecover = Duration.ofSeconds(5);
  private Duration pollInterval = Duration.ofMillis(50);
  private boolean awaitCompletions = true;
  private Consumer<Duration> passTime = d -> LockSupport.parkNanos(d.toNanos());

  private Drain(RecordingWorkQueue queue, List<QueueRef> queues) {
    this.queue = queue;
    this.queues = queues;
  }

  /**
   * A drain of some queues.
   *
   * @param queue a recording queue instance, so the drain's deliveries are in the history
   * @param queues the queues to empty
   * @return the drain, with worker {@code "drain"}, time to recover 5 s, poll interval 50 ms
   */
  public static Drain of(RecordingWorkQueue queue, List<QueueRef> queues) {
    return new Drain(Objects.requireNonNull(queue, "queue"), List.copyOf(queues));
  }

  /**
   * Sets the drain's worker id.
   *
   * @param worker the id
   * @return this drain
   */
  public Drain worker(String worker) {
    this.worker = Objects.requireNonNull(worker, "worker");
    return this;
  }

  /**
   * Sets the time to recover of the drain's own leases (it acknowledges them at once).
   *
   * @param timeToRecover the time to recover
   * @return this drain
   */
  public Drain timeToRecover(Duration timeToRecover) {
    this.timeToRecover = Objects.requireNonNull(timeToRecover, "timeToRecover");
    return this;
  }

  /**
   * Sets the pause between rounds.
   *
   * @param pollInterval the pause
   * @return this drain
   */
  public Drain pollInterval(Duration pollInterval) {
    this.pollInterval = Objects.requireNonNull(pollInterval, "pollInterval");
    return this;
  }

  /**
   * Sets whether the drain also waits until every ack that returned true was heard by the
   * completion listener (default true; turn off for queues built without a listener).
   *
   * @param await whether to wait for completions
   * @return this drain
   */
  public Drain awaitCompletions(boolean await) {
    this.awaitCompletions = await;
    return this;
  }

  /**
   * Sets how time passes between rounds (default: the thread parks for the poll interval).
   *
   * @param passTime called with the poll interval between rounds
   * @return this drain
   */
  public Drain passTime(Consumer<Duration> passTime) {
    this.passTime = Objects.requireNonNull(passTime, "passTime");
    return this;
  }

  /**
   * What a drain achieved.
   *
   * @param done true when every queue was empty and everything acknowledged was heard
   * @param rounds how many rounds it took
   * @param took how long it took (real time)
   * @param left what was left per queue when it stopped (empty when done)
   */
  public record Result(boolean done, int rounds, Duration took, Map<QueueRef, String> left) {
    /** Copies the map. */
    public Result {
      left = Map.copyOf(left);
    }
  }

  /**
   * Runs rounds until the queues are drained or the limit has passed.
   *
   * @param limit the most real time to spend
   * @return what was achieved; the checker reports what was not
   */
  public Result run(Duration limit) {
    long t0 = System.nanoTime();
    long end = t0 + limit.toNanos();
    int rounds = 0;
    Map<QueueRef, String> left;
    while (true) {
      rounds++;
      left = round();
      if (left.isEmpty() || System.nanoTime() - end >= 0) {
        break;
      }
      passTime.accept(pollInterval);
    }
    return new Result(left.isEmpty(), rounds, Duration.ofNanos(System.nanoTime() - t0), left);
  }

  /**
   * One round: hands out and acknowledges everything that can be handed out now, delivers pending
   * completions, then looks at what is left. Backend failures end the round early; they are
   * recorded in the history like any other.
   *
   * @return what is left per queue; empty when drained
   */
  public Map<QueueRef, String> round() {
    Map<QueueRef, String> left = new LinkedHashMap<>();
    for (QueueRef q : queues) {
      try {
        for (int i = 0; i < 100; i++) {
          List<Task> batch = queue.fetchBatch(q, worker, WorkQueue.MAX_BATCH, timeToRecover);
          if (batch.isEmpty()) {
            break;
          }
          queue.ackAll(q, worker, batch.stream().map(Task::index).toList());
        }
        if (awaitCompletions) {
          queue.deliverPendingCompletions(q);
        }
        QueueInfo info = queue.delegate().info(q);
        String pending = pending(q, info);
        if (!pending.isEmpty()) {
          left.put(q, pending);
        }
      } catch (QueueException e) {
        left.put(q, "failed: " + e.getMessage());
      }
    }
    return left;
  }

  /** What keeps a queue from being drained, by the history and the queue's info. */
  private String pending(QueueRef q, QueueInfo info) {
    Set<String> delivered = new HashSet<>();
    Set<String> heard = new HashSet<>();
    Set<String> mustHear = new HashSet<>();
    Map<String, Long> returned = new LinkedHashMap<>();
    for (Operation op : queue.history().operations()) {
      if (!q.equals(op.queue()) || op.status() != Status.OK) {
        continue;
      }
      if (op instanceof Operation.Add a) {
        for (int i = 0; i < a.indices().size(); i++) {
          returned.put(a.indices().get(i) + "|" + a.tasks().get(i).value(), a.indices().get(i));
        }
      } else if (op instanceof Operation.Fetch f) {
        f.tasks().forEach(t -> delivered.add(t.index() + "|" + t.value()));
      } else if (op instanceof Operation.Ack k) {
        k.acknowledged().forEach(index -> mustHear.add(index + "|" + k.worker()));
      } else if (op instanceof Operation.Heard h) {
        heard.add(h.completion().index() + "|" + h.completion().worker());
      }
    }
    long undelivered = returned.keySet().stream().filter(k -> !delivered.contains(k)).count();
    long unheard = awaitCompletions ? mustHear.stream().filter(k -> !heard.contains(k)).count() : 0;
    // after a round whose fetch found nothing, an index above the pointer is allocated but neither
    // written nor resolved yet: a hole that the grace period will resolve
    boolean holes = info.index() > info.fetched();
    if (undelivered == 0
        && unheard == 0
        && info.leases().isEmpty()
        && info.waiting() == 0
        && !holes) {
      return "";
    }
    return String.format(
        "%d returned adds not delivered, %d acks not heard, %d leases, %d waiting, index %d,"
            + " fetched %d",
        undelivered, unheard, info.inFlight(), info.waiting(), info.index(), info.fetched());
  }
}
