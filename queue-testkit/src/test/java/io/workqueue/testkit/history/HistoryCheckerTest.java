package io.workqueue.testkit.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.LongNode;
import io.workqueue.Completion;
import io.workqueue.NewTask;
import io.workqueue.Outcome;
import io.workqueue.QueueRef;
import io.workqueue.Task;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The checker on hand-made histories: each invariant, kept and broken. */
class HistoryCheckerTest {
  private static final QueueRef Q = QueueRef.of("owner", "svc");
  private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
  private static final Duration TTR = Duration.ofSeconds(30);

  private final History history = new History(java.time.Clock.fixed(T0, java.time.ZoneOffset.UTC));

  /** A call that ran from {@code ms} to {@code ms + 1} (real time and clock alike). */
  private static Timing at(long ms) {
    return new Timing(ms * 1_000_000, (ms + 1) * 1_000_000, T0.plusMillis(ms), T0.plusMillis(ms));
  }

  private void add(long ms, Object value, long index) {
    addTask(ms, NewTask.of(value), index, Status.OK);
  }

  private void addTask(long ms, NewTask task, long index, Status status) {
    history.append(
        seq ->
            new Operation.Add(
                seq,
                "n1",
                "t",
                Q,
                at(ms),
                status,
                status == Status.OK ? Optional.empty() : Optional.of("BackendUnavailable"),
                List.of(task),
                status == Status.OK ? List.of(index) : List.of()));
  }

  private void fetch(long ms, String worker, long index, Object value, int deliveries) {
    fetchValue(ms, worker, index, NewTask.of(value).value(), deliveries, TTR);
  }

  private void fetchValue(
      long ms, String worker, long index, JsonNode value, int deliveries, Duration ttr) {
    Task task =
        new Task(Q, index, value, Optional.empty(), deliveries, T0, T0.plusMillis(ms).plus(ttr));
    history.append(
        seq ->
            new Operation.Fetch(
                seq,
                "n1",
                "t",
                Q,
                at(ms),
                Status.OK,
                Optional.empty(),
                worker,
                ttr,
                false,
                List.of(task)));
  }

  private void ack(long ms, String worker, long index, boolean result) {
    ackWith(ms, worker, index, Outcome.success(), result);
  }

  private void ackWith(long ms, String worker, long index, Outcome outcome, boolean result) {
    history.append(
        seq ->
            new Operation.Ack(
                seq,
                "n1",
                "t",
                Q,
                at(ms),
                Status.OK,
                Optional.empty(),
                worker,
                Map.of(index, outcome),
                true,
                result ? Set.of(index) : Set.of(),
                false));
  }

  private void heard(long ms, String worker, long index, Optional<JsonNode> token, Outcome o) {
    heardWith(ms, worker, index, token, o, Status.OK);
  }

  private void heardWith(
      long ms, String worker, long index, Optional<JsonNode> token, Outcome o, Status status) {
    Completion c = new Completion(Q, index, worker, token, o, T0.plusMillis(ms));
    history.append(
        seq ->
            new Operation.Heard(
                seq,
                "n1",
                "t",
                Q,
                at(ms),
                status,
                status == Status.OK ? Optional.empty() : Optional.of("listener down"),
                c));
  }

  private CheckResult check() {
    return HistoryChecker.strict().check(history);
  }

  @Nested
  @DisplayName("a valid history")
  class Valid {
    @Test
    @DisplayName("add, fetch, ack and completion pass and are counted in the summary")
    void simple() {
      add(0, "a", 1);
      fetch(10, "w1", 1, "a", 1);
      ack(20, "w1", 1, true);
      heard(20, "w1", 1, Optional.empty(), Outcome.success());
      CheckResult r = check();
      assertThat(r.anomalies()).isEmpty();
      assertThat(r.valid()).isTrue();
      assertThat(r.summary())
          .isEqualTo("operations=3 adds=1 deliveries=1 redeliveries=0 acked=1 lost=0");
    }

    @Test
    @DisplayName("a lease recovered at its deadline by another worker is a redelivery, not overlap")
    void recoveredAtDeadline() {
      add(0, "a", 1);
      fetch(0, "w1", 1, "a", 1);
      fetch(30_000, "w2", 1, "a", 2); // starts exactly at w1's deadline
      ack(30_001, "w1", 1, false);
      ack(30_002, "w2", 1, true);
      heard(30_002, "w2", 1, Optional.empty(), Outcome.success());
      CheckResult r = check();
      assertThat(r.anomalies()).isEmpty();
      assertThat(r.deliveries()).isEqualTo(2);
      assertThat(r.redeliveries()).isEqualTo(1);
    }

