package io.workqueue.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Writes a run's results as Markdown ({@value #REPORT}), CSV ({@value #CSV}) and PNG charts into
 * one folder.
 */
public final class ReportWriter {
  /** The Markdown report's file name. */
  public static final String REPORT = "report.md";

  /** The rows as CSV. */
  public static final String CSV = "results.csv";

  private ReportWriter() {}

  /**
   * Writes everything.
   *
   * @param results the run's results
   * @param dir the folder; created if missing
   * @param command the command line, for the report's header
   * @return the report's path
   */
  public static Path write(BenchResults results, Path dir, String command) {
    try {
      Files.createDirectories(dir);
      List<String> charts = Charts.write(results, dir);
      Path report = dir.resolve(REPORT);
      Files.writeString(report, markdown(results, command, charts), StandardCharsets.UTF_8);
      Files.writeString(dir.resolve(CSV), csv(results), StandardCharsets.UTF_8);
      return report;
    } catch (IOException e) {
      throw new UncheckedIOException("could not write the report to " + dir, e);
    }
  }

  /**
   * The ratio table alone, as Markdown.
   *
   * @param results the run's results
   * @return the table
   */
  public static String ratioTable(BenchResults results) {
    StringBuilder sb = new StringBuilder();
    sb.append("| what | c | WorkQueue | reference | unit | ratio | target | met |\n");
    sb.append("|---|---:|---:|---:|---|---:|---|---|\n");
    for (Ratio r : results.ratios()) {
      sb.append("| ")
          .append(cell(r.what()))
          .append(" | ")
          .append(r.concurrency() == 0 ? "—" : Integer.toString(r.concurrency()))
          .append(" | ")
          .append(number(r.queue(), r.unit()))
          .append(" | ")
          .append(number(r.reference(), r.unit()))
          .append(" | ")
          .append(r.unit())
          .append(" | ")
          .append(Double.isNaN(r.ratio()) ? "—" : String.format(Locale.ROOT, "%.2f×", r.ratio()))
          .append(" | ")
          .append(r.target().isEmpty() ? "—" : r.target())
          .append(" | ")
          .append(
              r.status().isPresent()
                  ? r.status().get()
                  : r.met().map(m -> m ? "met" : "**missed**").orElse("—"))
          .append(" |\n");
    }
    return sb.toString();
  }

  private static String markdown(BenchResults results, String command, List<String> charts) {
    StringBuilder sb = new StringBuilder();
    BenchSettings s = results.settings();
    sb.append("# WorkQueue bench\n\n");
    sb.append("Run of ")
        .append(
            DateTimeFormatter.ISO_LOCAL_DATE_TIME.format(
                results.started().atOffset(ZoneOffset.UTC).withNano(0)))
        .append(" UTC, ")
        .append(String.format(Locale.ROOT, "%.1f min", results.totalSeconds() / 60))
        .append(" in all. Command: `")
        .append(command)
        .append("`\n\n");
    for (String line : results.environment()) {
      sb.append("- ").append(line).append('\n');
    }
    sb.append(
        String.format(
            Locale.ROOT,
            "- Counts: %,d calls of each kind alone (batch calls: %,d), in alternating rounds of"
                + " the queue and the floor; %,d tasks per per-task end-to-end measurement, %,d per"
                + " per-task loop (floor and queue), %,d per batch measurement; warm-up %,d per task"
                + " + %,d in"
                + " batches; BullMQ: %,d awaited adds, %,d in addBulk, %,d per drain (the queue's"
                + " drains too); worker runtime: %,d prefilled tasks drained at c=%d, %,d tasks"
                + " added one at a time to an idle worker (after %,d warm-up); memory: %,d queued"
                + " tasks, %,d leased, %,d probe fetches; concurrency %s, drains at %s.%n",
            s.singleOps(),
            Math.max(1, s.singleOps() / BenchSettings.BATCH),
            s.tasks(),
            s.floorTasks(),
            s.batchTasks(),
            s.warmupTasks(),
            s.warmupTasks() * 10,
            s.peerTasks(),
            s.peerBulkTasks(),
            s.peerTasks(),
            s.workerTasks(),
            s.workerConcurrency(),
            s.idleSamples(),
            s.idleWarmup(),
            s.memoryTasks(),
            s.leasedTasks(),
            s.probeFetches(),
            s.concurrencies(),
            s.bullmqConcurrencies()));
    sb.append(
        "- Before every measurement the bench waits (up to 30 s) until Cassandra has no"
            + " compaction or flush running or pending and Redis no AOF rewrite; a line says so"
            + " where the wait timed out.\n");
    sb.append('\n');

    sb.append("## Cases\n\n| # | case | status | time (s) |\n|---:|---|---|---:|\n");
    for (BenchCase c : BenchCase.values()) {
      sb.append("| ")
          .append(c.number())
          .append(" | ")
          .append(c.title())
          .append(" | ")
          .append(caseStatus(results, c))
          .append(" | ")
          .append(
              results.caseSeconds().containsKey(c)
                  ? String.format(Locale.ROOT, "%.1f", results.caseSeconds().get(c))
                  : "—")
          .append(" |\n");
    }

    sb.append("\n## Ratios: the queue over the floor, over BullMQ, and against the targets\n\n");
    sb.append(
        "Each ratio divides two figures of this run (PERFORMANCE.md). \"met\"/\"missed\" judges"
            + " the target of PERFORMANCE.md where the line has one (c=16 for the throughput"
            + " targets).\n\n");
    sb.append(ratioTable(results));

    for (BenchCase c : BenchCase.values()) {
      sb.append("\n## ").append(c.number()).append(". ").append(c.title()).append("\n\n");
      if (!s.cases().contains(c)) {
        sb.append("not selected in this run (--cases)\n");
        continue;
      }
      List<Row> rows = results.rowsOf(c);
      if (!rows.isEmpty()) {
        sb.append(rowTable(rows));
      }
      List<Figure> figures =
          results.figures().stream().filter(f -> f.caseNumber() == c.number()).toList();
      if (!figures.isEmpty()) {
        sb.append('\n').append(figureTable(figures));
      }
      if (rows.isEmpty() && figures.isEmpty()) {
        sb.append("no result\n");
      }
    }

    sb.append("\n## Charts\n\n");
    for (String chart : charts) {
      sb.append("![").append(chart).append("](").append(chart).append(")\n\n");
    }
    sb.append(HOW_TO_READ);
    return sb.toString();
  }

