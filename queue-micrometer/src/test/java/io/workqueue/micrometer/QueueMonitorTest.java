package io.workqueue.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MockClock;
import io.micrometer.core.instrument.simple.SimpleConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.workqueue.BackendUnavailableException;
import io.workqueue.InvalidArgumentException;
import io.workqueue.NewTask;
import io.workqueue.QueueRef;
import io.workqueue.WorkQueue;
import io.workqueue.WorkQueues;
import io.workqueue.spi.Bookkeeper;
import io.workqueue.testkit.InMemoryBookkeeper;
import io.workqueue.testkit.InMemoryKeyProvider;
import io.workqueue.testkit.InMemoryQueues;
import io.workqueue.testkit.InMemoryTaskStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

@DisplayName("QueueMonitor: gauges of a queue's info")
class QueueMonitorTest {
  static final QueueRef Q = QueueRef.of("acme", "emails");
  static final List<String> GAUGES =
      List.of(
          QueueMonitor.WAITING,
          QueueMonitor.IN_FLIGHT,
          QueueMonitor.DELAYED,
          QueueMonitor.PARKED,
          QueueMonitor.DEAD_LETTERS,
          QueueMonitor.PAUSED);

  MockClock clock;
  SimpleMeterRegistry registry;
  QueueMetrics metrics;

  @BeforeEach
  void setUp() {
    clock = new MockClock();
    registry = new SimpleMeterRegistry(SimpleConfig.DEFAULT, clock);
    metrics = QueueMetrics.of(registry);
  }

  @AfterEach
  void tearDown() {
    metrics.close();
  }

  double gauge(String name) {
    return registry.get(name).tags("owner", Q.owner(), "service", Q.service()).gauge().value();
  }

  /** What a scrape sees: every gauge of the queue, read once. */
  Map<String, Double> scrape() {
    return GAUGES.stream().collect(Collectors.toMap(n -> n, this::gauge));
  }

  double failures() {
    return registry.get(QueueMonitor.INFO_FAILURES).tags("owner", "acme").counter().count();
  }

  @Nested
  @DisplayName("caching")
  class Caching {
    @Test
    @DisplayName("reads info at most once per interval however often the gauges are read")
    void oncePerInterval() {
      Faults<WorkQueue> queue = Faults.around(WorkQueue.class, InMemoryQueues.create());
      queue.proxy().addAll(Q, List.of(NewTask.of("a"), NewTask.of("b"), NewTask.of("c")));
      queue.proxy().fetch(Q, "w1");
      metrics.monitor(queue.proxy(), Q);
      assertThat(queue.calls("info")).as("monitor itself reads nothing").isZero();

      for (int i = 0; i < 20; i++) {
        assertThat(scrape())
            .containsEntry(QueueMonitor.WAITING, 2.0)
            .containsEntry(QueueMonitor.IN_FLIGHT, 1.0)
            .containsEntry(QueueMonitor.DELAYED, 0.0)
            .containsEntry(QueueMonitor.PARKED, 0.0)
            .containsEntry(QueueMonitor.DEAD_LETTERS, 0.0)
            .containsEntry(QueueMonitor.PAUSED, 0.0);
      }
      assertThat(queue.calls("info")).isEqualTo(1);

      queue.proxy().add(Q, NewTask.of("d"));
      clock.add(Duration.ofMillis(4_999));
      assertThat(gauge(QueueMonitor.WAITING)).as("still the cached snapshot").isEqualTo(2.0);
      assertThat(queue.calls("info")).isEqualTo(1);

      clock.add(Duration.ofMillis(1));
      assertThat(gauge(QueueMonitor.WAITING)).isEqualTo(3.0);
      assertThat(scrape()).containsEntry(QueueMonitor.IN_FLIGHT, 1.0);
      assertThat(queue.calls("info")).isEqualTo(2);
    }

    @Test
    @DisplayName("the interval is configurable")
    void configurableInterval() {
      SimpleMeterRegistry r = new SimpleMeterRegistry(SimpleConfig.DEFAULT, clock);
      QueueMetrics slow = QueueMetrics.builder(r).infoInterval(Duration.ofMinutes(1)).build();
      Faults<WorkQueue> queue = Faults.around(WorkQueue.class, InMemoryQueues.create());
      slow.monitor(queue.proxy(), Q);
      r.get(QueueMonitor.WAITING).gauge().value();
      clock.add(Duration.ofSeconds(59));
      r.get(QueueMonitor.WAITING).gauge().value();
      assertThat(queue.calls("info")).isEqualTo(1);
      clock.add(Duration.ofSeconds(1));
      r.get(QueueMonitor.WAITING).gauge().value();
      assertThat(queue.calls("info")).isEqualTo(2);
      slow.close();
    }

