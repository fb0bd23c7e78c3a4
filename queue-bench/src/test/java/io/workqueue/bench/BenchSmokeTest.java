package io.workqueue.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Every case of the bench with tiny counts against the tests' shared servers: the full bench is not
 * part of the build, but its code is, so a case that breaks fails here. Checks the report, not the
 * figures (tiny counts on test-flag servers say nothing about performance).
 */
@DisplayName("The bench, with tiny counts on the tests' servers")
class BenchSmokeTest {
  private static final Path OUT = Path.of("target", "bench-smoke").toAbsolutePath();
  private static final int WORKER_TASKS = 400;
  private static final int IDLE_SAMPLES = 20;

  /** The drains run at 1 and 2, so the worker runtime runs at 2 (16 only when the drains do). */
  private static final int WORKER_C = 2;

  private static BenchResults results;
  private static String report;
  private static String progress;

  @BeforeAll
  static void runAllCases() throws IOException {
    BenchSettings settings =
        new BenchSettings(
            EnumSet.allOf(BenchCase.class),
            List.of(1, 2),
            List.of(1, 2),
            200,
            200,
            200,
            400,
            100,
            200,
            400,
            400,
            20,
            50,
            WORKER_TASKS,
            IDLE_SAMPLES,
            new BenchSettings.JmhSettings(0, 0, 1, 100),
            OUT,
            Path.of("target").toAbsolutePath());
    ByteArrayOutputStream lines = new ByteArrayOutputStream();
    try (BenchServers servers = BenchServers.testServers();
        PrintStream out = new PrintStream(lines, true, StandardCharsets.UTF_8)) {
      results = new Bench(settings, servers, out).run();
    }
    progress = lines.toString(StandardCharsets.UTF_8);
    Path file = ReportWriter.write(results, OUT, "BenchSmokeTest");
    report = Files.readString(file, StandardCharsets.UTF_8);
  }

  @Test
  @DisplayName("the report has a section with results for every case, and no case failed")
  void everyCase() {
    for (BenchCase c : BenchCase.values()) {
      assertThat(report).contains("## " + c.number() + ". " + c.title());
      boolean hasResult =
          !results.rowsOf(c).isEmpty()
              || results.figures().stream().anyMatch(f -> f.caseNumber() == c.number());
      assertThat(hasResult).as("case %s has a line", c).isTrue();
    }
    assertThat(report).doesNotContain("failed:").doesNotContain("no result");
    assertThat(progress).doesNotContain("failed:");
  }

  @Test
  @DisplayName("prints a progress line per measurement")
  void progressLines() {
    for (BenchCase c : BenchCase.values()) {
      assertThat(progress).contains("[case " + c.number() + "]");
    }
  }

  @Nested
  @DisplayName("the worker runtime (case 4)")
  class Worker {
    @Test
    @DisplayName("drains the prefilled queue with every task handled exactly once, and says so")
    void drain() {
      assertThat(results.settings().workerConcurrency()).isEqualTo(WORKER_C);
      Row row =
          results
              .find(Row.WORKQUEUE, Shapes.WORKER_DRAIN, WORKER_C)
              .orElseThrow(
                  () ->
                      new AssertionError("no measured drain: " + results.rowsOf(BenchCase.WORKER)));
      assertThat(row.status()).isEmpty();
      assertThat(row.tasks()).isEqualTo(WORKER_TASKS);
      assertThat(row.tasksPerSecond()).isPositive();
      assertThat(row.note())
          .contains("every task handled and acknowledged exactly once (" + WORKER_TASKS + ")");
      Latency acked =
          row.latency(Shapes.WORKER_ACKED).orElseThrow(() -> new AssertionError("no ack latency"));
      assertThat(acked.count()).isEqualTo(WORKER_TASKS);
      assertThat(acked.p50()).isPositive();
      assertThat(acked.p999()).isGreaterThanOrEqualTo(acked.p50());
      Latency cycle =
          row.latency(Shapes.WORKER_CYCLE).orElseThrow(() -> new AssertionError("no cycle"));
      // every handler start but each slot's first ends a wait for the next task
      assertThat(cycle.count()).isBetween((long) WORKER_TASKS - WORKER_C, WORKER_TASKS - 1L);
    }

    @Test
    @DisplayName("records add → handler start of an idle worker, one task at a time")
    void idle() {
      Row row =
          results
              .find(Row.WORKQUEUE, Shapes.WORKER_IDLE, 1)
              .orElseThrow(
                  () -> new AssertionError("no idle line: " + results.rowsOf(BenchCase.WORKER)));
      assertThat(row.tasks()).isEqualTo(IDLE_SAMPLES);
      Latency l =
          row.latency(Shapes.WORKER_ADD_TO_START)
              .orElseThrow(() -> new AssertionError("no add → handler start"));
      assertThat(l.count()).isEqualTo(IDLE_SAMPLES);
      assertThat(l.p50()).isPositive();
      // the handler starts after the add call began, so never before the add's own latency
      assertThat(l.p50()).isGreaterThanOrEqualTo(row.latency("add").orElseThrow().millis(0));
    }

