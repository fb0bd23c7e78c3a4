package io.workqueue.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.workqueue.InvalidArgumentException;
import io.workqueue.Priority;
import io.workqueue.QueueRef;
import io.workqueue.spi.QueueMark;
import io.workqueue.spi.StoredOutcome;
import io.workqueue.spi.StoredSchedule;
import io.workqueue.spi.StoredTask;
import io.workqueue.spi.TaskStore;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link TaskStore} passes. Extend it and return the store under test; each test
 * uses its own queues, so one shared store instance is fine.
 *
 * <p>Besides the SPI's javadoc, the kit holds stores to what both shipped stores do: buckets of at
 * most 1,000 indices (tests cross partition boundaries at multiples of 1,000), task times kept to
 * the nanosecond, schedule times kept to the millisecond (truncated), and bad arguments rejected
 * with an {@link InvalidArgumentException} naming the argument, before anything changes.
 *
 * <pre>{@code
 * class CassandraTaskStoreTest extends TaskStoreContract {
 *   protected TaskStore store() { return STORE; }
 * }
 * }</pre>
 */
public abstract class TaskStoreContract {

  /**
   * The store under test.
   *
   * @return the store
   */
  protected abstract TaskStore store();

  private static final Instant T0 = Instant.ofEpochMilli(1_700_000_000_123L);

  static StoredTask task(long index, String value, String token) {
    return new StoredTask(
        index,
        value.getBytes(StandardCharsets.UTF_8),
        Optional.ofNullable(token).map(t -> t.getBytes(StandardCharsets.UTF_8)),
        T0.plusMillis(index));
  }

  static List<StoredTask> tasks(long from, long to) {
    return LongStream.rangeClosed(from, to).mapToObj(i -> task(i, "v" + i, null)).toList();
  }

  private void putInChunks(QueueRef q, long from, long to) {
    for (long i = from; i <= to; i += 500) {
      store().put(q, tasks(i, Math.min(to, i + 499)));
    }
  }

  @Nested
  @DisplayName("tasks")
  class Tasks {
    @Test
    @DisplayName("a written task reads back byte for byte, with its token and enqueue time")
    void roundTrip() {
      QueueRef q = TestQueues.fresh();
      StoredTask t = task(1, "sealed-value", "sealed-token");
      store().put(q, List.of(t));
      assertThat(store().get(q, 1)).contains(t);
    }

    @Test
    @DisplayName("a task without a token reads back without one")
    void noToken() {
      QueueRef q = TestQueues.fresh();
      store().put(q, List.of(task(7, "x", null)));
      assertThat(store().get(q, 7)).hasValueSatisfying(t -> assertThat(t.token()).isEmpty());
    }

    @Test
    @DisplayName("an index never written reads as empty")
    void missing() {
      QueueRef q = TestQueues.fresh();
      store().put(q, List.of(task(1, "x", null)));
      assertThat(store().get(q, 2)).isEmpty();
      assertThat(store().get(TestQueues.fresh(), 1)).isEmpty();
    }

    @Test
    @DisplayName("writing the same task twice is a no-op")
    void idempotent() {
      QueueRef q = TestQueues.fresh();
      store().put(q, List.of(task(3, "x", "t")));
      store().put(q, List.of(task(3, "x", "t")));
      assertThat(store().get(q, 3)).contains(task(3, "x", "t"));
    }

    @Test
    @DisplayName("queues with the same service under different owners do not mix")
    void isolation() {
      QueueRef a = QueueRef.of(TestQueues.fresh().owner(), "same");
      QueueRef b = QueueRef.of(TestQueues.fresh().owner(), "same");
      store().put(a, List.of(task(1, "a", null)));
      store().put(b, List.of(task(1, "b", null)));
      assertThat(new String(store().get(a, 1).orElseThrow().value(), StandardCharsets.UTF_8))
          .isEqualTo("a");
      assertThat(new String(store().get(b, 1).orElseThrow().value(), StandardCharsets.UTF_8))
          .isEqualTo("b");
    }