  private static String caseStatus(BenchResults results, BenchCase c) {
    if (!results.settings().cases().contains(c)) {
      return "not selected";
    }
    List<Row> rows = results.rowsOf(c);
    long measured = rows.stream().filter(r -> r.status().isEmpty()).count();
    long figures = results.figures().stream().filter(f -> f.caseNumber() == c.number()).count();
    Set<String> statuses = new LinkedHashSet<>();
    rows.forEach(r -> r.status().ifPresent(statuses::add));
    List<String> parts = new ArrayList<>();
    if (measured + figures > 0) {
      parts.add("measured (" + (measured + figures) + " lines)");
    }
    parts.addAll(statuses);
    return parts.isEmpty() ? "no result" : String.join("; ", parts);
  }

  private static String rowTable(List<Row> rows) {
    StringBuilder sb = new StringBuilder();
    sb.append(
        "| system | shape | c | tasks | tasks/s | call | p50 ms | p99 ms | p99.9 ms | others' CPU"
            + " | note |\n");
    sb.append("|---|---|---:|---:|---:|---|---:|---:|---:|---:|---|\n");
    for (Row r : rows) {
      if (r.status().isPresent()) {
        sb.append("| ")
            .append(cell(r.system()))
            .append(" | ")
            .append(cell(r.shape()))
            .append(" | — | — | — | — | — | — | — | — | ")
            .append(cell(r.status().get()))
            .append(" |\n");
        continue;
      }
      List<Latency> ls = r.latencies().isEmpty() ? List.of() : r.latencies();
      for (int i = 0; i < Math.max(1, ls.size()); i++) {
        boolean first = i == 0;
        Latency l = ls.isEmpty() ? null : ls.get(i);
        sb.append("| ")
            .append(first ? r.system() : "")
            .append(" | ")
            .append(cell(first ? r.shape() : ""))
            .append(" | ")
            .append(first ? Integer.toString(r.concurrency()) : "")
            .append(" | ")
            .append(first ? String.format(Locale.ROOT, "%,d", r.tasks()) : "")
            .append(" | ")
            .append(first ? String.format(Locale.ROOT, "%,.0f", r.tasksPerSecond()) : "")
            .append(" | ")
            .append(cell(l == null ? "—" : l.op()))
            .append(" | ")
            .append(l == null ? "—" : ms(l.p50()))
            .append(" | ")
            .append(l == null ? "—" : ms(l.p99()))
            .append(" | ")
            .append(l == null ? "—" : ms(l.p999()))
            .append(" | ")
            .append(
                first && !Double.isNaN(r.otherCores())
                    ? String.format(Locale.ROOT, "%.2f", r.otherCores())
                    : "")
            .append(" | ")
            .append(cell(first ? r.note() : ""))
            .append(" |\n");
      }
    }
    return sb.toString();
  }

  private static String figureTable(List<Figure> figures) {
    StringBuilder sb = new StringBuilder();
    sb.append("| system | figure | value | ± | unit | how |\n|---|---|---:|---:|---|---|\n");
    for (Figure f : figures) {
      sb.append("| ")
          .append(f.system())
          .append(" | ")
          .append(cell(f.what()))
          .append(" | ")
          .append(String.format(Locale.ROOT, "%.3f", f.value()))
          .append(" | ")
          .append(Double.isNaN(f.error()) ? "—" : String.format(Locale.ROOT, "%.3f", f.error()))
          .append(" | ")
          .append(f.unit())
          .append(" | ")
          .append(cell(f.note()))
          .append(" |\n");
    }
    return sb.toString();
  }

