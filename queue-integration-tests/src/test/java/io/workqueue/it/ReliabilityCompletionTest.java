package io.workqueue.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.workqueue.Completion;
import io.workqueue.NewTask;
import io.workqueue.Outcome;
import io.workqueue.QueueRef;
import io.workqueue.Task;
import io.workqueue.spi.CompletionListener;
import io.workqueue.testkit.InMemoryKeyProvider;
import io.workqueue.testkit.SettableClock;
import io.workqueue.testkit.history.CheckResult;
import io.workqueue.testkit.history.History;
import io.workqueue.testkit.history.HistoryChecker;
import io.workqueue.testkit.history.Operation;
import io.workqueue.testkit.history.RecordingWorkQueue;
import io.workqueue.testkit.history.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Completion delivery when the listener throws or the process dies right after the ack, on the real
 * servers: the outcome was persisted and the completion marked pending in the ack's own bookkeeper
 * step, so another queue instance delivers it after the retry delay, with the task's token and the
 * ack's outcome. A settable clock stands in for the retry delay.
 */
class ReliabilityCompletionTest {
  private static final Duration RETRY = Duration.ofSeconds(5);
  private static final Duration TTR = Duration.ofSeconds(30);

  private final SettableClock clock = SettableClock.atSystemTime();
  private final History history = new History(clock);
  private final InMemoryKeyProvider keys = new InMemoryKeyProvider();
  private final ExecutorService pool = Executors.newCachedThreadPool();

  @AfterEach
  void stop() {
    pool.shutdownNow();
  }

  private RecordingWorkQueue node(String name, CompletionListener listener) {
    return ReliabilityRig.node(
        history,
        name,
        RealServers.store(),
        RealServers.bookkeeper(),
        keys,
        listener,
        b -> b.completionRetryDelay(RETRY));
  }