    @Test
    @DisplayName("getAll reads across partition boundaries and leaves out missing indices")
    void getAll() {
      QueueRef q = TestQueues.fresh();
      putInChunks(q, 1, 2100);
      List<Long> wanted = new ArrayList<>(List.of(1L, 999L, 1000L, 1001L, 1999L, 2000L, 2100L));
      wanted.add(2101L); // never written
      Map<Long, StoredTask> found = store().getAll(q, wanted);
      assertThat(found).containsOnlyKeys(1L, 999L, 1000L, 1001L, 1999L, 2000L, 2100L);
      found.forEach((i, t) -> assertThat(t).isEqualTo(task(i, "v" + i, null)));
    }

    @Test
    @DisplayName("a batch of consecutive indices reads back whole")
    void batch() {
      QueueRef q = TestQueues.fresh();
      store().put(q, tasks(990, 1089));
      Map<Long, StoredTask> found =
          store().getAll(q, LongStream.rangeClosed(990, 1089).boxed().toList());
      assertThat(found).hasSize(100);
    }

    @Test
    @DisplayName("concurrent writers of distinct indices all land")
    void concurrentWrites() throws Exception {
      QueueRef q = TestQueues.fresh();
      ExecutorService pool = Executors.newFixedThreadPool(8);
      try {
        List<Future<?>> fs = new ArrayList<>();
        for (long i = 1; i <= 200; i++) {
          long idx = i;
          fs.add(pool.submit(() -> store().put(q, List.of(task(idx, "v" + idx, null)))));
        }
        for (Future<?> f : fs) {
          f.get();
        }
      } finally {
        pool.shutdownNow();
      }
      assertThat(store().getAll(q, LongStream.rangeClosed(1, 200).boxed().toList())).hasSize(200);
    }
  }

  @Nested
  @DisplayName("outcomes")
  class Outcomes {
    @Test
    @DisplayName("an outcome reads back by index and the worker that wrote it, and only so")
    void keyedByWorker() {
      QueueRef q = TestQueues.fresh();
      StoredOutcome o =
          new StoredOutcome(5, "worker-A", "sealed".getBytes(StandardCharsets.UTF_8), T0);
      store().putOutcome(q, o);
      assertThat(store().getOutcome(q, 5, "worker-A")).contains(o);
      assertThat(store().getOutcome(q, 5, "worker-B")).isEmpty();
      assertThat(store().getOutcome(q, 6, "worker-A")).isEmpty();
    }

    @Test
    @DisplayName("outcomes written as a batch across partitions all read back")
    void batch() {
      QueueRef q = TestQueues.fresh();
      List<StoredOutcome> batch = new ArrayList<>();
      for (long i = 990; i < 1010; i++) {
        batch.add(new StoredOutcome(i, "w" + (i % 3), new byte[] {(byte) i}, T0.plusMillis(i)));
      }
      store().putOutcomes(q, batch);
      for (StoredOutcome o : batch) {
        assertThat(store().getOutcome(q, o.index(), o.worker())).contains(o);
      }
    }

    @Test
    @DisplayName("writing the same index and worker again replaces the outcome")
    void replace() {
      QueueRef q = TestQueues.fresh();
      store().putOutcome(q, new StoredOutcome(5, "w", new byte[] {1}, T0));
      StoredOutcome second = new StoredOutcome(5, "w", new byte[] {2}, T0.plusSeconds(1));
      store().putOutcome(q, second);
      assertThat(store().getOutcome(q, 5, "w")).contains(second);
    }
  }

  @Nested
  @DisplayName("queue marks")
  class Marks {
    @Test
    @DisplayName("a mark is created once, then replaced, and reads back")
    void marks() {
      QueueRef q = TestQueues.fresh();
      assertThat(store().queueMark(q)).isEmpty();
      store().createQueueMark(q);
      assertThat(store().queueMark(q)).contains(QueueMark.NEW);
      store().putQueueMark(q, new QueueMark(5000, 4200));
      store().createQueueMark(q);
      assertThat(store().queueMark(q))
          .as("create does not clobber")
          .contains(new QueueMark(5000, 4200));
      assertThat(store().queueMark(TestQueues.fresh())).isEmpty();
    }