    @Test
    @DisplayName("lastInfo and lastReadAt show the snapshot without reading")
    void lastInfo() {
      Faults<WorkQueue> queue = Faults.around(WorkQueue.class, InMemoryQueues.create());
      queue.proxy().add(Q, NewTask.of("a"));
      QueueMonitor monitor = metrics.monitor(queue.proxy(), Q);
      assertThat(monitor.lastInfo()).isEmpty();
      assertThat(monitor.lastReadAt()).isEmpty();
      assertThat(gauge(QueueMonitor.WAITING)).isEqualTo(1.0);
      assertThat(monitor.lastInfo()).hasValueSatisfying(i -> assertThat(i.waiting()).isEqualTo(1));
      assertThat(monitor.lastReadAt()).hasValue(java.time.Instant.ofEpochMilli(clock.wallTime()));
      assertThat(monitor.queue()).isEqualTo(Q);
      assertThat(queue.calls("info")).isEqualTo(1);
    }
  }

  @Nested
  @DisplayName("a backend that fails")
  class BackendFailure {
    Faults<Bookkeeper> bookkeeper;
    WorkQueue queue;
    ListAppender<ILoggingEvent> logs;
    Logger logger;
    Level levelBefore;

    @BeforeEach
    void setUp() {
      bookkeeper = Faults.around(Bookkeeper.class, new InMemoryBookkeeper());
      queue =
          WorkQueues.builder()
              .taskStore(new InMemoryTaskStore())
              .bookkeeper(bookkeeper.proxy())
              .keyProvider(new InMemoryKeyProvider())
              .build();
      logger = (Logger) LoggerFactory.getLogger(QueueMonitor.class);
      levelBefore = logger.getLevel();
      logger.setLevel(Level.DEBUG);
      logger.setAdditive(false); // captured here, not printed
      logs = new ListAppender<>();
      logs.start();
      logger.addAppender(logs);
    }

    @AfterEach
    void tearDown() {
      logger.detachAppender(logs);
      logger.setLevel(levelBefore);
      logger.setAdditive(true);
    }

    void bookkeeperDown() {
      bookkeeper.fail(
          "state",
          () ->
              new BackendUnavailableException(
                  "redis", "connection refused", new java.net.ConnectException("refused")));
    }

    List<Level> levels() {
      return logs.list.stream().map(ILoggingEvent::getLevel).toList();
    }

    @Test
    @DisplayName(
        "gauges keep the last values, the failure is counted and logged, nothing is thrown")
    void keepsLastValue() {
      queue.addAll(Q, List.of(NewTask.of("a"), NewTask.of("b")));
      metrics.monitor(queue, Q);
      assertThat(gauge(QueueMonitor.WAITING)).isEqualTo(2.0);

      bookkeeperDown();
      clock.add(Duration.ofSeconds(5));
      assertThat(scrape()).containsEntry(QueueMonitor.WAITING, 2.0);
      assertThat(registry.getMetersAsString()).contains(QueueMonitor.WAITING);
      assertThat(failures()).isEqualTo(1);
      int attempts = bookkeeper.calls("state");
      for (int i = 0; i < 5; i++) {
        scrape();
      }
      assertThat(bookkeeper.calls("state"))
          .as("a down backend is not asked again at once")
          .isEqualTo(attempts);

      clock.add(Duration.ofSeconds(5));
      assertThat(gauge(QueueMonitor.WAITING)).isEqualTo(2.0);
      assertThat(failures()).isEqualTo(2);
      assertThat(levels()).containsExactly(Level.WARN, Level.DEBUG);
      assertThat(logs.list.get(0).getThrowableProxy().getClassName())
          .isEqualTo(BackendUnavailableException.class.getName());

      bookkeeper.heal("state");
      queue.add(Q, NewTask.of("c"));
      clock.add(Duration.ofSeconds(5));
      assertThat(gauge(QueueMonitor.WAITING)).isEqualTo(3.0);
      assertThat(failures()).isEqualTo(2);
      assertThat(levels()).containsExactly(Level.WARN, Level.DEBUG, Level.INFO);
    }

