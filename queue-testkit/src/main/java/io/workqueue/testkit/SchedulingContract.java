package io.workqueue.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.TextNode;
import io.workqueue.Completion;
import io.workqueue.DeadLetter;
import io.workqueue.InvalidArgumentException;
import io.workqueue.NewTask;
import io.workqueue.Outcome;
import io.workqueue.Priority;
import io.workqueue.QueueEvent;
import io.workqueue.QueueInfo;
import io.workqueue.QueueRef;
import io.workqueue.QueueSettings;
import io.workqueue.Schedule;
import io.workqueue.ScheduleInfo;
import io.workqueue.Task;
import io.workqueue.WorkQueue;
import io.workqueue.WorkQueues;
import io.workqueue.spi.Bookkeeper;
import io.workqueue.spi.KeyProvider;
import io.workqueue.spi.TaskStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The contract of the scheduling features over any trio of adapters: delays, priorities, lease
 * extension, release, delivery limits and dead letters, pause, purge, expiry, repeating tasks,
 * concurrency groups and events. Each test uses its own queues and a {@link SettableClock}.
 */
public abstract class SchedulingContract {

  /**
   * The task store under test.
   *
   * @return the store
   */
  protected abstract TaskStore taskStore();

  /**
   * The bookkeeper under test.
   *
   * @return the bookkeeper
   */
  protected abstract Bookkeeper bookkeeper();

  /**
   * The key provider; by default an {@link InMemoryKeyProvider} shared by the test's queues.
   *
   * @return the key provider
   */
  protected KeyProvider keyProvider() {
    return keys;
  }

  private final InMemoryKeyProvider keys = new InMemoryKeyProvider();

  /** The clock of every queue of a test. */
  protected final SettableClock clock = SettableClock.atSystemTime();

  private final List<QueueEvent> events = new CopyOnWriteArrayList<>();
  private final List<Completion> completions = new CopyOnWriteArrayList<>();
  private WorkQueueContract.StallingStore store;
  private WorkQueue queue;
  private ExecutorService pool;

  private static final Duration TTR = Duration.ofSeconds(30);

  @BeforeEach
  void wire() {
    store = new WorkQueueContract.StallingStore(taskStore());
    queue = newQueue();
    pool = Executors.newCachedThreadPool();
  }

  @AfterEach
  void unwire() {
    pool.shutdownNow();
    queue.close();
  }

  /**
   * Another queue instance (another node) on the same adapters and clock.
   *
   * @return the instance
   */
  protected WorkQueue newQueue() {
    return WorkQueues.builder()
        .taskStore(store)
        .bookkeeper(bookkeeper())
        .keyProvider(keyProvider())
        .clock(clock)
        .completionListener(completions::add)
        .queueListener(events::add)
        .queueListener(
            e -> {
              throw new IllegalStateException("a listener that always throws (test)");
            })
        .build();
  }

  private Task fetched(QueueRef q, String worker) {
    Optional<Task> t = queue.fetch(q, worker, TTR);
    assertThat(t).as("fetch by %s", worker).isPresent();
    return t.get();
  }

  private <T extends QueueEvent> List<T> events(Class<T> type, QueueRef q) {
    return events.stream()
        .filter(type::isInstance)
        .map(type::cast)
        .filter(e -> e.queue().equals(q))
        .toList();
  }

  @Nested
  @DisplayName("delays")
  class Delays {
    @Test
    @DisplayName("a delayed task is not handed out before it is due, then before newer ones")
    void dueInIndexOrder() {
      QueueRef q = TestQueues.fresh();
      long a = queue.add(q, NewTask.of("a").delay(Duration.ofSeconds(10)));
      long b = queue.add(q, NewTask.of("b"));
      long c = queue.add(q, NewTask.of("c"));
      assertThat(queue.info(q).delayed()).isEqualTo(1);
      assertThat(fetched(q, "w1").index()).isEqualTo(b);
      clock.advance(Duration.ofSeconds(10));
      Task due = fetched(q, "w2");
      assertThat(due.index()).isEqualTo(a);
      assertThat(due.value()).isEqualTo(TextNode.valueOf("a"));
      assertThat(due.deliveries()).isEqualTo(1);
      assertThat(fetched(q, "w3").index()).isEqualTo(c);
      assertThat(queue.fetch(q, "w4", TTR)).isEmpty();
      assertThat(queue.info(q).delayed()).isZero();
    }

