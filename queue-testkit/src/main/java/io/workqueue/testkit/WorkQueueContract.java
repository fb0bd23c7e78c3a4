package io.workqueue.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.workqueue.Completion;
import io.workqueue.InvalidArgumentException;
import io.workqueue.KeyDestroyedException;
import io.workqueue.KeyUnavailableException;
import io.workqueue.NewTask;
import io.workqueue.Outcome;
import io.workqueue.PayloadTooLargeException;
import io.workqueue.QueueException;
import io.workqueue.QueueInfo;
import io.workqueue.QueueRef;
import io.workqueue.TamperedDataException;
import io.workqueue.Task;
import io.workqueue.UnreadableTaskException;
import io.workqueue.WorkQueue;
import io.workqueue.WorkQueues;
import io.workqueue.spi.Bookkeeper;
import io.workqueue.spi.KeyProvider;
import io.workqueue.spi.QueueMark;
import io.workqueue.spi.StoredOutcome;
import io.workqueue.spi.StoredTask;
import io.workqueue.spi.TaskStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The contract of the whole queue over any trio of adapters: the origin service's semantics, the
 * invariants of the design, bad input. The kit wires the queue itself, with a {@link
 * SettableClock}, a recording completion listener and, where a test needs one, a store that stalls
 * between allocation and commit. Each test uses its own queues.
 */
public abstract class WorkQueueContract {

  /**
   * The task store under test (shared across tests is fine).
   *
   * @return the store
   */
  protected abstract TaskStore taskStore();

  /**
   * The bookkeeper under test (shared across tests is fine).
   *
   * @return the bookkeeper
   */
  protected abstract Bookkeeper bookkeeper();

  /**
   * A bookkeeper of the same kind holding no state, standing in for bookkeeping that was lost (a
   * flushed Redis): for example a new instance with another key prefix on the same server.
   *
   * @return an empty bookkeeper
   */
  protected abstract Bookkeeper emptyBookkeeper();

  /**
   * The key provider; by default a fresh {@link InMemoryKeyProvider} per test.
   *
   * @return the key provider, creating keys on first use
   */
  protected KeyProvider keyProvider() {
    return new InMemoryKeyProvider();
  }

  /** The clock every queue of a test reads; tests move it instead of sleeping. */
  protected final SettableClock clock = SettableClock.atSystemTime();

  /** Completions the listener received, in order. */
  protected final List<Completion> completions = new CopyOnWriteArrayList<>();

  private volatile Consumer<Completion> listenerBehaviour = c -> {};
  private BreakableKeys keys;
  private StallingStore store;
  private WorkQueue queue;
  private ExecutorService pool;

  private static final Duration TTR = Duration.ofSeconds(30);
  private static final Duration GRACE = Duration.ofSeconds(10);

  @BeforeEach
  void wire() {
    keys = new BreakableKeys(keyProvider());
    store = new StallingStore(taskStore());
    queue = newQueue();
    pool = Executors.newCachedThreadPool();
  }

  @AfterEach
  void release() {
    store.release();
    pool.shutdownNow();
  }

  /**
   * A queue over the same adapters and clock (another "node").
   *
   * @return a new queue instance
   */
  protected WorkQueue newQueue() {
    return newQueue(bookkeeper());
  }

  private WorkQueue newQueue(Bookkeeper bookkeeper) {
    return WorkQueues.builder()
        .taskStore(store)
        .bookkeeper(bookkeeper)
        .keyProvider(keys)
        .clock(clock)
        .holeGracePeriod(GRACE)
        .completionRetryDelay(Duration.ofSeconds(5))
        .completionListener(
            c -> {
              completions.add(c);
              listenerBehaviour.accept(c);
            })
        .build();
  }

  private static NewTask task(Object value) {
    return NewTask.of(value);
  }

  private Task fetched(QueueRef q, String worker) {
    Optional<Task> t = queue.fetch(q, worker, TTR);
    assertThat(t).as("fetch by %s", worker).isPresent();
    return t.get();
  }

  @Nested
  @DisplayName("the origin's semantics")
  class Origin {
    @Test
    @DisplayName("indices start at 1; after one add and one fetch index and fetched are both 1")
    void firstIndex() {
      QueueRef q = TestQueues.fresh();
      assertThat(queue.add(q, task(Map.of("n", 1)))).isEqualTo(1);
      Task t = fetched(q, "w");
      assertThat(t.index()).isEqualTo(1);
      assertThat(t.value().get("n").asInt()).isEqualTo(1);
      assertThat(t.deliveries()).isEqualTo(1);
      QueueInfo info = queue.info(q);
      assertThat(info.index()).isEqualTo(1);
      assertThat(info.fetched()).isEqualTo(1);
      assertThat(info.leases())
          .singleElement()
          .satisfies(l -> assertThat(l.worker()).isEqualTo("w"));
    }

    @Test
    @DisplayName("30 sequential adds get indices 1..30")
    void sequential() {
      QueueRef q = TestQueues.fresh();
      for (long i = 1; i <= 30; i++) {
        assertThat(queue.add(q, task("v" + i))).isEqualTo(i);
      }
      assertThat(queue.info(q).index()).isEqualTo(30);
      assertThat(queue.info(q).waiting()).isEqualTo(30);
    }

    @Test
    @DisplayName("a worker that fetches again before ack gets the same task; another gets the next")
    void sameTaskAgain() {
      QueueRef q = TestQueues.fresh();
      queue.add(q, task("a"));
      queue.add(q, task("b"));
      Task first = fetched(q, "w1");
      assertThat(fetched(q, "w1")).isEqualTo(first);
      assertThat(fetched(q, "w2").value()).isEqualTo(TextNode.valueOf("b"));
      assertThat(queue.fetch(q, "w3", TTR)).isEmpty();
    }

