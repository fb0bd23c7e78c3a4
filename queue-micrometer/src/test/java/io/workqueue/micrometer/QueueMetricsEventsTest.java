package io.workqueue.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.workqueue.InvalidArgumentException;
import io.workqueue.QueueEvent;
import io.workqueue.QueueRef;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayName("QueueMetrics fed events directly")
class QueueMetricsEventsTest {
  static final QueueRef Q = QueueRef.of("acme", "emails");
  static final QueueRef OTHER = QueueRef.of("acme", "invoices");
  static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");

  SimpleMeterRegistry registry;
  QueueMetrics metrics;

  @BeforeEach
  void setUp() {
    registry = new SimpleMeterRegistry();
    metrics = QueueMetrics.of(registry);
  }

  static Instant at(long millis) {
    return T0.plusMillis(millis);
  }

  double events(QueueRef q, String event) {
    Counter c =
        registry
            .find(QueueMetrics.EVENTS)
            .tags("owner", q.owner(), "service", q.service(), "event", event)
            .counter();
    return c == null ? 0 : c.count();
  }

  double untimed(QueueRef q) {
    Counter c =
        registry
            .find(QueueMetrics.LEASE_UNTIMED)
            .tags("owner", q.owner(), "service", q.service())
            .counter();
    return c == null ? 0 : c.count();
  }

  Timer held(QueueRef q, String outcome) {
    return registry
        .find(QueueMetrics.LEASE_HELD)
        .tags("owner", q.owner(), "service", q.service(), "outcome", outcome)
        .timer();
  }

  double tracked() {
    return registry.get(QueueMetrics.LEASE_TRACKED).gauge().value();
  }

  @Nested
  @DisplayName("counting")
  class Counting {
    @Test
    @DisplayName("every event type is counted under its snake-case name, per queue")
    void everyType() {
      List<QueueEvent> all =
          List.of(
              new QueueEvent.Added(Q, List.of(1L, 2L, 3L), at(0)),
              new QueueEvent.Fetched(Q, "w1", 1, 1, at(1)),
              new QueueEvent.Recovered(Q, "w2", 2, 2, at(2)),
              new QueueEvent.LeaseExtended(Q, "w1", 1, at(60_000), at(3)),
              new QueueEvent.Released(Q, "w1", 1, at(10), at(4)),
              new QueueEvent.Acked(Q, "w2", 2, at(5)),
              new QueueEvent.Failed(Q, "w3", 3, at(6)),
              new QueueEvent.DeadLettered(Q, 4, 5, at(7)),
              new QueueEvent.Expired(Q, 5, at(8)),
              new QueueEvent.ScheduledTick(Q, "nightly", at(0), 6, at(9)),
              new QueueEvent.Paused(Q, at(10)),
              new QueueEvent.Resumed(Q, at(11)),
              new QueueEvent.Purged(Q, at(12)));
      all.forEach(metrics::onEvent);
      metrics.onEvent(new QueueEvent.Acked(Q, "w9", 9, at(13)));

      assertThat(
              List.of(
                  "added",
                  "fetched",
                  "recovered",
                  "lease_extended",
                  "released",
                  "failed",
                  "dead_lettered",
                  "expired",
                  "scheduled_tick",
                  "paused",
                  "resumed",
                  "purged"))
          .allSatisfy(type -> assertThat(events(Q, type)).as(type).isEqualTo(1.0));
      assertThat(events(Q, "acked")).isEqualTo(2.0);
      assertThat(events(OTHER, "acked")).isZero();
      assertThat(
              registry
                  .get(QueueMetrics.TASKS_ADDED)
                  .tags("owner", "acme", "service", "emails")
                  .counter()
                  .count())
          .isEqualTo(3.0);
    }

    @Test
    @DisplayName("no meter carries a worker or an index tag")
    void noHighCardinalityTags() {
      for (int i = 1; i <= 50; i++) {
        metrics.onEvent(new QueueEvent.Fetched(Q, "worker-" + i, i, 1, at(i)));
        metrics.onEvent(new QueueEvent.Acked(Q, "worker-" + i, i, at(i + 5)));
      }
      List<Meter> meters = registry.getMeters();
      assertThat(meters)
          .flatMap(m -> m.getId().getTags())
          .extracting(Tag::getKey)
          .doesNotContain("worker", "index")
          .containsOnly("owner", "service", "event", "outcome");
      // events: fetched and acked; lease.held: acked; lease.tracked (untagged)
      assertThat(meters).hasSize(4);
    }

    @Test
    @DisplayName("a null event is rejected, naming the argument, and counts nothing")
    void nullEvent() {
      assertThatThrownBy(() -> metrics.onEvent(null))
          .isInstanceOfSatisfying(
              InvalidArgumentException.class, e -> assertThat(e.argument()).isEqualTo("event"));
      assertThat(registry.find(QueueMetrics.EVENTS).meters()).isEmpty();
    }

