package io.workqueue.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.workqueue.InvalidArgumentException;
import io.workqueue.Lease;
import io.workqueue.NewTask;
import io.workqueue.Outcome;
import io.workqueue.QueueInfo;
import io.workqueue.QueueRef;
import io.workqueue.Task;
import io.workqueue.WorkQueue;
import io.workqueue.crypto.MasterKey;
import io.workqueue.crypto.TinkKeyProvider;
import io.workqueue.spi.StoredTask;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** The commands of {@link WorkQueueCli}, one nested class each. */
final class CliCommands {
  private CliCommands() {}

  private static final String QUEUE_HELP = "The queue, as OWNER/SERVICE (e.g. acme/billing).";

  // ------------------------------------------------------------------------------------ info

  @Command(
      name = "info",
      description =
          "Shows each queue's counters: the highest index added, the highest fetched, tasks"
              + " waiting and leases in flight.")
  static final class Info implements Callable<Integer> {
    @ParentCommand WorkQueueCli cli;

    @Parameters(
        paramLabel = "QUEUE",
        arity = "1..*",
        converter = Converters.Queue.class,
        description = "One or more queues, as OWNER/SERVICE.")
    List<QueueRef> queues;

    @Override
    public Integer call() {
      return cli.withSession(
          false,
          false,
          s -> {
            TextTable table = infoTable(false);
            ArrayNode json = Converters.JSON.createArrayNode();
            for (QueueRef q : queues) {
              QueueInfo info = s.queue().info(q);
              addInfo(table, json, info, Optional.empty());
            }
            cli.print(table, json);
            return ExitCode.OK;
          });
    }
  }

  private static TextTable infoTable(boolean withRate) {
    return withRate
        ? new TextTable("queue", "index", "fetched", "waiting", "in flight", "expired", "fetched/s")
        : new TextTable("queue", "index", "fetched", "waiting", "in flight", "expired");
  }

  private static void addInfo(
      TextTable table, ArrayNode json, QueueInfo info, Optional<Double> fetchedPerSecond) {
    Instant now = Instant.now();
    long expired = info.leases().stream().filter(l -> l.expiredAt(now)).count();
    if (fetchedPerSecond.isPresent()) {
      table.row(
          info.queue(),
          info.index(),
          info.fetched(),
          info.waiting(),
          info.inFlight(),
          expired,
          String.format(Locale.ROOT, "%.1f", fetchedPerSecond.get()));
    } else {
      table.row(
          info.queue(), info.index(), info.fetched(), info.waiting(), info.inFlight(), expired);
    }
    ObjectNode o = json.addObject();
    o.put("queue", info.queue().toString());
    o.put("owner", info.queue().owner());
    o.put("service", info.queue().service());
    o.put("index", info.index());
    o.put("fetched", info.fetched());
    o.put("waiting", info.waiting());
    o.put("inFlight", info.inFlight());
    o.put("expiredLeases", expired);
    fetchedPerSecond.ifPresent(r -> o.put("fetchedPerSecond", r));
  }

  // ------------------------------------------------------------------------------------- add

  @Command(
      name = "add",
      description =
          "Adds a task: seals its value (and token) with the owner's key; prints its index.")
  static final class Add implements Callable<Integer> {
    @ParentCommand WorkQueueCli cli;

    @Parameters(
        index = "0",
        paramLabel = "QUEUE",
        converter = Converters.Queue.class,
        description = QUEUE_HELP)
    QueueRef queue;

    @Parameters(
        index = "1",
        paramLabel = "VALUE",
        converter = Converters.Json.class,
        description = "The task's value as JSON, e.g. '{\"invoice\":42}' or '\"text\"'.")
    JsonNode value;

    @Option(
        names = "--token",
        paramLabel = "JSON",
        converter = Converters.Json.class,
        description = "A token, returned with the outcome to the completion listener.")
    JsonNode token;

    @Option(
        names = "--create-schema",
        description = "Create the keyspace and tables first if they do not exist.")
    boolean createSchema;

