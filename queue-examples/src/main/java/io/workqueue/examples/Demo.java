package io.workqueue.examples;

import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.workqueue.Completion;
import io.workqueue.NewTask;
import io.workqueue.QueueException;
import io.workqueue.QueueRef;
import io.workqueue.Task;
import io.workqueue.WorkQueue;
import io.workqueue.WorkQueues;
import io.workqueue.crypto.InMemoryKeysetStore;
import io.workqueue.crypto.MasterKey;
import io.workqueue.crypto.TinkKeyProvider;
import io.workqueue.spi.CompletionListener;
import io.workqueue.spi.KeyProvider;
import io.workqueue.spi.StoredTask;
import io.workqueue.testkit.InMemoryBookkeeper;
import io.workqueue.testkit.InMemoryTaskStore;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import java.util.logging.Level;
import java.util.stream.Collectors;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.HdrHistogram.Histogram;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The demo, the README's first command: {@code java -jar queue-examples/target/workqueue-demo.jar}.
 *
 * <p>Starts a Redis and a Cassandra node on this machine (or uses the in-memory testkit with {@code
 * --backend memory}, or the user's servers with {@code --cassandra} and {@code --redis}), adds
 * tasks for several owners while workers lease and acknowledge them on several threads, kills one
 * worker while it holds leases and shows its tasks recovered by the others after its time to
 * recover, shows a task as Cassandra stores it (ciphertext) next to what the worker saw
 * (plaintext), and ends with a summary. Lost tasks are counted, not assumed: a task added but never
 * heard of by the completion listener is lost, and then the demo exits with code 1.
 *
 * <p>Exit codes as {@link WorkQueueCli}'s: 0 ok, 1 tasks were lost, 2 bad arguments, 3 a server
 * could not be reached or started, 4 other failures.
 */
@Command(
    name = "workqueue-demo",
    mixinStandardHelpOptions = true,
    versionProvider = Versions.class,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Runs WorkQueue end to end: several owners' tasks, concurrent workers, one worker killed"
          + " while holding leases and its tasks recovered, ciphertext at rest, and a summary.",
      "",
      "By default it starts a Redis and a Cassandra node on this machine and stops them at the"
          + " end. --backend memory runs on the in-memory testkit instead; --cassandra and --redis"
          + " (or "
          + Environment.CASSANDRA
          + " and "
          + Environment.REDIS
          + ") use your servers.",
      ""
    },
    footer = {
      "",
      "Exit codes: 0 ok (lost = 0), 1 tasks were lost, 2 bad arguments, 3 a server could not be"
          + " reached or started, 4 other failures."
    })
public final class Demo implements Callable<Integer> {

  private static final String[] OWNERS = {"acme", "globex", "initech", "umbrella", "hooli"};
  private static final int ADD_BATCH = 100;
  private static final Duration HEALTHY_TIME_TO_RECOVER = Duration.ofSeconds(30);

  // JUL loggers are held weakly: keep the one whose level is set.
  private static final java.util.logging.Logger JLINE =
      java.util.logging.Logger.getLogger("org.jline");

  /** Where the demo runs. */
  enum BackendKind {
    embedded,
    memory
  }

  @Option(
      names = "--backend",
      paramLabel = "KIND",
      defaultValue = "embedded",
      description =
          "embedded: start a Redis and a Cassandra node here (default); memory: the in-memory"
              + " testkit, instant. Ignored when --cassandra and --redis are given.")
  BackendKind backend;

  @Option(
      names = "--tasks",
      paramLabel = "N",
      defaultValue = "3000",
      description = "Tasks in all, spread over the owners (default ${DEFAULT-VALUE}).")
  int tasks;

  @Option(
      names = "--owners",
      paramLabel = "N",
      defaultValue = "3",
      description = "Owners (tenants), one queue each, 1 to 5 (default ${DEFAULT-VALUE}).")
  int owners;

  @Option(
      names = "--workers",
      paramLabel = "N",
      defaultValue = "4",
      description =
          "Worker threads, 2 to 64; the last one is killed mid-run (default ${DEFAULT-VALUE}).")
  int workers;

