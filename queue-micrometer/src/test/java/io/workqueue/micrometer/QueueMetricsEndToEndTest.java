package io.workqueue.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MockClock;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.workqueue.NewTask;
import io.workqueue.Outcome;
import io.workqueue.QueueRef;
import io.workqueue.QueueSettings;
import io.workqueue.Schedule;
import io.workqueue.Task;
import io.workqueue.WorkQueue;
import io.workqueue.WorkQueues;
import io.workqueue.testkit.InMemoryBookkeeper;
import io.workqueue.testkit.InMemoryKeyProvider;
import io.workqueue.testkit.InMemoryTaskStore;
import io.workqueue.testkit.SettableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** QueueMetrics installed as the queue listener of a real in-memory queue. */
@DisplayName("QueueMetrics on a real in-memory queue")
class QueueMetricsEndToEndTest {
  static final QueueRef Q = QueueRef.of("acme", "emails");

  SettableClock clock;
  MockClock registryClock;
  SimpleMeterRegistry registry;
  QueueMetrics metrics;
  WorkQueue queue;

  @BeforeEach
  void setUp() {
    clock = new SettableClock(Instant.parse("2030-01-01T00:00:00Z"));
    registryClock = new MockClock();
    registry = new SimpleMeterRegistry(SimpleConfig.DEFAULT, registryClock);
    metrics = QueueMetrics.of(registry);
    queue =
        WorkQueues.builder()
            .taskStore(new InMemoryTaskStore())
            .bookkeeper(new InMemoryBookkeeper())
            .keyProvider(new InMemoryKeyProvider())
            .clock(clock)
            .queueListener(metrics)
            .build();
    metrics.monitor(queue, Q);
  }

  @AfterEach
  void tearDown() {
    metrics.close();
    queue.close();
  }

  double events(String event) {
    Counter c =
        registry
            .find(QueueMetrics.EVENTS)
            .tags("owner", "acme", "service", "emails", "event", event)
            .counter();
    return c == null ? 0 : c.count();
  }

  Timer held(String outcome) {
    return registry
        .get(QueueMetrics.LEASE_HELD)
        .tags("owner", "acme", "service", "emails", "outcome", outcome)
        .timer();
  }

  double untimed() {
    Counter c = registry.find(QueueMetrics.LEASE_UNTIMED).counter();
    return c == null ? 0 : c.count();
  }

  /** A gauge as the next scrape sees it: the cached info is older than the interval. */
  double gauge(String name) {
    registryClock.add(metrics.infoInterval());
    return registry.get(name).tags("owner", "acme", "service", "emails").gauge().value();
  }

  double cached(String name) {
    return registry.get(name).tags("owner", "acme", "service", "emails").gauge().value();
  }

