package io.workqueue.it;

import static io.workqueue.it.ReliabilityRig.count;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.workqueue.QueueRef;
import io.workqueue.cassandra.CassandraTaskStore;
import io.workqueue.spi.KeyProvider;
import io.workqueue.testkit.InMemoryKeyProvider;
import io.workqueue.testkit.history.CheckResult;
import io.workqueue.testkit.history.Drain;
import io.workqueue.testkit.history.History;
import io.workqueue.testkit.history.HistoryChecker;
import io.workqueue.testkit.history.Operation;
import io.workqueue.testkit.history.RecordingWorkQueue;
import io.workqueue.testkit.history.Status;
import io.workqueue.testkit.history.Workload;
import io.workqueue.testservers.CassandraNode;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * kill -9 of the Cassandra node under a concurrent add/fetch/ack load, then a restart on the same
 * storage dir: adds during the outage fail with a backend failure (never a silent success), nothing
 * acknowledged before is lost, and the queue resumes by itself. The node runs with the durable
 * commit log of {@link DurableCassandra} (the test yaml's periodic sync loses the acknowledged
 * writes of the last ~100 ms to a kill -9).
 */
class ReliabilityCassandraKillTest {

  @Test
  @DisplayName("kill -9 of Cassandra mid-load: adds fail during the outage, none acknowledged lost")
  void killCassandra() {
    try (CassandraNode node = CassandraNode.start(DurableCassandra.options());
        CassandraTaskStore store =
            CassandraTaskStore.builder()
                .contactPoints(List.of(node.contactPoint()))
                .localDatacenter(node.localDatacenter())
                .keyspace("wq_reliability")
                .requestTimeout(Duration.ofSeconds(1))
                .build()) {
      store.createSchema();
      History history = new History(Clock.systemUTC());
      KeyProvider keys = new InMemoryKeyProvider();
      List<QueueRef> queues = ReliabilityRig.queues(4, 2);
      List<RecordingWorkQueue> nodes =
          Stream.of("n1", "n2")
              .map(
                  name ->
                      ReliabilityRig.node(
                          history,
                          name,
                          store,
                          RealServers.bookkeeper(),
                          keys,
                          c -> {},
                          b ->
                              b.holeGracePeriod(Duration.ofSeconds(3))
                                  .completionRetryDelay(Duration.ofMillis(500))))
              .toList();
      Workload.Running load =
          Workload.builder()
              .nodes(nodes)
              .queues(queues)
              .threads(8)
              .timeToRecover(Duration.ofSeconds(2), Duration.ofSeconds(3))
              .maxWork(Duration.ofMillis(3))
              .abandonRate(0.02)
              .addShare(0.45)
              .backoff(Duration.ofMillis(100))
              .seed(20261123L)
              .build()
              .start();
      long t0 = System.nanoTime();
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  ReliabilityRig.millisSince(t0) >= 3000
                      && count(history, ReliabilityRig::okAdd) >= 300
                      && count(history, ReliabilityRig::okAck) >= 100);
      long addsBeforeKill = count(history, ReliabilityRig::okAdd);

      node.kill9();
      long killed = System.nanoTime();
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> addsDuringOutage(history, killed, Long.MAX_VALUE) >= 10);
      long restarting = System.nanoTime();
      node.restart();
      long restarted = System.nanoTime();
      long outage = Duration.ofNanos(restarted - killed).toMillis();

      long addsBefore = count(history, ReliabilityRig::okAdd);
      await()
          .atMost(Duration.ofSeconds(90))
          .until(() -> count(history, ReliabilityRig::okAdd) >= addsBefore + 300);
      long resumedAfter = ReliabilityRig.millisSince(restarted);
      Workload.Stats stats = load.stop();
      Drain.Result drained =
          Drain.of(nodes.get(0), queues)
              .timeToRecover(Duration.ofSeconds(3))
              .run(Duration.ofSeconds(40));
      CheckResult result = HistoryChecker.strict().check(history);

      List<Operation.Add> inOutage =
          history.operations().stream()
              .filter(op -> op instanceof Operation.Add)
              .map(Operation.Add.class::cast)
              .filter(a -> a.timing().invokeNanos() - killed > 0)
              .filter(a -> a.timing().completeNanos() - restarting < 0)
              .toList();
      ReliabilityRig.report(
          "cassandra kill -9 (commitlog batch)",
          result,
          String.format(
              Locale.ROOT,
              "%d adds acknowledged before the kill, %d calls (%d failed), outage %d ms with %d"
                  + " adds refused, resumed %d ms after the restart, drain %s in %d ms",
              addsBeforeKill,
              stats.calls(),
              stats.failures(),
              outage,
              inOutage.size(),
              resumedAfter,
              drained.done() ? "done" : "NOT done " + drained.left(),
              drained.took().toMillis()));

      result.assertValid();
      assertThat(inOutage)
          .as("adds while the node was down")
          .isNotEmpty()
          .allSatisfy(
              a -> {
                assertThat(a.status()).as("never a silent success").isEqualTo(Status.INDETERMINATE);
                assertThat(a.error())
                    .hasValueSatisfying(
                        e ->
                            assertThat(e)
                                .startsWith("BackendUnavailableException")
                                .contains("cassandra"));
              });
      assertThat(drained.done()).as("%s", drained).isTrue();
    }
  }

  /** Adds invoked after {@code from} that threw a backend failure, completed before {@code to}. */
  private static long addsDuringOutage(History history, long from, long to) {
    return history.operations().stream()
        .filter(op -> op instanceof Operation.Add)
        .filter(op -> op.timing().invokeNanos() - from > 0)
        .filter(op -> op.timing().completeNanos() - to < 0)
        .filter(ReliabilityRig::backendFailure)
        .count();
  }
}
