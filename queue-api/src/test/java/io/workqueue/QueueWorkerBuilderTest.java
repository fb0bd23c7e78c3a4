package io.workqueue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The builder's checks and the lifecycle calls that need no backend. */
class QueueWorkerBuilderTest {
  private static final QueueRef Q = QueueRef.of("acme", "jobs");

  /** A queue that must not be called: the tests here never reach it. */
  private static final WorkQueue UNUSED =
      (WorkQueue)
          Proxy.newProxyInstance(
              WorkQueue.class.getClassLoader(),
              new Class<?>[] {WorkQueue.class},
              (proxy, method, args) -> {
                throw new AssertionError("unexpected call " + method.getName());
              });

  private static QueueWorker.Builder valid() {
    return QueueWorker.builder(UNUSED).queue(Q).handler(t -> null);
  }

  private static void refused(ThrowingCallable call, String argument) {
    assertThatThrownBy(call)
        .isInstanceOf(InvalidArgumentException.class)
        .extracting(e -> ((InvalidArgumentException) e).argument())
        .isEqualTo(argument);
  }

  @Test
  @DisplayName("refuses missing and out-of-range settings, naming them")
  void refusesBadSettings() {
    refused(() -> QueueWorker.builder(null), "workQueue");
    refused(() -> QueueWorker.builder(UNUSED).handler(t -> null).build(), "queues");
    refused(() -> QueueWorker.builder(UNUSED).queue(Q).build(), "handler");
    refused(() -> valid().queue(null), "queue");
    refused(() -> valid().queues(null), "queues");
    refused(() -> valid().queues(java.util.Arrays.asList(Q, null)), "queues");
    refused(() -> valid().handler(null), "handler");
    refused(() -> valid().concurrency(0), "concurrency");
    refused(() -> valid().concurrency(QueueWorker.MAX_CONCURRENCY + 1), "concurrency");
    refused(() -> valid().batchSize(0), "batchSize");
    refused(() -> valid().batchSize(-1), "batchSize");
    refused(() -> valid().batchSize(QueueWorker.MAX_BATCH_SIZE + 1), "batchSize");
    refused(() -> valid().batchSize(Integer.MAX_VALUE), "batchSize");
    refused(() -> valid().workerId(""), "workerId");
    refused(() -> valid().workerId("has space"), "workerId");
    refused(() -> valid().workerId("-starts-with-dash"), "workerId");
    refused(() -> valid().workerId("x".repeat(QueueWorker.MAX_WORKER_ID_LENGTH + 1)), "workerId");
    refused(() -> valid().timeToRecover(Duration.ZERO), "timeToRecover");
    refused(() -> valid().timeToRecover(Duration.ofDays(2)), "timeToRecover");
    refused(() -> valid().maxHandlerTime(Duration.ofMillis(-1)), "maxHandlerTime");
    refused(() -> valid().pollInterval(null), "pollInterval");
    refused(() -> valid().retryPolicy(null), "retryPolicy");
    refused(() -> valid().threadFactory(null), "threadFactory");
    refused(() -> valid().shutdownGrace(Duration.ofSeconds(-1)), "grace");
    refused(() -> valid().leaseExtensionInterval(Duration.ZERO), "interval");
    refused(
        () ->
            valid()
                .timeToRecover(Duration.ofSeconds(1))
                .leaseExtensionInterval(Duration.ofSeconds(1))
                .build(),
        "interval");
  }

  @Test
  @DisplayName("batch size: 1 to 1000, default 100; both ends are accepted")
  void batchSize() {
    assertThat(QueueWorker.DEFAULT_BATCH_SIZE).isEqualTo(100);
    assertThat(QueueWorker.MAX_BATCH_SIZE).isEqualTo(WorkQueue.MAX_BATCH).isEqualTo(1000);
    assertThat(valid().batchSize(1).build().workerIds()).hasSize(1);
    assertThat(valid().batchSize(QueueWorker.MAX_BATCH_SIZE).build().workerIds()).hasSize(1);
  }

  @Test
  @DisplayName(
      "the batch path (default) leases under one id, <workerId>:b; the per-task path under one id"
          + " per slot, <workerId>:<slot>; a queue given twice is served once")
  void workerIds() {
    QueueWorker batched =
        valid().workerId("host-1@pod.a").concurrency(3).queues(List.of(Q, Q)).build();
    assertThat(batched.workerIds()).containsExactly("host-1@pod.a:b");
    assertThat(valid().workerId("w").batchSize(2).concurrency(5).build().workerIds())
        .containsExactly("w:b");
    QueueWorker w =
        valid().workerId("host-1@pod.a").concurrency(3).batchSize(1).queues(List.of(Q, Q)).build();
    assertThat(w.workerIds()).containsExactly("host-1@pod.a:0", "host-1@pod.a:1", "host-1@pod.a:2");
    String longest = "x".repeat(QueueWorker.MAX_WORKER_ID_LENGTH);
    assertThat(valid().workerId(longest).build().workerIds().get(0)).hasSizeLessThanOrEqualTo(200);
    assertThat(
            valid()
                .workerId(longest)
                .batchSize(1)
                .concurrency(QueueWorker.MAX_CONCURRENCY)
                .build()
                .workerIds())
        .allSatisfy(id -> assertThat(id).hasSizeLessThanOrEqualTo(200));
    assertThat(w.queues()).containsExactly(Q);
    assertThat(w.isRunning()).isFalse();
    assertThat(w.stats()).isEqualTo(new QueueWorker.Stats(0, 0, 0, 0));
  }

  @Test
  @DisplayName("closing a worker never started is allowed, twice; it cannot start afterwards")
  void closeBeforeStart() {
    QueueWorker w = valid().build();
    assertThat(w.close(Duration.ZERO)).isTrue();
    assertThat(w.close(Duration.ofSeconds(1))).isTrue();
    w.close();
    assertThatThrownBy(w::start).isInstanceOf(QueueException.class).hasMessageContaining("closed");
    assertThatThrownBy(() -> w.runFor(1, Duration.ofSeconds(1)))
        .isInstanceOf(QueueException.class)
        .hasMessageContaining("closed");
  }

  @Test
  @DisplayName("a thread factory that makes no thread fails start with a QueueException")
  void nullThread() {
    WorkQueue signalsOnly =
        (WorkQueue)
            Proxy.newProxyInstance(
                WorkQueue.class.getClassLoader(),
                new Class<?>[] {WorkQueue.class},
                (proxy, method, args) -> {
                  if (method.getName().equals("onWork")) {
                    return (AutoCloseable) () -> {};
                  }
                  throw new AssertionError("unexpected call " + method.getName());
                });
    QueueWorker w =
        QueueWorker.builder(signalsOnly)
            .queue(Q)
            .handler(t -> null)
            .threadFactory(r -> null)
            .build();
    assertThatThrownBy(w::start)
        .isInstanceOf(QueueException.class)
        .hasMessageContaining("thread factory");
    assertThat(w.isRunning()).isFalse();
    assertThat(w.close(Duration.ZERO)).isTrue();
  }

  @Test
  @DisplayName("runFor and close refuse bad limits before anything starts")
  void badLimits() {
    QueueWorker w = valid().build();
    refused(() -> w.runFor(0, Duration.ofSeconds(1)), "countLimit");
    refused(() -> w.runFor(1, Duration.ZERO), "timeLimit");
    refused(() -> w.runFor(1, null), "timeLimit");
    refused(() -> w.close(null), "grace");
    refused(() -> w.close(Duration.ofSeconds(-1)), "grace");
    assertThat(w.isRunning()).isFalse();
  }
}
