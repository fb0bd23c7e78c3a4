package io.workqueue.bench;

import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The bench's command line: {@code java -jar queue-bench/target/workqueue-bench.jar [options]}.
 * Starts its own servers, runs the selected cases with a progress line each, prints the ratio table
 * and writes {@code report.md}, {@code results.csv} and the PNG charts (by default under {@code
 * queue-bench/target/bench-results}).
 */
@Command(
    name = "workqueue-bench",
    mixinStandardHelpOptions = true,
    version = "workqueue-bench 0.1.0",
    sortOptions = false,
    description = {
      "Measures WorkQueue on real Cassandra + Redis next to the raw floor of those servers and"
          + " BullMQ, in one run, and writes a Markdown report and PNG charts.",
      "Starts its own servers: Cassandra production-like (G1, full JIT, no -ea, 2 GB heap), a Redis"
          + " for the queue and one for BullMQ (appendonly yes, appendfsync everysec)."
    })
public final class BenchCommand implements Callable<Integer> {

  @Option(
      names = "--cases",
      split = ",",
      paramLabel = "CASE",
      description =
          "Cases to run: single, e2e, batch, worker, floor, bullmq, memory, jmh (or 1-8)."
              + " Default: all.")
  private List<String> cases = new ArrayList<>();

  @Option(
      names = {"-c", "--concurrency"},
      split = ",",
      paramLabel = "N",
      description = "Threads per side for e2e, batch and floor. Default: ${DEFAULT-VALUE}.")
  private List<Integer> concurrencies = new ArrayList<>(List.of(1, 4, 16, 64));

  @Option(
      names = "--drain-concurrency",
      split = ",",
      paramLabel = "N",
      description =
          "Worker concurrency of the drains (BullMQ and the queue). Default: ${DEFAULT-VALUE}.")
  private List<Integer> drainConcurrencies = new ArrayList<>(List.of(1, 16));

  @Option(
      names = "--single-ops",
      description =
          "Calls of each kind timed alone in case 1 (batch calls: 1/100). Default: ${DEFAULT-VALUE}.")
  private int singleOps = 10_000;

  @Option(
      names = "--tasks",
      description =
          "Tasks per per-task measurement (case 2 and its floor). Default: ${DEFAULT-VALUE}.")
  private int tasks = 100_000;

  @Option(
      names = "--floor-tasks",
      description =
          "Tasks per measurement of the per-task floor and of the queue in the floor's loop shape."
              + " Default: ${DEFAULT-VALUE}.")
  private int floorTasks = 50_000;

  @Option(
      names = "--batch-tasks",
      description =
          "Tasks per batch measurement (case 3 and its floor). Default: ${DEFAULT-VALUE}.")
  private int batchTasks = 100_000;

  @Option(
      names = "--warmup-tasks",
      description =
          "Per-task warm-up tasks before the first case, on the queue and the floor (batch"
              + " warm-up: 10x). Default: ${DEFAULT-VALUE}.")
  private int warmupTasks = 20_000;

  @Option(
      names = "--peer-tasks",
      description =
          "BullMQ awaited adds, and jobs per drain on both sides. Default: ${DEFAULT-VALUE}.")
  private int peerTasks = 20_000;

  @Option(
      names = "--peer-bulk-tasks",
      description = "BullMQ jobs added with addBulk 100. Default: ${DEFAULT-VALUE}.")
  private int peerBulkTasks = 100_000;

  @Option(
      names = "--memory-tasks",
      description =
          "Queued tasks for Redis bytes per task (both sides). Default: ${DEFAULT-VALUE}.")
  private int memoryTasks = 100_000;

  @Option(
      names = "--leased",
      description =
          "Leased tasks in the loaded queue of the fetch probe. Default: ${DEFAULT-VALUE}.")
  private int leased = 1_000;

  @Option(
      names = "--probes",
      description =
          "Fetches timed in the empty and in the loaded queue. Default: ${DEFAULT-VALUE}.")
  private int probes = 2_000;

  @Option(
      names = "--worker-tasks",
      description =
          "Tasks the worker runtime (QueueWorker, case 4) drains from a prefilled queue, at"
              + " concurrency 16 (or the highest --drain-concurrency when 16 is not one)."
              + " Default: ${DEFAULT-VALUE}.")
  private int workerTasks = 100_000;

  @Option(
      names = "--idle-samples",
      description =
          "Tasks added one at a time to an idle QueueWorker for add → handler start (case 4)."
              + " Default: ${DEFAULT-VALUE}.")
  private int idleSamples = 300;

  @Option(
      names = "--no-plain-outcomes",
      description =
          "Measure the queue with WorkQueues.Builder.recordPlainOutcomes(false): an ack with a"
              + " plain success writes no outcome row (by default it does, as in the library).")
  private boolean noPlainOutcomes;

