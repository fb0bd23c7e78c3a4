package io.workqueue.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import io.workqueue.Completion;
import io.workqueue.InvalidArgumentException;
import io.workqueue.NewTask;
import io.workqueue.Outcome;
import io.workqueue.PayloadTooLargeException;
import io.workqueue.QueueInfo;
import io.workqueue.QueueRef;
import io.workqueue.Task;
import io.workqueue.WorkQueue;
import io.workqueue.WorkQueues;
import io.workqueue.testkit.InMemoryKeyProvider;
import io.workqueue.testkit.TestQueues;
import java.io.ByteArrayInputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Bad input on the public API over the real backends, beyond {@code WorkQueueContract.BadInput}:
 * each call is refused with an {@link InvalidArgumentException} naming the argument, and neither
 * the queue's state (its info) nor Redis (its key count) changed. Edge values that are allowed
 * round-trip exactly through Cassandra and Redis.
 */
class ReliabilityBadInputTest {
  private static final Duration TTR = Duration.ofSeconds(30);

  private final List<Completion> completions = new CopyOnWriteArrayList<>();
  private final WorkQueue queue =
      WorkQueues.builder()
          .taskStore(RealServers.store())
          .bookkeeper(RealServers.bookkeeper())
          .keyProvider(new InMemoryKeyProvider())
          .completionListener(completions::add)
          .build();
  private QueueRef q;
  private QueueInfo before;
  private long keysBefore;

  @BeforeEach
  void seed() {
    q = TestQueues.fresh();
    queue.add(q, NewTask.of("seed"));
    queue.fetch(q, "holder", TTR).orElseThrow();
    queue.add(q, NewTask.of("waiting"));
    before = queue.info(q);
    keysBefore = RealServers.redisAdmin().dbSize();
  }

  /** The call is refused naming {@code argument}, and nothing changed. */
  private void rejected(String argument, Runnable call) {
    assertThatThrownBy(call::run)
        .isInstanceOf(InvalidArgumentException.class)
        .satisfies(e -> assertThat(((InvalidArgumentException) e).argument()).isEqualTo(argument))
        .hasMessageStartingWith(argument + ": ");
    assertThat(queue.info(q)).as("the queue after a refused call").isEqualTo(before);
    assertThat(RealServers.redisAdmin().dbSize())
        .as("Redis keys after a refused call")
        .isEqualTo(keysBefore);
  }

  @Nested
  @DisplayName("ids")
  class Ids {
    @Test
    @DisplayName("service ids with braces, colons, slashes, control or non-ASCII characters")
    void serviceIds() {
      for (String bad :
          List.of(
              "a{b",
              "a}b",
              "a:b",
              "a/b",
              "a\nb",
              "a\tb",
              "a\u0000b",
              "ünï",
              "日本",
              "a b",
              "a|b",
              "a*b",
              "-a",
              ".a",
              "_a")) {
        rejected("service", () -> QueueRef.of("owner", bad));
        rejected("owner", () -> QueueRef.of(bad, "service"));
      }
    }

    @Test
    @DisplayName("ids at the length limit work on the real backends; one more, or 10 000, do not")
    void lengths() {
      QueueRef longest = QueueRef.of("o" + "x".repeat(99), "s" + "y".repeat(99));
      String worker = "w" + "z".repeat(199);
      queue.add(longest, NewTask.of("long ids"));
      Task t = queue.fetch(longest, worker, TTR).orElseThrow();
      assertThat(t.value().asText()).isEqualTo("long ids");
      assertThat(queue.info(longest).leases())
          .singleElement()
          .satisfies(l -> assertThat(l.worker()).isEqualTo(worker));
      assertThat(queue.ack(longest, worker)).isTrue();
      keysBefore = RealServers.redisAdmin().dbSize();

      rejected("owner", () -> QueueRef.of("o".repeat(101), "s"));
      rejected("service", () -> QueueRef.of("o", "s".repeat(10_000)));
      rejected("worker", () -> queue.fetch(q, "w".repeat(201), TTR));
      assertThatThrownBy(() -> queue.fetch(q, "w".repeat(100_000), TTR))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("100000 characters")
          .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(300));
    }