  /** Adds tasks with tokens of every kind: text, object, JSON null, none. */
  private void seed(RecordingWorkQueue node, QueueRef q, int n) {
    List<NewTask> tasks = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      NewTask t = NewTask.of(Map.of("id", q.service() + "-" + i));
      tasks.add(
          switch (i % 4) {
            case 0 -> t.token("tok-" + i);
            case 1 -> t.token(Map.of("flow", "f-" + i, "step", i));
            case 2 -> t.token(null);
            default -> t;
          });
    }
    node.addAll(q, tasks);
  }

  private static Outcome outcomeOf(Task t) {
    return switch ((int) (t.index() % 6)) {
      case 0 -> Outcome.success();
      case 1 -> Outcome.success(0);
      case 2 -> Outcome.success(false);
      case 3 -> Outcome.success("");
      case 4 -> Outcome.success(Map.of("paid", t.index()));
      default -> Outcome.failure(Map.of("reason", "declined " + t.index()));
    };
  }

  /** Four workers fetch and acknowledge everything, on the batch path and the single path. */
  private void workOff(RecordingWorkQueue node, List<QueueRef> queues) throws Exception {
    List<Future<?>> workers = new ArrayList<>();
    for (int w = 0; w < 4; w++) {
      String worker = "w" + w;
      boolean batches = w % 2 == 0;
      workers.add(
          pool.submit(
              () -> {
                for (QueueRef q : queues) {
                  while (true) {
                    try {
                      if (batches) {
                        List<Task> batch = node.fetchBatch(q, worker, 7, TTR);
                        if (batch.isEmpty()) {
                          break;
                        }
                        Map<Long, Outcome> outcomes = new LinkedHashMap<>();
                        batch.forEach(t -> outcomes.put(t.index(), outcomeOf(t)));
                        node.ackAll(q, worker, outcomes);
                      } else {
                        Optional<Task> t = node.fetch(q, worker, TTR);
                        if (t.isEmpty()) {
                          break;
                        }
                        node.ack(q, worker, outcomeOf(t.get()));
                      }
                    } catch (ProcessDied died) {
                      // this "process" died inside its ack; a new one takes its place
                    }
                  }
                }
                return null;
              }));
    }
    for (Future<?> f : workers) {
      f.get(120, TimeUnit.SECONDS);
    }
  }

  /** Two other instances deliver what is pending, concurrently, until nothing is left. */
  private int deliverElsewhere(List<QueueRef> queues) throws Exception {
    List<RecordingWorkQueue> others = List.of(node("b1", c -> {}), node("b2", c -> {}));
    for (QueueRef q : queues) {
      assertThat(others.get(0).deliverPendingCompletions(q)).as("not due yet").isZero();
    }
    clock.advance(RETRY);
    List<Future<Integer>> sweeps = new ArrayList<>();
    for (RecordingWorkQueue other : others) {
      sweeps.add(
          pool.submit(
              () -> {
                int delivered = 0;
                for (QueueRef q : queues) {
                  for (int round = 0; round < 50; round++) {
                    int n = other.deliverPendingCompletions(q);
                    delivered += n;
                    if (n == 0) {
                      break;
                    }
                  }
                }
                return delivered;
              }));
    }
    int delivered = 0;
    for (Future<Integer> f : sweeps) {
      delivered += f.get(60, TimeUnit.SECONDS);
    }
    return delivered;
  }

  @Test
  @DisplayName(
      "a listener that throws for its first calls: others deliver every outcome, token too")
  void listenerThrows() throws Exception {
    AtomicInteger failuresLeft = new AtomicInteger(25);
    RecordingWorkQueue a =
        node(
            "a",
            c -> {
              if (failuresLeft.getAndDecrement() > 0) {
                throw new IllegalStateException("listener down");
              }
            });
    List<QueueRef> queues = ReliabilityRig.queues(2, 2);
    for (QueueRef q : queues) {
      seed(a, q, 60);
    }
    workOff(a, queues);
    int delivered = deliverElsewhere(queues);

    CheckResult result = HistoryChecker.strict().check(history);
    ReliabilityRig.report(
        "completion listener throws for its first 25 calls",
        result,
        delivered
            + " delivered by other instances after the retry delay, "
            + duplicates()
            + " twice");
    result.assertValid();
    assertThat(result.listenerFailures()).isEqualTo(25);
    assertThat(result.acked()).isEqualTo(120);
    assertThat(delivered).as("the 25 failed ones, delivered elsewhere").isEqualTo(25);
  }

  /** A process dying inside its listener call, right after the ack: an error nothing catches. */
  private static final class ProcessDied extends Error {
    private static final long serialVersionUID = 1L;

    ProcessDied() {
      super("the process died right after the ack", null, false, false);
    }
  }

  @Test
  @DisplayName("the process dies right after some acks: others deliver those outcomes, token too")
  void processDiesAfterAck() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    RecordingWorkQueue crashing =
        node(
            "crashing",
            c -> {
              if (calls.incrementAndGet() % 3 == 0) {
                throw new ProcessDied();
              }
            });
    List<QueueRef> queues = ReliabilityRig.queues(2, 1);
    for (QueueRef q : queues) {
      seed(crashing, q, 45);
    }
    workOff(crashing, queues);
    deliverElsewhere(queues);

    // the acks cut short by the death: their caller never learned the result
    Map<String, Completion> died = new HashMap<>();
    Map<String, List<Completion>> deliveredElsewhere = new HashMap<>();
    for (Operation op : history.operations()) {
      if (op instanceof Operation.Heard h) {
        Completion c = h.completion();
        String key = c.queue() + "#" + c.index() + "@" + c.worker();
        if (h.node().equals("crashing") && h.status() == Status.INDETERMINATE) {
          died.put(key, c);
        } else if (!h.node().equals("crashing") && h.status() == Status.OK) {
          deliveredElsewhere.computeIfAbsent(key, k -> new ArrayList<>()).add(c);
        }
      }
    }
    CheckResult result = HistoryChecker.strict().check(history);
    ReliabilityRig.report(
        "process dies right after the ack",
        result,
        died.size() + " acks cut short by the death, all delivered by other instances");
    result.assertValid();
    assertThat(died).hasSizeGreaterThanOrEqualTo(5);
    Set<String> heardAtLeastOnce = new HashSet<>();
    deliveredElsewhere
        .values()
        .forEach(cs -> cs.forEach(c -> heardAtLeastOnce.add(c.queue() + "#" + c.index())));
    history.operations().stream()
        .filter(op -> op instanceof Operation.Heard h && h.status() == Status.OK)
        .map(op -> ((Operation.Heard) op).completion())
        .forEach(c -> heardAtLeastOnce.add(c.queue() + "#" + c.index()));
    assertThat(heardAtLeastOnce)
        .as("every one of the 90 tasks' outcomes reached a listener that returned")
        .hasSize(90);
    assertThat(died)
        .allSatisfy(
            (key, c) ->
                assertThat(deliveredElsewhere.get(key))
                    .as("delivered elsewhere: %s", key)
                    .isNotNull()
                    .allSatisfy(
                        again -> {
                          assertThat(again.token()).isEqualTo(c.token());
                          assertThat(again.outcome().toString()).isEqualTo(c.outcome().toString());
                        }));
    for (QueueRef q : queues) {
      assertThat(crashing.info(q).leases()).as("every lease released").isEmpty();
    }
  }

  /** Completions the listeners returned for more than once (at-least-once delivery). */
  private long duplicates() {
    Set<String> seen = new HashSet<>();
    long twice = 0;
    for (Operation op : history.operations()) {
      if (op instanceof Operation.Heard h && h.status() == Status.OK) {
        Completion c = h.completion();
        if (!seen.add(c.queue() + "#" + c.index())) {
          twice++;
        }
      }
    }
    return twice;
  }
}