  @Option(
      names = "--batch",
      paramLabel = "N",
      defaultValue = "50",
      description = "Tasks per fetchBatch, 1 to 1000 (default ${DEFAULT-VALUE}).")
  int batch;

  @Option(
      names = "--time-to-recover",
      paramLabel = "DURATION",
      defaultValue = "2s",
      converter = Converters.Time.class,
      description =
          "The killed worker's time to recover: how long its leases stay locked (default"
              + " ${DEFAULT-VALUE}).")
  Duration timeToRecover;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      defaultValue = "60s",
      converter = Converters.Time.class,
      description =
          "How long to wait for every task to complete before counting the rest as lost"
              + " (default ${DEFAULT-VALUE}).")
  Duration timeout;

  @Option(names = "--no-progress", description = "Do not show the progress bar.")
  boolean noProgress;

  @Mixin ServerOptions servers;

  @Mixin KeyOptions keyOptions;

  @Spec CommandSpec spec;

  private final PrintStream out;
  private final PrintStream err;
  private final Environment env;
  private final EmbeddedServers.Launcher launcher;
  private final Predicate<Completion> dropCompletion;

  private Demo(
      PrintStream out,
      PrintStream err,
      Environment env,
      EmbeddedServers.Launcher launcher,
      Predicate<Completion> dropCompletion) {
    this.out = out;
    this.err = err;
    this.env = env;
    this.launcher = launcher;
    this.dropCompletion = dropCompletion;
  }

  /**
   * Runs the demo and exits with its exit code.
   *
   * @param args the command line; {@code --help} lists the options
   */
  public static void main(String[] args) {
    System.exit(
        run(args, System.out, System.err, Environment.system(), EmbeddedServers::startPrivate));
  }

  /** Runs the demo in this JVM; for tests, which pass the shared servers as the launcher. */
  static int run(
      String[] args,
      PrintStream out,
      PrintStream err,
      Environment env,
      EmbeddedServers.Launcher launcher) {
    return run(args, out, err, env, launcher, c -> false);
  }

  /**
   * As {@link #run(String[], PrintStream, PrintStream, Environment, EmbeddedServers.Launcher)},
   * dropping some completions (to test that losses are found).
   */
  static int run(
      String[] args,
      PrintStream out,
      PrintStream err,
      Environment env,
      EmbeddedServers.Launcher launcher,
      Predicate<Completion> dropCompletion) {
    JLINE.setLevel(Level.OFF);
    CommandLine cl = new CommandLine(new Demo(out, err, env, launcher, dropCompletion));
    cl.setDefaultValueProvider(env);
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    cl.setParameterExceptionHandler(WorkQueueCli::usageError);
    cl.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          err.println("workqueue-demo: " + ExitCode.message(e));
          return ExitCode.of(e);
        });
    return cl.execute(args);
  }

  @Override
  public Integer call() {
    validate();
    String service = "demo-" + randomSuffix();
    List<QueueRef> queues = new ArrayList<>();
    for (int i = 0; i < owners; i++) {
      queues.add(QueueRef.of(OWNERS[i], service));
    }
    boolean ownServers = servers.cassandra != null;
    out.printf(
        Locale.ROOT,
        "WorkQueue demo: %,d tasks for %d owners, %d workers, on %s%n",
        tasks,
        owners,
        workers,
        ownServers
            ? "your servers"
            : backend == BackendKind.memory ? "the in-memory testkit" : "embedded servers");
    Keys keys = keys(ownServers);
    try (Backend b = openBackend(ownServers)) {
      out.println("Keys: " + keys.description());
      return work(b, keys.provider(), queues);
    }
  }

  private void validate() {
    CommandLine cl = spec.commandLine();
    if ((servers.cassandra == null) != (servers.redis == null)) {
      throw new ParameterException(
          cl,
          "give both --cassandra and --redis (or "
              + Environment.CASSANDRA
              + " and "
              + Environment.REDIS
              + ") to use your servers, or neither");
    }
    if (servers.cassandra != null
        && spec.commandLine().getParseResult().hasMatchedOption("--backend")) {
      throw new ParameterException(
          cl, "--backend does not go with --cassandra and --redis, which use your servers");
    }
    check(owners >= 1 && owners <= OWNERS.length, "--owners must be 1 to " + OWNERS.length);
    check(tasks >= owners && tasks <= 1_000_000, "--tasks must be " + owners + " to 1,000,000");
    check(workers >= 2 && workers <= 64, "--workers must be 2 to 64");
    check(batch >= 1 && batch <= WorkQueue.MAX_BATCH, "--batch must be 1 to 1000");
    check(
        !timeToRecover.isNegative() && !timeToRecover.isZero(),
        "--time-to-recover must be positive");
    check(!timeout.isNegative() && !timeout.isZero(), "--timeout must be positive");
  }

  private void check(boolean ok, String message) {
    if (!ok) {
      throw new ParameterException(spec.commandLine(), message);
    }
  }

  // ------------------------------------------------------------------------------------- setup

  private record Keys(KeyProvider provider, String description) {}

  private Keys keys(boolean ownServers) {
    Optional<TinkKeyProvider> configured = keyOptions.keyProvider(env, true);
    if (configured.isPresent()) {
      return new Keys(
          configured.get(), "one Tink AES-256-GCM keyset per owner, " + keyOptions.describe());
    }
    TinkKeyProvider ephemeral =
        TinkKeyProvider.builder()
            .masterKey(MasterKey.generateEphemeral())
            .keysetStore(new InMemoryKeysetStore())
            .build();
    return new Keys(
        ephemeral,
        "one Tink AES-256-GCM keyset per owner, under an ephemeral master key, in memory"
            + (ownServers
                ? " (give --keyset-dir and --master-key-file to open these tasks with the CLI later)"
                : ""));
  }

  /** Where the tasks live, and how to read one raw. */
  private interface Backend extends AutoCloseable {
    WorkQueue queue(KeyProvider keys, CompletionListener listener);

    /** The stored (sealed) form of a task, as the backend holds it, with how it was read. */
    Optional<Raw> raw(QueueRef queue, long index);

    @Override
    void close();
  }

  private record Raw(String source, String query, byte[] value, Optional<byte[]> token) {}

  private Backend openBackend(boolean ownServers) {
    if (ownServers) {
      return servers(Optional.empty(), servers.cassandra, servers.datacenter, servers.redis);
    }
    if (backend == BackendKind.memory) {
      return memory();
    }
    EmbeddedServers embedded = launcher.start(out);
    try {
      return servers(
          Optional.of(embedded), embedded.cassandra(), embedded.datacenter(), embedded.redis());
    } catch (RuntimeException e) {
      embedded.close();
      throw e;
    }
  }

  private static Backend memory() {
    InMemoryTaskStore store = new InMemoryTaskStore();
    InMemoryBookkeeper bookkeeper = new InMemoryBookkeeper();
    return new Backend() {
      @Override
      public WorkQueue queue(KeyProvider keys, CompletionListener listener) {
        return WorkQueues.builder()
            .taskStore(store)
            .bookkeeper(bookkeeper)
            .keyProvider(keys)
            .completionListener(listener)
            .build();
      }

      @Override
      public Optional<Raw> raw(QueueRef queue, long index) {
        Optional<StoredTask> row = store.get(queue, index);
        return row.map(
            r ->
                new Raw(
                    "the in-memory task store",
                    "InMemoryTaskStore.get(" + queue + ", " + index + ")",
                    r.value(),
                    r.token()));
      }

      @Override
      public void close() {}
    };
  }

  private Backend servers(
      Optional<EmbeddedServers> embedded, HostPort cassandra, String datacenter, HostPort redis) {
    ServerConnection connection =
        ServerConnection.open(cassandra, datacenter, redis, servers.keyspace, servers.timeout);
    try {
      long t0 = System.nanoTime();
      connection.store().createSchema();
      out.printf(
          Locale.ROOT,
          "Schema: keyspace %s with tables tasks, outcomes and queues, ready in %.1f s%n",
          servers.keyspace,
          (System.nanoTime() - t0) / 1e9);
    } catch (RuntimeException e) {
      connection.close();
      throw e;
    }
    String keyspace = servers.keyspace;
    return new Backend() {
      @Override
      public WorkQueue queue(KeyProvider keys, CompletionListener listener) {
        return connection.queue(keys, Optional.of(listener));
      }

      @Override
      public Optional<Raw> raw(QueueRef queue, long index) {
        long bucket = Math.floorDiv(index, connection.store().bucketSize());
        String cql =
            String.format(
                Locale.ROOT,
                "SELECT value, task_token FROM %s.tasks WHERE owner = '%s' AND service = '%s'"
                    + " AND bucket = %d AND idx = %d",
                keyspace,
                queue.owner(),
                queue.service(),
                bucket,
                index);
        Row row = connection.session().execute(SimpleStatement.newInstance(cql)).one();
        if (row == null) {
          return Optional.empty();
        }
        return Optional.of(
            new Raw(
                "Cassandra",
                cql,
                bytes(row.getByteBuffer("value")),
                Optional.ofNullable(row.getByteBuffer("task_token")).map(Demo::bytes)));
      }

      @Override
      public void close() {
        connection.close();
        embedded.ifPresent(EmbeddedServers::close);
      }
    };
  }

  private static byte[] bytes(ByteBuffer buffer) {
    if (buffer == null) {
      return new byte[0];
    }
    byte[] b = new byte[buffer.remaining()];
    buffer.duplicate().get(b);
    return b;
  }

  // -------------------------------------------------------------------------------------- run

  private int work(Backend b, KeyProvider keys, List<QueueRef> queues) {
    Ledger ledger = new Ledger();
    CompletionListener listener =
        c -> {
          if (!dropCompletion.test(c)) {
            ledger.onCompletion(c);
          }
        };
    WorkQueue queue = b.queue(keys, listener);
    Ledger.Key watched = new Ledger.Key(queues.get(0), 1);

    int[] perQueue = new int[queues.size()];
    for (int i = 0; i < tasks; i++) {
      perQueue[i % queues.size()]++;
    }
    out.printf(
        Locale.ROOT,
        "Queues: %s (%s, added with addAll in batches of %d while the workers run)%n",
        queues.stream().map(QueueRef::toString).collect(Collectors.joining(", ")),
        queues.size() == 1 || perQueue[0] == perQueue[queues.size() - 1]
            ? String.format(Locale.ROOT, "%,d tasks each", perQueue[0])
            : String.format(
                Locale.ROOT, "%,d to %,d tasks each", perQueue[queues.size() - 1], perQueue[0]),
        ADD_BATCH);

    AtomicBoolean stop = new AtomicBoolean();
    DemoWorker.KillSwitch killSwitch =
        new DemoWorker.KillSwitch(Math.max(1, tasks / 4), ledger, Duration.ofSeconds(1));
    int killAt = killSwitch.killAt();
    List<DemoWorker> team = new ArrayList<>();
    for (int i = 1; i <= workers; i++) {
      boolean doomed = i == workers;
      DemoWorker.Kind kind = doomed || i % 2 == 1 ? DemoWorker.Kind.BATCH : DemoWorker.Kind.SINGLE;
      team.add(
          new DemoWorker(
              "worker-" + i,
              kind,
              queue,
              queues,
              batch,
              doomed ? timeToRecover : HEALTHY_TIME_TO_RECOVER,
              ledger,
              watched,
              stop::get,
              killSwitch,
              doomed));
    }
    DemoWorker doomed = team.get(team.size() - 1);
    out.printf(
        Locale.ROOT,
        "Workers: %s; %s will be killed after %,d completions, holding its leases (its time to"
            + " recover: %s; the others': %s)%n",
        team.stream()
            .map(
                w ->
                    w.name()
                        + (w.kind() == DemoWorker.Kind.BATCH
                            ? " (fetchBatch " + batch + "/ackAll)"
                            : " (fetch/ack)"))
            .collect(Collectors.joining(", ")),
        doomed.name(),
        killAt,
        seconds(timeToRecover),
        seconds(HEALTHY_TIME_TO_RECOVER));
    out.println();

    List<Thread> threads = new ArrayList<>();
    for (DemoWorker w : team) {
      threads.add(daemon(w.name(), w));
    }
    List<Thread> producers = new ArrayList<>();
    for (int q = 0; q < queues.size(); q++) {
      QueueRef ref = queues.get(q);
      int count = perQueue[q];
      producers.add(daemon("producer-" + ref.owner(), () -> produce(queue, ref, count, ledger)));
    }
    long start = System.nanoTime();
    threads.forEach(Thread::start);
    producers.forEach(Thread::start);

    long deadline = start + timeout.toNanos();
    boolean killShown = false;
    boolean recoveryShown = false;
    try (Progress progress = progress()) {
      while (System.nanoTime() < deadline) {
        boolean producing = producers.stream().anyMatch(Thread::isAlive);
        progress.stepTo(ledger.completedCount());
        if (doomed.killed() && !killShown) {
          killShown = true;
          progress.message(doomed.name() + " killed");
        }
        if (killShown
            && !recoveryShown
            && ledger.redeliveries().size() >= doomed.heldWhenKilled().size()) {
          recoveryShown = true;
          progress.message("");
        }
        if (!producing && ledger.allCompleted()) {
          break;
        }
        pause(50);
      }
      progress.stepTo(ledger.completedCount());
    }
    double wall = (System.nanoTime() - start) / 1e9;
    stop.set(true);
    for (Thread t : producers) {
      join(t);
    }
    for (Thread t : threads) {
      join(t);
    }
    out.println();

    reportKill(doomed, killAt, ledger);
    reportRawRead(b, watched, ledger);
    return summary(ledger, wall);
  }

  private void produce(WorkQueue queue, QueueRef ref, int count, Ledger ledger) {
    for (int first = 1; first <= count; first += ADD_BATCH) {
      List<NewTask> chunk = new ArrayList<>();
      for (int n = first; n < first + ADD_BATCH && n <= count; n++) {
        ObjectNode value = Converters.JSON.createObjectNode();
        value.put("invoice", n);
        value.put("customer", ref.owner() + "-customer-" + (n % 97));
        value.put("amountCents", 100 + (n * 7919L) % 100_000);
        ObjectNode token = Converters.JSON.createObjectNode();
        token.put("flow", ref.owner() + "-flow-" + n);
        chunk.add(NewTask.of(value).token(token));
      }
      long t0 = System.nanoTime();
      try {
        ledger.added(ref, queue.addAll(ref, chunk), t0);
      } catch (QueueException e) {
        // Not counted as added: such an add may or may not be delivered.
        ledger.error(e);
      }
    }
  }

  private void reportKill(DemoWorker doomed, int killAt, Ledger ledger) {
    if (!doomed.killed()) {
      out.printf("%s was not killed: the run ended before it was its turn.%n%n", doomed.name());
      return;
    }
    List<Task> held = doomed.heldWhenKilled();
    if (held.isEmpty()) {
      out.printf(
          Locale.ROOT,
          "%s was killed after %,d completions, but found nothing left to hold.%n%n",
          doomed.name(),
          killAt);
      return;
    }
    QueueRef q = held.get(0).queue();
    out.printf(
        Locale.ROOT,
        "%s was killed after %,d completions while it held %d unacknowledged leases:%n  %s %s%n",
        doomed.name(),
        killAt,
        held.size(),
        q,
        ranges(held.stream().map(Task::index).toList()));

    Map<Long, Ledger.Redelivery> recovered = new TreeMap<>();
    for (Ledger.Redelivery r : ledger.redeliveries()) {
      if (r.queue().equals(q) && held.stream().anyMatch(t -> t.index() == r.index())) {
        recovered.merge(r.index(), r, (a, c) -> a.deliveries() >= c.deliveries() ? a : c);
      }
    }
    Map<Integer, List<Long>> byDeliveries = new TreeMap<>();
    Map<String, Integer> byWorker = new TreeMap<>();
    for (Ledger.Redelivery r : recovered.values()) {
      byDeliveries.computeIfAbsent(r.deliveries(), d -> new ArrayList<>()).add(r.index());
      byWorker.merge(r.worker(), 1, Integer::sum);
    }
    long firstRecovery =
        recovered.values().stream().mapToLong(Ledger.Redelivery::nanos).min().orElse(0);
    out.printf(
        Locale.ROOT,
        "After its time to recover (%s; the first %.1f s after the kill) the other workers"
            + " recovered %d of them (%s):%n",
        seconds(timeToRecover),
        (firstRecovery - doomed.killedAtNanos()) / 1e9,
        recovered.size(),
        byWorker.entrySet().stream()
            .map(e -> e.getKey() + ": " + e.getValue())
            .collect(Collectors.joining(", ")));
    for (Map.Entry<Integer, List<Long>> e : byDeliveries.entrySet()) {
      out.printf("  %s %s delivered %d times%n", q, ranges(e.getValue()), e.getKey());
    }
    if (recovered.size() < held.size()) {
      List<Long> missing =
          held.stream().map(Task::index).filter(i -> !recovered.containsKey(i)).toList();
      out.printf("  not redelivered: %s %s%n", q, ranges(missing));
    }
    out.println();
  }

  private void reportRawRead(Backend b, Ledger.Key watched, Ledger ledger) {
    Optional<Raw> raw;
    try {
      raw = b.raw(watched.queue(), watched.index());
    } catch (RuntimeException e) {
      out.printf("(could not read task #%d raw: %s)%n%n", watched.index(), ExitCode.message(e));
      return;
    }
    if (raw.isEmpty()) {
      out.printf("(task %s #%d is no longer stored)%n%n", watched.queue(), watched.index());
      return;
    }
    Raw r = raw.get();
    out.printf(
        "What %s holds for %s #%d, read raw:%n  %s%n",
        r.source(), watched.queue(), watched.index(), r.query());
    out.printf("  value       %s%n", Hex.abbreviated(r.value(), 12, 6));
    out.printf(
        "  task_token  %s%n", r.token().map(t -> Hex.abbreviated(t, 12, 6)).orElse("(none)"));
    Optional<Ledger.Seen> seen = ledger.seen(watched);
    if (seen.isPresent()) {
      out.printf(
          "What %s saw of the same task, opened with %s's key:%n",
          seen.get().worker(), watched.queue().owner());
      out.printf("  value       %s%n", seen.get().value());
      out.printf("  token       %s%n", seen.get().token().map(Object::toString).orElse("(none)"));
    }
    out.println();
  }

  private int summary(Ledger ledger, double wall) {
    List<Ledger.Key> lost = ledger.lost();
    Histogram latency = ledger.latencies();
    int redeliveries = ledger.redeliveries().size();
    double work = ledger.elapsedSecondsWithoutRedeliveries();
    int deliveredOnce =
        ledger.completedCount() - (int) Math.min(redeliveries, ledger.completedCount());
    TextTable table = new TextTable("summary", "");
    table.row("tasks added", String.format(Locale.ROOT, "%,d", ledger.addedCount()));
    table.row("tasks completed", String.format(Locale.ROOT, "%,d", ledger.completedCount()));
    table.row("lost", String.format(Locale.ROOT, "%,d", lost.size()));
    table.row("redeliveries", String.format(Locale.ROOT, "%,d", redeliveries));
    table.row(
        "throughput",
        work > 0 ? String.format(Locale.ROOT, "%,.0f tasks/s", deliveredOnce / work) : "-");
    table.row("add-to-ack latency p50", millis(latency.getValueAtPercentile(50)));
    table.row("add-to-ack latency p99", millis(latency.getValueAtPercentile(99)));
    table.row("add-to-ack latency max", millis(latency.getMaxValue()));
    table.row("wall time", String.format(Locale.ROOT, "%.1f s", wall));
    if (ledger.errors() > 0) {
      table.row("errors (retried)", String.format(Locale.ROOT, "%,d", ledger.errors()));
    }
    out.print(table.render());
    out.printf(
        Locale.ROOT,
        "throughput: tasks delivered once / %.2f s from the first add to the last of their acks;"
            + " latency: from the add call to the completion listener%n",
        work);
    if (ledger.duplicateCompletions() > 0
        || ledger.refusedAcks() > 0
        || ledger.failedOutcomes() > 0
        || ledger.unexpectedCompletions() > 0) {
      out.printf(
          Locale.ROOT,
          "(completions heard twice: %,d; acks refused because the lease had moved on: %,d;"
              + " failure outcomes: %,d; completions of tasks not added by this run: %,d)%n",
          ledger.duplicateCompletions(),
          ledger.refusedAcks(),
          ledger.failedOutcomes(),
          ledger.unexpectedCompletions());
    }
    ledger.firstError().ifPresent(e -> out.println("first error: " + e));
    if (!lost.isEmpty()) {
      out.printf(
          Locale.ROOT,
          "LOST: %,d tasks were added but never completed: %s%s%n",
          lost.size(),
          lost.stream()
              .limit(20)
              .map(k -> k.queue() + " #" + k.index())
              .collect(Collectors.joining(", ")),
          lost.size() > 20 ? ", ..." : "");
      return ExitCode.NOT_FOUND;
    }
    out.println("lost = 0: every task added was completed.");
    return ExitCode.OK;
  }

  // ---------------------------------------------------------------------------------- helpers

  /** A progress bar on the error stream, or nothing with --no-progress. */
  private interface Progress extends AutoCloseable {
    void stepTo(long n);

    void message(String m);

    @Override
    void close();
  }

  private Progress progress() {
    if (noProgress) {
      return new Progress() {
        @Override
        public void stepTo(long n) {}

        @Override
        public void message(String m) {}

        @Override
        public void close() {}
      };
    }
    ProgressBar bar =
        new ProgressBarBuilder()
            .setTaskName("Working")
            .setInitialMax(tasks)
            .setStyle(ProgressBarStyle.ASCII)
            .setUpdateIntervalMillis(100)
            .showSpeed()
            .hideEta()
            .setConsumer(new ConsoleProgressBarConsumer(err))
            .build();
    return new Progress() {
      @Override
      public void stepTo(long n) {
        bar.stepTo(n);
      }

      @Override
      public void message(String m) {
        bar.setExtraMessage(m.isEmpty() ? "" : " " + m);
      }

      @Override
      public void close() {
        bar.close();
      }
    };
  }

  /** Consecutive indices as ranges: {@code #3-#7, #9}. */
  static String ranges(List<Long> indices) {
    List<Long> sorted = indices.stream().sorted().distinct().toList();
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < sorted.size(); ) {
      int j = i;
      while (j + 1 < sorted.size() && sorted.get(j + 1) == sorted.get(j) + 1) {
        j++;
      }
      parts.add(i == j ? "#" + sorted.get(i) : "#" + sorted.get(i) + "-#" + sorted.get(j));
      i = j + 1;
    }
    return String.join(", ", parts);
  }

  private static String millis(long micros) {
    double ms = micros / 1000.0;
    return ms >= 100
        ? String.format(Locale.ROOT, "%,.0f ms", ms)
        : String.format(Locale.ROOT, "%.1f ms", ms);
  }

  private static String seconds(Duration d) {
    return d.toMillis() % 1000 == 0
        ? d.toSeconds() + " s"
        : String.format(Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
  }

  private static String randomSuffix() {
    String alphabet = "abcdefghijkmnpqrstuvwxyz23456789";
    SecureRandom random = new SecureRandom();
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 6; i++) {
      sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return sb.toString();
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static Thread daemon(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true); // a thread stuck in a backend call must not keep the JVM alive
    return t;
  }

  private static void join(Thread t) {
    try {
      t.join(Duration.ofSeconds(15).toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
