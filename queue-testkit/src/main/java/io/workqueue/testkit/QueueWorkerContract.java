package io.workqueue.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.workqueue.BackendUnavailableException;
import io.workqueue.DeadLetter;
import io.workqueue.NewTask;
import io.workqueue.Outcome;
import io.workqueue.QueueException;
import io.workqueue.QueueRef;
import io.workqueue.QueueSettings;
import io.workqueue.QueueWorker;
import io.workqueue.RetryPolicy;
import io.workqueue.Schedule;
import io.workqueue.Task;
import io.workqueue.TaskHandle;
import io.workqueue.TaskHandler;
import io.workqueue.WorkQueue;
import io.workqueue.WorkQueues;
import io.workqueue.spi.Bookkeeper;
import io.workqueue.spi.KeyProvider;
import io.workqueue.spi.TaskStore;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link QueueWorker} over any trio of adapters: many workers sharing a queue,
 * graceful shutdown, a worker that dies mid-task, retries with backoff then dead letters, lease
 * extension of long handlers, and bad input (results that cannot be mapped, handlers that hang,
 * closing twice). Real time passes here (leases expire, backoffs run out), so the queues run on the
 * system clock; each test uses its own queues and "nodes" (queue instances over the same adapters).
 *
 * <p>The kit runs in the mode {@link #batchSize()} chooses: the batch path (the builder's default)
 * or the per-task path ({@code 1}); backends should run it in both.
 */
public abstract class QueueWorkerContract {

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
   * The key provider; by default an {@link InMemoryKeyProvider} shared by the test's nodes.
   *
   * @return the key provider
   */
  protected KeyProvider keyProvider() {
    return keys;
  }

  /**
   * How much longer than on in-memory adapters the timeouts of this kit may be, for slow backends
   * or machines (default 1).
   *
   * @return a factor, 1 or more
   */
  protected int slowness() {
    return 1;
  }

  /**
   * The batch size of the workers this kit builds (default {@link QueueWorker#DEFAULT_BATCH_SIZE},
   * the batch path); 1 runs the kit on the per-task path.
   *
   * @return 1 to {@link QueueWorker#MAX_BATCH_SIZE}
   */
  protected int batchSize() {
    return QueueWorker.DEFAULT_BATCH_SIZE;
  }

  private boolean batched() {
    return batchSize() > 1;
  }

  private final InMemoryKeyProvider keys = new InMemoryKeyProvider();
  private final List<WorkQueue> nodes = new CopyOnWriteArrayList<>();
  private final List<QueueWorker> workers = new CopyOnWriteArrayList<>();
  private final List<CountDownLatch> gates = new CopyOnWriteArrayList<>();

  /** Completions heard by the nodes' listeners: "<queue>#<index>" to how many times. */
  private final Map<String, AtomicInteger> heard = new ConcurrentHashMap<>();

  private final AtomicInteger distinctHeard = new AtomicInteger();

  @AfterEach
  void stopEverything() {
    gates.forEach(
        g -> {
          while (g.getCount() > 0) {
            g.countDown();
          }
        });
    for (QueueWorker w : workers) {
      w.close(Duration.ZERO);
    }
    for (WorkQueue n : nodes) {
      n.close();
    }
  }

  /**
   * A queue instance (a "node") over the adapters, on the system clock, with a completion listener
   * that counts what it hears.
   *
   * @return the node, closed after the test
   */
  protected WorkQueue newNode() {
    WorkQueue node =
        WorkQueues.builder()
            .taskStore(taskStore())
            .bookkeeper(bookkeeper())
            .keyProvider(keyProvider())
            .completionListener(
                c -> {
                  AtomicInteger n =
                      heard.computeIfAbsent(c.queue() + "#" + c.index(), k -> new AtomicInteger());
                  if (n.incrementAndGet() == 1) {
                    distinctHeard.incrementAndGet();
                  }
                })
            .build();
    nodes.add(node);
    return node;
  }

  /**
   * A builder with this kit's defaults: short poll interval, 10 s time to recover, the kit's batch
   * size.
   */
  private QueueWorker.Builder worker(WorkQueue node, QueueRef q, String id, TaskHandler h) {
    return QueueWorker.builder(node)
        .queue(q)
        .workerId(id)
        .handler(h)
        .batchSize(batchSize())
        .timeToRecover(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(500))
        .runSchedules(false);
  }

  private QueueWorker started(QueueWorker.Builder b) {
    QueueWorker w = b.build();
    workers.add(w);
    return w.start();
  }

  private QueueWorker built(QueueWorker.Builder b) {
    QueueWorker w = b.build();
    workers.add(w);
    return w;
  }

  private CountDownLatch gate() {
    CountDownLatch g = new CountDownLatch(1);
    gates.add(g);
    return g;
  }

  private Duration scaled(Duration d) {
    return d.multipliedBy(Math.max(1, slowness()));
  }

  private Outcome await(TaskHandle h) throws Exception {
    return h.outcome()
        .toCompletableFuture()
        .get(scaled(Duration.ofSeconds(30)).toSeconds(), TimeUnit.SECONDS);
  }

  /**
   * Waits for a condition that other threads make true. The kit has no Awaitility on its compile
   * path (backends that run it should not inherit it), hence this small loop.
   */
  private void eventually(Duration max, BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + scaled(max).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        fail("not within " + scaled(max) + ": " + what);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
    }
  }

  private static int result(Outcome o) {
    assertThat(o.isSuccess()).as("outcome %s", o).isTrue();
    return ((Outcome.Success) o).result().orElseThrow().asInt();
  }

  private static JsonNode error(Outcome o) {
    assertThat(o.isSuccess()).as("outcome %s", o).isFalse();
    return ((Outcome.Failure) o).error();
  }

  /**
   * A node that can be killed: after {@link Killable#kill()} every call throws {@link
   * BackendUnavailableException}, as a worker process cut off from its backends (or dead) looks to
   * the others: no acks, no extensions, no releases.
   */
  private static final class Killable {
    final AtomicBoolean dead = new AtomicBoolean();
    final WorkQueue node;

    Killable(WorkQueue delegate) {
      node =
          (WorkQueue)
              Proxy.newProxyInstance(
                  WorkQueue.class.getClassLoader(),
                  new Class<?>[] {WorkQueue.class},
                  (proxy, method, args) -> {
                    if (dead.get() && !method.getName().equals("close")) {
                      throw new BackendUnavailableException(
                          "test", "this node was killed", new IllegalStateException("killed"));
                    }
                    try {
                      return method.invoke(delegate, args);
                    } catch (InvocationTargetException e) {
                      throw e.getCause();
                    }
                  });
    }

    void kill() {
      dead.set(true);
    }
  }

  /** A node that counts the calls made to it, by method name. */
  private static final class Counting {
    final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    final WorkQueue node;

    Counting(WorkQueue delegate) {
      node =
          (WorkQueue)
              Proxy.newProxyInstance(
                  WorkQueue.class.getClassLoader(),
                  new Class<?>[] {WorkQueue.class},
                  (proxy, method, args) -> {
                    calls
                        .computeIfAbsent(method.getName(), k -> new AtomicInteger())
                        .incrementAndGet();
                    try {
                      return method.invoke(delegate, args);
                    } catch (InvocationTargetException e) {
                      throw e.getCause();
                    }
                  });
    }

    int calls(String method) {
      AtomicInteger n = calls.get(method);
      return n == null ? 0 : n.get();
    }
  }

  // ------------------------------------------------------------------------------ the tests

  @Nested
  @DisplayName("fetching")
  class Fetching {
    @Test
    @DisplayName(
        "batch path: draining 500 tasks at concurrency 4 takes few fetchBatch calls and group"
            + " acks; per-task path: one fetch and one ack per task")
    void leasesInBatches() throws Exception {
      QueueRef q = TestQueues.fresh("batches");
      WorkQueue producer = newNode();
      int n = 500;
      producer.addAll(q, java.util.stream.IntStream.range(0, n).mapToObj(NewTask::of).toList());
      Counting counting = new Counting(newNode());
      Map<Long, AtomicInteger> runs = new ConcurrentHashMap<>();
      QueueWorker w =
          started(
              worker(
                      counting.node,
                      q,
                      "batches",
                      t -> {
                        runs.computeIfAbsent(t.index(), i -> new AtomicInteger()).incrementAndGet();
                        return t.value().asInt();
                      })
                  .concurrency(4));
      eventually(
          Duration.ofSeconds(60), () -> w.stats().succeeded() == n, "every task acknowledged");
      assertThat(runs).hasSize(n);
      assertThat(runs.values()).allSatisfy(r -> assertThat(r.get()).isEqualTo(1));
      assertThat(producer.info(q).leases()).isEmpty();
      assertThat(w.stats()).isEqualTo(new QueueWorker.Stats(n, 0, 0, 0));
      if (batched()) {
        assertThat(counting.calls("fetch")).isZero();
        assertThat(counting.calls("ack")).isZero();
        // a fetch waits until at least half of what the worker may lease ahead (2 x concurrency or
        // more) is free, so it leases 4 or more tasks while the queue has them
        assertThat(counting.calls("fetchBatch")).isPositive().isLessThan(n / 4);
        assertThat(counting.calls("ackAll")).isPositive().isLessThan(n / 2);
      } else {
        assertThat(counting.calls("fetchBatch")).isZero();
        assertThat(counting.calls("ackAll")).isZero();
        assertThat(counting.calls("fetch")).isGreaterThan(n);
        assertThat(counting.calls("ack")).isEqualTo(n);
      }
    }

    @Test
    @DisplayName(
        "leases are held under the ids workerIds() names: <id>:b on the batch path, one per slot"
            + " on the per-task path; with slow handlers the batch path leases at most 2 x"
            + " concurrency")
    void leaseHolders() throws Exception {
      QueueRef q = TestQueues.fresh("holders");
      WorkQueue producer = newNode();
      producer.addAll(q, java.util.stream.IntStream.range(0, 20).mapToObj(NewTask::of).toList());
      CountDownLatch never = gate();
      CountDownLatch threeStarted = new CountDownLatch(3);
      QueueWorker w =
          started(
              worker(
                      newNode(),
                      q,
                      "holders",
                      t -> {
                        threeStarted.countDown();
                        never.await();
                        return 1;
                      })
                  .timeToRecover(Duration.ofMinutes(10))
                  .concurrency(3));
      assertThat(threeStarted.await(scaled(Duration.ofSeconds(30)).toSeconds(), TimeUnit.SECONDS))
          .isTrue();
      Thread.sleep(200); // let a prefetch, if any, land
      List<io.workqueue.Lease> leases = producer.info(q).leases();
      if (batched()) {
        assertThat(w.workerIds()).containsExactly("holders:b");
        assertThat(leases).hasSizeBetween(3, 6);
        assertThat(leases).allSatisfy(l -> assertThat(l.worker()).isEqualTo("holders:b"));
      } else {
        assertThat(w.workerIds()).containsExactly("holders:0", "holders:1", "holders:2");
        assertThat(leases)
            .extracting(io.workqueue.Lease::worker)
            .containsExactlyInAnyOrderElementsOf(w.workerIds());
      }
    }
  }

  @Nested
  @DisplayName("many workers")
  class ManyWorkers {
    @Test
    @DisplayName(
        "3 workers x 4 slots process 2,000 tasks: each outcome reaches its producer's future,"
            + " and the completion listener at least once")
    void twoThousandTasks() throws Exception {
      QueueRef q = TestQueues.fresh("many");
      WorkQueue producer = newNode();
      Map<Long, AtomicInteger> runs = new ConcurrentHashMap<>();
      List<QueueWorker> three = new ArrayList<>();
      for (int w = 0; w < 3; w++) {
        three.add(
            started(
                worker(
                        newNode(),
                        q,
                        "many-" + w,
                        t -> {
                          runs.computeIfAbsent(t.index(), i -> new AtomicInteger())
                              .incrementAndGet();
                          return t.value().get("n").asInt() * 2;
                        })
                    .concurrency(4)));
      }
      int n = 2_000;
      List<TaskHandle> handles = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        handles.add(producer.submit(q, NewTask.of(Map.of("n", i))));
      }
      CompletableFuture.allOf(
              handles.stream()
                  .map(h -> h.outcome().toCompletableFuture())
                  .toArray(CompletableFuture[]::new))
          .get(scaled(Duration.ofSeconds(120)).toSeconds(), TimeUnit.SECONDS);
      for (int i = 0; i < n; i++) {
        assertThat(result(handles.get(i).outcome().toCompletableFuture().join()))
            .as("result of task %d", handles.get(i).index())
            .isEqualTo(2 * i);
      }
      eventually(
          Duration.ofSeconds(30),
          () -> distinctHeard.get() >= n,
          "the completion listener heard every task");
      for (TaskHandle h : handles) {
        assertThat(heard.get(q + "#" + h.index())).as("heard %d", h.index()).isNotNull();
        assertThat(runs.get(h.index()).get()).as("runs of %d", h.index()).isEqualTo(1);
      }
      // a future completes once the outcome is stored, a moment before the worker counts it
      eventually(
          Duration.ofSeconds(10),
          () -> three.stream().mapToLong(w -> w.stats().succeeded()).sum() == n,
          "the workers counted every ack");
      long succeeded = 0;
      for (QueueWorker w : three) {
        assertThat(w.stats().succeeded()).as("%s handled some", w).isPositive();
        assertThat(w.stats().failed() + w.stats().retried() + w.stats().abandoned()).isZero();
        succeeded += w.stats().succeeded();
      }
      assertThat(succeeded).isEqualTo(n);
      assertThat(producer.info(q).leases()).isEmpty();
    }

    @Test
    @DisplayName("one worker serves several queues")
    void severalQueues() throws Exception {
      QueueRef a = TestQueues.fresh("qa");
      QueueRef b = TestQueues.fresh("qb");
      WorkQueue node = newNode();
      started(
          QueueWorker.builder(node)
              .queue(a)
              .queue(b)
              .handler(t -> t.queue().service())
              .batchSize(batchSize())
              .pollInterval(Duration.ofMillis(500))
              .runSchedules(false));
      TaskHandle ha = node.submit(a, NewTask.of("x"));
      TaskHandle hb = node.submit(b, NewTask.of("y"));
      assertThat(((Outcome.Success) await(ha)).result().orElseThrow().asText())
          .isEqualTo(a.service());
      assertThat(((Outcome.Success) await(hb)).result().orElseThrow().asText())
          .isEqualTo(b.service());
    }
  }

  @Nested
  @DisplayName("shutdown")
  class Shutdown {
    @Test
    @DisplayName(
        "a graceful close mid-run lets running handlers finish and stops fetching; another worker"
            + " does the rest; nothing is lost")
    void gracefulMidRun() throws Exception {
      QueueRef q = TestQueues.fresh("graceful");
      WorkQueue producer = newNode();
      int n = 200;
      List<TaskHandle> handles = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        handles.add(producer.submit(q, NewTask.of(Map.of("n", i))));
      }
      AtomicInteger ranOnA = new AtomicInteger();
      CountDownLatch forty = new CountDownLatch(40);
      QueueWorker a =
          started(
              worker(
                      newNode(),
                      q,
                      "graceful-a",
                      t -> {
                        ranOnA.incrementAndGet();
                        forty.countDown();
                        Thread.sleep(20);
                        return t.value().get("n").asInt();
                      })
                  .concurrency(4));
      assertThat(forty.await(scaled(Duration.ofSeconds(30)).toSeconds(), TimeUnit.SECONDS))
          .isTrue();
      assertThat(a.close(scaled(Duration.ofSeconds(10)))).isTrue();
      assertThat(a.isRunning()).isFalse();
      int ranBeforeB = ranOnA.get();
      assertThat(a.stats().succeeded()).isEqualTo(ranBeforeB); // every started handler was acked
      assertThat(a.stats().abandoned()).isZero();
      assertThat(ranBeforeB).isLessThan(n);

      QueueWorker b =
          started(
              worker(newNode(), q, "graceful-b", t -> t.value().get("n").asInt()).concurrency(4));
      for (int i = 0; i < n; i++) {
        assertThat(result(await(handles.get(i)))).isEqualTo(i);
      }
      assertThat(ranOnA.get()).as("A fetched nothing after close").isEqualTo(ranBeforeB);
      eventually(
          Duration.ofSeconds(10),
          () -> a.stats().succeeded() + b.stats().succeeded() == n,
          "A and B acknowledged every task once");
      assertThat(producer.info(q).leases()).isEmpty();
    }

    @Test
    @DisplayName(
        "handlers still running after the grace period are interrupted and their tasks released:"
            + " another worker takes them at once, long before their leases would end")
    void releasesUnfinished() throws Exception {
      QueueRef q = TestQueues.fresh("release");
      WorkQueue producer = newNode();
      CountDownLatch never = gate();
      CountDownLatch bothStarted = new CountDownLatch(2);
      AtomicInteger interrupted = new AtomicInteger();
      QueueWorker a =
          started(
              worker(
                      newNode(),
                      q,
                      "release-a",
                      t -> {
                        bothStarted.countDown();
                        try {
                          never.await();
                        } catch (InterruptedException e) {
                          interrupted.incrementAndGet();
                          throw e;
                        }
                        return "from A";
                      })
                  .timeToRecover(Duration.ofMinutes(10))
                  .concurrency(2));
      TaskHandle h1 = producer.submit(q, NewTask.of(1));
      TaskHandle h2 = producer.submit(q, NewTask.of(2));
      assertThat(bothStarted.await(scaled(Duration.ofSeconds(30)).toSeconds(), TimeUnit.SECONDS))
          .isTrue();

      assertThat(a.close(Duration.ofMillis(200))).isFalse();
      assertThat(a.stats().abandoned()).isEqualTo(2);
      eventually(Duration.ofSeconds(5), () -> interrupted.get() == 2, "both handlers interrupted");

      List<Integer> deliveries = new CopyOnWriteArrayList<>();
      started(
          worker(
              newNode(),
              q,
              "release-b",
              t -> {
                deliveries.add(t.deliveries());
                return "from B";
              }));
      long t0 = System.nanoTime();
      assertThat(((Outcome.Success) await(h1)).result().orElseThrow().asText()).isEqualTo("from B");
      assertThat(((Outcome.Success) await(h2)).result().orElseThrow().asText()).isEqualTo("from B");
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofMinutes(5));
      assertThat(deliveries).containsExactly(2, 2);
    }

    @Test
    @DisplayName(
        "at close, tasks leased ahead that never started are released at once with the running"
            + " ones: another worker takes every one long before its lease would end")
    void releasesLeasedAhead() throws Exception {
      QueueRef q = TestQueues.fresh("ahead");
      WorkQueue producer = newNode();
      int n = 10;
      List<TaskHandle> handles = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        handles.add(producer.submit(q, NewTask.of(i)));
      }
      CountDownLatch never = gate();
      CountDownLatch twoStarted = new CountDownLatch(2);
      List<Long> startedOnA = new CopyOnWriteArrayList<>();
      QueueWorker a =
          started(
              worker(
                      newNode(),
                      q,
                      "ahead-a",
                      t -> {
                        startedOnA.add(t.index());
                        twoStarted.countDown();
                        never.await();
                        return "from A";
                      })
                  .timeToRecover(Duration.ofMinutes(10))
                  .concurrency(2));
      assertThat(twoStarted.await(scaled(Duration.ofSeconds(30)).toSeconds(), TimeUnit.SECONDS))
          .isTrue();
      Thread.sleep(200); // let a prefetch, if any, land
      List<Long> heldByA =
          producer.info(q).leases().stream().map(io.workqueue.Lease::index).toList();
      assertThat(heldByA).containsAll(startedOnA).hasSizeLessThanOrEqualTo(batched() ? 4 : 2);
      if (!batched()) {
        assertThat(heldByA).hasSize(2);
      }
      assertThat(a.close(Duration.ofMillis(200))).isFalse();
      assertThat(startedOnA).hasSize(2);
      // the two interrupted handlers are abandoned; tasks that never started are not counted
      assertThat(a.stats()).isEqualTo(new QueueWorker.Stats(0, 0, 0, 2));
      assertThat(producer.info(q).leases()).isEmpty();

      Map<Long, Integer> deliveries = new ConcurrentHashMap<>();
      started(
          worker(
                  newNode(),
                  q,
                  "ahead-b",
                  t -> {
                    deliveries.put(t.index(), t.deliveries());
                    return "from B";
                  })
              .concurrency(2));
      long t0 = System.nanoTime();
      for (TaskHandle h : handles) {
        assertThat(((Outcome.Success) await(h)).result().orElseThrow().asText())
            .isEqualTo("from B");
      }
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofMinutes(5));
      for (TaskHandle h : handles) {
        // a release counts as a delivery, also for a task that never started
        assertThat(deliveries.get(h.index()))
            .as("deliveries of %d", h.index())
            .isEqualTo(heldByA.contains(h.index()) ? 2 : 1);
      }
    }

    @Test
    @DisplayName("closing twice is harmless; a closed worker cannot start or run again")
    void closeTwice() throws Exception {
      QueueRef q = TestQueues.fresh("twice");
      WorkQueue node = newNode();
      QueueWorker w = started(worker(node, q, "twice", t -> "ok"));
      assertThat(((Outcome.Success) await(node.submit(q, NewTask.of(1)))).result()).isPresent();
      assertThat(w.close(Duration.ofSeconds(5))).isTrue();
      long t0 = System.nanoTime();
      assertThat(w.close(Duration.ofSeconds(5))).isTrue();
      w.close();
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
      assertThat(w.isRunning()).isFalse();
      assertThat(w.stats().succeeded()).isEqualTo(1);
      assertThatThrownBy(w::start)
          .isInstanceOf(QueueException.class)
          .hasMessageContaining("closed");
      assertThatThrownBy(() -> w.runFor(1, Duration.ofSeconds(1)))
          .isInstanceOf(QueueException.class);
    }
  }

  @Nested
  @DisplayName("a worker that dies")
  class Dies {
    @Test
    @DisplayName("killed mid-task: its tasks are finished by the others after its leases end")
    void killedMidTask() throws Exception {
      QueueRef q = TestQueues.fresh("killed");
      WorkQueue producer = newNode();
      Killable doomed = new Killable(newNode());
      CountDownLatch never = gate();
      CountDownLatch threeStarted = new CountDownLatch(3);
      List<Long> heldByDoomed = new CopyOnWriteArrayList<>();
      started(
          worker(
                  doomed.node,
                  q,
                  "doomed",
                  t -> {
                    heldByDoomed.add(t.index());
                    threeStarted.countDown();
                    never.await();
                    return "from the dead";
                  })
              .timeToRecover(Duration.ofSeconds(1))
              .maxHandlerTime(Duration.ofMinutes(10))
              .concurrency(3));
      List<TaskHandle> handles = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        handles.add(producer.submit(q, NewTask.of(i)));
      }
      assertThat(threeStarted.await(scaled(Duration.ofSeconds(30)).toSeconds(), TimeUnit.SECONDS))
          .isTrue();
      doomed.kill();

      Map<Long, Integer> deliveries = new ConcurrentHashMap<>();
      started(
          worker(
                  newNode(),
                  q,
                  "survivor",
                  t -> {
                    deliveries.put(t.index(), t.deliveries());
                    return t.value().asInt();
                  })
              .timeToRecover(Duration.ofSeconds(1))
              .concurrency(2));
      for (int i = 0; i < 10; i++) {
        assertThat(result(await(handles.get(i)))).isEqualTo(i);
      }
      assertThat(heldByDoomed).hasSize(3);
      for (long index : heldByDoomed) {
        assertThat(deliveries.get(index)).as("deliveries of %d", index).isGreaterThanOrEqualTo(2);
      }
      assertThat(deliveries).hasSize(10);
    }
  }

  @Nested
  @DisplayName("failures")
  class Failures {
    @Test
    @DisplayName(
        "a handler that throws is retried with growing delays up to the delivery limit, then"
            + " dead-lettered with its error; the producer sees the failure")
    void retriesThenDeadLetter() throws Exception {
      QueueRef q = TestQueues.fresh("retry");
      WorkQueue node = newNode();
      node.configure(q, QueueSettings.DEFAULT.withMaxDeliveries(3));
      List<Integer> deliveries = new CopyOnWriteArrayList<>();
      List<Long> at = new CopyOnWriteArrayList<>();
      QueueWorker w =
          started(
              worker(
                      node,
                      q,
                      "retry",
                      t -> {
                        at.add(System.nanoTime());
                        deliveries.add(t.deliveries());
                        throw new IllegalStateException("boom " + t.deliveries());
                      })
                  .retryPolicy(
                      RetryPolicy.exponential(Duration.ofMillis(300), Duration.ofSeconds(5))
                          .withJitter(0))
                  .pollInterval(Duration.ofSeconds(30)));
      TaskHandle h = node.submit(q, NewTask.of("doomed"));
      JsonNode error = error(await(h));
      assertThat(error.get("message").asText()).isEqualTo("boom 3");
      assertThat(error.get("type").asText()).isEqualTo(IllegalStateException.class.getName());
      assertThat(deliveries).containsExactly(1, 2, 3);
      // the backoff: 300 ms, then 600 ms (no jitter), measured from handler start to start
      assertThat(Duration.ofNanos(at.get(1) - at.get(0))).isGreaterThan(Duration.ofMillis(290));
      assertThat(Duration.ofNanos(at.get(2) - at.get(1))).isGreaterThan(Duration.ofMillis(590));
      // woken by the worker's own timer, not the 30 s poll
      assertThat(Duration.ofNanos(at.get(2) - at.get(0)))
          .isLessThan(scaled(Duration.ofSeconds(15)));
      List<DeadLetter> dead = node.deadLetters(q, 10);
      assertThat(dead).hasSize(1);
      assertThat(dead.get(0).index()).isEqualTo(h.index());
      assertThat(dead.get(0).deliveries()).isEqualTo(3);
      assertThat(dead.get(0).lastError().orElseThrow().get("message").asText()).isEqualTo("boom 3");
      eventually(Duration.ofSeconds(10), () -> w.stats().retried() == 3, "three releases");
      assertThat(w.stats().succeeded() + w.stats().failed()).isZero();
    }

    @Test
    @DisplayName("with RetryPolicy.none() a thrown exception ends the task at once as a failure")
    void noRetry() throws Exception {
      QueueRef q = TestQueues.fresh("noretry");
      WorkQueue node = newNode();
      AtomicInteger runs = new AtomicInteger();
      QueueWorker w =
          started(
              worker(
                      node,
                      q,
                      "noretry",
                      t -> {
                        runs.incrementAndGet();
                        throw new IllegalArgumentException("bad value");
                      })
                  .retryPolicy(RetryPolicy.none()));
      JsonNode error = error(await(node.submit(q, NewTask.of(1))));
      assertThat(error.get("type").asText()).isEqualTo(IllegalArgumentException.class.getName());
      assertThat(error.get("message").asText()).isEqualTo("bad value");
      assertThat(runs.get()).isEqualTo(1);
      assertThat(node.deadLetters(q, 10)).isEmpty();
      eventually(Duration.ofSeconds(10), () -> w.stats().failed() == 1, "one failure counted");
    }

    @Test
    @DisplayName("a handler may return an Outcome: a failure ends the task without a retry")
    void returnedFailure() throws Exception {
      QueueRef q = TestQueues.fresh("failure");
      WorkQueue node = newNode();
      AtomicInteger runs = new AtomicInteger();
      QueueWorker w =
          started(
              worker(
                  node,
                  q,
                  "failure",
                  t -> {
                    runs.incrementAndGet();
                    return t.value().asInt() == 1
                        ? Outcome.failure(Map.of("code", 42))
                        : Outcome.success();
                  }));
      assertThat(error(await(node.submit(q, NewTask.of(1)))).get("code").asInt()).isEqualTo(42);
      Outcome plain = await(node.submit(q, NewTask.of(2)));
      assertThat(plain).isEqualTo(Outcome.success());
      assertThat(runs.get()).isEqualTo(2);
      eventually(
          Duration.ofSeconds(10),
          () -> w.stats().equals(new QueueWorker.Stats(1, 1, 0, 0)),
          "one success and one failure counted");
      assertThat(node.deadLetters(q, 10)).isEmpty();
    }
  }

  @Nested
  @DisplayName("leases")
  class Leases {
    @Test
    @DisplayName("a handler running five times its time to recover keeps its lease throughout")
    void extension() throws Exception {
      QueueRef q = TestQueues.fresh("long");
      WorkQueue node = newNode();
      WorkQueue thiefNode = newNode();
      AtomicInteger runs = new AtomicInteger();
      CountDownLatch started = new CountDownLatch(1);
      Duration ttr = scaled(Duration.ofMillis(600));
      started(
          worker(
                  node,
                  q,
                  "long",
                  t -> {
                    runs.incrementAndGet();
                    started.countDown();
                    Thread.sleep(ttr.multipliedBy(5).toMillis());
                    return t.deliveries();
                  })
              .timeToRecover(ttr));
      TaskHandle h = node.submit(q, NewTask.of(1));
      assertThat(started.await(scaled(Duration.ofSeconds(30)).toSeconds(), TimeUnit.SECONDS))
          .isTrue();
      List<Task> stolen = new ArrayList<>();
      while (!h.outcome().toCompletableFuture().isDone()) {
        thiefNode.fetch(q, "thief", ttr).ifPresent(stolen::add);
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
      }
      assertThat(stolen).as("the lease never expired").isEmpty();
      assertThat(result(await(h))).isEqualTo(1);
      assertThat(runs.get()).isEqualTo(1);
    }
  }

  @Nested
  @DisplayName("bad input")
  class BadInput {
    @Test
    @DisplayName(
        "a result Jackson cannot map (or too large) ends the task with a failure, without retry")
    void unmappableResult() throws Exception {
      QueueRef q = TestQueues.fresh("unmappable");
      WorkQueue node = newNode();
      AtomicInteger runs = new AtomicInteger();
      QueueWorker w =
          started(
              worker(
                  node,
                  q,
                  "unmappable",
                  t -> {
                    runs.incrementAndGet();
                    return t.value().asInt() == 1 ? new Object() : "x".repeat(70_000);
                  }));
      JsonNode empty = error(await(node.submit(q, NewTask.of(1))));
      assertThat(empty.get("type").asText()).isEqualTo("io.workqueue.InvalidArgumentException");
      assertThat(empty.get("message").asText()).contains("result");
      JsonNode large = error(await(node.submit(q, NewTask.of(2))));
      assertThat(large.get("type").asText()).isEqualTo("io.workqueue.PayloadTooLargeException");
      assertThat(runs.get()).isEqualTo(2);
      eventually(Duration.ofSeconds(10), () -> w.stats().failed() == 2, "two failures counted");
      assertThat(node.deadLetters(q, 10)).isEmpty();
    }

    @Test
    @DisplayName(
        "a handler past the maximum handler time is interrupted; once it returns, the task is"
            + " retried")
    void hangingInterruptible() throws Exception {
      QueueRef q = TestQueues.fresh("hang");
      WorkQueue node = newNode();
      List<Boolean> interrupted = new CopyOnWriteArrayList<>();
      QueueWorker w =
          started(
              worker(
                      node,
                      q,
                      "hang",
                      t -> {
                        if (t.deliveries() == 1) {
                          try {
                            Thread.sleep(60_000);
                          } catch (InterruptedException e) {
                            interrupted.add(true);
                            throw e;
                          }
                        }
                        return t.deliveries();
                      })
                  .maxHandlerTime(Duration.ofMillis(300))
                  .retryPolicy(RetryPolicy.fixed(Duration.ZERO)));
      long t0 = System.nanoTime();
      assertThat(result(await(node.submit(q, NewTask.of(1))))).isEqualTo(2);
      assertThat(interrupted).containsExactly(true);
      assertThat(Duration.ofNanos(System.nanoTime() - t0))
          .isLessThan(scaled(Duration.ofSeconds(9)));
      eventually(
          Duration.ofSeconds(10),
          () -> w.stats().retried() == 1 && w.stats().succeeded() == 1,
          "one retry and one success counted");
    }

    @Test
    @DisplayName(
        "a handler that ignores the interrupt keeps its slot, but its task goes to another worker"
            + " when the lease runs out; its late result is discarded")
    void hangingStubborn() throws Exception {
      QueueRef q = TestQueues.fresh("stubborn");
      WorkQueue node = newNode();
      AtomicBoolean letGo = new AtomicBoolean();
      AtomicBoolean sawInterrupt = new AtomicBoolean();
      CountDownLatch started = new CountDownLatch(1);
      QueueWorker a =
          started(
              worker(
                      node,
                      q,
                      "stubborn-a",
                      t -> {
                        started.countDown();
                        while (!letGo.get()) {
                          if (Thread.interrupted()) {
                            sawInterrupt.set(true);
                          }
                          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
                        }
                        return "from A";
                      })
                  .timeToRecover(Duration.ofSeconds(1))
                  .maxHandlerTime(Duration.ofMillis(300)));
      TaskHandle h = node.submit(q, NewTask.of(1));
      assertThat(started.await(scaled(Duration.ofSeconds(30)).toSeconds(), TimeUnit.SECONDS))
          .isTrue();
      List<Integer> deliveries = new CopyOnWriteArrayList<>();
      started(
          worker(
              newNode(),
              q,
              "stubborn-b",
              t -> {
                deliveries.add(t.deliveries());
                return "from B";
              }));
      assertThat(((Outcome.Success) await(h)).result().orElseThrow().asText()).isEqualTo("from B");
      assertThat(deliveries).containsExactly(2);
      assertThat(sawInterrupt.get()).isTrue();

      letGo.set(true);
      eventually(
          Duration.ofSeconds(10), () -> a.stats().abandoned() == 1, "A gave up its late result");
      assertThat(((Outcome.Success) node.outcome(q, h.index()).orElseThrow()).result())
          .hasValueSatisfying(v -> assertThat(v.asText()).isEqualTo("from B"));
      assertThat(a.stats().succeeded()).isZero();
    }
  }

  @Nested
  @DisplayName("runFor")
  class RunFor {
    @Test
    @DisplayName("returns after countLimit tasks, leasing no more than that")
    void countLimit() throws Exception {
      QueueRef q = TestQueues.fresh("count");
      WorkQueue node = newNode();
      node.addAll(q, java.util.stream.IntStream.range(0, 30).mapToObj(NewTask::of).toList());
      QueueWorker first = built(worker(node, q, "count-1", t -> 1).concurrency(3));
      QueueWorker.Stats s = first.runFor(10, scaled(Duration.ofSeconds(60)));
      assertThat(s.handled()).isEqualTo(10);
      assertThat(first.isRunning()).isFalse();
      assertThat(node.info(q).leases()).isEmpty();
      QueueWorker second = built(worker(node, q, "count-2", t -> 2).concurrency(3));
      assertThat(second.runFor(100, Duration.ofSeconds(3)).handled()).isEqualTo(20);
    }

    @Test
    @DisplayName("returns at the time limit when there is not enough work")
    void timeLimit() {
      QueueRef q = TestQueues.fresh("time");
      QueueWorker w = built(worker(newNode(), q, "time", t -> 1));
      long t0 = System.nanoTime();
      assertThat(w.runFor(5, Duration.ofMillis(300)).handled()).isZero();
      Duration took = Duration.ofNanos(System.nanoTime() - t0);
      assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(300));
      assertThat(took).isLessThan(scaled(Duration.ofSeconds(10)));
      assertThatThrownBy(w::start).isInstanceOf(QueueException.class);
    }
  }

  @Nested
  @DisplayName("schedules")
  class Schedules {
    @Test
    @DisplayName("a running worker runs its queues' schedules about once a second")
    void runsSchedules() throws Exception {
      QueueRef q = TestQueues.fresh("sched");
      WorkQueue node = newNode();
      node.schedule(q, "tick", Schedule.every(Duration.ofSeconds(1)), NewTask.of("tick"));
      CountDownLatch two = new CountDownLatch(2);
      started(
          worker(
                  node,
                  q,
                  "sched",
                  t -> {
                    two.countDown();
                    return t.value().asText();
                  })
              .runSchedules(true));
      assertThat(two.await(scaled(Duration.ofSeconds(15)).toSeconds(), TimeUnit.SECONDS)).isTrue();
    }

    @Test
    @DisplayName("a worker told not to leaves schedules alone")
    void leavesSchedules() throws Exception {
      QueueRef q = TestQueues.fresh("nosched");
      WorkQueue node = newNode();
      node.schedule(q, "tick", Schedule.every(Duration.ofSeconds(1)), NewTask.of("tick"));
      AtomicInteger runs = new AtomicInteger();
      started(
          worker(
                  node,
                  q,
                  "nosched",
                  t -> {
                    runs.incrementAndGet();
                    return 1;
                  })
              .runSchedules(false));
      Thread.sleep(2_500);
      assertThat(runs.get()).isZero();
      assertThat(node.info(q).index()).isZero();
    }
  }
}
