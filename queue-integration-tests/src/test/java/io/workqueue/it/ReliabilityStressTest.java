package io.workqueue.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.workqueue.QueueRef;
import io.workqueue.testkit.InMemoryKeyProvider;
import io.workqueue.testkit.history.CheckResult;
import io.workqueue.testkit.history.Drain;
import io.workqueue.testkit.history.History;
import io.workqueue.testkit.history.HistoryChecker;
import io.workqueue.testkit.history.Operation;
import io.workqueue.testkit.history.RecordingWorkQueue;
import io.workqueue.testkit.history.Status;
import io.workqueue.testkit.history.Workload;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Concurrency stress on the real servers, checked by the history checker: 16 threads mixing add,
 * addAll, fetch, fetchBatch, ack (plain, with an outcome, by index) and ackAll (indices, outcomes),
 * abandoning some leases, on 8 queues of 3 owners through 3 queue instances, for a bounded time
 * ({@code -Dreliability.stress.seconds}, default 12). Once with leases of seconds, once with leases
 * of 50 to 200 ms and work of up to 250 ms, so that recoveries race with acks.
 */
class ReliabilityStressTest {
  private static final Duration RUN =
      Duration.ofSeconds(Integer.getInteger("reliability.stress.seconds", 12));

  private CheckResult stress(
      String name, Duration minTtr, Duration maxTtr, Duration maxWork, double abandon) {
    History history = new History(Clock.systemUTC());
    InMemoryKeyProvider keys = new InMemoryKeyProvider();
    List<QueueRef> queues = ReliabilityRig.queues(8, 3);
    List<RecordingWorkQueue> nodes =
        Stream.of("n1", "n2", "n3")
            .map(
                node ->
                    ReliabilityRig.node(
                        history,
                        node,
                        RealServers.store(),
                        RealServers.bookkeeper(),
                        keys,
                        c -> {},
                        b -> b.completionRetryDelay(Duration.ofMillis(500))))
            .toList();
    Workload.Stats stats =
        Workload.builder()
            .nodes(nodes)
            .queues(queues)
            .threads(16)
            .timeToRecover(minTtr, maxTtr)
            .maxWork(maxWork)
            .abandonRate(abandon)
            .addShare(0.4)
            .maxBatch(25)
            .seed(name.hashCode())
            .build()
            .run(RUN);
    Drain.Result drained =
        Drain.of(nodes.get(0), queues)
            .timeToRecover(Duration.ofSeconds(5))
            .run(Duration.ofSeconds(30));
    long t0 = System.nanoTime();
    CheckResult result = HistoryChecker.strict().check(history);
    long lateAcks =
        history.operations().stream()
            .filter(op -> op instanceof Operation.Ack k && k.status() == Status.OK)
            .map(Operation.Ack.class::cast)
            .filter(k -> k.acknowledged().size() < k.outcomes().size())
            .count();
    ReliabilityRig.report(
        name,
        result,
        String.format(
            Locale.ROOT,
            "%d s, %d calls (%.0f/s, %d failed, %d refused), %d leases abandoned, %d acks came"
                + " too late (false), drain %s in %d ms, check %d ms",
            RUN.toSeconds(),
            stats.calls(),
            stats.calls() / (double) RUN.toSeconds(),
            stats.failures(),
            stats.badArguments(),
            stats.abandoned(),
            lateAcks,
            drained.done() ? "done" : "NOT done " + drained.left(),
            drained.took().toMillis(),
            ReliabilityRig.millisSince(t0)));
    result.assertValid();
    assertThat(stats.badArguments()).as("calls refused as bad input").isZero();
    assertThat(drained.done()).as("%s", drained).isTrue();
    assertThat(result.adds()).isPositive();
    assertThat(result.acked())
        .as("the drain acknowledged everything")
        .isGreaterThanOrEqualTo(result.adds());
    return result;
  }

  @Test
  @DisplayName("16 threads, 8 queues of 3 owners, every call mixed, leases abandoned: no anomaly")
  void mixed() {
    CheckResult r =
        stress(
            "stress: 16 threads, 8 queues, 3 owners, ttr 1-3 s",
            Duration.ofSeconds(1),
            Duration.ofSeconds(3),
            Duration.ofMillis(5),
            0.03);
    assertThat(r.redeliveries()).as("abandoned leases were recovered").isPositive();
  }

  @Test
  @DisplayName("the same with leases of 50-200 ms and slow work: recoveries race with acks")
  void shortLeases() {
    CheckResult r =
        stress(
            "stress: 16 threads, 8 queues, 3 owners, ttr 50-200 ms, work up to 250 ms",
            Duration.ofMillis(50),
            Duration.ofMillis(200),
            Duration.ofMillis(250),
            0.05);
    assertThat(r.redeliveries()).as("leases expired under their workers").isPositive();
  }
}
