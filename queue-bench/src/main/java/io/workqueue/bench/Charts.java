package io.workqueue.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.knowm.xchart.AnnotationLine;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;

/** The PNG charts of a run (XChart). */
final class Charts {
  private static final int WIDTH = 1000;
  private static final int HEIGHT = 560;

  private Charts() {}

  /**
   * Writes every chart that has data.
   *
   * @return the file names written, relative to {@code dir}
   */
  static List<String> write(BenchResults r, Path dir) throws IOException {
    System.setProperty("java.awt.headless", "true");
    List<String> written = new ArrayList<>();
    throughput(
            r,
            "Per task: tasks/s by concurrency",
            List.of(
                new Line("WorkQueue producers + workers", Row.WORKQUEUE, Shapes.PER_TASK_E2E),
                new Line("WorkQueue loop add→fetch→ack", Row.WORKQUEUE, Shapes.PER_TASK_LOOP),
                new Line("floor loop (raw driver + Jedis)", Row.FLOOR, Shapes.PER_TASK_LOOP),
                new Line("WorkQueue drain fetch+ack", Row.WORKQUEUE, Shapes.DRAIN_PER_TASK),
                new Line(
                    "WorkQueue QueueWorker drain, no-op handler",
                    Row.WORKQUEUE,
                    Shapes.WORKER_DRAIN),
                new Line("BullMQ worker drain", Row.BULLMQ, Shapes.BULL_DRAIN)))
        .ifPresent(c -> save(c, dir, "throughput-per-task.png", written));
    throughput(
            r,
            "Batches of 100: tasks/s by concurrency",
            List.of(
                new Line("WorkQueue producers + workers", Row.WORKQUEUE, Shapes.BATCH_E2E),
                new Line(
                    "WorkQueue loop addAll→fetchBatch→ackAll", Row.WORKQUEUE, Shapes.BATCH_LOOP),
                new Line("floor loop (raw driver + Jedis)", Row.FLOOR, Shapes.BATCH_LOOP),
                new Line("WorkQueue drain fetchBatch+ackAll", Row.WORKQUEUE, Shapes.DRAIN_BATCH),
                new Line("BullMQ worker drain", Row.BULLMQ, Shapes.BULL_DRAIN)))
        .ifPresent(c -> save(c, dir, "throughput-batch.png", written));
    singleLatency(r).ifPresent(c -> save(c, dir, "latency-single-thread.png", written));
    targets(r).ifPresent(c -> save(c, dir, "targets.png", written));
    memory(r).ifPresent(c -> save(c, dir, "redis-memory.png", written));
    return written;
  }

  private record Line(String label, String system, String shape) {}

  private static Optional<XYChart> throughput(BenchResults r, String title, List<Line> lines) {
    XYChart chart =
        new XYChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title(title)
            .xAxisTitle("concurrency (threads per side; BullMQ: Worker concurrency)")
            .yAxisTitle("tasks/s")
            .build();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
    chart.getStyler().setXAxisLogarithmic(true);
    chart.getStyler().setMarkerSize(8);
    boolean any = false;
    for (Line line : lines) {
      List<Integer> xs = new ArrayList<>();
      List<Double> ys = new ArrayList<>();
      for (Row row : r.rows()) {
        if (row.status().isEmpty()
            && row.system().equals(line.system())
            && row.shape().equals(line.shape())) {
          xs.add(row.concurrency());
          ys.add(row.tasksPerSecond());
        }
      }
      if (!xs.isEmpty()) {
        chart.addSeries(line.label(), xs, ys);
        any = true;
      }
    }
    return any ? Optional.of(chart) : Optional.empty();
  }