    @Test
    @DisplayName("the highest stored index is found across partitions, over one empty partition")
    void highestIndex() {
      QueueRef q = TestQueues.fresh();
      assertThat(store().highestIndex(q, 1)).isEmpty();
      putInChunks(q, 1, 1200);
      assertThat(store().highestIndex(q, 1)).hasValue(1200);
      assertThat(store().highestIndex(q, 1100)).hasValue(1200);
      assertThat(store().highestIndex(q, 1201)).isEmpty();
      store().put(q, List.of(task(2500, "far", null)));
      assertThat(store().highestIndex(q, 1)).hasValue(2500);
    }
  }

  @Nested
  @DisplayName("dropping below a watermark")
  class Drop {
    @Test
    @DisplayName("drops whole ranges below the watermark and keeps every index at or above it")
    void dropBelow() {
      QueueRef q = TestQueues.fresh();
      putInChunks(q, 1, 3000);
      store().putOutcome(q, new StoredOutcome(2, "w", new byte[] {1}, T0));
      store().putOutcome(q, new StoredOutcome(2999, "w", new byte[] {1}, T0));

      long kept = store().dropBelow(q, 0, 2500);

      assertThat(kept).isBetween(0L, 2500L);
      for (long i : new long[] {2500, 2501, 3000}) {
        assertThat(store().get(q, i)).as("index %d", i).isPresent();
      }
      for (long i = kept; i < 2500; i += 97) {
        assertThat(store().get(q, i))
            .as("index %d, between new watermark and asked", i)
            .isPresent();
      }
      if (kept > 1) {
        assertThat(store().get(q, 1)).isEmpty();
        assertThat(store().get(q, kept - 1)).isEmpty();
        assertThat(store().getOutcome(q, 2, "w")).isEmpty();
      }
      assertThat(store().getOutcome(q, 2999, "w")).isPresent();
      assertThat(store().dropBelow(q, kept, 2500)).as("a repeated drop").isEqualTo(kept);
    }

    @Test
    @DisplayName("dropping one queue leaves other queues alone")
    void dropIsolated() {
      QueueRef a = TestQueues.fresh();
      QueueRef b = TestQueues.fresh();
      putInChunks(a, 1, 1200);
      putInChunks(b, 1, 1200);
      store().dropBelow(a, 0, 1200);
      assertThat(store().get(b, 1)).isPresent();
    }
  }