    @Test
    @DisplayName("notBefore in the future waits; in the past it is ready at once")
    void notBefore() {
      QueueRef q = TestQueues.fresh();
      queue.add(q, NewTask.of("later").notBefore(clock.instant().plusSeconds(60)));
      queue.add(q, NewTask.of("now").notBefore(clock.instant().minusSeconds(60)));
      assertThat(fetched(q, "w1").value()).isEqualTo(TextNode.valueOf("now"));
      assertThat(queue.ack(q, "w1")).isTrue();
      assertThat(queue.fetch(q, "w2", TTR)).isEmpty();
      clock.advance(Duration.ofSeconds(59));
      assertThat(queue.fetch(q, "w2", TTR)).isEmpty();
      clock.advance(Duration.ofSeconds(1));
      assertThat(fetched(q, "w2").value()).isEqualTo(TextNode.valueOf("later"));
    }

    @Test
    @DisplayName("delays in one addAll are each kept")
    void batch() {
      QueueRef q = TestQueues.fresh();
      List<Long> indices =
          queue.addAll(
              q,
              List.of(
                  NewTask.of(1).delay(Duration.ofSeconds(20)),
                  NewTask.of(2),
                  NewTask.of(3).delay(Duration.ofSeconds(10))));
      assertThat(queue.fetchBatch(q, "w", 10, TTR))
          .extracting(Task::index)
          .containsExactly(indices.get(1));
      clock.advance(Duration.ofSeconds(10));
      assertThat(queue.fetchBatch(q, "w", 10, TTR))
          .extracting(Task::index)
          .containsExactly(indices.get(2));
      clock.advance(Duration.ofSeconds(10));
      assertThat(queue.fetchBatch(q, "w", 10, TTR))
          .extracting(Task::index)
          .containsExactly(indices.get(0));
    }

    @Test
    @DisplayName("a bad delay is refused before anything is added")
    void badDelay() {
      QueueRef q = TestQueues.fresh();
      assertThatThrownBy(() -> NewTask.of(1).delay(Duration.ofSeconds(-1)))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("delay");
      assertThatThrownBy(() -> NewTask.of(1).delay(Duration.ofDays(366)))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("delay");
      assertThatThrownBy(() -> NewTask.of(1).notBefore(null))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("notBefore");
      assertThat(queue.info(q).index()).isZero();
    }
  }

  @Nested
  @DisplayName("priorities")
  class Priorities {
    @Test
    @DisplayName("fetch serves URGENT, HIGH, NORMAL, LOW, BULK, by index within a lane")
    void order() {
      QueueRef q = TestQueues.fresh();
      queue.add(q, NewTask.of("bulk").priority(Priority.BULK));
      queue.add(q, NewTask.of("normal1"));
      queue.add(q, NewTask.of("low").priority(Priority.LOW));
      long urgent = queue.add(q, NewTask.of("urgent").priority(Priority.URGENT));
      queue.add(q, NewTask.of("high").priority(Priority.HIGH));
      queue.add(q, NewTask.of("normal2").priority(Priority.NORMAL));
      assertThat(urgent).isEqualTo(Priority.URGENT.base() + 1);
      List<String> order = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        Task t = fetched(q, "w" + i);
        order.add(t.value().asText());
        assertThat(t.priority()).isEqualTo(Priority.ofIndex(t.index()));
      }
      assertThat(order).containsExactly("urgent", "high", "normal1", "normal2", "low", "bulk");
    }