    @Test
    @DisplayName("ack returns true once, then the next fetch moves on")
    void ackOnce() {
      QueueRef q = TestQueues.fresh();
      queue.add(q, task("a"));
      queue.add(q, task("b"));
      assertThat(fetched(q, "w").index()).isEqualTo(1);
      assertThat(queue.ack(q, "w")).isTrue();
      assertThat(queue.ack(q, "w")).isFalse();
      assertThat(fetched(q, "w").index()).isEqualTo(2);
    }

    @Test
    @DisplayName("ack without a lease returns false")
    void ackWithoutLease() {
      QueueRef q = TestQueues.fresh();
      assertThat(queue.ack(q, "nobody")).isFalse();
      queue.add(q, task("a"));
      assertThat(queue.ack(q, "nobody")).isFalse();
      assertThat(queue.ack(q, "nobody", 1, Outcome.success())).isFalse();
    }

    @Test
    @DisplayName("40 fetch and ack rounds hand out each index exactly once")
    void rounds() {
      QueueRef q = TestQueues.fresh();
      for (int i = 0; i < 40; i++) {
        queue.add(q, task(i));
      }
      for (long i = 1; i <= 40; i++) {
        Task t = fetched(q, "w");
        assertThat(t.index()).isEqualTo(i);
        assertThat(t.value().asInt()).isEqualTo((int) i - 1);
        assertThat(queue.ack(q, "w")).isTrue();
      }
      assertThat(queue.fetch(q, "w", TTR)).isEmpty();
      assertThat(queue.info(q).fetched()).isEqualTo(40);
    }

    @Test
    @DisplayName("an expired lease goes to exactly one other worker with a fresh deadline")
    void recovery() {
      QueueRef q = TestQueues.fresh();
      queue.add(q, task("a"));
      Task first = queue.fetch(q, "w1", Duration.ofSeconds(10)).orElseThrow();
      clock.advance(Duration.ofSeconds(5));
      assertThat(queue.fetch(q, "w2", Duration.ofSeconds(1))).as("not yet expired").isEmpty();
      clock.advance(Duration.ofSeconds(5));
      Task recovered = fetched(q, "w2");
      assertThat(recovered.index()).isEqualTo(first.index());
      assertThat(recovered.deliveries()).isEqualTo(2);
      assertThat(recovered.deadline()).isEqualTo(clock.instant().plus(TTR));
      assertThat(recovered.value()).isEqualTo(first.value());
      assertThat(queue.fetch(q, "w3", TTR)).isEmpty();
      assertThat(queue.ack(q, "w1")).as("ack by the worker whose lease was taken over").isFalse();
      assertThat(queue.ack(q, "w2")).isTrue();
      assertThat(completions).extracting(Completion::worker).containsExactly("w2");
    }

    @Test
    @DisplayName("several expired leases recovered by one worker give it exactly one")
    void severalExpired() {
      QueueRef q = TestQueues.fresh();
      for (int i = 0; i < 3; i++) {
        queue.add(q, task(i));
      }
      for (String w : List.of("a", "b", "c")) {
        fetched(q, w);
      }
      clock.advance(TTR);
      Task got = fetched(q, "d");
      assertThat(fetched(q, "d").index()).isEqualTo(got.index());
      long e = fetched(q, "e").index();
      long f = fetched(q, "f").index();
      assertThat(Set.of(got.index(), e, f)).containsExactlyInAnyOrder(1L, 2L, 3L);
    }

    @Test
    @DisplayName("rewind(q, n) makes the next fresh fetch return index n + 1")
    void rewind() {
      QueueRef q = TestQueues.fresh();
      for (int i = 1; i <= 5; i++) {
        queue.add(q, task("v" + i));
      }
      for (int i = 1; i <= 5; i++) {
        fetched(q, "w");
        queue.ack(q, "w");
      }
      queue.rewind(q, 3);
      Task t = fetched(q, "w");
      assertThat(t.index()).isEqualTo(4);
      assertThat(t.value()).isEqualTo(TextNode.valueOf("v4"));
      assertThatThrownBy(() -> queue.rewind(q, 6))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("index");
      assertThatThrownBy(() -> queue.rewind(q, -1)).isInstanceOf(InvalidArgumentException.class);
    }

    @Test
    @DisplayName("token and outcome reach the completion listener, falsy results included")
    void completionListener() {
      QueueRef q = TestQueues.fresh();
      List<Object> results = new ArrayList<>();
      results.add(0);
      results.add(false);
      results.add("");
      results.add(null);
      for (Object r : results) {
        queue.add(q, task("v").token(Map.of("flow", "f-1")));
        fetched(q, "w");
        assertThat(queue.ack(q, "w", Outcome.success(r))).isTrue();
      }
      queue.add(q, task("v").token("t-fail"));
      fetched(q, "w");
      assertThat(queue.ack(q, "w", Outcome.failure(Map.of("reason", "boom")))).isTrue();
      queue.add(q, task("no token"));
      fetched(q, "w");
      assertThat(queue.ack(q, "w")).isTrue();

      assertThat(completions).hasSize(6);
      for (int i = 0; i < 4; i++) {
        Completion c = completions.get(i);
        assertThat(c.token())
            .hasValueSatisfying(t -> assertThat(t.get("flow").asText()).isEqualTo("f-1"));
        assertThat(c.outcome()).isInstanceOf(Outcome.Success.class);
        assertThat(((Outcome.Success) c.outcome()).result()).as("result %d", i).isPresent();
      }
      assertThat(((Outcome.Success) completions.get(0).outcome()).result().get())
          .isEqualTo(IntNode.valueOf(0));
      assertThat(((Outcome.Success) completions.get(3).outcome()).result().get().isNull()).isTrue();
      Completion failed = completions.get(4);
      assertThat(failed.outcome().isSuccess()).isFalse();
      assertThat(((Outcome.Failure) failed.outcome()).error().get("reason").asText())
          .isEqualTo("boom");
      assertThat(failed.token()).contains(TextNode.valueOf("t-fail"));
      Completion plain = completions.get(5);
      assertThat(plain.token()).isEmpty();
      assertThat(((Outcome.Success) plain.outcome()).result()).isEmpty();
      assertThat(completions).extracting(Completion::index).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
    }