  @Test
  @DisplayName("add, fetch, ack with success and failure, batches: counted and timed")
  void addFetchAck() {
    queue.addAll(Q, List.of(NewTask.of("a"), NewTask.of("b"), NewTask.of("c")));
    queue.add(Q, NewTask.of("d"));
    assertThat(gauge(QueueMonitor.WAITING)).isEqualTo(4.0);

    queue.fetch(Q, "w1").orElseThrow();
    queue.fetch(Q, "w1").orElseThrow(); // its own lease again
    assertThat(gauge(QueueMonitor.IN_FLIGHT)).isEqualTo(1.0);
    clock.advance(Duration.ofMillis(200));
    assertThat(queue.ack(Q, "w1")).isTrue();

    queue.fetch(Q, "w1").orElseThrow();
    clock.advance(Duration.ofSeconds(1));
    assertThat(queue.ack(Q, "w1", Outcome.failure("boom"))).isTrue();

    List<Task> batch = queue.fetchBatch(Q, "w2", 10, Duration.ofMinutes(1));
    assertThat(batch).hasSize(2);
    assertThat(cached(QueueMonitor.IN_FLIGHT))
        .as("cached until the interval passes")
        .isEqualTo(1.0);
    assertThat(gauge(QueueMonitor.IN_FLIGHT)).isEqualTo(2.0);
    clock.advance(Duration.ofMillis(300));
    queue.ackAll(Q, "w2", batch.stream().map(Task::index).toList());

    assertThat(events("added")).isEqualTo(2);
    assertThat(registry.get(QueueMetrics.TASKS_ADDED).counter().count()).isEqualTo(4);
    assertThat(events("fetched")).isEqualTo(5); // 1 + the same lease again + 1 + a batch of 2
    assertThat(events("acked")).isEqualTo(3);
    assertThat(events("failed")).isEqualTo(1);
    assertThat(held("acked").count()).isEqualTo(3);
    assertThat(held("acked").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(200 + 300 + 300);
    assertThat(held("failed").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(1_000);
    assertThat(untimed()).isZero();
    assertThat(registry.get(QueueMetrics.LEASE_TRACKED).gauge().value()).isZero();
    assertThat(gauge(QueueMonitor.WAITING)).isZero();
    assertThat(gauge(QueueMonitor.IN_FLIGHT)).isZero();
  }

  @Test
  @DisplayName("release, then release at the delivery limit: released, then dead-lettered")
  void releaseAndDeadLetter() {
    queue.configure(Q, new QueueSettings(2, 0));
    queue.add(Q, NewTask.of("a"));

    queue.fetch(Q, "w1").orElseThrow();
    clock.advance(Duration.ofMillis(100));
    assertThat(queue.release(Q, "w1", Duration.ZERO)).isTrue();

    Task again = queue.fetch(Q, "w1").orElseThrow();
    assertThat(again.deliveries()).isEqualTo(2);
    clock.advance(Duration.ofMillis(50));
    assertThat(queue.release(Q, "w1", Duration.ZERO)).isTrue(); // at the limit: dead letters

    assertThat(events("fetched")).isEqualTo(2);
    assertThat(events("released")).isEqualTo(1);
    assertThat(events("dead_lettered")).isEqualTo(1);
    assertThat(held("released").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(100);
    assertThat(held("dead_lettered").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(50);
    assertThat(untimed()).isZero();
    assertThat(gauge(QueueMonitor.DEAD_LETTERS)).isEqualTo(1.0);
    assertThat(gauge(QueueMonitor.IN_FLIGHT)).isZero();

    assertThat(queue.requeue(Q, again.index())).isTrue();
    assertThat(gauge(QueueMonitor.DEAD_LETTERS)).isZero();
    assertThat(gauge(QueueMonitor.WAITING)).isEqualTo(1.0);
  }

  @Test
  @DisplayName("a lease taken over after expiry is timed as taken_over, then the new one as acked")
  void recovery() {
    queue.add(Q, NewTask.of("a"));
    queue.fetch(Q, "w1", Duration.ofSeconds(1)).orElseThrow();
    clock.advance(Duration.ofSeconds(2));
    Task recovered = queue.fetch(Q, "w2").orElseThrow();
    assertThat(recovered.deliveries()).isEqualTo(2);
    clock.advance(Duration.ofMillis(700));
    assertThat(queue.ack(Q, "w1")).isFalse();
    assertThat(queue.ack(Q, "w2")).isTrue();

    assertThat(events("recovered")).isEqualTo(1);
    assertThat(events("acked")).isEqualTo(1);
    assertThat(held("taken_over").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(2_000);
    assertThat(held("acked").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(700);
    assertThat(untimed()).isZero();
  }

  @Test
  @DisplayName("a lease that expired at the delivery limit ends as dead-lettered, without a worker")
  void expiredAtLimit() {
    queue.add(Q, NewTask.of("a").maxDeliveries(1));
    queue.fetch(Q, "w1", Duration.ofSeconds(1)).orElseThrow();
    clock.advance(Duration.ofSeconds(2));
    assertThat(queue.fetch(Q, "w2")).isEmpty(); // over its limit: to the dead letters instead

    assertThat(events("dead_lettered")).isEqualTo(1);
    assertThat(events("recovered")).isZero();
    assertThat(held("dead_lettered").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(2_000);
    assertThat(untimed()).isZero();
    assertThat(gauge(QueueMonitor.DEAD_LETTERS)).isEqualTo(1.0);
  }

  @Test
  @DisplayName("extendLease, delays, pause and resume show in counters and gauges")
  void extendDelayPause() {
    queue.add(Q, NewTask.of("now"));
    queue.add(Q, NewTask.of("later").delay(Duration.ofMinutes(5)));
    assertThat(gauge(QueueMonitor.DELAYED)).isEqualTo(1.0);

    queue.fetch(Q, "w1").orElseThrow();
    assertThat(queue.extendLease(Q, "w1", Duration.ofMinutes(2))).isTrue();
    assertThat(events("lease_extended")).isEqualTo(1);
    clock.advance(Duration.ofSeconds(3));
    queue.ack(Q, "w1");
    assertThat(held("acked").totalTime(TimeUnit.SECONDS)).isEqualTo(3);

    assertThat(queue.pause(Q)).isTrue();
    assertThat(queue.pause(Q)).isFalse();
    assertThat(events("paused")).as("only the call that paused it").isEqualTo(1);
    assertThat(gauge(QueueMonitor.PAUSED)).isEqualTo(1.0);
    assertThat(queue.resume(Q)).isTrue();
    assertThat(events("resumed")).isEqualTo(1);
    assertThat(gauge(QueueMonitor.PAUSED)).isZero();
  }

  @Test
  @DisplayName("a purge is counted and forgets the queue's tracked leases")
  void purge() {
    queue.addAll(Q, List.of(NewTask.of("a"), NewTask.of("b")));
    queue.fetchBatch(Q, "w1", 2, Duration.ofMinutes(1));
    assertThat(registry.get(QueueMetrics.LEASE_TRACKED).gauge().value()).isEqualTo(2);
    queue.purge(Q);
    assertThat(events("purged")).isEqualTo(1);
    assertThat(registry.get(QueueMetrics.LEASE_TRACKED).gauge().value()).isZero();
    assertThat(gauge(QueueMonitor.WAITING)).isZero();
    assertThat(gauge(QueueMonitor.IN_FLIGHT)).isZero();
    assertThat(untimed()).isZero();
  }

  @Test
  @DisplayName("a repeating task's tick is counted and its lag timed")
  void scheduleTick() {
    Instant first =
        queue.schedule(Q, "minutely", Schedule.every(Duration.ofMinutes(1)), NewTask.of("x"));
    clock.set(first.plusSeconds(4));
    assertThat(queue.runSchedules(Q)).hasSize(1);
    assertThat(events("scheduled_tick")).isEqualTo(1);
    assertThat(events("added")).isEqualTo(1);
    Timer lag = registry.get(QueueMetrics.SCHEDULE_LAG).timer();
    assertThat(lag.count()).isEqualTo(1);
    assertThat(lag.totalTime(TimeUnit.SECONDS)).isEqualTo(4);
  }
}