    @Test
    @DisplayName("addAll with mixed lanes returns each task's index in the order given")
    void mixedBatch() {
      QueueRef q = TestQueues.fresh();
      List<Long> indices =
          queue.addAll(
              q,
              List.of(
                  NewTask.of(0),
                  NewTask.of(1).priority(Priority.HIGH),
                  NewTask.of(2),
                  NewTask.of(3).priority(Priority.HIGH)));
      assertThat(indices)
          .containsExactly(1L, Priority.HIGH.base() + 1, 2L, Priority.HIGH.base() + 2);
      assertThat(queue.fetchBatch(q, "w", 10, TTR))
          .extracting(t -> t.value().asInt())
          .containsExactly(1, 3, 0, 2);
      QueueInfo info = queue.info(q);
      assertThat(info.index()).isEqualTo(2);
      assertThat(info.lanes().get(Priority.HIGH).index()).isEqualTo(Priority.HIGH.base() + 2);
    }

    @Test
    @DisplayName("info counts the waiting tasks of every lane")
    void waiting() {
      QueueRef q = TestQueues.fresh();
      queue.add(q, NewTask.of(1));
      queue.add(q, NewTask.of(2).priority(Priority.LOW));
      queue.add(q, NewTask.of(3).priority(Priority.LOW));
      QueueInfo info = queue.info(q);
      assertThat(info.waiting()).isEqualTo(3);
      assertThat(info.lanes().get(Priority.LOW).waiting()).isEqualTo(2);
    }
  }

  @Nested
  @DisplayName("lease extension and release")
  class Leases {
    @Test
    @DisplayName("an extended lease is not taken over at its old deadline")
    void extend() {
      QueueRef q = TestQueues.fresh();
      queue.add(q, NewTask.of("a"));
      Task t = fetched(q, "w1");
      clock.advance(Duration.ofSeconds(20));
      assertThat(queue.extendLease(q, "w1", Duration.ofSeconds(60))).isTrue();
      clock.advance(Duration.ofSeconds(30));
      assertThat(queue.fetch(q, "w2", TTR)).isEmpty();
      assertThat(queue.info(q).leases().get(0).deadline())
          .isEqualTo(t.deadline().minusSeconds(30).plusSeconds(80));
      assertThat(events(QueueEvent.LeaseExtended.class, q)).hasSize(1);
    }

    @Test
    @DisplayName("extending a lease taken over returns false and changes nothing")
    void extendTakenOver() {
      QueueRef q = TestQueues.fresh();
      queue.add(q, NewTask.of("a"));
      Task t = fetched(q, "w1");
      clock.advance(TTR);
      assertThat(fetched(q, "w2").index()).isEqualTo(t.index());
      Instant deadline = queue.info(q).leases().get(0).deadline();
      assertThat(queue.extendLease(q, "w1", Duration.ofSeconds(60))).isFalse();
      assertThat(queue.extendLease(q, "w1", t.index(), Duration.ofSeconds(60))).isFalse();
      assertThat(queue.info(q).leases().get(0).deadline()).isEqualTo(deadline);
      assertThat(queue.extendLease(q, "nobody", Duration.ofSeconds(1))).isFalse();
      assertThatThrownBy(() -> queue.extendLease(q, "w2", Duration.ZERO))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("extension");
    }

    @Test
    @DisplayName("a released task comes back after its delay, with one more delivery")
    void releaseWithDelay() {
      QueueRef q = TestQueues.fresh();
      queue.add(q, NewTask.of("a"));
      Task t = fetched(q, "w1");
      assertThat(queue.release(q, "w1", Duration.ofSeconds(5))).isTrue();
      assertThat(queue.release(q, "w1", Duration.ofSeconds(5))).isFalse();
      assertThat(queue.info(q).leases()).isEmpty();
      assertThat(queue.info(q).delayed()).isEqualTo(1);
      assertThat(queue.fetch(q, "w2", TTR)).isEmpty();
      clock.advance(Duration.ofSeconds(5));
      Task again = fetched(q, "w2");
      assertThat(again.index()).isEqualTo(t.index());
      assertThat(again.deliveries()).isEqualTo(2);
      assertThat(events(QueueEvent.Released.class, q)).hasSize(1);
    }

    @Test
    @DisplayName("release without delay and by index; another worker cannot release")
    void releaseNow() {
      QueueRef q = TestQueues.fresh();
      queue.addAll(q, List.of(NewTask.of(1), NewTask.of(2)));
      List<Task> batch = queue.fetchBatch(q, "w1", 2, TTR);
      assertThat(queue.release(q, "w2", batch.get(0).index(), Duration.ZERO, null)).isFalse();
      assertThat(queue.release(q, "w1", batch.get(0).index(), Duration.ZERO, "busy")).isTrue();
      Task again = fetched(q, "w2");
      assertThat(again.index()).isEqualTo(batch.get(0).index());
      assertThat(again.deliveries()).isEqualTo(2);
      assertThatThrownBy(() -> queue.release(q, "w1", Duration.ofSeconds(-1)))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("delay");
      assertThatThrownBy(() -> queue.release(q, "w1", Duration.ZERO))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("index");
    }
  }

  @Nested
  @DisplayName("delivery limits and dead letters")
  class DeadLetters {
    @Test
    @DisplayName("the queue's limit: released at the last delivery, the task is dead-lettered")
    void queueLimit() {
      QueueRef q = TestQueues.fresh();
      queue.configure(q, QueueSettings.DEFAULT.withMaxDeliveries(2));
      assertThat(queue.settings(q).maxDeliveries()).isEqualTo(2);
      long index = queue.add(q, NewTask.of("poison"));
      fetched(q, "w1");
      assertThat(queue.release(q, "w1", index, Duration.ZERO, "first")).isTrue();
      assertThat(fetched(q, "w1").deliveries()).isEqualTo(2);
      assertThat(queue.release(q, "w1", index, Duration.ZERO, "boom")).isTrue();
      assertThat(queue.fetch(q, "w1", TTR)).isEmpty();
      List<DeadLetter> dead = queue.deadLetters(q, 10);
      assertThat(dead).singleElement().satisfies(d -> assertThat(d.index()).isEqualTo(index));
      assertThat(dead.get(0).deliveries()).isEqualTo(2);
      assertThat(dead.get(0).lastError()).contains(TextNode.valueOf("boom"));
      assertThat(queue.info(q).deadLetters()).isEqualTo(1);
      assertThat(completions)
          .filteredOn(c -> c.queue().equals(q))
          .singleElement()
          .satisfies(c -> assertThat(c.outcome().isSuccess()).isFalse());
      assertThat(events(QueueEvent.DeadLettered.class, q)).hasSize(1);
    }

    @Test
    @DisplayName("a task's own limit: its lease expires, the next fetch dead-letters it")
    void taskLimit() {
      QueueRef q = TestQueues.fresh();
      long index = queue.add(q, NewTask.of("once").maxDeliveries(1));
      long other = queue.add(q, NewTask.of("other"));
      fetched(q, "w1");
      clock.advance(TTR);
      assertThat(fetched(q, "w2").index()).isEqualTo(other);
      assertThat(queue.deadLetters(q, 10))
          .singleElement()
          .satisfies(
              d -> {
                assertThat(d.index()).isEqualTo(index);
                assertThat(d.lastError().orElseThrow().path("type").asText())
                    .isEqualTo("max-deliveries");
              });
    }

    @Test
    @DisplayName("requeue delivers a dead letter again, counting from 1; discard drops it")
    void requeueAndDiscard() {
      QueueRef q = TestQueues.fresh();
      queue.configure(q, new QueueSettings(1, 0));
      long a = queue.add(q, NewTask.of("a"));
      long b = queue.add(q, NewTask.of("b"));
      fetched(q, "w");
      queue.release(q, "w", Duration.ZERO);
      fetched(q, "w");
      queue.release(q, "w", Duration.ZERO);
      assertThat(queue.deadLetters(q, 10)).extracting(DeadLetter::index).containsExactly(a, b);
      assertThat(queue.deadLetters(q, 1)).extracting(DeadLetter::index).containsExactly(a);
      assertThat(queue.requeue(q, a)).isTrue();
      assertThat(queue.requeue(q, a)).isFalse();
      Task back = fetched(q, "w2");
      assertThat(back.index()).isEqualTo(a);
      assertThat(back.deliveries()).isEqualTo(1);
      assertThat(queue.discard(q, b)).isTrue();
      assertThat(queue.discard(q, b)).isFalse();
      assertThat(queue.deadLetters(q, 10)).isEmpty();
      assertThatThrownBy(() -> queue.deadLetters(q, 0))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("limit");
      assertThatThrownBy(() -> queue.requeue(q, 0))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("index");
      assertThatThrownBy(() -> new QueueSettings(-1, 0))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("maxDeliveries");
    }
  }

  @Nested
  @DisplayName("pause, purge, queues")
  class Admin {
    @Test
    @DisplayName("a paused queue hands out nothing and still takes adds")
    void pause() {
      QueueRef q = TestQueues.fresh();
      queue.add(q, NewTask.of("a"));
      assertThat(queue.pause(q)).isTrue();
      assertThat(queue.pause(q)).isFalse();
      assertThat(queue.add(q, NewTask.of("b"))).isEqualTo(2);
      assertThat(queue.fetch(q, "w", TTR)).isEmpty();
      assertThat(queue.fetchBatch(q, "w", 10, TTR)).isEmpty();
      assertThat(queue.info(q).paused()).isTrue();
      assertThat(queue.resume(q)).isTrue();
      assertThat(queue.resume(q)).isFalse();
      assertThat(fetched(q, "w").index()).isEqualTo(1);
      assertThat(events(QueueEvent.Paused.class, q)).hasSize(1);
      assertThat(events(QueueEvent.Resumed.class, q)).hasSize(1);
    }

    @Test
    @DisplayName("a queue paused before its first add stays paused through it")
    void pauseBeforeFirstAdd() {
      QueueRef q = TestQueues.fresh();
      assertThat(queue.pause(q)).isTrue();
      assertThat(queue.info(q).paused()).isTrue();
      assertThat(queue.add(q, NewTask.of("a"))).isEqualTo(1);
      assertThat(queue.fetch(q, "w", TTR)).isEmpty();
      assertThat(queue.info(q).paused()).isTrue();
      assertThat(queue.resume(q)).isTrue();
      assertThat(fetched(q, "w").index()).isEqualTo(1);
    }

    @Test
    @DisplayName("purge drops tasks and bookkeeping; the queue starts again at 1")
    void purge() {
      QueueRef q = TestQueues.fresh();
      queue.addAll(q, List.of(NewTask.of(1), NewTask.of(2).priority(Priority.HIGH)));
      fetched(q, "w");
      queue.pause(q);
      assertThat(queue.queues(q.owner())).contains(q);
      queue.purge(q);
      assertThat(queue.queues(q.owner())).doesNotContain(q);
      QueueInfo info = queue.info(q);
      assertThat(info.index()).isZero();
      assertThat(info.leases()).isEmpty();
      assertThat(info.paused()).isFalse();
      assertThat(queue.ack(q, "w")).isFalse();
      assertThat(queue.add(q, NewTask.of("new"))).isEqualTo(1);
      assertThat(fetched(q, "w").value()).isEqualTo(TextNode.valueOf("new"));
      assertThat(queue.fetch(q, "w2", TTR)).isEmpty();
    }

    @Test
    @DisplayName("queues lists an owner's queues; purge by pattern drops the matching ones")
    void byPattern() {
      QueueRef base = TestQueues.fresh();
      String owner = base.owner();
      QueueRef a = QueueRef.of(owner, "tmp-a");
      QueueRef b = QueueRef.of(owner, "tmp-b");
      QueueRef keep = QueueRef.of(owner, "keep");
      for (QueueRef q : List.of(a, b, keep)) {
        queue.add(q, NewTask.of(q.service()));
      }
      assertThat(queue.queues(owner)).contains(a, b, keep);
      assertThat(queue.purge(owner, Pattern.compile("tmp-.*"))).containsExactlyInAnyOrder(a, b);
      assertThat(queue.queues(owner)).contains(keep).doesNotContain(a, b);
      assertThat(fetched(keep, "w").value()).isEqualTo(TextNode.valueOf("keep"));
      assertThatThrownBy(() -> queue.queues("bad owner"))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("owner");
    }

    @Test
    @DisplayName("a task whose row expired is stepped over, counted and reported")
    void expired() {
      QueueRef q = TestQueues.fresh();
      long gone = queue.add(q, NewTask.of("gone"));
      long next = queue.add(q, NewTask.of("next"));
      store.forget(q, gone);
      assertThat(fetched(q, "w").index()).isEqualTo(next);
      assertThat(queue.info(q).expired()).isEqualTo(1);
      assertThat(events(QueueEvent.Expired.class, q))
          .singleElement()
          .satisfies(e -> assertThat(e.index()).isEqualTo(gone));
    }
  }

  @Nested
  @DisplayName("repeating tasks")
  class Repeating {
    @Test
    @DisplayName("three nodes running schedules add exactly one task per tick")
    void exactlyOnce() throws Exception {
      QueueRef q = TestQueues.fresh();
      Instant first =
          queue.schedule(q, "every-minute", Schedule.every(Duration.ofMinutes(1)), NewTask.of("t"));
      assertThat(first).isAfter(clock.instant());
      List<WorkQueue> nodes = List.of(queue, newQueue(), newQueue());
      int ticks = 5;
      for (int tick = 0; tick < ticks; tick++) {
        clock.advance(Duration.ofMinutes(1));
        List<Future<List<Long>>> runs = new ArrayList<>();
        for (WorkQueue node : nodes) {
          Callable<List<Long>> run = () -> node.runSchedules(q);
          runs.add(pool.submit(run));
        }
        int added = 0;
        for (Future<List<Long>> run : runs) {
          added += run.get().size();
        }
        assertThat(added).as("tasks added at tick %d", tick).isEqualTo(1);
      }
      assertThat(queue.info(q).index()).isEqualTo(ticks);
      assertThat(events(QueueEvent.ScheduledTick.class, q)).hasSize(ticks);
      for (int i = 0; i < ticks; i++) {
        assertThat(fetched(q, "w" + i).value()).isEqualTo(TextNode.valueOf("t"));
      }
    }

    @Test
    @DisplayName("missed ticks are not caught up; schedules survive a new instance; unschedule")
    void missedAndRestart() {
      QueueRef q = TestQueues.fresh();
      queue.schedule(
          q,
          "hourly",
          Schedule.cron("0 * * * *"),
          NewTask.of("h").priority(Priority.HIGH).token("tok"));
      clock.advance(Duration.ofHours(5));
      WorkQueue restarted = newQueue();
      List<ScheduleInfo> listed = restarted.schedules(q);
      assertThat(listed).singleElement().satisfies(s -> assertThat(s.id()).isEqualTo("hourly"));
      assertThat(listed.get(0).schedule()).isEqualTo(Schedule.cron("0 * * * *"));
      assertThat(restarted.runSchedules(q)).hasSize(1);
      assertThat(restarted.runSchedules(q)).isEmpty();
      assertThat(restarted.schedules(q).get(0).nextTick()).isAfter(clock.instant());
      Task t = fetched(q, "w");
      assertThat(t.priority()).isEqualTo(Priority.HIGH);
      assertThat(t.token()).contains(TextNode.valueOf("tok"));
      assertThat(restarted.unschedule(q, "hourly")).isTrue();
      assertThat(restarted.unschedule(q, "hourly")).isFalse();
      clock.advance(Duration.ofHours(2));
      assertThat(restarted.runSchedules(q)).isEmpty();
      assertThat(restarted.schedules(q)).isEmpty();
    }

    @Test
    @DisplayName("bad schedules are refused and nothing is stored")
    void badInput() {
      QueueRef q = TestQueues.fresh();
      assertThatThrownBy(() -> Schedule.cron("61 * * * *"))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("expression");
      assertThatThrownBy(() -> Schedule.every(Duration.ofMillis(10)))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("interval");
      assertThatThrownBy(
              () ->
                  queue.schedule(
                      q,
                      "delayed",
                      Schedule.every(Duration.ofMinutes(1)),
                      NewTask.of(1).delay(Duration.ofSeconds(1))))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("template");
      assertThatThrownBy(
              () ->
                  queue.schedule(q, "bad id", Schedule.every(Duration.ofMinutes(1)), NewTask.of(1)))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("scheduleId");
      assertThat(queue.schedules(q)).isEmpty();
    }
  }

  @Nested
  @DisplayName("concurrency groups")
  class Groups {
    @Test
    @DisplayName("a group at its limit waits without holding back other tasks")
    void limit() {
      QueueRef q = TestQueues.fresh();
      queue.configure(q, QueueSettings.DEFAULT.withGroupLimit(1));
      long g1 = queue.add(q, NewTask.of("g1").group("g"));
      long g2 = queue.add(q, NewTask.of("g2").group("g"));
      long plain = queue.add(q, NewTask.of("plain"));
      long h1 = queue.add(q, NewTask.of("h1").group("h"));
      assertThat(fetched(q, "w1").index()).isEqualTo(g1);
      assertThat(fetched(q, "w2").index()).isEqualTo(plain);
      assertThat(fetched(q, "w3").index()).isEqualTo(h1);
      assertThat(queue.fetch(q, "w4", TTR)).isEmpty();
      assertThat(queue.info(q).parked()).isEqualTo(1);
      assertThat(queue.ack(q, "w1")).isTrue();
      Task next = fetched(q, "w4");
      assertThat(next.index()).isEqualTo(g2);
      assertThat(next.deliveries()).isEqualTo(1);
      assertThat(queue.info(q).parked()).isZero();
    }

    @Test
    @DisplayName("a batch takes at most the group's limit and the rest of the queue")
    void batch() {
      QueueRef q = TestQueues.fresh();
      queue.configure(q, QueueSettings.DEFAULT.withGroupLimit(2));
      List<NewTask> tasks = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        tasks.add(NewTask.of("g" + i).group("g"));
      }
      tasks.add(NewTask.of("plain"));
      queue.addAll(q, tasks);
      List<Task> batch = queue.fetchBatch(q, "w", 10, TTR);
      assertThat(batch).extracting(t -> t.value().asText()).containsExactly("g0", "g1", "plain");
      Set<Long> acked = queue.ackAll(q, "w", batch.stream().map(Task::index).toList());
      assertThat(acked).hasSize(3);
      assertThat(queue.fetchBatch(q, "w", 10, TTR))
          .extracting(t -> t.value().asText())
          .containsExactly("g2", "g3");
    }
  }

  @Nested
  @DisplayName("outcomes and events")
  class Outcomes {
    @Test
    @DisplayName("outcome reads what the worker acknowledged, plain successes included")
    void outcome() {
      QueueRef q = TestQueues.fresh();
      long a = queue.add(q, NewTask.of("a"));
      long b = queue.add(q, NewTask.of("b"));
      long c = queue.add(q, NewTask.of("c"));
      assertThat(queue.outcome(q, a)).isEmpty();
      fetched(q, "w");
      queue.ack(q, "w", Outcome.success(0));
      fetched(q, "w");
      queue.ack(q, "w");
      fetched(q, "w");
      queue.ack(q, "w", Outcome.failure("no"));
      assertThat(queue.outcome(q, a)).contains(Outcome.success(0));
      assertThat(queue.outcome(q, b)).contains(Outcome.success());
      assertThat(queue.outcome(q, c)).contains(Outcome.failure("no"));
      assertThat(queue.completion(q, a).toCompletableFuture().join()).isEqualTo(Outcome.success(0));
    }

    @Test
    @DisplayName("events arrive for each change, and a throwing listener breaks nothing")
    void lifecycle() {
      QueueRef q = TestQueues.fresh();
      queue.add(q, NewTask.of("a"));
      queue.add(q, NewTask.of("b"));
      fetched(q, "w1");
      clock.advance(TTR);
      fetched(q, "w2");
      queue.ack(q, "w2");
      fetched(q, "w3");
      queue.ack(q, "w3", Outcome.failure("x"));
      assertThat(events(QueueEvent.Added.class, q)).hasSize(2);
      assertThat(events(QueueEvent.Fetched.class, q)).hasSize(2);
      assertThat(events(QueueEvent.Recovered.class, q))
          .singleElement()
          .satisfies(e -> assertThat(e.deliveries()).isEqualTo(2));
      assertThat(events(QueueEvent.Acked.class, q)).hasSize(1);
      assertThat(events(QueueEvent.Failed.class, q)).hasSize(1);
    }
  }
}
