package io.workqueue.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.workqueue.KeyUnavailableException;
import io.workqueue.NewTask;
import io.workqueue.QueueRef;
import io.workqueue.TamperedDataException;
import io.workqueue.Task;
import io.workqueue.UnreadableTaskException;
import io.workqueue.WorkQueue;
import io.workqueue.WorkQueues;
import io.workqueue.spi.StoredTask;
import io.workqueue.testkit.TestQueues;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Tink keys on the real servers: ciphertexts moved between owners, queues and indices in Cassandra
 * fail to open while other tasks keep flowing; rotation keeps old tasks readable and seals new ones
 * under the new key; crypto-shredding makes an owner's stored tasks unreadable.
 */
class CryptoOnRealServersTest {
  private static final Duration TTR = Duration.ofMinutes(1);

  private final WorkQueue queue =
      WorkQueues.builder()
          .taskStore(RealServers.store())
          .bookkeeper(RealServers.bookkeeper())
          .keyProvider(RealServers.tink())
          .build();

  private static String id() {
    return UUID.randomUUID().toString().substring(0, 8);
  }

  private void plant(QueueRef into, long index, StoredTask from) {
    StoredTask target = RealServers.store().get(into, index).orElseThrow();
    RealServers.store()
        .put(into, List.of(new StoredTask(index, from.value(), from.token(), target.enqueuedAt())));
  }

  private void unreadable(QueueRef q, long index) {
    assertThatThrownBy(() -> queue.fetch(q, "w", TTR))
        .isInstanceOf(UnreadableTaskException.class)
        .hasCauseInstanceOf(TamperedDataException.class)
        .satisfies(e -> assertThat(((UnreadableTaskException) e).index()).isEqualTo(index));
  }

  @Test
  @DisplayName(
      "ciphertexts swapped between owners, queues and indices fail to open; the rest flows")
  void swaps() {
    String owner1 = "owner-" + id();
    String owner2 = "owner-" + id();
    QueueRef a = QueueRef.of(owner1, "svc");
    QueueRef otherOwner = QueueRef.of(owner2, "svc");
    QueueRef otherQueue = QueueRef.of(owner1, "svc2");
    for (QueueRef q : List.of(a, otherOwner, otherQueue)) {
      for (int i = 1; i <= 3; i++) {
        queue.add(q, NewTask.of(q + "#" + i).token("t" + i));
      }
    }
    StoredTask a1 = RealServers.store().get(a, 1).orElseThrow();
    StoredTask a2 = RealServers.store().get(a, 2).orElseThrow();
    plant(otherOwner, 1, a1); // same queue name and index, another owner
    plant(otherQueue, 1, a1); // same owner and index, another queue
    plant(a, 3, a2); // same queue, another index

    unreadable(otherOwner, 1);
    unreadable(otherQueue, 1);
    assertThat(queue.fetch(otherOwner, "w", TTR).map(Task::index)).contains(2L);
    assertThat(queue.fetch(otherQueue, "w", TTR).map(Task::index)).contains(2L);
    for (long i = 1; i <= 2; i++) {
      Task t = queue.fetch(a, "w", TTR).orElseThrow();
      assertThat(t.value().asText()).isEqualTo(a + "#" + i);
      assertThat(queue.ack(a, "w")).isTrue();
    }
    unreadable(a, 3);
    assertThat(queue.fetch(a, "w", TTR)).isEmpty();
  }

  @Test
  @DisplayName("after rotation old tasks still open and new tasks are sealed under the new key")
  void rotation() {
    QueueRef q = TestQueues.fresh("rotation");
    queue.add(q, NewTask.of("old"));
    RealServers.tink().rotate(q.owner());
    queue.add(q, NewTask.of("new"));
    byte[] oldCt = RealServers.store().get(q, 1).orElseThrow().value();
    byte[] newCt = RealServers.store().get(q, 2).orElseThrow().value();
    // Tink's output prefix: one version byte, then the 4-byte id of the key that sealed it
    assertThat(java.util.Arrays.copyOfRange(newCt, 1, 5))
        .as("key id of the new ciphertext")
        .isNotEqualTo(java.util.Arrays.copyOfRange(oldCt, 1, 5));
    assertThat(queue.fetch(q, "w1", TTR).orElseThrow().value().asText()).isEqualTo("old");
    assertThat(queue.fetch(q, "w2", TTR).orElseThrow().value().asText()).isEqualTo("new");
  }

  @Test
  @DisplayName("after destroy an owner's stored tasks are unreadable; other owners keep flowing")
  void shredding() {
    QueueRef gone = TestQueues.fresh("shred");
    QueueRef kept = TestQueues.fresh("kept");
    queue.add(gone, NewTask.of("secret-1"));
    queue.add(gone, NewTask.of("secret-2"));
    queue.add(kept, NewTask.of("fine"));
    RealServers.tink().destroy(gone.owner());
    for (long i = 1; i <= 2; i++) {
      long index = i;
      assertThatThrownBy(() -> queue.fetch(gone, "w", TTR))
          .isInstanceOf(UnreadableTaskException.class)
          .hasCauseInstanceOf(KeyUnavailableException.class)
          .satisfies(e -> assertThat(((UnreadableTaskException) e).index()).isEqualTo(index));
    }
    assertThat(queue.fetch(gone, "w", TTR)).isEmpty();
    assertThatThrownBy(() -> queue.add(gone, NewTask.of("more")))
        .isInstanceOf(KeyUnavailableException.class)
        .hasMessageContaining(gone.owner());
    assertThat(queue.fetch(kept, "w", TTR).orElseThrow().value().asText()).isEqualTo("fine");
  }
}