  private static void rejects(String argument, ThrowingCallable call) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            InvalidArgumentException.class, e -> assertThat(e.argument()).isEqualTo(argument));
  }

  @Nested
  @DisplayName("scheduling metadata of tasks")
  class Metadata {
    @Test
    @DisplayName(
        "notBefore (to the nanosecond), group and maxDeliveries read back by get and getAll")
    void present() {
      QueueRef q = TestQueues.fresh();
      StoredTask delayed =
          new StoredTask(
              1,
              new byte[] {1},
              Optional.of(new byte[] {2}),
              T0,
              Optional.of(T0.plusSeconds(90).plusNanos(123_456_789)),
              Optional.of("group-a.1"),
              7);
      StoredTask grouped =
          new StoredTask(
              1001,
              new byte[] {3},
              Optional.empty(),
              T0.plusNanos(1),
              Optional.empty(),
              Optional.of("g"),
              0);
      StoredTask limited =
          new StoredTask(
              1002,
              new byte[] {4},
              Optional.empty(),
              T0,
              Optional.of(Instant.parse("1969-12-31T23:59:59.999999999Z")),
              Optional.empty(),
              Integer.MAX_VALUE);
      store().put(q, List.of(delayed, grouped, limited));

      assertThat(store().get(q, 1)).contains(delayed);
      assertThat(store().get(q, 1001)).contains(grouped);
      assertThat(store().get(q, 1002)).contains(limited);
      StoredTask read = store().get(q, 1).orElseThrow();
      assertThat(read.notBefore()).contains(T0.plusSeconds(90).plusNanos(123_456_789));
      assertThat(read.group()).contains("group-a.1");
      assertThat(read.maxDeliveries()).isEqualTo(7);
      assertThat(store().getAll(q, List.of(1L, 1001L, 1002L)))
          .containsOnlyKeys(1L, 1001L, 1002L)
          .containsEntry(1L, delayed)
          .containsEntry(1001L, grouped)
          .containsEntry(1002L, limited);
    }

    @Test
    @DisplayName("a task without metadata reads back with none: no notBefore, no group, limit 0")
    void absent() {
      QueueRef q = TestQueues.fresh();
      store().put(q, List.of(task(5, "plain", null)));
      StoredTask read = store().get(q, 5).orElseThrow();
      assertThat(read.notBefore()).isEmpty();
      assertThat(read.group()).isEmpty();
      assertThat(read.maxDeliveries()).isZero();
      assertThat(store().getAll(q, List.of(5L)).get(5L)).isEqualTo(task(5, "plain", null));
    }

    @Test
    @DisplayName("a negative maxDeliveries is rejected, and nothing of the put is written")
    void negativeLimit() {
      QueueRef q = TestQueues.fresh();
      StoredTask bad =
          new StoredTask(
              2, new byte[] {1}, Optional.empty(), T0, Optional.empty(), Optional.empty(), -1);
      rejects("tasks", () -> store().put(q, List.of(task(1, "ok", null), bad)));
      assertThat(store().getAll(q, List.of(1L, 2L))).isEmpty();
    }
  }

  @Nested
  @DisplayName("all outcomes of an index")
  class AllOutcomes {
    @Test
    @DisplayName("come earliest first, whatever order they were written in; other indices apart")
    void earliestFirst() {
      QueueRef q = TestQueues.fresh();
      StoredOutcome late = new StoredOutcome(1500, "a-worker", new byte[] {3}, T0.plusSeconds(2));
      StoredOutcome early = new StoredOutcome(1500, "z-worker", new byte[] {1}, T0);
      StoredOutcome middle =
          new StoredOutcome(1500, "m-worker", new byte[] {2}, T0.plusSeconds(1).plusNanos(5));
      store().putOutcome(q, late);
      store().putOutcome(q, early);
      store().putOutcome(q, middle);
      store().putOutcome(q, new StoredOutcome(1501, "b", new byte[] {9}, T0.minusSeconds(5)));
      store().putOutcome(q, new StoredOutcome(1499, "c", new byte[] {9}, T0.minusSeconds(5)));

      assertThat(store().outcomes(q, 1500)).containsExactly(early, middle, late);
      assertThat(store().outcomes(q, 1501)).hasSize(1);
    }

    @Test
    @DisplayName("an index without outcomes, or of another queue, has none")
    void none() {
      QueueRef q = TestQueues.fresh();
      store().putOutcome(q, new StoredOutcome(3, "w", new byte[] {1}, T0));
      assertThat(store().outcomes(q, 4)).isEmpty();
      assertThat(store().outcomes(TestQueues.fresh(), 3)).isEmpty();
    }

    @Test
    @DisplayName("a replaced outcome is listed once, with its latest content")
    void replaced() {
      QueueRef q = TestQueues.fresh();
      store().putOutcome(q, new StoredOutcome(8, "w", new byte[] {1}, T0));
      StoredOutcome second = new StoredOutcome(8, "w", new byte[] {2}, T0.plusMillis(1));
      store().putOutcome(q, second);
      assertThat(store().outcomes(q, 8)).containsExactly(second);
    }
  }

  @Nested
  @DisplayName("purging a queue")
  class Purge {
    private final long urgent = Priority.URGENT.base();
    private final long low = Priority.LOW.base();

    @Test
    @DisplayName(
        "drops tasks and outcomes of every lane given, also above the highest index, its"
            + " schedules and its mark; other queues keep everything")
    void purge() {
      QueueRef q = QueueRef.of(TestQueues.fresh().owner(), "purged");
      QueueRef sibling = QueueRef.of(q.owner(), "sibling");
      QueueRef stranger = TestQueues.fresh();
      for (QueueRef x : List.of(q, sibling, stranger)) {
        store().createQueueMark(x);
        putInChunks(x, 1, 2100);
        store().put(x, tasks(urgent + 1, urgent + 10));
        store().put(x, tasks(low + 995, low + 1005));
        store().putOutcome(x, new StoredOutcome(3, "w", new byte[] {1}, T0));
        store().putOutcome(x, new StoredOutcome(urgent + 2, "w", new byte[] {1}, T0));
        store().putSchedule(x, schedule("tick", T0));
      }
      // a writer went beyond what the caller knows: tasks in the partition above NORMAL's highest
      store().put(q, tasks(3400, 3405));
      assertThat(store().services(q.owner())).containsExactly("purged", "sibling");

      Map<Priority, Long> highest = new EnumMap<>(Priority.class);
      highest.put(Priority.NORMAL, 2100L);
      highest.put(Priority.URGENT, urgent + 10);
      highest.put(Priority.LOW, low + 1005);
      highest.put(Priority.HIGH, Priority.HIGH.base()); // a lane never used
      store().purge(q, highest);

      List<Long> everyIndex = new ArrayList<>();
      LongStream.rangeClosed(1, 3405).forEach(everyIndex::add);
      LongStream.rangeClosed(urgent + 1, urgent + 10).forEach(everyIndex::add);
      LongStream.rangeClosed(low + 995, low + 1005).forEach(everyIndex::add);
      assertThat(store().getAll(q, everyIndex)).isEmpty();
      for (long i : new long[] {1, 1000, 2100, 3400, 3405, urgent + 1, low + 995, low + 1005}) {
        assertThat(store().get(q, i)).as("index %d", i).isEmpty();
      }
      assertThat(store().outcomes(q, 3)).isEmpty();
      assertThat(store().outcomes(q, urgent + 2)).isEmpty();
      assertThat(store().getOutcome(q, 3, "w")).isEmpty();
      assertThat(store().queueMark(q)).isEmpty();
      assertThat(store().schedules(q)).isEmpty();
      assertThat(store().highestIndex(q, 1)).isEmpty();
      assertThat(store().services(q.owner())).containsExactly("sibling");

      for (QueueRef x : List.of(sibling, stranger)) {
        assertThat(store().getAll(x, everyIndex)).as("tasks of %s", x).hasSize(2100 + 10 + 11);
        assertThat(store().outcomes(x, 3)).hasSize(1);
        assertThat(store().outcomes(x, urgent + 2)).hasSize(1);
        assertThat(store().queueMark(x)).contains(QueueMark.NEW);
        assertThat(store().schedules(x)).hasSize(1);
      }
      assertThat(store().services(stranger.owner())).containsExactly(stranger.service());
    }

    @Test
    @DisplayName("a purged queue can be used again from scratch, and purging again is harmless")
    void again() {
      QueueRef q = TestQueues.fresh();
      store().createQueueMark(q);
      store().put(q, tasks(1, 5));
      store().purge(q, Map.of(Priority.NORMAL, 5L));
      store().purge(q, Map.of(Priority.NORMAL, 5L));
      assertThat(store().queueMark(q)).isEmpty();

      store().createQueueMark(q);
      store().put(q, tasks(1, 2));
      assertThat(store().queueMark(q)).contains(QueueMark.NEW);
      assertThat(store().getAll(q, List.of(1L, 2L, 3L))).containsOnlyKeys(1L, 2L);
      assertThat(store().services(q.owner())).containsExactly(q.service());
    }

    @Test
    @DisplayName("rejects a null map and indices outside their lane, and then changes nothing")
    void badInput() {
      QueueRef q = TestQueues.fresh();
      store().createQueueMark(q);
      store().put(q, tasks(1, 3));
      rejects("highestIndex", () -> store().purge(q, null));
      rejects("highestIndex", () -> store().purge(q, Map.of(Priority.NORMAL, -1L)));
      rejects(
          "highestIndex", () -> store().purge(q, Map.of(Priority.NORMAL, 3L, Priority.URGENT, 5L)));
      rejects(
          "highestIndex",
          () -> store().purge(q, Map.of(Priority.URGENT, Priority.HIGH.base() + 1)));
      Map<Priority, Long> withNull = new HashMap<>();
      withNull.put(Priority.NORMAL, null);
      rejects("highestIndex", () -> store().purge(q, withNull));
      assertThat(store().getAll(q, List.of(1L, 2L, 3L))).hasSize(3);
      assertThat(store().queueMark(q)).isPresent();
    }
  }

  @Nested
  @DisplayName("services of an owner")
  class Services {
    @Test
    @DisplayName("lists the queues with a mark, sorted, and only the owner's")
    void sorted() {
      String owner = TestQueues.fresh().owner();
      for (String service : List.of("queue-b", "Queue-C", "queue-a", "queue-a.2", "0-first")) {
        store().createQueueMark(QueueRef.of(owner, service));
      }
      store().put(QueueRef.of(owner, "tasks-without-mark"), tasks(1, 1));
      store().createQueueMark(QueueRef.of(TestQueues.fresh().owner(), "queue-z"));
      assertThat(store().services(owner))
          .containsExactly("0-first", "Queue-C", "queue-a", "queue-a.2", "queue-b");
      assertThat(store().services(TestQueues.fresh().owner())).isEmpty();
    }

    @Test
    @DisplayName("rejects a null or blank owner")
    void badOwner() {
      rejects("owner", () -> store().services(null));
      rejects("owner", () -> store().services(" "));
    }
  }

  static StoredSchedule schedule(String id, Instant nextTick) {
    return new StoredSchedule(
        id,
        "every PT1M",
        ("template-" + id).getBytes(StandardCharsets.UTF_8),
        T0.minusSeconds(60),
        nextTick);
  }

  @Nested
  @DisplayName("schedules")
  class Schedules {
    @Test
    @DisplayName("are written, listed by id, replaced and deleted")
    void crud() {
      QueueRef q = TestQueues.fresh();
      assertThat(store().schedules(q)).isEmpty();
      StoredSchedule b = schedule("b-report", T0.plusSeconds(60));
      StoredSchedule a = schedule("a.cleanup", T0.plusSeconds(30));
      store().putSchedule(q, b);
      store().putSchedule(q, a);
      store().putSchedule(TestQueues.fresh(), schedule("other", T0));
      assertThat(store().schedules(q)).containsExactly(a, b);

      StoredSchedule b2 =
          new StoredSchedule("b-report", "0 0 * * * ?", new byte[] {7}, T0, T0.plusSeconds(3600));
      store().putSchedule(q, b2);
      assertThat(store().schedules(q)).containsExactly(a, b2);

      assertThat(store().deleteSchedule(q, "a.cleanup")).isTrue();
      assertThat(store().deleteSchedule(q, "a.cleanup")).as("deleted already").isFalse();
      assertThat(store().deleteSchedule(q, "never")).isFalse();
      assertThat(store().schedules(q)).containsExactly(b2);

      store().putSchedule(q, a);
      assertThat(store().schedules(q)).as("written again after a delete").containsExactly(a, b2);
    }

    @Test
    @DisplayName("keep times to the millisecond, truncated")
    void millis() {
      QueueRef q = TestQueues.fresh();
      Instant origin = Instant.parse("2030-05-06T07:08:09.123987654Z");
      Instant next = Instant.parse("2030-05-06T07:09:09.456999999Z");
      store().putSchedule(q, new StoredSchedule("s", "every PT1M", new byte[] {1}, origin, next));
      StoredSchedule read = store().schedules(q).get(0);
      assertThat(read.origin()).isEqualTo(Instant.parse("2030-05-06T07:08:09.123Z"));
      assertThat(read.nextTick()).isEqualTo(Instant.parse("2030-05-06T07:09:09.456Z"));
      assertThat(read.template()).containsExactly(1);
    }

    @Test
    @DisplayName("rejects null arguments and a blank id")
    void badInput() {
      QueueRef q = TestQueues.fresh();
      rejects("schedule", () -> store().putSchedule(q, null));
      rejects("schedule", () -> store().putSchedule(q, schedule(" ", T0)));
      rejects("queue", () -> store().putSchedule(null, schedule("s", T0)));
      rejects("id", () -> store().deleteSchedule(q, null));
      assertThat(store().schedules(q)).isEmpty();
    }
  }

  @Nested
  @DisplayName("advancing a schedule")
  class Advance {
    private final Instant tick = Instant.parse("2031-01-01T00:00:00.250Z");

    @Test
    @DisplayName("moves the next tick only from the expected one, once")
    void compareAndSet() {
      QueueRef q = TestQueues.fresh();
      store().putSchedule(q, schedule("s", tick));
      store().putSchedule(q, schedule("t", tick));

      assertThat(store().advanceSchedule(q, "s", tick, tick.plusSeconds(60))).isTrue();
      assertThat(store().advanceSchedule(q, "s", tick, tick.plusSeconds(120)))
          .as("a second claim of the same tick")
          .isFalse();
      assertThat(store().advanceSchedule(q, "s", tick.plusSeconds(1), tick.plusSeconds(120)))
          .as("a tick it never had")
          .isFalse();
      assertThat(store().schedules(q))
          .containsExactly(schedule("s", tick.plusSeconds(60)), schedule("t", tick));
      assertThat(store().advanceSchedule(q, "s", tick.plusSeconds(60), tick.plusSeconds(120)))
          .isTrue();
      assertThat(store().schedules(q).get(0).nextTick()).isEqualTo(tick.plusSeconds(120));
      assertThat(store().advanceSchedule(q, "s", tick.plusSeconds(120), tick.plusSeconds(60)))
          .as("a claimed tick given back")
          .isTrue();
      assertThat(store().schedules(q).get(0).nextTick()).isEqualTo(tick.plusSeconds(60));
    }

    @Test
    @DisplayName("compares and writes milliseconds")
    void millis() {
      QueueRef q = TestQueues.fresh();
      store().putSchedule(q, schedule("s", tick.plusNanos(999_999)));
      assertThat(
              store()
                  .advanceSchedule(
                      q, "s", tick.plusNanos(500_000), tick.plusSeconds(1).plusNanos(700_000)))
          .isTrue();
      assertThat(store().schedules(q).get(0).nextTick()).isEqualTo(tick.plusSeconds(1));
    }

    @Test
    @DisplayName("of 8 threads claiming the same tick, exactly one succeeds")
    void race() throws Exception {
      QueueRef q = TestQueues.fresh();
      store().putSchedule(q, schedule("s", tick));
      int threads = 8;
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Boolean>> claims = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
          Instant next = tick.plus(Duration.ofMinutes(1 + i));
          Callable<Boolean> claim =
              () -> {
                start.await();
                return store().advanceSchedule(q, "s", tick, next);
              };
          claims.add(pool.submit(claim));
        }
        start.countDown();
        int won = 0;
        for (Future<Boolean> f : claims) {
          if (f.get(60, TimeUnit.SECONDS)) {
            won++;
          }
        }
        assertThat(won).isEqualTo(1);
      } finally {
        pool.shutdownNow();
      }
      Instant moved = store().schedules(q).get(0).nextTick();
      assertThat(moved).isAfter(tick).isBeforeOrEqualTo(tick.plus(Duration.ofMinutes(threads)));
    }

    @Test
    @DisplayName("fails on a deleted schedule, a purged queue and one never written")
    void gone() {
      QueueRef q = TestQueues.fresh();
      store().putSchedule(q, schedule("s", tick));
      assertThat(store().deleteSchedule(q, "s")).isTrue();
      assertThat(store().advanceSchedule(q, "s", tick, tick.plusSeconds(60))).isFalse();
      assertThat(store().schedules(q)).isEmpty();

      store().putSchedule(q, schedule("p", tick));
      store().purge(q, Map.of());
      assertThat(store().advanceSchedule(q, "p", tick, tick.plusSeconds(60))).isFalse();
      assertThat(store().schedules(q)).isEmpty();

      assertThat(store().advanceSchedule(q, "never", tick, tick.plusSeconds(60))).isFalse();
    }

    @Test
    @DisplayName("rejects nulls and a next tick not after the expected one, and then moves nothing")
    void badInput() {
      QueueRef q = TestQueues.fresh();
      store().putSchedule(q, schedule("s", tick));
      rejects("id", () -> store().advanceSchedule(q, null, tick, tick.plusSeconds(1)));
      rejects("expected", () -> store().advanceSchedule(q, "s", null, tick.plusSeconds(1)));
      rejects("next", () -> store().advanceSchedule(q, "s", tick, null));
      rejects("next", () -> store().advanceSchedule(q, "s", tick, tick));
      rejects("next", () -> store().advanceSchedule(q, "s", tick, tick.plusNanos(999_999)));
      assertThat(store().schedules(q)).containsExactly(schedule("s", tick));
    }
  }
}