    @Test
    @DisplayName("the tag of a type is its simple name in snake case")
    void snakeCase() {
      assertThat(QueueMetrics.snakeCase("DeadLettered")).isEqualTo("dead_lettered");
      assertThat(QueueMetrics.snakeCase("LeaseExtended")).isEqualTo("lease_extended");
      assertThat(QueueMetrics.snakeCase("Added")).isEqualTo("added");
    }
  }

  @Nested
  @DisplayName("lease timing")
  class LeaseTiming {
    @Test
    @DisplayName("times a lease from Fetched or Recovered to each kind of end, by event time")
    void eachOutcome() {
      metrics.onEvent(new QueueEvent.Fetched(Q, "w1", 1, 1, at(0)));
      metrics.onEvent(new QueueEvent.Acked(Q, "w1", 1, at(250)));
      metrics.onEvent(new QueueEvent.Fetched(Q, "w1", 2, 1, at(0)));
      metrics.onEvent(new QueueEvent.Failed(Q, "w1", 2, at(1_000)));
      metrics.onEvent(new QueueEvent.Recovered(Q, "w2", 3, 2, at(0)));
      metrics.onEvent(new QueueEvent.Released(Q, "w2", 3, at(9_000), at(2_000)));
      metrics.onEvent(new QueueEvent.Fetched(Q, "w3", 4, 3, at(0)));
      metrics.onEvent(new QueueEvent.DeadLettered(Q, 4, 3, at(3_000)));

      assertThat(held(Q, "acked").count()).isEqualTo(1);
      assertThat(held(Q, "acked").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(250);
      assertThat(held(Q, "failed").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(1_000);
      assertThat(held(Q, "released").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(2_000);
      assertThat(held(Q, "dead_lettered").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(3_000);
      assertThat(untimed(Q)).isZero();
      assertThat(tracked()).isZero();
    }

    @Test
    @DisplayName("the same lease reported again keeps its first start; a new delivery starts over")
    void sameLeaseAgain() {
      metrics.onEvent(new QueueEvent.Fetched(Q, "w1", 1, 1, at(0)));
      metrics.onEvent(new QueueEvent.Fetched(Q, "w1", 1, 1, at(400))); // fetch returned it again
      metrics.onEvent(new QueueEvent.Acked(Q, "w1", 1, at(1_000)));
      assertThat(held(Q, "acked").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(1_000);

      metrics.onEvent(new QueueEvent.Fetched(Q, "w1", 2, 1, at(0)));
      // its end was not heard here; the next delivery of the task is another lease
      metrics.onEvent(new QueueEvent.Fetched(Q, "w1", 2, 2, at(5_000)));
      metrics.onEvent(new QueueEvent.Acked(Q, "w1", 2, at(5_100)));
      assertThat(held(Q, "acked").count()).isEqualTo(2);
      assertThat(held(Q, "acked").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(1_100);
      assertThat(untimed(Q)).isEqualTo(1);
    }

    @Test
    @DisplayName("a recovery ends the previous holder's lease as taken over")
    void takenOver() {
      metrics.onEvent(new QueueEvent.Fetched(Q, "w1", 7, 1, at(0)));
      metrics.onEvent(new QueueEvent.Recovered(Q, "w2", 7, 2, at(61_000)));
      metrics.onEvent(new QueueEvent.Acked(Q, "w2", 7, at(61_500)));

      assertThat(held(Q, "taken_over").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(61_000);
      assertThat(held(Q, "acked").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(500);
      assertThat(untimed(Q)).isZero();
    }

    @Test
    @DisplayName("an end without a heard start, or by another worker, is counted as untimed")
    void unmatchedEnds() {
      metrics.onEvent(new QueueEvent.Acked(Q, "w1", 1, at(10)));
      metrics.onEvent(new QueueEvent.Failed(Q, "w1", 2, at(10)));
      metrics.onEvent(new QueueEvent.Released(Q, "w1", 3, at(10), at(10)));
      metrics.onEvent(new QueueEvent.DeadLettered(Q, 4, 2, at(10)));
      assertThat(untimed(Q)).isEqualTo(4);

      // w1's lease was taken over on another node; w2 acknowledges here
      metrics.onEvent(new QueueEvent.Fetched(Q, "w1", 5, 1, at(0)));
      metrics.onEvent(new QueueEvent.Acked(Q, "w2", 5, at(90_000)));
      assertThat(untimed(Q)).isEqualTo(6);
      assertThat(held(Q, "acked")).isNull();
      assertThat(tracked()).as("the task is done: nothing stays tracked").isZero();

      // a duplicate end finds nothing
      metrics.onEvent(new QueueEvent.Fetched(Q, "w1", 6, 1, at(0)));
      metrics.onEvent(new QueueEvent.Acked(Q, "w1", 6, at(100)));
      metrics.onEvent(new QueueEvent.Acked(Q, "w1", 6, at(200)));
      assertThat(held(Q, "acked").count()).isEqualTo(1);
      assertThat(untimed(Q)).isEqualTo(7);
    }

    @Test
    @DisplayName("the same index in two queues is two leases")
    void perQueue() {
      metrics.onEvent(new QueueEvent.Fetched(Q, "w1", 1, 1, at(0)));
      metrics.onEvent(new QueueEvent.Fetched(OTHER, "w1", 1, 1, at(100)));
      metrics.onEvent(new QueueEvent.Acked(OTHER, "w1", 1, at(300)));
      metrics.onEvent(new QueueEvent.Acked(Q, "w1", 1, at(1_000)));
      assertThat(held(Q, "acked").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(1_000);
      assertThat(held(OTHER, "acked").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(200);
    }

    @Test
    @DisplayName("a clock that went back between start and end counts as zero")
    void clockBack() {
      metrics.onEvent(new QueueEvent.Fetched(Q, "w1", 1, 1, at(5_000)));
      metrics.onEvent(new QueueEvent.Acked(Q, "w1", 1, at(1_000)));
      assertThat(held(Q, "acked").count()).isEqualTo(1);
      assertThat(held(Q, "acked").totalTime(TimeUnit.NANOSECONDS)).isZero();
    }

    @Test
    @DisplayName("lost ends never hold more than maxTrackedLeases starts; the dropped are untimed")
    void bounded() {
      registry = new SimpleMeterRegistry();
      QueueMetrics small = QueueMetrics.builder(registry).maxTrackedLeases(3).build();
      for (int i = 1; i <= 10; i++) {
        small.onEvent(new QueueEvent.Fetched(Q, "w1", i, 1, at(i)));
      }
      assertThat(tracked()).isEqualTo(3);
      assertThat(untimed(Q)).isEqualTo(7);
      // the newest three are still timed; the oldest were dropped
      small.onEvent(new QueueEvent.Acked(Q, "w1", 10, at(110)));
      small.onEvent(new QueueEvent.Acked(Q, "w1", 1, at(110)));
      assertThat(held(Q, "acked").count()).isEqualTo(1);
      assertThat(held(Q, "acked").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(100);
      assertThat(untimed(Q)).isEqualTo(8);
      assertThat(tracked()).isEqualTo(2);
    }

    @Test
    @DisplayName("a purge forgets the queue's leases, an expiry the task's, silently")
    void purgeAndExpiry() {
      metrics.onEvent(new QueueEvent.Fetched(Q, "w1", 1, 1, at(0)));
      metrics.onEvent(new QueueEvent.Fetched(Q, "w1", 2, 1, at(0)));
      metrics.onEvent(new QueueEvent.Fetched(OTHER, "w1", 1, 1, at(0)));
      metrics.onEvent(new QueueEvent.Fetched(OTHER, "w1", 2, 1, at(0)));
      assertThat(tracked()).isEqualTo(4);

      metrics.onEvent(new QueueEvent.Purged(Q, at(10)));
      assertThat(tracked()).isEqualTo(2);
      metrics.onEvent(new QueueEvent.Expired(OTHER, 2, at(10)));
      assertThat(tracked()).isEqualTo(1);
      assertThat(untimed(Q)).isZero();
      assertThat(untimed(OTHER)).isZero();

      metrics.onEvent(new QueueEvent.Acked(OTHER, "w1", 1, at(40)));
      assertThat(held(OTHER, "acked").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(40);
    }

    @Test
    @DisplayName("with maxTrackedLeases 0 leases are neither tracked nor timed, only counted")
    void off() {
      SimpleMeterRegistry r = new SimpleMeterRegistry();
      QueueMetrics counting = QueueMetrics.builder(r).maxTrackedLeases(0).build();
      counting.onEvent(new QueueEvent.Fetched(Q, "w1", 1, 1, at(0)));
      counting.onEvent(new QueueEvent.Acked(Q, "w1", 1, at(10)));
      assertThat(r.find(QueueMetrics.LEASE_HELD).meters()).isEmpty();
      assertThat(r.find(QueueMetrics.LEASE_UNTIMED).meters()).isEmpty();
      assertThat(r.find(QueueMetrics.LEASE_TRACKED).meters()).isEmpty();
      assertThat(r.get(QueueMetrics.EVENTS).tag("event", "acked").counter().count()).isEqualTo(1);
    }
  }

  @Test
  @DisplayName("events from many threads at once are all counted and timed")
  void concurrent() throws Exception {
    int threads = 4;
    int leasesEach = 2_000;
    List<Thread> workers = new java.util.ArrayList<>();
    for (int t = 0; t < threads; t++) {
      String worker = "w" + t;
      long base = t * 1_000_000L;
      workers.add(
          new Thread(
              () -> {
                for (int i = 1; i <= leasesEach; i++) {
                  metrics.onEvent(new QueueEvent.Fetched(Q, worker, base + i, 1, at(0)));
                  metrics.onEvent(new QueueEvent.Acked(Q, worker, base + i, at(10)));
                }
              }));
    }
    workers.forEach(Thread::start);
    for (Thread t : workers) {
      t.join();
    }
    assertThat(events(Q, "fetched")).isEqualTo(threads * leasesEach);
    assertThat(held(Q, "acked").count()).isEqualTo(threads * leasesEach);
    assertThat(held(Q, "acked").totalTime(TimeUnit.MILLISECONDS))
        .isEqualTo(10.0 * threads * leasesEach);
    assertThat(untimed(Q)).isZero();
    assertThat(tracked()).isZero();
  }

  @Test
  @DisplayName("a second instance on the same registry leaves the first one's tracked gauge alone")
  void secondInstance() {
    metrics.onEvent(new QueueEvent.Fetched(Q, "w1", 1, 1, at(0)));
    QueueMetrics second = QueueMetrics.of(registry);
    second.close();
    assertThat(tracked()).isEqualTo(1);
  }

  @Test
  @DisplayName("a schedule tick is timed from its tick to its enqueueing")
  void scheduleLag() {
    metrics.onEvent(new QueueEvent.ScheduledTick(Q, "nightly", at(0), 12, at(1_500)));
    metrics.onEvent(new QueueEvent.ScheduledTick(Q, "nightly", at(60_000), 13, at(60_500)));
    Timer lag = registry.get(QueueMetrics.SCHEDULE_LAG).tags("owner", "acme").timer();
    assertThat(lag.count()).isEqualTo(2);
    assertThat(lag.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(2_000);
    assertThat(lag.max(TimeUnit.MILLISECONDS)).isEqualTo(1_500);
  }

  @Test
  @DisplayName("once closed, events are ignored and the tracked-leases gauge is gone")
  void closed() {
    metrics.onEvent(new QueueEvent.Fetched(Q, "w1", 1, 1, at(0)));
    metrics.close();
    metrics.close();
    metrics.onEvent(new QueueEvent.Acked(Q, "w1", 1, at(10)));
    assertThat(events(Q, "fetched")).isEqualTo(1);
    assertThat(events(Q, "acked")).isZero();
    assertThat(registry.find(QueueMetrics.LEASE_TRACKED).meters()).isEmpty();
  }

  @Nested
  @DisplayName("settings")
  class Settings {
    @Test
    @DisplayName("the defaults are 5 s between info reads and 10,000 tracked leases")
    void defaults() {
      assertThat(metrics.infoInterval()).isEqualTo(Duration.ofSeconds(5));
      assertThat(metrics.maxTrackedLeases()).isEqualTo(10_000);
    }

    @Test
    @DisplayName("bad settings are rejected naming the setting")
    void rejected() {
      assertThatThrownBy(() -> QueueMetrics.of(null))
          .isInstanceOfSatisfying(
              InvalidArgumentException.class, e -> assertThat(e.argument()).isEqualTo("registry"));
      QueueMetrics.Builder b = QueueMetrics.builder(new SimpleMeterRegistry());
      for (Duration bad :
          new Duration[] {
            null, Duration.ZERO, Duration.ofNanos(999_999), Duration.ofDays(1).plusNanos(1)
          }) {
        assertThatThrownBy(() -> b.infoInterval(bad))
            .as(String.valueOf(bad))
            .isInstanceOfSatisfying(
                InvalidArgumentException.class,
                e -> assertThat(e.argument()).isEqualTo("infoInterval"));
      }
      for (int bad : new int[] {-1, QueueMetrics.MAX_TRACKED_LEASES + 1}) {
        assertThatThrownBy(() -> b.maxTrackedLeases(bad))
            .isInstanceOfSatisfying(
                InvalidArgumentException.class,
                e -> assertThat(e.argument()).isEqualTo("maxTrackedLeases"));
      }
      QueueMetrics built =
          b.infoInterval(Duration.ofMillis(1))
              .maxTrackedLeases(QueueMetrics.MAX_TRACKED_LEASES)
              .build();
      assertThat(built.infoInterval()).isEqualTo(Duration.ofMillis(1));
      assertThat(built.maxTrackedLeases()).isEqualTo(QueueMetrics.MAX_TRACKED_LEASES);
    }
  }
}