    @Test
    @DisplayName("is measured in the report, the CSV and the progress lines, with no placeholder")
    void reported() throws IOException {
      assertThat(results.rowsOf(BenchCase.WORKER))
          .hasSize(2)
          .allSatisfy(r -> assertThat(r.status()).isEmpty());
      assertThat(report)
          .contains("| 4 | " + BenchCase.WORKER.title() + " | measured (2 lines) |")
          .contains(Shapes.WORKER_DRAIN)
          .contains(Shapes.WORKER_IDLE)
          .doesNotContain("not available")
          .doesNotContain("has not landed");
      assertThat(progress)
          .contains("[case 4] WorkQueue · " + Shapes.WORKER_DRAIN + " · c=" + WORKER_C + ":")
          .contains("[case 4] WorkQueue · " + Shapes.WORKER_IDLE + " · c=1:");
      assertThat(Files.readString(OUT.resolve(ReportWriter.CSV), StandardCharsets.UTF_8))
          .contains(
              "4,\"WorkQueue\",\"" + Shapes.WORKER_DRAIN + "\"," + WORKER_C + "," + WORKER_TASKS)
          .contains("4,\"WorkQueue\",\"" + Shapes.WORKER_IDLE + "\",1," + IDLE_SAMPLES);
    }

    @Test
    @DisplayName("fills its ratio lines: against BullMQ's drain, and the idle latency target")
    void ratios() {
      Ratio idle = ratio("add → handler start p50, idle worker");
      assertThat(idle.status()).isEmpty();
      assertThat(idle.queue()).isPositive();
      assertThat(idle.target()).isEqualTo("< 5 ms");
      assertThat(idle.met()).isPresent();
      Ratio bull = ratio("worker runtime (QueueWorker, no-op handler) drain / BullMQ worker drain");
      assertThat(bull.concurrency()).isEqualTo(WORKER_C);
      if (Bullmq.onPath("node").isPresent()) {
        assertThat(bull.status()).isEmpty();
        assertThat(bull.ratio()).isPositive();
      } else {
        assertThat(bull.status()).hasValue("not measured in this run");
      }
    }

    private Ratio ratio(String prefix) {
      return results.ratios().stream()
          .filter(r -> r.what().startsWith(prefix))
          .findFirst()
          .orElseThrow(() -> new AssertionError("no ratio line " + prefix));
    }
  }

  @Nested
  @DisplayName("measured lines")
  class Measured {
    @Test
    @DisplayName("the queue and the floor have throughput and latency at every concurrency")
    void queueAndFloor() {
      for (int c : List.of(1, 2)) {
        for (String[] key :
            new String[][] {
              {Row.WORKQUEUE, Shapes.PER_TASK_E2E},
              {Row.WORKQUEUE, Shapes.PER_TASK_LOOP},
              {Row.WORKQUEUE, Shapes.BATCH_E2E},
              {Row.WORKQUEUE, Shapes.BATCH_LOOP},
              {Row.FLOOR, Shapes.PER_TASK_LOOP},
              {Row.FLOOR, Shapes.BATCH_LOOP}
            }) {
          Row row = results.find(key[0], key[1], c).orElseThrow(() -> new AssertionError(key[1]));
          assertThat(row.tasksPerSecond()).isPositive();
          assertThat(row.latencies()).allSatisfy(l -> assertThat(l.p50()).isPositive());
        }
      }
      assertThat(results.find(Row.WORKQUEUE, Shapes.single("ack"), 1)).isPresent();
      assertThat(results.find(Row.FLOOR, Shapes.single("fetch"), 1)).isPresent();
    }

    @Test
    @DisplayName("BullMQ ran, or is skipped only because node is really not on PATH")
    void bullmq() {
      List<Row> peer =
          results.rowsOf(BenchCase.BULLMQ).stream()
              .filter(r -> r.system().equals(Row.BULLMQ))
              .toList();
      assertThat(peer).isNotEmpty();
      if (Bullmq.onPath("node").isPresent()) {
        assertThat(peer).allSatisfy(r -> assertThat(r.status()).isEmpty());
        assertThat(results.find(Row.BULLMQ, Shapes.BULL_DRAIN, 2)).isPresent();
        assertThat(results.figure(Row.BULLMQ, "Redis used_memory per waiting job")).isPresent();
      } else {
        assertThat(peer).allSatisfy(r -> assertThat(r.status()).hasValue(Bullmq.NODE_NOT_FOUND));
        assertThat(report).contains(Bullmq.NODE_NOT_FOUND);
      }
    }

    @Test
    @DisplayName("memory, fetch under load and JMH have their figures")
    void memoryAndJmh() {
      assertThat(results.figure(Row.WORKQUEUE, "Redis bytes per queued task (the queue's keys)"))
          .isPresent();
      assertThat(results.find(Row.WORKQUEUE, Shapes.PROBE_EMPTY, 1)).isPresent();
      assertThat(results.figure(Row.WORKQUEUE, "sealing + JSON mapping per 100 B task (add side)"))
          .hasValueSatisfying(f -> assertThat(f.value()).isPositive());
      assertThat(results.figures().stream().filter(f -> f.caseNumber() == 8)).hasSize(7);
    }
  }

  @Test
  @DisplayName("the ratio table and the charts are written")
  void ratiosAndCharts() {
    assertThat(report)
        .contains("| what | c | WorkQueue | reference | unit | ratio | target | met |")
        .contains("per-task end-to-end (producers + workers) / per-task floor")
        .contains("batch end-to-end / BullMQ worker drain");
    for (String png :
        List.of(
            "throughput-per-task.png",
            "throughput-batch.png",
            "latency-single-thread.png",
            "targets.png",
            "redis-memory.png")) {
      assertThat(OUT.resolve(png)).isRegularFile();
      assertThat(report).contains("](" + png + ")");
    }
    assertThat(OUT.resolve(ReportWriter.CSV)).isRegularFile();
  }
}
