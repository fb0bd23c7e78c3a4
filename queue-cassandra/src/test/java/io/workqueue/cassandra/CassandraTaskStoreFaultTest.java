package io.workqueue.cassandra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.workqueue.BackendUnavailableException;
import io.workqueue.QueueRef;
import io.workqueue.spi.StoredTask;
import io.workqueue.testkit.TestQueues;
import io.workqueue.testservers.CassandraNode;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** Faults of a private node: a frozen process (timeouts) and a killed one (node down). */
@DisplayName("CassandraTaskStore when its only node freezes or dies")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CassandraTaskStoreFaultTest {

  private static CassandraNode node;
  private static CassandraTaskStore store;

  @BeforeAll
  static void start() {
    node = CassandraNode.start();
    store =
        CassandraTaskStore.builder()
            .contactPoints(List.of(node.contactPoint()))
            .localDatacenter(node.localDatacenter())
            .keyspace("wq_fault")
            .requestTimeout(Duration.ofSeconds(1))
            .build();
    store.createSchema();
  }

  @AfterAll
  static void stop() {
    if (store != null) {
      store.close();
    }
    if (node != null) {
      node.close();
    }
  }

  private static StoredTask task(long index) {
    return new StoredTask(index, new byte[] {(byte) index}, Optional.empty(), Instant.now());
  }

  private static void signal(String signal) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder("kill", "-" + signal, Long.toString(node.pid())).inheritIO().start();
    assertThat(p.waitFor()).isZero();
  }

  @Test
  @Order(1)
  @DisplayName("a frozen node makes requests fail after the request timeout, naming the timeout")
  void frozen() throws Exception {
    QueueRef q = TestQueues.fresh();
    store.put(q, List.of(task(1)));
    signal("STOP");
    try {
      long t0 = System.nanoTime();
      assertThatThrownBy(() -> store.get(q, 1))
          .isInstanceOfSatisfying(
              BackendUnavailableException.class,
              e -> assertThat(e.backend()).isEqualTo("cassandra"))
          .hasMessageContaining("timed out")
          .hasMessageContaining("requestTimeout");
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
      assertThatThrownBy(() -> store.put(q, List.of(task(2), task(3))))
          .isInstanceOf(BackendUnavailableException.class);
    } finally {
      signal("CONT");
    }
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(() -> assertThat(store.get(q, 1)).isPresent());
  }

  @Test
  @Order(2)
  @DisplayName("a dead node is BackendUnavailableException; after a restart the store works again")
  void killed() {
    QueueRef q = TestQueues.fresh();
    store.put(q, List.of(task(1)));
    node.kill9();
    assertThatThrownBy(() -> store.put(q, List.of(task(2))))
        .isInstanceOfSatisfying(
            BackendUnavailableException.class, e -> assertThat(e.backend()).isEqualTo("cassandra"))
        .hasMessageContaining("put of 1 task(s) of queue " + q);
    assertThatThrownBy(() -> store.getAll(q, List.of(1L, 2L)))
        .isInstanceOf(BackendUnavailableException.class);

    node.restart();
    // Rows acknowledged shortly before a kill -9 may be gone: the test node syncs its commit log
    // every 10 s (commitlog_sync: periodic). Durability is the server's; here: the store recovers.
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .ignoreException(BackendUnavailableException.class)
        .untilAsserted(() -> store.put(q, List.of(task(3))));
    assertThat(store.get(q, 3)).isPresent();
    assertThat(store.getAll(q, List.of(3L))).containsOnlyKeys(3L);
  }
}
