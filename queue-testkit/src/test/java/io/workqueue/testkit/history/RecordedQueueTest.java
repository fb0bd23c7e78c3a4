package io.workqueue.testkit.history;

import static org.assertj.core.api.Assertions.assertThat;

import io.workqueue.NewTask;
import io.workqueue.Outcome;
import io.workqueue.QueueRef;
import io.workqueue.Task;
import io.workqueue.WorkQueues;
import io.workqueue.spi.Bookkeeper;
import io.workqueue.testkit.InMemoryBookkeeper;
import io.workqueue.testkit.InMemoryKeyProvider;
import io.workqueue.testkit.InMemoryTaskStore;
import io.workqueue.testkit.SettableClock;
import io.workqueue.testkit.TestQueues;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The recorder and the checker on the real core over in-memory adapters: a correct bookkeeper under
 * concurrency passes; bookkeepers broken on purpose are rejected.
 */
class RecordedQueueTest {
  private final InMemoryTaskStore store = new InMemoryTaskStore();
  private final InMemoryKeyProvider keys = new InMemoryKeyProvider();

  private RecordingWorkQueue node(History history, Bookkeeper bookkeeper, String name) {
    return history.record(
        WorkQueues.builder()
            .taskStore(store)
            .bookkeeper(bookkeeper)
            .keyProvider(keys)
            .clock(history.clock())
            .completionListener(history.listener(name))
            .completionRetryDelay(Duration.ofMillis(100))
            .holeGracePeriod(Duration.ofMillis(500))
            .build(),
        name);
  }

  @Nested
  @DisplayName("recording")
  class Recording {
    private final SettableClock clock = SettableClock.atSystemTime();
    private final History history = new History(clock);
    private final RecordingWorkQueue queue = node(history, new InMemoryBookkeeper(), "n1");
    private final QueueRef q = TestQueues.fresh();

    @Test
    @DisplayName("records every call with its result, and infers the index of a plain ack")
    void records() {
      queue.add(q, NewTask.of("a").token("t-a"));
      queue.addAll(q, List.of(NewTask.of("b"), NewTask.of("c")));
      Task a = queue.fetch(q, "w1", Duration.ofSeconds(10)).orElseThrow();
      assertThat(queue.ack(q, "w1", Outcome.success(0))).isTrue();
      List<Task> batch = queue.fetchBatch(q, "w2", 5, Duration.ofSeconds(10));
      assertThat(queue.ackAll(q, "w2", Map.of(2L, Outcome.failure("no")))).containsExactly(2L);
      queue.info(q);

      List<Operation> ops = history.operations();
      assertThat(ops)
          .extracting(op -> op.getClass().getSimpleName())
          .containsExactly("Add", "Add", "Fetch", "Heard", "Ack", "Fetch", "Heard", "Ack", "Call");
      assertThat(((Operation.Add) ops.get(1)).indices()).containsExactly(2L, 3L);
      Operation.Ack plain = (Operation.Ack) ops.get(4);
      assertThat(plain.indexGiven()).isFalse();
      assertThat(plain.acknowledged()).containsExactly(a.index());
      assertThat(plain.outcomes()).containsEntry(1L, Outcome.success(0));
      assertThat(((Operation.Fetch) ops.get(5)).tasks()).hasSize(batch.size()).hasSize(2);
      assertThat(ops).allSatisfy(op -> assertThat(op.status()).isEqualTo(Status.OK));
      assertThat(ops)
          .extracting(Operation::seq)
          .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L);

      CheckResult open = HistoryChecker.strict().check(history);
      assertThat(open.lost()).as("index 3 is leased to w2, not acknowledged").isZero();
      assertThat(open.acked()).isEqualTo(2);
    }

