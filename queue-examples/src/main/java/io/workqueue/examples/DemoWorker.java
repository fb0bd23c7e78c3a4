package io.workqueue.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.workqueue.Outcome;
import io.workqueue.QueueException;
import io.workqueue.QueueRef;
import io.workqueue.Task;
import io.workqueue.WorkQueue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * One worker of the demo: a thread that goes round the queues, leasing tasks, handling them and
 * acknowledging them with a result. The loop is written out here rather than left to {@link
 * io.workqueue.QueueWorker} so that one worker can die holding its leases (below): a {@code
 * QueueWorker}'s graceful close would finish or release them instead, and the demo would have no
 * recovery to show. A batch worker uses {@link WorkQueue#fetchBatch} and {@link WorkQueue#ackAll};
 * a single worker {@link WorkQueue#fetch} and {@link WorkQueue#ack}.
 *
 * <p>The doomed worker, once the {@link KillSwitch} is armed, leases one more batch and then ends
 * its thread without acknowledging it, as a crashed process would: its leases stay with it until
 * their deadline (its own time to recover) and then go to the other workers.
 */
final class DemoWorker implements Runnable {
  enum Kind {
    BATCH,
    SINGLE
  }

  private final String name;
  private final Kind kind;
  private final WorkQueue queue;
  private final List<QueueRef> queues;
  private final int batchSize;
  private final Duration timeToRecover;
  private final Ledger ledger;
  private final Ledger.Key watched;
  private final BooleanSupplier stop;
  private final KillSwitch killSwitch;
  private final boolean doomed;
  private volatile List<Task> heldWhenKilled = List.of();
  private volatile boolean killed;
  private volatile long killedAtNanos;

  DemoWorker(
      String name,
      Kind kind,
      WorkQueue queue,
      List<QueueRef> queues,
      int batchSize,
      Duration timeToRecover,
      Ledger ledger,
      Ledger.Key watched,
      BooleanSupplier stop,
      KillSwitch killSwitch,
      boolean doomed) {
    this.name = name;
    this.kind = kind;
    this.queue = queue;
    this.queues = List.copyOf(queues);
    this.batchSize = batchSize;
    this.timeToRecover = timeToRecover;
    this.ledger = ledger;
    this.watched = watched;
    this.stop = stop;
    this.killSwitch = killSwitch;
    this.doomed = doomed;
  }

  String name() {
    return name;
  }

  Kind kind() {
    return kind;
  }

  /** Whether the kill switch ended this worker. */
  boolean killed() {
    return killed;
  }

  /** When it was killed, by {@link System#nanoTime()}. */
  long killedAtNanos() {
    return killedAtNanos;
  }

  /** The tasks this worker held, unacknowledged, when it was killed. */
  List<Task> heldWhenKilled() {
    return heldWhenKilled;
  }

  @Override
  public void run() {
    int next = Math.floorMod(name.hashCode(), queues.size());
    while (!stop.getAsBoolean()) {
      if (doomed && killSwitch.armed()) {
        dieHoldingLeases();
        return;
      }
      if (!doomed && killSwitch.holdsOthers()) {
        pause(2);
        continue;
      }
      boolean worked = false;
      for (int i = 0; i < queues.size(); i++) {
        QueueRef q = queues.get((next + i) % queues.size());
        try {
          worked |= kind == Kind.BATCH ? batchRound(q) : singleRound(q);
        } catch (QueueException e) {
          ledger.error(e);
          pause(100);
        }
      }
      next++;
      if (!worked) {
        pause(10);
      }
    }
  }

  private boolean batchRound(QueueRef q) {
    List<Task> tasks = queue.fetchBatch(q, name, batchSize, timeToRecover);
    if (tasks.isEmpty()) {
      return false;
    }
    Map<Long, Outcome> outcomes = new LinkedHashMap<>();
    for (Task t : tasks) {
      ledger.delivered(t, name, watched);
      outcomes.put(t.index(), handle(t));
    }
    Set<Long> acked = queue.ackAll(q, name, outcomes);
    // Fewer acknowledged than leased: those leases expired and went to another worker.
    ledger.refusedAcks(outcomes.size() - acked.size());
    return true;
  }

  private boolean singleRound(QueueRef q) {
    Optional<Task> task = queue.fetch(q, name, timeToRecover);
    if (task.isEmpty()) {
      return false;
    }
    ledger.delivered(task.get(), name, watched);
    if (!queue.ack(q, name, handle(task.get()))) {
      ledger.refusedAcks(1);
    }
    return true;
  }

  /** The demo's "work": pays an invoice. */
  private static Outcome handle(Task task) {
    JsonNode value = task.value();
    ObjectNode result = Converters.JSON.createObjectNode();
    result.put("invoice", value.path("invoice").asLong());
    result.put("paidCents", value.path("amountCents").asLong());
    return Outcome.success(result);
  }

  /** Leases one more batch and ends the thread without acknowledging it. */
  private void dieHoldingLeases() {
    List<Task> held = new ArrayList<>();
    for (int attempt = 0; held.isEmpty() && !stop.getAsBoolean(); attempt++) {
      QueueRef q = queues.get(attempt % queues.size());
      try {
        held.addAll(queue.fetchBatch(q, name, batchSize, timeToRecover));
      } catch (QueueException e) {
        ledger.error(e);
      }
      if (held.isEmpty()) {
        pause(5);
      }
    }
    heldWhenKilled = List.copyOf(held);
    killedAtNanos = System.nanoTime();
    killed = true;
    killSwitch.done();
  }

  /**
   * When to kill the doomed worker: once this many tasks are completed. So that the kill happens
   * while there is work left however fast the backend is, the other workers take no new tasks from
   * the moment it is armed until the doomed worker has leased its last batch (at most {@code
   * maxHold}); then they go on, and recover its leases once those expire. Thread-safe.
   */
  static final class KillSwitch {
    private final int killAt;
    private final Ledger ledger;
    private final long maxHoldNanos;
    private final AtomicLong armedAt = new AtomicLong();
    private volatile boolean done;

    KillSwitch(int killAt, Ledger ledger, Duration maxHold) {
      this.killAt = killAt;
      this.ledger = ledger;
      this.maxHoldNanos = maxHold.toNanos();
    }

    int killAt() {
      return killAt;
    }

    boolean armed() {
      if (armedAt.get() == 0 && ledger.completedCount() >= killAt) {
        armedAt.compareAndSet(0, System.nanoTime());
      }
      return armedAt.get() != 0;
    }

    boolean holdsOthers() {
      return armed() && !done && System.nanoTime() - armedAt.get() < maxHoldNanos;
    }

    void done() {
      done = true;
    }
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