    @Override
    public Integer call() {
      return cli.withSession(
          true,
          true,
          s -> {
            if (createSchema) {
              s.connection().store().createSchema();
            }
            NewTask task = NewTask.of(value);
            if (token != null) {
              task = task.token(token);
            }
            long index = s.queue().add(queue, task);
            ObjectNode json = Converters.JSON.createObjectNode();
            json.put("queue", queue.toString());
            json.put("index", index);
            cli.print(new TextTable("queue", "index").row(queue, index), json);
            return ExitCode.OK;
          });
    }
  }

  // ----------------------------------------------------------------------------------- fetch

  @Command(
      name = "fetch",
      description =
          "Leases the next task to a worker and prints it opened (the worker's own unacknowledged"
              + " task again, if it holds one). Exit code 1 when there is none.")
  static final class Fetch implements Callable<Integer> {
    @ParentCommand WorkQueueCli cli;

    @Parameters(paramLabel = "QUEUE", converter = Converters.Queue.class, description = QUEUE_HELP)
    QueueRef queue;

    @Option(
        names = "--worker",
        required = true,
        paramLabel = "ID",
        description = "The worker's id.")
    String worker;

    @Option(
        names = {"--time-to-recover", "--ttr"},
        paramLabel = "DURATION",
        defaultValue = "60s",
        converter = Converters.Time.class,
        description =
            "How long the worker has to ack before the task goes to another (default ${DEFAULT-VALUE}).")
    Duration timeToRecover;

    @Option(
        names = "--max",
        paramLabel = "N",
        defaultValue = "1",
        description =
            "Lease up to N tasks with fetchBatch (ack them by --index) (default ${DEFAULT-VALUE}).")
    int max;

    @Override
    public Integer call() {
      if (max < 1 || max > WorkQueue.MAX_BATCH) {
        throw new InvalidArgumentException("--max", "must be 1 to " + WorkQueue.MAX_BATCH);
      }
      return cli.withSession(
          true,
          false,
          s -> {
            s.keysFor(queue);
            List<Task> tasks =
                max == 1
                    ? s.queue().fetch(queue, worker, timeToRecover).map(List::of).orElse(List.of())
                    : s.queue().fetchBatch(queue, worker, max, timeToRecover);
            ArrayNode json = Converters.JSON.createArrayNode();
            TextTable table = new TextTable("index", "deliveries", "deadline", "value", "token");
            for (Task t : tasks) {
              table.row(
                  t.index(),
                  t.deliveries(),
                  t.deadline().truncatedTo(ChronoUnit.MILLIS),
                  t.value(),
                  t.token().map(Object::toString).orElse(""));
              ObjectNode o = json.addObject();
              o.put("queue", queue.toString());
              o.put("index", t.index());
              o.put("deliveries", t.deliveries());
              o.put("enqueuedAt", t.enqueuedAt().toString());
              o.put("deadline", t.deadline().toString());
              o.set("value", t.value());
              t.token().ifPresent(tok -> o.set("token", tok));
            }
            cli.print(tasks.isEmpty() ? "no task to fetch in " + queue : table.render(), json);
            return tasks.isEmpty() ? ExitCode.NOT_FOUND : ExitCode.OK;
          });
    }
  }

  // ------------------------------------------------------------------------------------- ack

  @Command(
      name = "ack",
      description =
          "Acknowledges a worker's task with an outcome (default: success without result). Exit"
              + " code 1 when the worker holds no such lease.")
  static final class Ack implements Callable<Integer> {
    @ParentCommand WorkQueueCli cli;

    @Parameters(paramLabel = "QUEUE", converter = Converters.Queue.class, description = QUEUE_HELP)
    QueueRef queue;

    @Option(
        names = "--worker",
        required = true,
        paramLabel = "ID",
        description = "The worker's id.")
    String worker;

    @Option(
        names = "--index",
        paramLabel = "N",
        description = "The leased task's index (needed for tasks leased with fetch --max).")
    Long index;