  @Option(
      names = "--jmh-forks",
      description = "JMH forks (0: in this JVM). Default: ${DEFAULT-VALUE}.")
  private int jmhForks = 1;

  @Option(
      names = "--jmh-warmup",
      description = "JMH warm-up iterations. Default: ${DEFAULT-VALUE}.")
  private int jmhWarmup = 2;

  @Option(
      names = "--jmh-iterations",
      description = "JMH measured iterations. Default: ${DEFAULT-VALUE}.")
  private int jmhIterations = 3;

  @Option(
      names = "--jmh-millis",
      description = "JMH iteration length in ms. Default: ${DEFAULT-VALUE}.")
  private int jmhMillis = 1_000;

  @Option(
      names = "--out",
      paramLabel = "DIR",
      description = "Where the report and charts go. Default: queue-bench/target/bench-results.")
  private Path out;

  @Option(
      names = "--work-dir",
      paramLabel = "DIR",
      description =
          "Where BullMQ is installed (DIR/bullmq) and the servers keep their data (DIR/servers)."
              + " Default: queue-bench/target.")
  private Path workDir;

  @Option(
      names = "--cassandra-lib",
      paramLabel = "DIR",
      description =
          "Cassandra server jars. Default: queue-cassandra-server/target/lib next to queue-bench.")
  private Path cassandraLib;

  private final PrintStream stdout;

  private BenchCommand(PrintStream stdout) {
    this.stdout = stdout;
  }

  /**
   * Runs the bench.
   *
   * @param args the command line; {@code --help} lists the options
   */
  public static void main(String[] args) {
    PrintStream stdout = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    int code = new CommandLine(new BenchCommand(stdout)).execute(args);
    System.exit(code);
  }

  @Override
  public Integer call() {
    Path target = benchTarget();
    Path work = workDir != null ? workDir : target;
    Path output = out != null ? out : target.resolve("bench-results");
    if (System.getProperty("workqueue.servers.dir") == null) {
      System.setProperty("workqueue.servers.dir", work.resolve("servers").toString());
    }
    Path lib =
        cassandraLib != null
            ? cassandraLib
            : target.resolve("../../queue-cassandra-server/target/lib");
    if (System.getProperty("workqueue.cassandra.lib") == null && Files.isDirectory(lib)) {
      System.setProperty("workqueue.cassandra.lib", lib.normalize().toString());
    }
    Set<BenchCase> selected = EnumSet.noneOf(BenchCase.class);
    if (cases.isEmpty()) {
      selected = EnumSet.allOf(BenchCase.class);
    } else {
      for (String c : cases) {
        selected.add(BenchCase.parse(c));
      }
    }
    BenchSettings settings =
        new BenchSettings(
            selected,
            concurrencies,
            drainConcurrencies,
            singleOps,
            tasks,
            floorTasks,
            batchTasks,
            warmupTasks,
            peerTasks,
            peerBulkTasks,
            memoryTasks,
            leased,
            probes,
            workerTasks,
            idleSamples,
            new BenchSettings.JmhSettings(jmhForks, jmhWarmup, jmhIterations, jmhMillis),
            output,
            work);
    stdout.println(
        "workqueue-bench: starting Cassandra (production-like, 2g) and two Redis servers");
    long t0 = System.nanoTime();
    BenchResults results;
    try (BenchServers servers = BenchServers.startOwn()) {
      servers.recordPlainOutcomes(!noPlainOutcomes);
      stdout.printf(
          java.util.Locale.ROOT,
          "servers up in %.1f s: %s%n",
          (System.nanoTime() - t0) / 1e9,
          servers.describe());
      results = new Bench(settings, servers, stdout).run();
      results.totalSeconds((System.nanoTime() - t0) / 1e9);
    }
    Path report = ReportWriter.write(results, output, commandLine());
    stdout.println();
    stdout.println(ReportWriter.ratioTable(results));
    stdout.println("report: " + report.toAbsolutePath().normalize());
    stdout.println("charts and results.csv: " + output.toAbsolutePath().normalize());
    boolean failed =
        results.rows().stream()
            .anyMatch(r -> r.status().map(s -> s.startsWith("failed")).orElse(false));
    return failed ? 1 : 0;
  }

  private static String commandLine() {
    return ProcessHandle.current()
        .info()
        .arguments()
        .map(a -> "java " + String.join(" ", a))
        .orElse("java -jar queue-bench/target/workqueue-bench.jar");
  }

  /**
   * queue-bench/target: the folder of the running jar, or of target/classes when run from an IDE.
   */
  static Path benchTarget() {
    try {
      Path p =
          Path.of(BenchCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI())
              .toAbsolutePath();
      return p.getParent();
    } catch (URISyntaxException | RuntimeException e) {
      return Path.of("queue-bench", "target").toAbsolutePath();
    }
  }
}
