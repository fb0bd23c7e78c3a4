package io.workqueue.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.workqueue.NewTask;
import io.workqueue.QueueRef;
import io.workqueue.WorkQueue;
import io.workqueue.WorkQueues;
import io.workqueue.testkit.InMemoryBookkeeper;
import io.workqueue.testkit.InMemoryKeyProvider;
import io.workqueue.testkit.InMemoryTaskStore;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The README's Micrometer snippet, compiled and run. */
class ReadmeSnippetTest {
  @Test
  @DisplayName("the README snippet wires the metrics and they show a run")
  void snippet() {
    var store = new InMemoryTaskStore();
    var bookkeeper = new InMemoryBookkeeper();
    var keys = new InMemoryKeyProvider();

    // README snippet: begin
    MeterRegistry registry = new SimpleMeterRegistry(); // or your Prometheus registry
    QueueMetrics metrics = QueueMetrics.of(registry);
    WorkQueue queue =
        WorkQueues.builder()
            .taskStore(store)
            .bookkeeper(bookkeeper)
            .keyProvider(keys)
            .queueListener(metrics) // counters and timers from this node's events
            .build();
    QueueRef emails = QueueRef.of("tenant-1", "emails");
    metrics.monitor(queue, emails); // gauges: info read at most every 5 s
    // README snippet: end

    queue.add(emails, NewTask.of("hello"));
    queue.fetch(emails, "w1").orElseThrow();
    queue.ack(emails, "w1");
    assertThat(registry.get("workqueue.events").tag("event", "acked").counter().count())
        .isEqualTo(1);
    assertThat(registry.get("workqueue.lease.held").tag("outcome", "acked").timer().count())
        .isEqualTo(1);
    assertThat(registry.get("workqueue.tasks.waiting").gauge().value()).isZero();
    metrics.close();
  }
}