    @Test
    @DisplayName("ack by index acknowledges that lease only")
    void ackByIndex() {
      QueueRef q = TestQueues.fresh();
      queue.add(q, task("a"));
      fetched(q, "w");
      assertThat(queue.ack(q, "w", 2, Outcome.success())).isFalse();
      assertThat(queue.ack(q, "w", 1, Outcome.success("r"))).isTrue();
      assertThat(queue.info(q).leases()).isEmpty();
    }
  }

  @Nested
  @DisplayName("concurrency")
  class Concurrency {
    @Test
    @DisplayName("20 workers in parallel end with index 50, fetched 50, none twice, none lost")
    void twentyWorkers() throws Exception {
      QueueRef q = TestQueues.fresh();
      for (int i = 0; i < 50; i++) {
        queue.add(q, task(i));
      }
      Map<Long, String> deliveredTo = new ConcurrentHashMap<>();
      List<Long> duplicates = new CopyOnWriteArrayList<>();
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < 20; t++) {
        String w = "worker-" + t;
        WorkQueue node = t % 2 == 0 ? queue : newQueue();
        fs.add(
            pool.submit(
                () -> {
                  while (true) {
                    Optional<Task> task = node.fetch(q, w, TTR);
                    if (task.isEmpty()) {
                      return;
                    }
                    if (deliveredTo.putIfAbsent(task.get().index(), w) != null) {
                      duplicates.add(task.get().index());
                    }
                    assertThat(node.ack(q, w)).isTrue();
                  }
                }));
      }
      for (Future<?> f : fs) {
        f.get(120, TimeUnit.SECONDS);
      }
      assertThat(duplicates).isEmpty();
      assertThat(deliveredTo).hasSize(50);
      QueueInfo info = queue.info(q);
      assertThat(info.index()).isEqualTo(50);
      assertThat(info.fetched()).isEqualTo(50);
      assertThat(info.leases()).isEmpty();
      assertThat(completions).hasSize(50);
    }