    @Test
    @DisplayName("worker ids with braces, slashes, the lease separator '|', control or non-ASCII")
    void workerIds() {
      for (String bad :
          List.of(
              "w{1}",
              "w}", "w/1", "w|1", "w\n", "w\t1", "w\u0000", "wörker", "w 1", ":w", "@w", "-w", "",
              "   ")) {
        rejected("worker", () -> queue.fetch(q, bad, TTR));
        rejected("worker", () -> queue.fetchBatch(q, bad, 5, TTR));
        rejected("worker", () -> queue.ack(q, bad));
        rejected("worker", () -> queue.ack(q, bad, 1, Outcome.success()));
        rejected("worker", () -> queue.ackAll(q, bad, List.of(1L)));
      }
      rejected("worker", () -> queue.fetchBatch(q, null, 5, TTR));
      rejected("worker", () -> queue.ackAll(q, null, Map.of(1L, Outcome.success())));
    }

    @Test
    @DisplayName("worker ids with ':', '@', '.', '_' and '-' are allowed and work")
    void allowedWorkerIds() {
      String worker = "host-1.example_org:4711@pod-7";
      Task t = queue.fetch(q, worker, TTR).orElseThrow();
      assertThat(t.value().asText()).isEqualTo("waiting");
      assertThat(queue.info(q).leases()).extracting(l -> l.worker()).contains(worker);
      assertThat(queue.ack(q, worker, Outcome.success("ok"))).isTrue();
      assertThat(completions)
          .singleElement()
          .satisfies(c -> assertThat(c.worker()).isEqualTo(worker));
    }

