package io.workqueue.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.workqueue.QueueRef;
import io.workqueue.it.FaultyTaskStore.Fate;
import io.workqueue.it.FaultyTaskStore.Slot;
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
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The add/fetch race and writers that die between allocation and commit, under a concurrent load on
 * the real servers: writers are slow, stall past the grace period, fail or die, before or after
 * writing the row, while workers fetch. An index still being written is never handed out as empty;
 * every hole is resolved after the grace period, delivered when its row exists and skipped when
 * not; no add that returned is lost.
 */
class ReliabilityHolesTest {
  private static final Duration GRACE = Duration.ofSeconds(1);

  @Test
  @DisplayName("writers that stall, fail or die mid-add under load: holes resolved, nothing lost")
  void holesUnderLoad() {
    FaultyTaskStore store =
        new FaultyTaskStore(
            RealServers.store(),
            GRACE,
            Map.of(
                Fate.SLOW, 0.10,
                Fate.STALL_THEN_WRITE, 0.015,
                Fate.WRITE_THEN_STALL, 0.015,
                Fate.FAIL_BEFORE_WRITE, 0.03,
                Fate.FAIL_AFTER_WRITE, 0.03,
                Fate.DIE_BEFORE_WRITE, 0.03,
                Fate.DIE_AFTER_WRITE, 0.03),
            4242);
    History history = new History(Clock.systemUTC());
    InMemoryKeyProvider keys = new InMemoryKeyProvider();
    List<QueueRef> queues = ReliabilityRig.queues(3, 2);
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
                        b -> b.holeGracePeriod(GRACE).completionRetryDelay(Duration.ofMillis(300))))
            .toList();
    Workload.Running load =
        Workload.builder()
            .nodes(nodes)
            .queues(queues)
            .threads(10)
            .timeToRecover(Duration.ofSeconds(2), Duration.ofSeconds(3))
            .maxWork(Duration.ofMillis(2))
            .abandonRate(0.02)
            .addShare(0.5)
            .maxBatch(5)
            .seed(99)
            .build()
            .start();
    long t0 = System.nanoTime();
    Set<Fate> everyFate = EnumSet.allOf(Fate.class);
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                ReliabilityRig.millisSince(t0) >= 5000
                    && store.counts().keySet().containsAll(everyFate)
                    && store.counts().values().stream().allMatch(n -> n >= 2));
    Workload.Stats stats = load.stop();
    Drain.Result drained =
        Drain.of(nodes.get(0), queues)
            .timeToRecover(Duration.ofSeconds(3))
            .run(Duration.ofSeconds(30));
    CheckResult result = HistoryChecker.strict().check(history);
    Map<Slot, Fate> fates = store.fates();
    Set<Slot> delivered = deliveredSlots(history);
    ReliabilityRig.report(
        "holes: writers stalling, failing, dying mid-add",
        result,
        "fates of written indices "
            + store.counts()
            + ", "
            + stats.calls()
            + " calls, drain "
            + (drained.done() ? "done" : "NOT done " + drained.left())
            + " in "
            + drained.took().toMillis()
            + " ms");

    result.assertValid();
    assertThat(drained.done()).as("%s", drained).isTrue();
    Set<Slot> returned = returnedSlots(history);
    for (Map.Entry<Slot, Fate> e : fates.entrySet()) {
      switch (e.getValue()) {
        case WRITE_THEN_STALL, DIE_AFTER_WRITE ->
            assertThat(delivered)
                .as("%s: its row exists, so the hole is delivered", e)
                .contains(e.getKey());
        case FAIL_BEFORE_WRITE, FAIL_AFTER_WRITE, DIE_BEFORE_WRITE ->
            assertThat(delivered)
                .as("%s: skipped (no row, or the add failed at once), never delivered", e)
                .doesNotContain(e.getKey());
        case NORMAL, SLOW, STALL_THEN_WRITE ->
            assertThat(delivered.contains(e.getKey()))
                .as("%s: delivered exactly when its add returned", e)
                .isEqualTo(returned.contains(e.getKey()));
      }
    }
    Set<String> stalledAdds =
        history.operations().stream()
            .filter(op -> op instanceof Operation.Add && op.status() == Status.INDETERMINATE)
            .map(op -> op.error().orElse(""))
            .filter(error -> error.contains("grace period"))
            .collect(Collectors.toSet());
    assertThat(stalledAdds)
        .as("a writer slower than the grace period is told its add failed")
        .isNotEmpty();
  }

  private static Set<Slot> returnedSlots(History history) {
    Set<Slot> slots = new HashSet<>();
    for (Operation op : history.operations()) {
      if (op instanceof Operation.Add a && a.status() == Status.OK) {
        a.indices().forEach(i -> slots.add(new Slot(a.queue(), i)));
      }
    }
    return slots;
  }

  private static Set<Slot> deliveredSlots(History history) {
    Set<Slot> slots = new HashSet<>();
    for (Operation op : history.operations()) {
      if (op instanceof Operation.Fetch f && f.status() == Status.OK) {
        f.tasks().forEach(t -> slots.add(new Slot(f.queue(), t.index())));
      }
    }
    return slots;
  }
}