    @ArgGroup(exclusive = true)
    Result result;

    /** A success result or a failure error, not both. */
    static final class Result {
      @Option(
          names = "--result",
          paramLabel = "JSON",
          converter = Converters.Json.class,
          description = "Success with this result.")
      JsonNode success;

      @Option(
          names = "--error",
          paramLabel = "JSON",
          converter = Converters.Json.class,
          description = "Failure with this error.")
      JsonNode failure;
    }

    @Override
    public Integer call() {
      Outcome outcome =
          result == null
              ? Outcome.success()
              : result.success != null
                  ? Outcome.success(result.success)
                  : Outcome.failure(result.failure);
      return cli.withSession(
          true,
          false,
          s -> {
            s.keysFor(queue);
            boolean acked =
                index == null
                    ? s.queue().ack(queue, worker, outcome)
                    : s.queue().ack(queue, worker, index, outcome);
            ObjectNode json = Converters.JSON.createObjectNode();
            json.put("queue", queue.toString());
            json.put("worker", worker);
            if (index != null) {
              json.put("index", index);
            }
            json.put("acknowledged", acked);
            String what = index == null ? "its task" : "task #" + index;
            cli.print(
                acked
                    ? "acknowledged " + what + " of " + worker + " in " + queue
                    : worker
                        + " holds no lease on "
                        + what
                        + " in "
                        + queue
                        + " (never fetched, already acknowledged, or taken over)",
                json);
            return acked ? ExitCode.OK : ExitCode.NOT_FOUND;
          });
    }
  }

  // ------------------------------------------------------------------------------------ peek

  @Command(
      name = "peek",
      description =
          "Reads a task by index and opens it with the owner's key, without leasing it. Exit code"
              + " 1 when there is no such task.")
  static final class Peek implements Callable<Integer> {
    @ParentCommand WorkQueueCli cli;

    @Parameters(
        index = "0",
        paramLabel = "QUEUE",
        converter = Converters.Queue.class,
        description = QUEUE_HELP)
    QueueRef queue;

    @Parameters(index = "1", paramLabel = "INDEX", description = "The task's index (1 or more).")
    long index;

    @Override
    public Integer call() {
      if (index < 1) {
        throw new InvalidArgumentException("INDEX", "must be 1 or more, was " + index);
      }
      return cli.withSession(
          true,
          false,
          s -> {
            TinkKeyProvider keys = s.keysFor(queue);
            Optional<StoredTask> row = s.connection().store().get(queue, index);
            if (row.isEmpty()) {
              ObjectNode none = Converters.JSON.createObjectNode();
              none.put("queue", queue.toString());
              none.put("index", index);
              none.put("found", false);
              cli.print(
                  "no task #" + index + " in " + queue + " (never added, or past its retention)",
                  none);
              return ExitCode.NOT_FOUND;
            }
            JsonNode value = open(keys, row.get().value(), "VALUE");
            Optional<JsonNode> token = row.get().token().map(t -> open(keys, t, "TOKEN"));
            QueueInfo info = s.queue().info(queue);
            Optional<Lease> lease =
                info.leases().stream().filter(l -> l.index() == index).findFirst();
            String state =
                lease.isPresent() ? "leased" : index > info.fetched() ? "waiting" : "acknowledged";
            ObjectNode json = Converters.JSON.createObjectNode();
            json.put("queue", queue.toString());
            json.put("index", index);
            json.put("found", true);
            json.put("state", state);
            json.put("enqueuedAt", row.get().enqueuedAt().toString());
            json.set("value", value);
            token.ifPresent(t -> json.set("token", t));
            lease.ifPresent(
                l -> {
                  ObjectNode o = json.putObject("lease");
                  o.put("worker", l.worker());
                  o.put("deadline", l.deadline().toString());
                  o.put("deliveries", l.deliveries());
                });
            TextTable table = new TextTable("field", "");
            table.row("queue", queue);
            table.row("index", index);
            table.row(
                "state",
                lease
                    .map(
                        l ->
                            "leased to "
                                + l.worker()
                                + " until "
                                + l.deadline().truncatedTo(ChronoUnit.MILLIS)
                                + " (delivery "
                                + l.deliveries()
                                + ")")
                    .orElse(
                        state.equals("waiting")
                            ? "waiting"
                            : "handed out, no lease held (acknowledged)"));
            table.row("enqueued at", row.get().enqueuedAt().truncatedTo(ChronoUnit.MILLIS));
            table.row("value", value);
            table.row("token", token.map(Object::toString).orElse("(none)"));
            cli.print(table, json);
            return ExitCode.OK;
          });
    }