    @Test
    @DisplayName("a null queue is refused by every method, naming queue")
    void nullQueue() {
      rejected("queue", () -> queue.addAll(null, List.of(NewTask.of(1))));
      rejected("queue", () -> queue.fetch(null, "w"));
      rejected("queue", () -> queue.fetch(null, "w", TTR));
      rejected("queue", () -> queue.fetchBatch(null, "w", 1, TTR));
      rejected("queue", () -> queue.ack(null, "w"));
      rejected("queue", () -> queue.ack(null, "w", Outcome.success()));
      rejected("queue", () -> queue.ack(null, "w", 1, Outcome.success()));
      rejected("queue", () -> queue.ackAll(null, "w", List.of(1L)));
      rejected("queue", () -> queue.ackAll(null, "w", Map.of(1L, Outcome.success())));
      rejected("queue", () -> queue.rewind(null, 0));
      rejected("queue", () -> queue.deliverPendingCompletions(null));
    }
  }

  @Nested
  @DisplayName("durations, indices and batch sizes")
  class Numbers {
    @Test
    @DisplayName("negative, zero, sub-millisecond, null and over-a-day times to recover")
    void timesToRecover() {
      for (Duration bad :
          new Duration[] {
            Duration.ofMillis(-1),
            Duration.ZERO,
            Duration.ofNanos(999_999),
            Duration.ofDays(1).plusMillis(1),
            Duration.ofSeconds(Long.MAX_VALUE),
            Duration.ofSeconds(Long.MIN_VALUE)
          }) {
        rejected("timeToRecover", () -> queue.fetch(q, "w", bad));
        rejected("timeToRecover", () -> queue.fetchBatch(q, "w", 3, bad));
      }
      rejected("timeToRecover", () -> queue.fetchBatch(q, "w", 3, null));
    }

    @Test
    @DisplayName("the shortest and longest times to recover are allowed")
    void timeToRecoverBounds() {
      Task shortest = queue.fetch(q, "quick", Duration.ofMillis(1)).orElseThrow();
      assertThat(queue.ack(q, "quick", shortest.index(), Outcome.success()))
          .as("expired, but not taken over: still held")
          .isTrue();
      queue.add(q, NewTask.of("long"));
      Task longest = queue.fetch(q, "patient", Duration.ofDays(1)).orElseThrow();
      assertThat(longest.deadline()).isAfter(java.time.Instant.now().plus(Duration.ofHours(23)));
      assertThat(queue.ack(q, "patient")).isTrue();
    }

    @Test
    @DisplayName("negative and zero indices, and nulls in index lists and outcome maps")
    void indices() {
      for (long bad : new long[] {0, -1, Long.MIN_VALUE}) {
        rejected("index", () -> queue.ack(q, "holder", bad, Outcome.success()));
        rejected("indices", () -> queue.ackAll(q, "holder", List.of(1L, bad)));
        rejected("outcomes", () -> queue.ackAll(q, "holder", Map.of(bad, Outcome.success())));
        rejected("index", () -> queue.rewind(q, bad == 0 ? -1 : bad));
      }
      rejected("index", () -> queue.rewind(q, Long.MAX_VALUE));
      Map<Long, Outcome> nullKey = new HashMap<>();
      nullKey.put(null, Outcome.success());
      rejected("outcomes", () -> queue.ackAll(q, "holder", nullKey));
      Map<Long, Outcome> nullValue = new HashMap<>();
      nullValue.put(1L, null);
      rejected("outcomes", () -> queue.ackAll(q, "holder", nullValue));
      rejected("outcomes", () -> queue.ackAll(q, "holder", (Map<Long, Outcome>) null));
      Map<Long, Outcome> tooMany = new LinkedHashMap<>();
      for (long i = 1; i <= WorkQueue.MAX_BATCH + 1; i++) {
        tooMany.put(i, Outcome.success());
      }
      rejected("outcomes", () -> queue.ackAll(q, "holder", tooMany));
      rejected("outcome", () -> queue.ack(q, "holder", 1, null));
      rejected("max", () -> queue.fetchBatch(q, "w", -1, TTR));
      rejected("max", () -> queue.fetchBatch(q, "w", Integer.MIN_VALUE, TTR));
    }
  }

  @Nested
  @DisplayName("values, tokens and outcomes")
  class Values {
    @Test
    @DisplayName("values over the limit are refused before anything is written, naming the field")
    void tooLarge() {
      rejected("value", () -> queue.add(q, NewTask.of("x".repeat(256 * 1024 - 1))));
      rejected("token", () -> queue.add(q, NewTask.of("v").token("t".repeat(64 * 1024))));
      rejected("result", () -> queue.ack(q, "holder", Outcome.success("r".repeat(64 * 1024))));
      rejected("error", () -> queue.ack(q, "holder", Outcome.failure("e".repeat(64 * 1024))));
      assertThatThrownBy(() -> NewTask.of(Map.of("big", "x".repeat(300_000))))
          .isInstanceOf(PayloadTooLargeException.class)
          .satisfies(
              e -> {
                PayloadTooLargeException p = (PayloadTooLargeException) e;
                assertThat(p.limit()).isEqualTo(262_144);
                assertThat(p.size()).isGreaterThan(300_000);
              });
      List<NewTask> batch = new ArrayList<>();
      for (int i = 0; i < 999; i++) {
        batch.add(NewTask.of(i));
      }
      batch.add(null);
      rejected("tasks", () -> queue.addAll(q, batch));
    }

    /** A graph with a cycle: a refers to b, b back to a. */
    public static final class Node {
      public Node next;
    }

    /** A bean whose getter throws. */
    public static final class Exploding {
      public String getValue() {
        throw new IllegalStateException("boom");
      }
    }

    @Test
    @DisplayName("values Jackson cannot map are refused naming value, token, result or error")
    void notMappable() {
      Node a = new Node();
      a.next = new Node();
      a.next.next = a;
      Map<String, Object> nullKey = new HashMap<>();
      nullKey.put(null, 1);
      for (Object bad :
          new Object[] {
            a,
            new Exploding(),
            Optional.of(1),
            nullKey,
            new ByteArrayInputStream(new byte[1]),
            new Object()
          }) {
        rejected("value", () -> queue.add(q, NewTask.of(bad)));
        rejected("token", () -> queue.add(q, NewTask.of("v").token(bad)));
        rejected("result", () -> queue.ack(q, "holder", Outcome.success(bad)));
        rejected("error", () -> queue.ack(q, "holder", Outcome.failure(bad)));
      }
    }

    @Test
    @DisplayName("edge values that are allowed round-trip exactly, with their tokens")
    void roundTrip() {
      Object deep = "bottom";
      for (int i = 0; i < 500; i++) {
        deep = List.of(deep);
      }
      List<Object> values = new ArrayList<>();
      values.add("");
      values.add("NUL \u0000 tab \t newline \n emoji \uD83D\uDE00 rtl \u05D0\u05D1 ñ");
      values.add(new BigInteger("9".repeat(400)));
      values.add(0.1);
      values.add(1e-320);
      values.add(Long.MIN_VALUE);
      values.add(Map.of());
      values.add(List.of());
      values.add(deep);
      values.add(null);
      values.add("x".repeat(256 * 1024 - 2));
      QueueRef r = TestQueues.fresh();
      List<NewTask> tasks = new ArrayList<>();
      for (int i = 0; i < values.size(); i++) {
        NewTask t = NewTask.of(values.get(i));
        tasks.add(i % 2 == 0 ? t.token(null) : t.token(Map.of("step", i, "of", values.size())));
      }
      queue.addAll(r, tasks);
      for (NewTask expected : tasks) {
        Task got = queue.fetch(r, "w", TTR).orElseThrow();
        assertThat(got.value().toString()).isEqualTo(expected.value().toString());
        assertThat(queue.ack(r, "w", Outcome.success(got.value().size()))).isTrue();
      }
      assertThat(completions).hasSize(values.size());
      for (int i = 0; i < values.size(); i++) {
        Completion c = completions.get(i);
        JsonNode token = tasks.get((int) c.index() - 1).token().orElseThrow();
        assertThat(c.token()).as("token of task %d", c.index()).contains(token);
        if (i % 2 == 0) {
          assertThat(c.token()).contains(NullNode.getInstance());
        }
      }
    }
  }

  @Nested
  @DisplayName("a worker id used on several queues")
  class WorkerAcrossQueues {
    @Test
    @DisplayName("leases are per queue: one worker id holds one single lease in each queue")
    void perQueue() {
      QueueRef q1 = TestQueues.fresh();
      QueueRef q2 = TestQueues.fresh("other");
      queue.addAll(q1, List.of(NewTask.of("q1-a"), NewTask.of("q1-b")));
      queue.addAll(q2, List.of(NewTask.of("q2-a"), NewTask.of("q2-b"), NewTask.of("q2-c")));
      Task t1 = queue.fetch(q1, "shared", TTR).orElseThrow();
      Task t2 = queue.fetch(q2, "shared", TTR).orElseThrow();
      assertThat(queue.fetch(q1, "shared", TTR)).as("its own lease in q1 again").contains(t1);
      assertThat(queue.fetch(q2, "shared", TTR)).as("its own lease in q2 again").contains(t2);
      List<Task> batch = queue.fetchBatch(q2, "shared", 5, TTR);
      assertThat(batch).extracting(t -> t.value().asText()).containsExactly("q2-b", "q2-c");

      assertThat(queue.ack(q1, "shared")).as("acknowledges q1's lease only").isTrue();
      assertThat(queue.info(q1).leases()).isEmpty();
      assertThat(queue.info(q2).leases())
          .hasSize(3)
          .allSatisfy(l -> assertThat(l.worker()).isEqualTo("shared"));
      assertThat(queue.ack(q2, "shared", t2.index(), Outcome.success())).isTrue();
      assertThat(queue.ackAll(q1, "shared", batch.stream().map(Task::index).toList()))
          .as("q2's batch leases are not held in q1")
          .isEmpty();
      assertThat(queue.ackAll(q2, "shared", batch.stream().map(Task::index).toList()))
          .containsExactlyInAnyOrderElementsOf(batch.stream().map(Task::index).toList());
      assertThat(queue.fetch(q1, "shared", TTR).orElseThrow().value().asText()).isEqualTo("q1-b");
    }
  }

  @Nested
  @DisplayName("the builder")
  class Builder {
    @Test
    @DisplayName("refuses missing adapters and bad durations, naming the setting")
    void settings() {
      assertThatThrownBy(() -> WorkQueues.builder().taskStore(null))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageStartingWith("taskStore: ");
      assertThatThrownBy(() -> WorkQueues.builder().clock(null))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageStartingWith("clock: ");
      assertThatThrownBy(() -> WorkQueues.builder().completionListener(null))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageStartingWith("completionListener: ");
      assertThatThrownBy(
              () ->
                  WorkQueues.builder()
                      .taskStore(RealServers.store())
                      .keyProvider(new InMemoryKeyProvider())
                      .build())
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageStartingWith("bookkeeper: ");
      for (Duration bad :
          new Duration[] {null, Duration.ofMillis(-5), Duration.ZERO, Duration.ofDays(2)}) {
        assertThatThrownBy(() -> WorkQueues.builder().completionRetryDelay(bad))
            .isInstanceOf(InvalidArgumentException.class)
            .hasMessageStartingWith("completionRetryDelay: ");
        assertThatThrownBy(() -> WorkQueues.builder().holeGracePeriod(bad))
            .isInstanceOf(InvalidArgumentException.class)
            .hasMessageStartingWith("holeGracePeriod: ");
      }
    }
  }

  /**
   * Values JSON cannot carry faithfully are refused naming the argument, and decimals come back
   * with every digit.
   */
  @Nested
  @DisplayName("what JSON cannot carry faithfully")
  class Unrepresentable {
    @Test
    @DisplayName("non-finite numbers are refused, not turned into strings")
    void nonFinite() {
      rejected("value", () -> queue.add(q, NewTask.of(Map.of("x", Double.NaN))));
      rejected("value", () -> queue.add(q, NewTask.of(Double.POSITIVE_INFINITY)));
      rejected("result", () -> queue.ack(q, "holder", Outcome.success(Double.NaN)));
    }

    @Test
    @DisplayName("strings with unpaired surrogates are refused, not changed")
    void unpairedSurrogate() {
      rejected("value", () -> queue.add(q, NewTask.of("a\uD800b")));
      rejected("token", () -> queue.add(q, NewTask.of("v").token("\uDC00")));
    }

    @Test
    @DisplayName("values nested too deep are refused naming the argument")
    void tooDeep() {
      Object deep = "x";
      for (int i = 0; i < 2000; i++) {
        deep = List.of(deep);
      }
      Object deeper = deep;
      for (int i = 0; i < 3000; i++) {
        deeper = List.of(deeper);
      }
      Object d1 = deep;
      Object d2 = deeper;
      rejected("value", () -> queue.add(q, NewTask.of(d1)));
      rejected("value", () -> queue.add(q, NewTask.of(d2)));
    }

    @Test
    @DisplayName("big decimals come back with every digit")
    void bigDecimals() {
      QueueRef r = TestQueues.fresh();
      for (String d : List.of("3.14159265358979323846264338327950288", "1E+400")) {
        NewTask given = NewTask.of(new BigDecimal(d));
        queue.add(r, given);
        Task got = queue.fetch(r, "w", TTR).orElseThrow();
        assertThat(got.value().decimalValue()).isEqualByComparingTo(new BigDecimal(d));
        queue.ack(r, "w");
      }
    }
  }
}