    @Test
    @DisplayName("concurrent adds from many threads get unique, gap-free indices")
    void concurrentAdds() throws Exception {
      QueueRef q = TestQueues.fresh();
      Set<Long> indices = ConcurrentHashMap.newKeySet();
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        fs.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 25; i++) {
                    assertThat(indices.add(queue.add(q, task(i)))).isTrue();
                  }
                }));
      }
      for (Future<?> f : fs) {
        f.get(120, TimeUnit.SECONDS);
      }
      assertThat(indices).hasSize(200);
      assertThat(indices.stream().mapToLong(Long::longValue).max().orElseThrow()).isEqualTo(200);
      assertThat(queue.info(q).waiting()).isEqualTo(200);
    }

    @Test
    @DisplayName("addAll returns consecutive indices in order, and each task reads back")
    void addAll() {
      QueueRef q = TestQueues.fresh();
      queue.add(q, task("first"));
      List<NewTask> batch = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        batch.add(task("b" + i));
      }
      assertThat(queue.addAll(q, batch)).containsExactly(2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L);
      fetched(q, "w");
      queue.ack(q, "w");
      assertThat(fetched(q, "w").value()).isEqualTo(TextNode.valueOf("b0"));
    }
  }

  @Nested
  @DisplayName("the add/fetch race")
  class AddFetchRace {
    @Test
    @DisplayName("an index allocated but not yet written is not handed out; once written it is")
    void stalledWriter() throws Exception {
      QueueRef q = TestQueues.fresh();
      store.stallNextPut(q, false);
      Future<Long> slow = pool.submit(() -> queue.add(q, task("slow")));
      store.awaitStalled();
      assertThat(queue.add(q, task("fast"))).isEqualTo(2);
      assertThat(queue.fetch(q, "w", TTR)).as("index 1 is still being written").isEmpty();
      store.release();
      assertThat(slow.get(30, TimeUnit.SECONDS)).isEqualTo(1);
      assertThat(fetched(q, "w").value()).isEqualTo(TextNode.valueOf("slow"));
      queue.ack(q, "w");
      assertThat(fetched(q, "w").value()).isEqualTo(TextNode.valueOf("fast"));
    }

    @Test
    @DisplayName("a writer that dies before writing leaves a hole that is skipped after the grace")
    void deadWriterNoRow() throws Exception {
      QueueRef q = TestQueues.fresh();
      store.stallNextPut(q, false);
      Future<Long> dead = pool.submit(() -> queue.add(q, task("lost in flight")));
      store.awaitStalled();
      queue.add(q, task("after"));
      assertThat(queue.fetch(q, "w", TTR)).isEmpty();
      clock.advance(GRACE);
      Task t = fetched(q, "w");
      assertThat(t.index()).isEqualTo(2);
      assertThat(t.value()).isEqualTo(TextNode.valueOf("after"));
      store.release();
      assertThatThrownBy(() -> getCause(dead))
          .as("the slow add must fail, since its index was skipped")
          .isInstanceOf(QueueException.class)
          .hasMessageContaining("grace");
    }

    @Test
    @DisplayName("a writer that dies after writing leaves a hole that is delivered after the grace")
    void deadWriterWithRow() throws Exception {
      QueueRef q = TestQueues.fresh();
      store.stallNextPut(q, true);
      Future<Long> dead = pool.submit(() -> queue.add(q, task("written")));
      store.awaitStalled();
      assertThat(queue.fetch(q, "w", TTR)).isEmpty();
      clock.advance(GRACE);
      Task t = fetched(q, "w");
      assertThat(t.index()).isEqualTo(1);
      assertThat(t.value()).isEqualTo(TextNode.valueOf("written"));
      store.release();
      assertThat(dead.get(30, TimeUnit.SECONDS)).isEqualTo(1);
    }

    @Test
    @DisplayName("a store failure during add skips the index at once and reports the failure")
    void failedWrite() {
      QueueRef q = TestQueues.fresh();
      store.failNextPut(q);
      assertThatThrownBy(() -> queue.add(q, task("x"))).isInstanceOf(QueueException.class);
      assertThat(queue.info(q).waiting()).as("the failed add is not waiting").isZero();
      assertThat(queue.add(q, task("y"))).isEqualTo(2);
      Task t = fetched(q, "w");
      assertThat(t.value()).isEqualTo(TextNode.valueOf("y"));
    }
  }

  @Nested
  @DisplayName("completion delivery")
  class CompletionDelivery {
    @Test
    @DisplayName("a listener that throws gets the completion again later, outcome and token intact")
    void retried() {
      QueueRef q = TestQueues.fresh();
      AtomicInteger calls = new AtomicInteger();
      listenerBehaviour =
          c -> {
            if (calls.incrementAndGet() == 1) {
              throw new IllegalStateException("listener down");
            }
          };
      queue.add(q, task("v").token("tok"));
      fetched(q, "w");
      assertThat(queue.ack(q, "w", Outcome.success(false))).isTrue();
      assertThat(completions).hasSize(1);
      assertThat(queue.deliverPendingCompletions(q)).as("not due yet").isZero();
      clock.advance(Duration.ofSeconds(5));
      WorkQueue otherNode = newQueue();
      assertThat(otherNode.deliverPendingCompletions(q)).isEqualTo(1);
      assertThat(completions).hasSize(2);
      Completion again = completions.get(1);
      assertThat(again.token()).contains(TextNode.valueOf("tok"));
      assertThat(((Outcome.Success) again.outcome()).result())
          .hasValueSatisfying(r -> assertThat(r.asBoolean(true)).isFalse());
      clock.advance(Duration.ofSeconds(60));
      assertThat(otherNode.deliverPendingCompletions(q)).as("delivered, so forgotten").isZero();
    }

    @Test
    @DisplayName("a pending completion is retried by a later fetch on its own")
    void retriedByFetch() {
      QueueRef q = TestQueues.fresh();
      listenerBehaviour =
          c -> {
            if (completions.size() == 1) {
              throw new IllegalStateException("once");
            }
          };
      queue.add(q, task("v"));
      fetched(q, "w");
      queue.ack(q, "w", Outcome.success(1));
      clock.advance(Duration.ofSeconds(6));
      assertThat(newQueue().fetch(q, "x", TTR)).isEmpty();
      assertThat(completions).hasSize(2);
    }
  }

  @Nested
  @DisplayName("encryption")
  class Encryption {
    @Test
    @DisplayName("the store holds neither value nor token in plaintext")
    void sealedAtRest() {
      QueueRef q = TestQueues.fresh();
      queue.add(q, task("marker-value-7f3a").token("marker-token-7f3a"));
      StoredTask row = taskStore().get(q, 1).orElseThrow();
      assertThat(new String(row.value(), java.nio.charset.StandardCharsets.ISO_8859_1))
          .doesNotContain("marker");
      assertThat(
              new String(row.token().orElseThrow(), java.nio.charset.StandardCharsets.ISO_8859_1))
          .doesNotContain("marker");
    }

    @Test
    @DisplayName("a ciphertext moved to another index is unreadable; the queue moves on")
    void swapped() {
      QueueRef q = TestQueues.fresh();
      queue.add(q, task("one"));
      queue.add(q, task("two"));
      queue.add(q, task("three"));
      StoredTask two = taskStore().get(q, 2).orElseThrow();
      StoredTask one = taskStore().get(q, 1).orElseThrow();
      taskStore().put(q, List.of(new StoredTask(1, two.value(), two.token(), one.enqueuedAt())));
      assertThatThrownBy(() -> queue.fetch(q, "w", TTR))
          .isInstanceOf(UnreadableTaskException.class)
          .hasCauseInstanceOf(TamperedDataException.class)
          .satisfies(e -> assertThat(((UnreadableTaskException) e).index()).isEqualTo(1));
      assertThat(fetched(q, "w").value()).isEqualTo(TextNode.valueOf("two"));
      assertThat(completions).first().satisfies(c -> assertThat(c.outcome().isSuccess()).isFalse());
    }

    @Test
    @DisplayName("a key that cannot be had for now (a wrong master key) leaves the task in place")
    void keyUnavailableForNow() {
      QueueRef q = TestQueues.fresh();
      queue.add(q, task("kept"));
      queue.add(q, task("second"));
      keys.broken = true;
      assertThatThrownBy(() -> queue.fetch(q, "w", TTR))
          .isInstanceOf(KeyUnavailableException.class)
          .isNotInstanceOf(KeyDestroyedException.class);
      assertThatThrownBy(() -> queue.fetchBatch(q, "w2", 5, TTR))
          .isInstanceOf(KeyUnavailableException.class);
      assertThat(queue.info(q).leases()).as("nothing was taken out of circulation").hasSize(2);
      keys.broken = false;
      assertThat(fetched(q, "w").value()).isEqualTo(TextNode.valueOf("kept"));
      assertThat(completions).isEmpty();
    }

    @Test
    @DisplayName(
        "after the owner's keys are destroyed its tasks are unreadable; other owners go on")
    void shredded() {
      QueueRef gone = TestQueues.fresh();
      QueueRef other = TestQueues.fresh();
      queue.add(gone, task("secret"));
      queue.add(other, task("fine"));
      keys.destroy(gone.owner());
      assertThatThrownBy(() -> queue.fetch(gone, "w", TTR))
          .isInstanceOf(UnreadableTaskException.class)
          .hasCauseInstanceOf(KeyDestroyedException.class);
      assertThat(queue.fetch(gone, "w", TTR)).isEmpty();
      assertThatThrownBy(() -> queue.add(gone, task("more")))
          .isInstanceOf(KeyUnavailableException.class);
      assertThat(queue.info(gone).index()).as("the refused add allocated nothing").isEqualTo(1);
      assertThat(fetched(other, "w").value()).isEqualTo(TextNode.valueOf("fine"));
    }
  }

  @Nested
  @DisplayName("the batch path")
  class BatchPath {
    private List<NewTask> tasks(int n, String prefix) {
      List<NewTask> list = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        list.add(task(prefix + i));
      }
      return list;
    }

    @Test
    @DisplayName("addAll, fetchBatch and ackAll move 250 tasks in order, each acknowledged once")
    void roundTrip() {
      QueueRef q = TestQueues.fresh();
      queue.addAll(q, tasks(250, "t"));
      List<Long> all = new ArrayList<>();
      for (int expected : new int[] {100, 100, 50}) {
        List<Task> batch = queue.fetchBatch(q, "w", 100, TTR);
        assertThat(batch).hasSize(expected);
        for (Task t : batch) {
          assertThat(t.value()).isEqualTo(TextNode.valueOf("t" + (t.index() - 1)));
          assertThat(t.deadline()).isEqualTo(clock.instant().plus(TTR));
        }
        List<Long> indices = batch.stream().map(Task::index).toList();
        all.addAll(indices);
        assertThat(queue.ackAll(q, "w", indices)).containsExactlyInAnyOrderElementsOf(indices);
      }
      assertThat(all).isSorted().hasSize(250).doesNotHaveDuplicates();
      assertThat(queue.fetchBatch(q, "w", 100, TTR)).isEmpty();
      assertThat(queue.info(q).leases()).isEmpty();
      assertThat(completions).hasSize(250);
    }

    @Test
    @DisplayName("a batch spanning a partition boundary reads back whole")
    void bucketBoundary() {
      QueueRef q = TestQueues.fresh();
      queue.addAll(q, tasks(1000, "a"));
      queue.addAll(q, tasks(20, "b"));
      assertThat(queue.fetchBatch(q, "w", 990, TTR)).hasSize(990);
      List<Task> spanning = queue.fetchBatch(q, "w", 20, TTR);
      assertThat(spanning)
          .extracting(Task::index)
          .containsExactlyElementsOf(
              java.util.stream.LongStream.rangeClosed(991, 1010).boxed().toList());
      assertThat(spanning.get(19).value()).isEqualTo(TextNode.valueOf("b9"));
    }

    @Test
    @DisplayName("outcomes given to ackAll reach the completion listener with their tokens")
    void outcomes() {
      QueueRef q = TestQueues.fresh();
      queue.addAll(q, List.of(task("x").token("t1"), task("y").token("t2")));
      List<Task> batch = queue.fetchBatch(q, "w", 10, TTR);
      Map<Long, Outcome> outcomes = new java.util.LinkedHashMap<>();
      outcomes.put(batch.get(0).index(), Outcome.success(0));
      outcomes.put(batch.get(1).index(), Outcome.failure("bad"));
      assertThat(queue.ackAll(q, "w", outcomes)).containsExactlyInAnyOrder(1L, 2L);
      assertThat(completions).hasSize(2);
      Completion first = completions.stream().filter(c -> c.index() == 1).findFirst().orElseThrow();
      assertThat(first.token()).contains(TextNode.valueOf("t1"));
      assertThat(((Outcome.Success) first.outcome()).result()).contains(IntNode.valueOf(0));
      Completion second =
          completions.stream().filter(c -> c.index() == 2).findFirst().orElseThrow();
      assertThat(second.outcome().isSuccess()).isFalse();
      assertThat(second.token()).contains(TextNode.valueOf("t2"));
    }

    @Test
    @DisplayName("expired batch leases go one by one to other workers; partial ackAll keeps theirs")
    void recovery() {
      QueueRef q = TestQueues.fresh();
      queue.addAll(q, tasks(3, "t"));
      assertThat(queue.fetchBatch(q, "w1", 3, Duration.ofSeconds(5))).hasSize(3);
      clock.advance(Duration.ofSeconds(5));
      Task recovered = fetched(q, "w2");
      assertThat(recovered.deliveries()).isEqualTo(2);
      List<Task> another = queue.fetchBatch(q, "w3", 1, TTR);
      assertThat(another).hasSize(1);
      assertThat(another.get(0).index()).isNotEqualTo(recovered.index());
      Set<Long> acked = queue.ackAll(q, "w1", List.of(1L, 2L, 3L));
      assertThat(acked).hasSize(1).doesNotContain(recovered.index(), another.get(0).index());
      assertThat(queue.ack(q, "w2")).isTrue();
      assertThat(queue.ack(q, "w3", another.get(0).index(), Outcome.success())).isTrue();
      assertThat(queue.info(q).leases()).isEmpty();
    }

    @Test
    @DisplayName("single and batch calls mix; ack without an index is refused when ambiguous")
    void mixing() {
      QueueRef q = TestQueues.fresh();
      queue.addAll(q, tasks(4, "t"));
      List<Task> batch = queue.fetchBatch(q, "w", 2, TTR);
      assertThatThrownBy(() -> queue.ack(q, "w"))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageStartingWith("index: ")
          .hasMessageContaining("2 batch lease");
      Task single = fetched(q, "w");
      assertThat(single.index()).isEqualTo(3);
      assertThat(fetched(q, "w")).isEqualTo(single);
      assertThat(queue.ack(q, "w")).isTrue();
      assertThat(fetched(q, "other").index()).isEqualTo(4);
      assertThat(queue.ackAll(q, "w", batch.stream().map(Task::index).toList())).hasSize(2);
      assertThat(queue.ack(q, "w")).isFalse();
    }

    @Test
    @DisplayName("16 threads fetching batches get each of 600 tasks exactly once")
    void concurrent() throws Exception {
      QueueRef q = TestQueues.fresh();
      queue.addAll(q, tasks(600, "t"));
      Set<Long> seen = ConcurrentHashMap.newKeySet();
      List<Long> duplicates = new CopyOnWriteArrayList<>();
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < 16; t++) {
        String w = "w" + t;
        WorkQueue node = t % 2 == 0 ? queue : newQueue();
        fs.add(
            pool.submit(
                () -> {
                  while (true) {
                    List<Task> batch = node.fetchBatch(q, w, 13, TTR);
                    if (batch.isEmpty()) {
                      return;
                    }
                    for (Task task : batch) {
                      if (!seen.add(task.index())) {
                        duplicates.add(task.index());
                      }
                    }
                    node.ackAll(q, w, batch.stream().map(Task::index).toList());
                  }
                }));
      }
      for (Future<?> f : fs) {
        f.get(120, TimeUnit.SECONDS);
      }
      assertThat(duplicates).isEmpty();
      assertThat(seen).hasSize(600);
      assertThat(completions).hasSize(600);
    }

    @Test
    @DisplayName("a writer that dies mid-batch leaves holes that are resolved, never lost tasks")
    void deadBatchWriter() throws Exception {
      QueueRef q = TestQueues.fresh();
      store.stallNextPut(q, false);
      Future<List<Long>> dead = pool.submit(() -> queue.addAll(q, tasks(5, "lost")));
      store.awaitStalled();
      queue.addAll(q, tasks(3, "kept"));
      assertThat(queue.fetchBatch(q, "w", 10, TTR)).isEmpty();
      clock.advance(GRACE);
      List<Task> batch = queue.fetchBatch(q, "w", 10, TTR);
      assertThat(batch).extracting(Task::index).containsExactly(6L, 7L, 8L);
      store.release();
      assertThatThrownBy(() -> getCause(dead)).isInstanceOf(QueueException.class);
    }
  }

  @Nested
  @DisplayName("lost bookkeeping")
  class LostBookkeeping {
    @Test
    @DisplayName(
        "a queue whose bookkeeping is lost is rebuilt from the store: nothing unfinished"
            + " is lost and no index is handed out twice as new")
    void rebuilt() {
      QueueRef q = TestQueues.fresh();
      for (int i = 1; i <= 6; i++) {
        queue.add(q, task("t" + i));
      }
      for (int i = 1; i <= 2; i++) {
        fetched(q, "w");
        queue.ack(q, "w");
      }
      fetched(q, "holder"); // 3 stays leased; 4..6 wait

      WorkQueue rebuilt = newQueue(emptyBookkeeper());
      assertThat(rebuilt.info(q).index()).isEqualTo(6);
      Set<Long> delivered = new java.util.TreeSet<>();
      for (Optional<Task> t = rebuilt.fetch(q, "r", TTR);
          t.isPresent();
          t = rebuilt.fetch(q, "r", TTR)) {
        assertThat(t.get().deliveries())
            .as("index %d is a redelivery", t.get().index())
            .isEqualTo(2);
        delivered.add(t.get().index());
        rebuilt.ack(q, "r");
      }
      assertThat(delivered).contains(3L, 4L, 5L, 6L);
      long next = rebuilt.add(q, task("new"));
      assertThat(next).isEqualTo(7);
      Task fresh = rebuilt.fetch(q, "r", TTR).orElseThrow();
      assertThat(fresh.index()).isEqualTo(7);
      assertThat(fresh.deliveries()).isEqualTo(1);
    }

    @Test
    @DisplayName(
        "a large queue replays only from its recorded progress, and new indices jump ahead")
    void rebuiltLarge() {
      QueueRef q = TestQueues.fresh();
      List<NewTask> batch = new ArrayList<>();
      for (int i = 0; i < 750; i++) {
        batch.add(task(i));
      }
      queue.addAll(q, batch);
      queue.addAll(q, batch); // 1..1500
      for (int round = 0; round < 12; round++) { // 1..1200 done; the progress is recorded at 1000
        List<Task> got = queue.fetchBatch(q, "w", 100, TTR);
        queue.ackAll(q, "w", got.stream().map(Task::index).toList());
      }
      WorkQueue rebuilt = newQueue(emptyBookkeeper());
      Set<Long> delivered = new java.util.TreeSet<>();
      for (List<Task> got = rebuilt.fetchBatch(q, "r", 500, TTR);
          !got.isEmpty();
          got = rebuilt.fetchBatch(q, "r", 500, TTR)) {
        got.forEach(t -> delivered.add(t.index()));
        rebuilt.ackAll(q, "r", got.stream().map(Task::index).toList());
      }
      assertThat(delivered)
          .as("every unfinished task")
          .containsAll(java.util.stream.LongStream.rangeClosed(1201, 1500).boxed().toList());
      assertThat(((java.util.TreeSet<Long>) delivered).first())
          .as("replayed from the progress recorded at index 1000, not from 1")
          .isGreaterThan(800);
      assertThat(rebuilt.add(q, task("new")))
          .as("well above anything handed out before")
          .isGreaterThan(1500);
    }
  }

  @Nested
  @DisplayName("bad input")
  class BadInput {
    private QueueRef q;
    private QueueInfo before;

    @BeforeEach
    void seed() {
      q = TestQueues.fresh();
      queue.add(q, task("seed"));
      before = queue.info(q);
    }

    private void rejected(String argument, Runnable call) {
      assertThatThrownBy(call::run)
          .isInstanceOf(InvalidArgumentException.class)
          .satisfies(e -> assertThat(((InvalidArgumentException) e).argument()).isEqualTo(argument))
          .hasMessageStartingWith(argument + ": ");
      assertThat(queue.info(q)).as("state after a rejected call").isEqualTo(before);
    }

    @Test
    @DisplayName("null, blank, too long and unholdable ids are rejected, naming the argument")
    void ids() {
      rejected("owner", () -> QueueRef.of(null, "s"));
      rejected("owner", () -> QueueRef.of("  ", "s"));
      rejected("service", () -> QueueRef.of("o", ""));
      rejected("service", () -> QueueRef.of("o", "x".repeat(101)));
      for (String bad : List.of("a{b", "a}b", "a:b", "a/b", "a\nb", "ünïcode", "a b")) {
        rejected("owner", () -> QueueRef.of(bad, "s"));
      }
      rejected("worker", () -> queue.fetch(q, null, TTR));
      rejected("worker", () -> queue.fetch(q, " ", TTR));
      rejected("worker", () -> queue.fetch(q, "w\n", TTR));
      rejected("worker", () -> queue.fetch(q, "w".repeat(201), TTR));
      rejected("worker", () -> queue.ack(q, ""));
      rejected("queue", () -> queue.add(null, task("x")));
      rejected("queue", () -> queue.info(null));
    }

    @Test
    @DisplayName("non-positive or absurd times to recover are rejected")
    void durations() {
      rejected("timeToRecover", () -> queue.fetch(q, "w", Duration.ZERO));
      rejected("timeToRecover", () -> queue.fetch(q, "w", Duration.ofSeconds(-1)));
      rejected("timeToRecover", () -> queue.fetch(q, "w", null));
      rejected("timeToRecover", () -> queue.fetch(q, "w", Duration.ofDays(2)));
    }

    @Test
    @DisplayName("values Jackson cannot map, oversized values and bad batches are rejected")
    void values() {
      rejected("value", () -> queue.add(q, NewTask.of(new Object())));
      rejected("token", () -> queue.add(q, NewTask.of("v").token(new Object())));
      assertThatThrownBy(() -> NewTask.of("x".repeat(300 * 1024)))
          .isInstanceOf(PayloadTooLargeException.class)
          .hasMessageContaining("262144");
      rejected("task", () -> queue.add(q, null));
      rejected("tasks", () -> queue.addAll(q, List.of()));
      List<NewTask> withNull = new ArrayList<>();
      withNull.add(task("a"));
      withNull.add(null);
      rejected("tasks", () -> queue.addAll(q, withNull));
      List<NewTask> tooMany = new ArrayList<>();
      for (int i = 0; i <= WorkQueue.MAX_BATCH; i++) {
        tooMany.add(task(i));
      }
      rejected("tasks", () -> queue.addAll(q, tooMany));
      rejected("result", () -> Outcome.success(new Object()));
      rejected("outcome", () -> queue.ack(q, "w", null));
      rejected("index", () -> queue.ack(q, "w", 0, Outcome.success()));
    }

    @Test
    @DisplayName("bad batch sizes and index lists are rejected, naming the argument")
    void batches() {
      rejected("max", () -> queue.fetchBatch(q, "w", 0, TTR));
      rejected("max", () -> queue.fetchBatch(q, "w", WorkQueue.MAX_BATCH + 1, TTR));
      rejected("timeToRecover", () -> queue.fetchBatch(q, "w", 1, Duration.ZERO));
      rejected("indices", () -> queue.ackAll(q, "w", List.of()));
      rejected("indices", () -> queue.ackAll(q, "w", List.of(1L, 1L)));
      rejected("indices", () -> queue.ackAll(q, "w", List.of(0L)));
      List<Long> tooMany = new ArrayList<>();
      for (long i = 1; i <= WorkQueue.MAX_BATCH + 1; i++) {
        tooMany.add(i);
      }
      rejected("indices", () -> queue.ackAll(q, "w", tooMany));
      List<Long> withNull = new ArrayList<>();
      withNull.add(null);
      rejected("indices", () -> queue.ackAll(q, "w", withNull));
      rejected("outcomes", () -> queue.ackAll(q, "w", Map.of()));
      rejected("indices", () -> queue.ackAll(q, "w", (Collection<Long>) null));
    }

    @Test
    @DisplayName("a builder without an adapter names the missing setting")
    void builder() {
      assertThatThrownBy(() -> WorkQueues.builder().bookkeeper(bookkeeper()).build())
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("taskStore");
      assertThatThrownBy(() -> WorkQueues.builder().holeGracePeriod(Duration.ZERO))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("holeGracePeriod");
    }
  }

  private static Object getCause(Future<?> f) throws Throwable {
    try {
      return f.get(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw e.getCause();
    }
  }

  /** Wraps the key provider under test; while broken, opening fails as with a wrong master key. */
  static final class BreakableKeys implements KeyProvider {
    private final KeyProvider delegate;
    volatile boolean broken;

    BreakableKeys(KeyProvider delegate) {
      this.delegate = delegate;
    }

    @Override
    public void requireKey(String owner) {
      delegate.requireKey(owner);
    }

    @Override
    public byte[] seal(String owner, byte[] plaintext, byte[] associatedData) {
      return delegate.seal(owner, plaintext, associatedData);
    }

    @Override
    public byte[] open(String owner, byte[] ciphertext, byte[] associatedData) {
      if (broken) {
        throw new KeyUnavailableException(
            owner, "the master key cannot open the keyset (test)", null);
      }
      return delegate.open(owner, ciphertext, associatedData);
    }

    @Override
    public void rotate(String owner) {
      delegate.rotate(owner);
    }

    @Override
    public void destroy(String owner) {
      delegate.destroy(owner);
    }
  }

  /**
   * Wraps the store under test to stall or fail one {@code put} for one queue, so tests can hold a
   * writer between allocation and commit.
   */
  static final class StallingStore implements TaskStore {
    private final TaskStore delegate;
    private volatile QueueRef stallQueue;
    private volatile boolean writeBeforeStall;
    private volatile QueueRef failQueue;
    private final CountDownLatch stalled = new CountDownLatch(1);
    private final CompletableFuture<Void> released = new CompletableFuture<>();
    private final Set<String> forgotten = ConcurrentHashMap.newKeySet();

    StallingStore(TaskStore delegate) {
      this.delegate = delegate;
    }

    void stallNextPut(QueueRef q, boolean writeFirst) {
      writeBeforeStall = writeFirst;
      stallQueue = q;
    }

    void failNextPut(QueueRef q) {
      failQueue = q;
    }

    /** Reads of this row answer as if it had expired. */
    void forget(QueueRef q, long index) {
      forgotten.add(q + "#" + index);
    }

    void awaitStalled() throws InterruptedException {
      assertThat(stalled.await(30, TimeUnit.SECONDS)).as("writer reached the store").isTrue();
    }

    void release() {
      released.complete(null);
    }

    @Override
    public void put(QueueRef queue, List<StoredTask> tasks) {
      if (queue.equals(failQueue)) {
        failQueue = null;
        throw new io.workqueue.BackendUnavailableException(
            "test-store", "injected write failure", null);
      }
      if (queue.equals(stallQueue)) {
        stallQueue = null;
        if (writeBeforeStall) {
          delegate.put(queue, tasks);
        }
        stalled.countDown();
        released.join();
        if (!writeBeforeStall) {
          delegate.put(queue, tasks);
        }
        return;
      }
      delegate.put(queue, tasks);
    }

    @Override
    public Optional<StoredTask> get(QueueRef queue, long index) {
      return forgotten.contains(queue + "#" + index)
          ? Optional.empty()
          : delegate.get(queue, index);
    }

    @Override
    public Map<Long, StoredTask> getAll(QueueRef queue, Collection<Long> indices) {
      Map<Long, StoredTask> rows = new HashMap<>(delegate.getAll(queue, indices));
      rows.keySet().removeIf(index -> forgotten.contains(queue + "#" + index));
      return rows;
    }

    @Override
    public void putOutcome(QueueRef queue, StoredOutcome outcome) {
      delegate.putOutcome(queue, outcome);
    }

    @Override
    public Optional<StoredOutcome> getOutcome(QueueRef queue, long index, String worker) {
      return delegate.getOutcome(queue, index, worker);
    }

    @Override
    public long dropBelow(QueueRef queue, long previousWatermark, long watermark) {
      return delegate.dropBelow(queue, previousWatermark, watermark);
    }

    @Override
    public void createQueueMark(QueueRef queue) {
      delegate.createQueueMark(queue);
    }

    @Override
    public void putQueueMark(QueueRef queue, QueueMark mark) {
      delegate.putQueueMark(queue, mark);
    }

    @Override
    public Optional<QueueMark> queueMark(QueueRef queue) {
      return delegate.queueMark(queue);
    }

    @Override
    public OptionalLong highestIndex(QueueRef queue, long from) {
      return delegate.highestIndex(queue, from);
    }

    @Override
    public void putOutcomes(QueueRef queue, List<StoredOutcome> outcomes) {
      delegate.putOutcomes(queue, outcomes);
    }

    @Override
    public List<StoredOutcome> outcomes(QueueRef queue, long index) {
      return delegate.outcomes(queue, index);
    }

    @Override
    public void purge(QueueRef queue, Map<io.workqueue.Priority, Long> highestIndex) {
      delegate.purge(queue, highestIndex);
    }

    @Override
    public List<String> services(String owner) {
      return delegate.services(owner);
    }

    @Override
    public void putSchedule(QueueRef queue, io.workqueue.spi.StoredSchedule schedule) {
      delegate.putSchedule(queue, schedule);
    }

    @Override
    public boolean deleteSchedule(QueueRef queue, String id) {
      return delegate.deleteSchedule(queue, id);
    }

    @Override
    public List<io.workqueue.spi.StoredSchedule> schedules(QueueRef queue) {
      return delegate.schedules(queue);
    }

    @Override
    public boolean advanceSchedule(
        QueueRef queue, String id, java.time.Instant expected, java.time.Instant next) {
      return delegate.advanceSchedule(queue, id, expected, next);
    }
  }
}