  private static String csv(BenchResults results) {
    StringBuilder sb = new StringBuilder();
    sb.append(
        "case,system,shape,concurrency,tasks,seconds,tasks_per_s,call,p50_ms,p99_ms,p999_ms,"
            + "other_cores,note,status\n");
    for (Row r : results.rows()) {
      List<Latency> ls = r.latencies();
      for (int i = 0; i < Math.max(1, ls.size()); i++) {
        Latency l = ls.isEmpty() ? null : ls.get(i);
        sb.append(
            String.join(
                ",",
                Integer.toString(r.caseNumber()),
                quote(r.system()),
                quote(r.shape()),
                Integer.toString(r.concurrency()),
                Long.toString(r.tasks()),
                String.format(Locale.ROOT, "%.3f", r.seconds()),
                String.format(Locale.ROOT, "%.1f", r.tasksPerSecond()),
                quote(l == null ? "" : l.op()),
                l == null ? "" : String.format(Locale.ROOT, "%.4f", l.p50()),
                l == null ? "" : String.format(Locale.ROOT, "%.4f", l.p99()),
                l == null ? "" : String.format(Locale.ROOT, "%.4f", l.p999()),
                Double.isNaN(r.otherCores())
                    ? ""
                    : String.format(Locale.ROOT, "%.2f", r.otherCores()),
                quote(r.note()),
                quote(r.status().orElse(""))));
        sb.append('\n');
      }
    }
    for (Figure f : results.figures()) {
      sb.append(
          String.join(
              ",",
              Integer.toString(f.caseNumber()),
              quote(f.system()),
              quote(f.what()),
              "",
              "",
              "",
              "",
              quote(f.unit()),
              String.format(Locale.ROOT, "%.4f", f.value()),
              "",
              "",
              "",
              quote(f.note()),
              ""));
      sb.append('\n');
    }
    return sb.toString();
  }

  /** A table cell: a pipe would end the cell early. */
  private static String cell(String s) {
    return s.replace("|", "\\|");
  }

  private static String quote(String s) {
    return "\"" + s.replace("\"", "\"\"") + "\"";
  }

  private static String ms(double v) {
    return Double.isNaN(v) ? "—" : String.format(Locale.ROOT, "%.3f", v);
  }

  private static String number(double v, String unit) {
    if (Double.isNaN(v)) {
      return "—";
    }
    if (unit.startsWith("tasks/s")) {
      return String.format(Locale.ROOT, "%,.0f", v);
    }
    return String.format(Locale.ROOT, "%.3f", v);
  }

  private static final String HOW_TO_READ =
      """
      ## How to read this report

      - **tasks/s** is tasks that went all the way through (added, fetched, acknowledged) per \
      second of wall time, from the moment all threads start to the moment the last one ends. \
      For a call timed *alone* (case 1, the floor's single-thread lines) it is calls (tasks, for \
      batch calls) over the time spent in that call.
      - **c** is threads per side: in *producers while workers* shapes, c producer threads and c \
      worker threads run at once (2c threads); in *loop* shapes, c threads each loop \
      add→fetch→ack (PERFORMANCE.md's floor shape). For BullMQ, c is the Worker's concurrency.
      - **p50 / p99 / p99.9** are per call, in milliseconds, from HdrHistogram (3 significant \
      digits). A batch call's latency is that of the whole call (100 tasks).
      - **The worker runtime** (case 4) is `QueueWorker` with a no-op handler, on a node of its \
      own (its own WorkQueue and Redis signal subscriber). Its drain is timed from `runFor` (the \
      slots start) to its return (the last ack done, the worker closed), on a queue prefilled \
      before the clock starts; every task must have been handled and acknowledged exactly once, \
      or the line fails. Its latency is per task, from the handler's start to the task's \
      acknowledgement (the node's `Acked` event), as BullMQ's is from processor start to \
      `completed`: the time since the drain began would only say where a task stood in the \
      queue. Beside it, how long a slot waits from one handler start to its next. The idle \
      worker's latency is from the producer's add call to the handler's start, one task at a \
      time, the worker waiting for the work signal each time.
      - **floor** is PERFORMANCE.md's: raw driver and Jedis, the same servers, the same row \
      layout and payload size, no queue logic. **queue / floor** says how much of what the \
      servers can do the queue keeps; 1.0 would be a queue with no cost of its own.
      - **BullMQ** runs on its own Redis with the same persistence (appendonly yes, appendfsync \
      everysec), driven by our Node script; BullMQ keeps payloads in Redis only, we write every \
      task to Cassandra and seal it, so one task per call cannot beat it; the batch path can.
      - **others' CPU** is how many cores processes other than the bench's own (its JVM, its \
      servers, node) kept busy on average during the line: someone else's build on a shared \
      machine. A line with a high figure there was disturbed; so is its ratio.
      - Absolute figures drift ±15 % between runs and machines; compare ratios within one run.
      """;
}
