package io.workqueue.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.workqueue.QueueRef;
import io.workqueue.spi.QueueMark;
import io.workqueue.spi.StoredOutcome;
import io.workqueue.spi.StoredTask;
import io.workqueue.spi.TaskStore;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.LongStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link TaskStore} passes. Extend it and return the store under test; each test
 * uses its own queues, so one shared store instance is fine.
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
}
