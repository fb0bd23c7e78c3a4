package io.workqueue.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/** Case 8: runs {@link SealingBenchmark} and {@link InMemoryQueueBenchmark} through JMH. */
final class JmhRun {
  private JmhRun() {}

  /**
   * Runs the benchmarks.
   *
   * @return one figure per benchmark, in µs per op (per task)
   */
  static List<Figure> run(BenchSettings.JmhSettings s) {
    Options options =
        new OptionsBuilder()
            .include("^" + SealingBenchmark.class.getName().replace(".", "\\.") + "\\.")
            .include("^" + InMemoryQueueBenchmark.class.getName().replace(".", "\\.") + "\\.")
            .forks(s.forks())
            .warmupIterations(s.warmupIterations())
            .warmupTime(TimeValue.milliseconds(s.iterationMillis()))
            .measurementIterations(s.iterations())
            .measurementTime(TimeValue.milliseconds(s.iterationMillis()))
            .threads(1)
            .shouldFailOnError(true)
            .verbosity(VerboseMode.SILENT)
            .build();
    Collection<RunResult> results;
    try {
      results = new Runner(options).run();
    } catch (RunnerException e) {
      throw new IllegalStateException("JMH failed: " + e.getMessage(), e);
    }
    String how =
        String.format(
            Locale.ROOT,
            "JMH, %d fork(s), %d×%d ms warm-up, %d×%d ms measured, 1 thread",
            s.forks(),
            s.warmupIterations(),
            s.iterationMillis(),
            s.iterations(),
            s.iterationMillis());
    List<Figure> figures = new ArrayList<>();
    for (RunResult r : results) {
      String label = r.getParams().getBenchmark();
      String name = label.substring(label.lastIndexOf('.') + 1);
      String klass = label.substring(0, label.lastIndexOf('.'));
      String owner = klass.substring(klass.lastIndexOf('.') + 1);
      double mean = r.getPrimaryResult().getScore();
      double error = r.getPrimaryResult().getScoreError();
      List<Double> scores = new ArrayList<>();
      for (BenchmarkResult b : r.getBenchmarkResults()) {
        for (IterationResult i : b.getIterationResults()) {
          scores.add(i.getPrimaryResult().getScore());
        }
      }
      double median = median(scores, mean);
      figures.add(
          new Figure(
              8,
              Row.WORKQUEUE,
              describe(owner, name),
              median,
              Double.NaN,
              "µs/task",
              String.format(
                  Locale.ROOT,
                  "median of %d iterations; JMH mean %.3f ± %.3f (99.9 %%); %s",
                  scores.size(),
                  mean,
                  error,
                  how)));
    }
    return figures;
  }

  /**
   * The median of the iterations' scores: on a shared machine one disturbed iteration moves JMH's
   * mean (and its error) a lot, the median hardly.
   */
  private static double median(List<Double> scores, double fallback) {
    if (scores.isEmpty()) {
      return fallback;
    }
    List<Double> sorted = new ArrayList<>(scores);
    Collections.sort(sorted);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  private static String describe(String owner, String name) {
    return switch (owner + "." + name) {
      case "SealingBenchmark.mapAndSeal" -> "sealing + JSON mapping per 100 B task (add side)";
      case "SealingBenchmark.mapOnly" -> "JSON mapping alone (NewTask.of + serialize)";
      case "SealingBenchmark.sealOnly" -> "sealing alone (Tink AES-256-GCM, 100 B)";
      case "SealingBenchmark.openAndParse" -> "opening + JSON parsing per task (fetch side)";
      case "InMemoryQueueBenchmark.add" -> "in-memory queue: add";
      case "InMemoryQueueBenchmark.addFetchAck" -> "in-memory queue: add + fetch + ack";
      case "InMemoryQueueBenchmark.addAllFetchBatchAckAll" ->
          "in-memory queue: addAll 100 + fetchBatch 100 + ackAll, per task";
      default -> owner + "." + name;
    };
  }
}