    private JsonNode open(TinkKeyProvider keys, byte[] sealed, String field) {
      byte[] plain = keys.open(queue.owner(), sealed, associatedData(queue, index, field));
      try {
        return Converters.JSON.readTree(plain);
      } catch (IOException e) {
        throw new IllegalStateException("task #" + index + " of " + queue + " holds no JSON", e);
      }
    }
  }

  /**
   * The associated data the queue seals a task's fields with. The WorkQueue API has no read by
   * index yet, so peek opens the stored row itself and must repeat the core's layout ({@code
   * io.workqueue.internal.DefaultWorkQueue.associatedData}); a test of peek fails if they drift.
   */
  static byte[] associatedData(QueueRef queue, long index, String field) {
    return ("wq1|" + queue.owner() + "|" + queue.service() + "|" + index + "|" + field + "|")
        .getBytes(StandardCharsets.UTF_8);
  }

  // ---------------------------------------------------------------------------------- leases

  @Command(name = "leases", description = "Lists a queue's unacknowledged deliveries.")
  static final class Leases implements Callable<Integer> {
    @ParentCommand WorkQueueCli cli;

    @Parameters(paramLabel = "QUEUE", converter = Converters.Queue.class, description = QUEUE_HELP)
    QueueRef queue;

    @Override
    public Integer call() {
      return cli.withSession(
          false,
          false,
          s -> {
            QueueInfo info = s.queue().info(queue);
            Instant now = Instant.now();
            TextTable table = new TextTable("worker", "index", "deadline", "deliveries", "state");
            ArrayNode json = Converters.JSON.createArrayNode();
            for (Lease l : info.leases()) {
              boolean expired = l.expiredAt(now);
              table.row(
                  l.worker(),
                  l.index(),
                  l.deadline().truncatedTo(ChronoUnit.MILLIS),
                  l.deliveries(),
                  expired ? "expired (goes to the next fetch)" : "live");
              ObjectNode o = json.addObject();
              o.put("worker", l.worker());
              o.put("index", l.index());
              o.put("deadline", l.deadline().toString());
              o.put("deliveries", l.deliveries());
              o.put("expired", expired);
            }
            cli.print(info.leases().isEmpty() ? "no leases in " + queue : table.render(), json);
            return ExitCode.OK;
          });
    }
  }

  // ---------------------------------------------------------------------------------- rewind

  @Command(
      name = "rewind",
      description =
          "Moves the fetch pointer: the next fresh fetch returns INDEX + 1 (replays tasks still"
              + " within retention; leases are kept).")
  static final class Rewind implements Callable<Integer> {
    @ParentCommand WorkQueueCli cli;

    @Parameters(
        index = "0",
        paramLabel = "QUEUE",
        converter = Converters.Queue.class,
        description = QUEUE_HELP)
    QueueRef queue;

    @Parameters(index = "1", paramLabel = "INDEX", description = "0 to the queue's highest index.")
    long index;

    @Override
    public Integer call() {
      return cli.withSession(
          false,
          false,
          s -> {
            s.queue().rewind(queue, index);
            ObjectNode json = Converters.JSON.createObjectNode();
            json.put("queue", queue.toString());
            json.put("index", index);
            json.put("nextFetch", index + 1);
            cli.print(
                "rewound " + queue + ": the next fresh fetch returns index " + (index + 1), json);
            return ExitCode.OK;
          });
    }
  }