    @Test
    @DisplayName("a failed call is recorded as failed, a refused one as failed, and rethrown")
    void failures() {
      try {
        queue.fetch(q, "bad worker", Duration.ofSeconds(1));
      } catch (io.workqueue.InvalidArgumentException expected) {
        // recorded
      }
      assertThat(history.operations())
          .singleElement()
          .satisfies(op -> assertThat(op.status()).isEqualTo(Status.FAILED))
          .satisfies(op -> assertThat(op.error()).hasValueSatisfying(e -> e.contains("worker")));
    }

    @Test
    @DisplayName("the drain recovers a dead worker's leases by moving a settable clock")
    void drainWithSettableClock() {
      for (int i = 0; i < 30; i++) {
        queue.add(q, NewTask.of("t" + i));
      }
      assertThat(queue.fetchBatch(q, "dead", 20, Duration.ofSeconds(30))).hasSize(20);
      Drain.Result drained =
          Drain.of(queue, List.of(q))
              .pollInterval(Duration.ofSeconds(1))
              .passTime(clock::advance)
              .run(Duration.ofSeconds(10));
      assertThat(drained.done()).as("%s", drained).isTrue();
      CheckResult r = HistoryChecker.strict().check(history);
      r.assertValid();
      assertThat(r.adds()).isEqualTo(30);
      assertThat(r.redeliveries()).isEqualTo(20);
      assertThat(r.acked()).isEqualTo(30);
    }
  }

  @Nested
  @DisplayName("under concurrency, with the system clock and leases shorter than the work")
  class UnderConcurrency {
    private final History history = new History(Clock.systemUTC());
    private final List<QueueRef> queues =
        List.of(TestQueues.fresh(), TestQueues.fresh(), TestQueues.fresh());

    private CheckResult runWith(UnaryOperator<Bookkeeper> breakIt) {
      Bookkeeper bookkeeper = breakIt.apply(new InMemoryBookkeeper());
      List<RecordingWorkQueue> nodes =
          List.of(node(history, bookkeeper, "n1"), node(history, bookkeeper, "n2"));
      Workload.Stats stats =
          Workload.builder()
              .nodes(nodes)
              .queues(queues)
              .threads(8)
              .timeToRecover(Duration.ofMillis(5), Duration.ofMillis(20))
              .maxWork(Duration.ofMillis(30))
              .abandonRate(0.1)
              .seed(42)
              .build()
              .run(Duration.ofMillis(1500));
      Drain.Result drained = Drain.of(nodes.get(0), queues).run(Duration.ofSeconds(5));
      CheckResult result = HistoryChecker.strict().check(history);
      System.out.println("in-memory load: " + stats + ", " + result + ", drain " + drained);
      return result;
    }

    @Test
    @DisplayName("the correct in-memory bookkeeper keeps every invariant, with many recoveries")
    void correct() {
      CheckResult r = runWith(b -> b);
      r.assertValid();
      assertThat(r.adds()).isPositive();
      assertThat(r.redeliveries()).as("leases expired and were recovered").isPositive();
      long lateAcks =
          history.operations().stream()
              .filter(op -> op instanceof Operation.Ack k && k.status() == Status.OK)
              .map(Operation.Ack.class::cast)
              .filter(k -> k.acknowledged().size() < k.outcomes().size())
              .count();
      assertThat(lateAcks).as("acks that came after a takeover returned false").isPositive();
    }

    @Test
    @DisplayName("a bookkeeper whose ack ignores who holds the lease is rejected: stale acks")
    void ackIgnoringOwner() {
      CheckResult r = runWith(BrokenBookkeepers.AckIgnoresOwner::new);
      assertThat(r.valid()).isFalse();
      assertThat(r.count(Anomaly.Kind.STALE_ACK)).isPositive();
    }

    @Test
    @DisplayName("a bookkeeper whose fetch hands out a held lease again is rejected: overlaps")
    void fetchSharingLeases() {
      CheckResult r = runWith(BrokenBookkeepers.FetchSharesLeases::new);
      assertThat(r.valid()).isFalse();
      assertThat(r.count(Anomaly.Kind.OVERLAPPING_LEASES)).isPositive();
    }
  }
}
