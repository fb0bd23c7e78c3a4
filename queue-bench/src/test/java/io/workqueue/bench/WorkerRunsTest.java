package io.workqueue.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.workqueue.QueueWorker;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The exactly-once check of the worker runtime's drain, without servers. */
@DisplayName("The worker drain's exactly-once check")
class WorkerRunsTest {
  private static final long[] ADDED = {3, 1, 2, 4};
  private static final QueueWorker.Stats ALL = new QueueWorker.Stats(4, 0, 0, 0);

  @Test
  @DisplayName("passes when every added task was handled once, in any order and any slot")
  void right() {
    assertThat(
            WorkerRuns.check(ADDED, List.of(new long[] {2, 4}, new long[] {1, 3}), 4, ALL, 0, 0, 0))
        .isEmpty();
  }

  @Test
  @DisplayName("fails a task handled twice, even when the count adds up")
  void twice() {
    assertThat(
            WorkerRuns.check(ADDED, List.of(new long[] {1, 2}, new long[] {2, 4}), 4, ALL, 0, 0, 0))
        .hasValueSatisfying(
            w -> assertThat(w).contains("1 handled more than once").contains("1 never"));
  }

  @Test
  @DisplayName("fails a task never handled, or one that was not added")
  void missingOrUnknown() {
    assertThat(WorkerRuns.check(ADDED, List.of(new long[] {1, 2, 3}), 4, ALL, 0, 0, 0))
        .hasValueSatisfying(w -> assertThat(w).contains("1 never"));
    assertThat(WorkerRuns.check(ADDED, List.of(new long[] {1, 2, 3, 9}), 4, ALL, 0, 0, 0))
        .hasValueSatisfying(w -> assertThat(w).contains("1 never").contains("1 not added"));
  }

  @Test
  @DisplayName("fails when the worker's counts or the queue disagree")
  void statsAndQueue() {
    long[][] once = {{1, 2, 3, 4}};
    assertThat(
            WorkerRuns.check(ADDED, List.of(once), 4, new QueueWorker.Stats(3, 0, 1, 0), 0, 0, 0))
        .hasValueSatisfying(w -> assertThat(w).contains("runFor stats 3 succeeded"));
    assertThat(WorkerRuns.check(ADDED, List.of(once), 4, ALL, 1, 0, 0))
        .hasValueSatisfying(w -> assertThat(w).contains("still holds 1 waiting"));
    assertThat(WorkerRuns.check(ADDED, List.of(once), 4, ALL, 0, 1, 0))
        .hasValueSatisfying(w -> assertThat(w).contains("1 leased"));
  }

  @Test
  @DisplayName("fails when a task's ack was not heard")
  void ackMissing() {
    long[][] once = {{1, 2, 3, 4}};
    assertThat(WorkerRuns.check(ADDED, List.of(once), 3, ALL, 0, 0, 0))
        .hasValueSatisfying(w -> assertThat(w).contains("3 Acked event(s) for 4 added tasks"));
  }
}