  // ----------------------------------------------------------------------------------- watch

  @Command(
      name = "watch",
      description =
          "Refreshes the counters of the given queues until Ctrl-C (or --iterations): waiting,"
              + " in flight, expired leases and the fetch rate.")
  static final class Watch implements Callable<Integer> {
    private static final String CLEAR_SCREEN = "\033[H\033[2J";

    @ParentCommand WorkQueueCli cli;

    @Parameters(
        paramLabel = "QUEUE",
        arity = "1..*",
        converter = Converters.Queue.class,
        description = "One or more queues, as OWNER/SERVICE.")
    List<QueueRef> queues;

    @Option(
        names = "--interval",
        paramLabel = "DURATION",
        defaultValue = "1s",
        converter = Converters.Time.class,
        description = "Time between refreshes (default ${DEFAULT-VALUE}).")
    Duration interval;

    @Option(
        names = "--iterations",
        paramLabel = "N",
        defaultValue = "0",
        description = "Stop after N refreshes; 0 runs until Ctrl-C (default ${DEFAULT-VALUE}).")
    int iterations;

    @Override
    public Integer call() {
      if (interval.toMillis() < 10) {
        throw new InvalidArgumentException("--interval", "must be 10ms or more");
      }
      if (iterations < 0) {
        throw new InvalidArgumentException("--iterations", "must be 0 or more");
      }
      boolean clear = !cli.json && cli.out == System.out && System.console() != null;
      return cli.withSession(
          false,
          false,
          s -> {
            Map<QueueRef, Long> lastFetched = new HashMap<>();
            long lastNanos = 0;
            for (int i = 1; iterations == 0 || i <= iterations; i++) {
              long nanos = System.nanoTime();
              TextTable table = infoTable(true);
              ArrayNode rows = Converters.JSON.createArrayNode();
              for (QueueRef q : queues) {
                QueueInfo info = s.queue().info(q);
                Long before = lastFetched.put(q, info.fetched());
                double rate =
                    before == null || lastNanos == 0
                        ? 0
                        : Math.max(0, info.fetched() - before) / ((nanos - lastNanos) / 1e9);
                addInfo(table, rows, info, Optional.of(rate));
              }
              lastNanos = nanos;
              ObjectNode json = Converters.JSON.createObjectNode();
              Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
              json.put("time", now.toString());
              json.set("queues", rows);
              String header =
                  (clear ? CLEAR_SCREEN : "")
                      + "workqueue watch  "
                      + now
                      + "  every "
                      + interval.toMillis()
                      + " ms"
                      + (iterations == 0 ? ", Ctrl-C to stop" : ", " + i + "/" + iterations)
                      + "\n";
              cli.print(header + table.render(), json);
              if (iterations != 0 && i == iterations) {
                break;
              }
              try {
                Thread.sleep(interval.toMillis());
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
              }
            }
            return ExitCode.OK;
          });
    }
  }

  // -------------------------------------------------------------------------- new-master-key

  @Command(
      name = "new-master-key",
      description =
          "Writes a new random master key (a cleartext Tink AES-256-GCM keyset, JSON) to FILE, for"
              + " --master-key-file. For development only: the key is in the clear.")
  static final class NewMasterKey implements Callable<Integer> {
    @ParentCommand WorkQueueCli cli;

    @Parameters(paramLabel = "FILE", description = "The file to create; must not exist.")
    Path file;

    @Override
    public Integer call() {
      MasterKey.writeNewCleartextKeysetFile(file);
      ObjectNode json = Converters.JSON.createObjectNode();
      json.put("file", file.toString());
      cli.print(
          "wrote a new master key to "
              + file
              + " (in the clear: for development only)\n"
              + "use it with --master-key-file "
              + file
              + ", or: export "
              + Environment.MASTER_KEY
              + "=$(base64 -w0 "
              + file
              + ")",
          json);
      return ExitCode.OK;
    }
  }
}