    @Test
    @DisplayName("a worker fetching its own lease again is one delivery")
    void sameLeaseAgain() {
      add(0, "a", 1);
      fetch(10, "w1", 1, "a", 1);
      history.append(
          seq -> {
            Operation.Fetch first = (Operation.Fetch) history.operations().get(1);
            return new Operation.Fetch(
                seq,
                "n1",
                "t",
                Q,
                at(15),
                Status.OK,
                Optional.empty(),
                "w1",
                Duration.ofSeconds(5),
                false,
                first.tasks());
          });
      assertThat(check().deliveries()).isEqualTo(1);
    }

    @Test
    @DisplayName("an add that threw may stay undelivered, or be delivered under an index")
    void indeterminateAdds() {
      addTask(0, NewTask.of("maybe-1"), 0, Status.INDETERMINATE);
      addTask(1, NewTask.of("maybe-2"), 0, Status.INDETERMINATE);
      fetch(10, "w1", 2, "maybe-2", 1);
      CheckResult r = check();
      assertThat(r.anomalies()).isEmpty();
      assertThat(r.indeterminateAdds()).isEqualTo(2);
      assertThat(r.indeterminateDelivered()).isEqualTo(1);
      assertThat(r.lost()).isZero();
    }

    @Test
    @DisplayName("values compare as JSON text: an int and a long of the same number are equal")
    void numbersByText() {
      add(0, 5L, 1);
      assertThat(NewTask.of(5L).value()).isInstanceOf(LongNode.class);
      fetchValue(10, "w1", 1, IntNode.valueOf(5), 1, TTR);
      assertThat(check().anomalies()).isEmpty();
    }

    @Test
    @DisplayName("a listener that threw first and returned on a retry delivered the completion")
    void retriedCompletion() {
      addTask(0, NewTask.of("a").token("tok"), 1, Status.OK);
      fetch(10, "w1", 1, "a", 1);
      ackWith(20, "w1", 1, Outcome.success(0), true);
      Optional<JsonNode> tok = NewTask.of("a").token("tok").token();
      heardWith(20, "w1", 1, tok, Outcome.success(0), Status.INDETERMINATE);
      heard(5_020, "w1", 1, tok, Outcome.success(0));
      CheckResult r = check();
      assertThat(r.anomalies()).isEmpty();
      assertThat(r.listenerFailures()).isEqualTo(1);
      assertThat(r.completions()).isEqualTo(1);
    }
  }

  @Nested
  @DisplayName("a history that breaks an invariant")
  class Broken {
    @Test
    @DisplayName("an add that returned and was never delivered is lost")
    void lost() {
      add(0, "a", 1);
      add(1, "b", 2);
      fetch(10, "w1", 2, "b", 1);
      CheckResult r = check();
      assertThat(r.lost()).isEqualTo(1);
      assertThat(r.anomalies())
          .singleElement()
          .satisfies(
              a -> {
                assertThat(a.kind()).isEqualTo(Anomaly.Kind.LOST);
                assertThat(a.index()).isEqualTo(1);
              });
      assertThat(r.summary()).endsWith("lost=1");
    }

    @Test
    @DisplayName("two adds that returned the same index: duplicate, and the overwritten one lost")
    void duplicateIndex() {
      add(0, "first", 7);
      add(5, "second", 7);
      fetch(10, "w1", 7, "second", 1);
      CheckResult r = check();
      assertThat(r.counts())
          .containsEntry(Anomaly.Kind.DUPLICATE_INDEX, 1)
          .containsEntry(Anomaly.Kind.LOST, 1);
    }

    @Test
    @DisplayName("a second worker getting a task before the first lease's deadline overlaps")
    void overlap() {
      add(0, "a", 1);
      fetch(0, "w1", 1, "a", 1);
      fetch(29_999, "w2", 1, "a", 2);
      CheckResult r = check();
      assertThat(r.counts()).containsOnlyKeys(Anomaly.Kind.OVERLAPPING_LEASES);
      assertThat(r.anomalies().get(0).description()).contains("w2").contains("w1");
    }