    @Test
    @DisplayName("before any read succeeded the gauges are NaN")
    void nanBeforeFirstRead() {
      bookkeeperDown();
      metrics.monitor(queue, Q);
      assertThat(scrape().values()).allSatisfy(v -> assertThat(v).isNaN());
      assertThat(failures()).isEqualTo(1);

      bookkeeper.heal("state");
      clock.add(Duration.ofSeconds(5));
      assertThat(scrape()).containsEntry(QueueMonitor.WAITING, 0.0);
    }

    @Test
    @DisplayName("any runtime exception from info is caught, not only backend ones")
    void anyRuntimeException() {
      Faults<WorkQueue> broken = Faults.around(WorkQueue.class, queue);
      broken.fail("info", () -> new IllegalStateException("closed"));
      metrics.monitor(broken.proxy(), Q);
      assertThat(gauge(QueueMonitor.PAUSED)).isNaN();
      assertThat(failures()).isEqualTo(1);
    }
  }

  @Nested
  @DisplayName("lifecycle")
  class Lifecycle {
    WorkQueue queue = InMemoryQueues.create();

    List<Meter> queueMeters() {
      return registry.getMeters().stream()
          .filter(m -> "emails".equals(m.getId().getTag("service")))
          .toList();
    }

    @Test
    @DisplayName("monitor registers six gauges and a failure counter, tagged owner and service")
    void registers() {
      metrics.monitor(queue, Q);
      assertThat(queueMeters())
          .extracting(m -> m.getId().getName())
          .containsExactlyInAnyOrder(
              QueueMonitor.WAITING,
              QueueMonitor.IN_FLIGHT,
              QueueMonitor.DELAYED,
              QueueMonitor.PARKED,
              QueueMonitor.DEAD_LETTERS,
              QueueMonitor.PAUSED,
              QueueMonitor.INFO_FAILURES);
      assertThat(queueMeters())
          .allSatisfy(m -> assertThat(m.getId().getTag("owner")).isEqualTo("acme"))
          .allSatisfy(m -> assertThat(m.getId().getTags()).hasSize(2));
      assertThat(metrics.monitors()).extracting(QueueMonitor::queue).containsExactly(Q);
    }

    @Test
    @DisplayName("closing the monitor removes its meters; the queue can be monitored again")
    void closeAndAgain() {
      QueueMonitor first = metrics.monitor(queue, Q);
      first.close();
      first.close();
      assertThat(queueMeters()).isEmpty();
      assertThat(metrics.monitors()).isEmpty();

      QueueMonitor second = metrics.monitor(queue, Q);
      assertThat(second).isNotSameAs(first);
      assertThat(queueMeters()).hasSize(7);
      assertThat(gauge(QueueMonitor.WAITING)).isEqualTo(0.0);
    }

    @Test
    @DisplayName("a queue monitored already, or null arguments, are rejected and change nothing")
    void rejected() {
      QueueMonitor monitor = metrics.monitor(queue, Q);
      assertThatThrownBy(() -> metrics.monitor(queue, Q))
          .isInstanceOfSatisfying(
              InvalidArgumentException.class, e -> assertThat(e.argument()).isEqualTo("queue"))
          .hasMessageContaining("acme/emails");
      assertThatThrownBy(() -> metrics.monitor(null, Q))
          .isInstanceOfSatisfying(
              InvalidArgumentException.class, e -> assertThat(e.argument()).isEqualTo("workQueue"));
      assertThatThrownBy(() -> metrics.monitor(queue, null))
          .isInstanceOfSatisfying(
              InvalidArgumentException.class, e -> assertThat(e.argument()).isEqualTo("queue"));
      assertThat(metrics.monitors()).containsExactly(monitor);
      assertThat(queueMeters()).hasSize(7);
    }

    @Test
    @DisplayName("closing QueueMetrics closes every monitor; it monitors nothing afterwards")
    void closeMetrics() {
      QueueMonitor a = metrics.monitor(queue, Q);
      metrics.monitor(queue, QueueRef.of("acme", "invoices"));
      metrics.close();
      assertThat(registry.getMeters()).isEmpty();
      assertThat(metrics.monitors()).isEmpty();
      assertThat(a.lastInfo()).isEmpty();
      assertThatThrownBy(() -> metrics.monitor(queue, Q)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    @DisplayName("a gauge still held after its monitor closed reads NaN and reads nothing")
    void gaugeAfterClose() {
      Faults<WorkQueue> counted = Faults.around(WorkQueue.class, queue);
      metrics.monitor(counted.proxy(), Q);
      var waiting = registry.get(QueueMonitor.WAITING).gauge();
      metrics.monitors().get(0).close();
      assertThat(waiting.value()).isNaN();
      assertThat(counted.calls("info")).isZero();
    }
  }
}