  private static Optional<CategoryChart> singleLatency(BenchResults r) {
    List<String> ops = List.of("add", "fetch", "ack", "addAll 100", "fetchBatch 100", "ackAll 100");
    CategoryChart chart =
        new CategoryChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title("One thread, each call alone: latency (ms)")
            .xAxisTitle("call")
            .yAxisTitle("ms")
            .build();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
    boolean any = false;
    for (String system : List.of(Row.WORKQUEUE, Row.FLOOR)) {
      for (double pct : new double[] {50, 99}) {
        List<String> xs = new ArrayList<>();
        List<Double> ys = new ArrayList<>();
        for (String op : ops) {
          Optional<Latency> l =
              r.find(system, Shapes.single(op), 1).flatMap(row -> row.latency(op));
          xs.add(op);
          ys.add(l.map(x -> x.millis(pct)).orElse(0.0));
        }
        if (ys.stream().anyMatch(y -> y > 0)) {
          chart.addSeries(system + " p" + (int) pct, xs, ys);
          any = true;
        }
      }
    }
    return any ? Optional.of(chart) : Optional.empty();
  }

  private static Optional<CategoryChart> targets(BenchResults r) {
    List<String> xs = new ArrayList<>();
    List<Double> ys = new ArrayList<>();
    for (Ratio ratio : r.ratios()) {
      if (ratio.met().isEmpty() || ratio.target().isEmpty()) {
        continue;
      }
      double limit = Double.parseDouble(ratio.target().replaceAll("[^0-9.]", ""));
      boolean lower = ratio.target().startsWith("≥");
      double value = Double.isNaN(ratio.ratio()) ? ratio.queue() : ratio.ratio();
      double attainment = lower ? value / limit * 100 : limit / Math.max(value, 1e-9) * 100;
      xs.add(shorten(ratio.what()) + (ratio.concurrency() > 1 ? " c=" + ratio.concurrency() : ""));
      ys.add(Math.min(attainment, 1000));
    }
    if (xs.isEmpty()) {
      return Optional.empty();
    }
    CategoryChart chart =
        new CategoryChartBuilder()
            .width(WIDTH)
            .height(HEIGHT + 200)
            .title("Targets of PERFORMANCE.md: % of target reached (100 % = met; capped at 1000 %)")
            .yAxisTitle("% of target")
            .build();
    chart.getStyler().setLegendVisible(false);
    chart.getStyler().setXAxisLabelRotation(30);
    chart.addSeries("attainment", xs, ys);
    chart.addAnnotation(new AnnotationLine(100, false, false));
    return Optional.of(chart);
  }

  private static Optional<CategoryChart> memory(BenchResults r) {
    Optional<Figure> wq = r.figure(Row.WORKQUEUE, "Redis bytes per queued task (the queue's keys)");
    Optional<Figure> bull = r.figure(Row.BULLMQ, "Redis used_memory per waiting job");
    if (wq.isEmpty() && bull.isEmpty()) {
      return Optional.empty();
    }
    CategoryChart chart =
        new CategoryChartBuilder()
            .width(WIDTH / 2)
            .height(HEIGHT)
            .title("Redis bytes per queued task")
            .yAxisTitle("bytes per task")
            .build();
    chart.getStyler().setLegendVisible(false);
    List<String> xs = new ArrayList<>();
    List<Double> ys = new ArrayList<>();
    wq.ifPresent(
        f -> {
          xs.add("WorkQueue (its keys)");
          ys.add(Math.max(0, f.value()));
        });
    bull.ifPresent(
        f -> {
          xs.add("BullMQ (used_memory)");
          ys.add(Math.max(0, f.value()));
        });
    chart.addSeries("bytes per task", xs, ys);
    return Optional.of(chart);
  }

  private static String shorten(String what) {
    int paren = what.indexOf(" (");
    String s = paren > 0 ? what.substring(0, paren) : what;
    return s.length() > 48 ? s.substring(0, 47) + "…" : s;
  }

  private static void save(
      org.knowm.xchart.internal.chartpart.Chart<?, ?> chart,
      Path dir,
      String name,
      List<String> written) {
    try {
      BitmapEncoder.saveBitmap(chart, dir.resolve(name).toString(), BitmapEncoder.BitmapFormat.PNG);
      written.add(name);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("could not write chart " + name, e);
    }
  }
}