    @Test
    @DisplayName("a delivery after the first worker's ack is no overlap, but a forgotten ack")
    void deliveredAfterAck() {
      add(0, "a", 1);
      fetch(0, "w1", 1, "a", 1);
      ack(5, "w1", 1, true);
      heard(5, "w1", 1, Optional.empty(), Outcome.success());
      fetch(10, "w2", 1, "a", 1);
      CheckResult r = check();
      assertThat(r.counts()).containsOnlyKeys(Anomaly.Kind.FORGOTTEN_ACK);
      assertThat(HistoryChecker.strict().tolerating(Anomaly.Kind.FORGOTTEN_ACK).check(history))
          .satisfies(t -> assertThat(t.valid()).isTrue())
          .satisfies(t -> assertThat(t.count(Anomaly.Kind.FORGOTTEN_ACK)).isEqualTo(1));
    }

    @Test
    @DisplayName("an ack returning true after the lease was taken over is stale")
    void staleAck() {
      add(0, "a", 1);
      fetch(0, "w1", 1, "a", 1);
      fetch(30_000, "w2", 1, "a", 2);
      ack(30_005, "w1", 1, true);
      heard(30_005, "w1", 1, Optional.empty(), Outcome.success());
      CheckResult r = check();
      assertThat(r.counts()).containsOnlyKeys(Anomaly.Kind.STALE_ACK);
    }

    @Test
    @DisplayName("an ack concurrent with the takeover gets the benefit of the doubt")
    void ackRacingTakeover() {
      add(0, "a", 1);
      fetch(0, "w1", 1, "a", 1);
      fetch(30_000, "w2", 1, "a", 2); // runs 30000..30001 ms
      ack(30_000, "w1", 1, true); // also invoked at 30000 ms: may have come first
      heard(30_000, "w1", 1, Optional.empty(), Outcome.success());
      assertThat(check().counts()).doesNotContainKey(Anomaly.Kind.STALE_ACK);
    }

    @Test
    @DisplayName("two acks of one index returning true are a double ack")
    void doubleAck() {
      add(0, "a", 1);
      fetch(0, "w1", 1, "a", 1);
      ack(5, "w1", 1, true);
      ack(6, "w1", 1, true);
      heard(6, "w1", 1, Optional.empty(), Outcome.success());
      assertThat(check().counts()).containsOnlyKeys(Anomaly.Kind.DOUBLE_ACK);
    }

    @Test
    @DisplayName("an ack without a completion the listener returned for is a missing completion")
    void missingCompletion() {
      add(0, "a", 1);
      fetch(0, "w1", 1, "a", 1);
      ack(5, "w1", 1, true);
      heardWith(5, "w1", 1, Optional.empty(), Outcome.success(), Status.INDETERMINATE);
      assertThat(check().counts()).containsOnlyKeys(Anomaly.Kind.COMPLETION_MISSING);
    }

    @Test
    @DisplayName("a completion with another token or outcome than given is a mismatch")
    void mismatch() {
      addTask(0, NewTask.of("a").token("right"), 1, Status.OK);
      addTask(1, NewTask.of("b").token("b-tok"), 2, Status.OK);
      fetch(2, "w1", 1, "a", 1);
      fetch(3, "w2", 2, "b", 1);
      ackWith(5, "w1", 1, Outcome.success(false), true);
      ackWith(6, "w2", 2, Outcome.failure("boom"), true);
      heard(5, "w1", 1, NewTask.of(1).token("wrong").token(), Outcome.success(false));
      heard(6, "w2", 2, NewTask.of(1).token("b-tok").token(), Outcome.success());
      CheckResult r = check();
      assertThat(r.count(Anomaly.Kind.COMPLETION_MISMATCH)).isEqualTo(2);
      assertThat(r.anomalies()).extracting(Anomaly::index).containsExactlyInAnyOrder(1L, 2L);
    }

    @Test
    @DisplayName(
        "a delivery that matches no add is unknown, an add that definitely failed included")
    void unknownDelivery() {
      add(0, "a", 1);
      addTask(1, NewTask.of("refused"), 0, Status.FAILED);
      fetch(2, "w1", 1, "a", 1);
      fetch(3, "w2", 2, "refused", 1);
      fetch(4, "w3", 3, "from nowhere", 1);
      assertThat(check().count(Anomaly.Kind.UNKNOWN_DELIVERY)).isEqualTo(2);
    }

    @Test
    @DisplayName("assertValid lists the violations and the summary")
    void assertValid() {
      add(0, "a", 1);
      assertThatThrownBy(() -> check().assertValid())
          .isInstanceOf(AssertionError.class)
          .hasMessageContaining("lost=1")
          .hasMessageContaining("LOST owner/svc #1");
    }
  }
}
