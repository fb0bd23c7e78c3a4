package io.workqueue.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.workqueue.NewTask;
import io.workqueue.Outcome;
import io.workqueue.QueueRef;
import io.workqueue.Task;
import io.workqueue.WorkQueue;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The README's snippet, compiled and run; keep the two in step. */
class ReadmeSnippetTest {

  @Test
  @DisplayName("the README snippet works as printed")
  void snippet() {
    // --- README snippet start
    SettableClock clock = SettableClock.atSystemTime();
    WorkQueue queue = InMemoryQueues.create(clock);
    QueueRef billing = QueueRef.of("tenant-1", "billing");

    long index = queue.add(billing, NewTask.of(Map.of("invoice", 42)).token("flow-7"));

    Optional<Task> task = queue.fetch(billing, "worker-A", Duration.ofSeconds(30));
    int invoice = task.orElseThrow().value().get("invoice").asInt(); // 42

    clock.advance(Duration.ofSeconds(31)); // worker-A missed its deadline...
    Task again = queue.fetch(billing, "worker-B").orElseThrow(); // ...so worker-B gets it
    boolean late = queue.ack(billing, "worker-A"); // false: the lease was taken over
    boolean done = queue.ack(billing, "worker-B", Outcome.success(Map.of("paid", true)));
    // --- README snippet end

    assertThat(index).isEqualTo(1);
    assertThat(invoice).isEqualTo(42);
    assertThat(again.index()).isEqualTo(1);
    assertThat(again.deliveries()).isEqualTo(2);
    assertThat(late).isFalse();
    assertThat(done).isTrue();
    assertThat(queue.info(billing).leases()).isEmpty();
  }
}
