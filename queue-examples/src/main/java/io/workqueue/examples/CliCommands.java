package io.workqueue.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.workqueue.InvalidArgumentException;
import io.workqueue.Lease;
import io.workqueue.NewTask;
import io.workqueue.Outcome;
import io.workqueue.Priority;
import io.workqueue.QueueInfo;
import io.workqueue.QueueRef;
import io.workqueue.Task;
import io.workqueue.WorkQueue;
import io.workqueue.crypto.MasterKey;
import io.workqueue.crypto.TinkKeyProvider;
import io.workqueue.examples.WorkQueueCli.KeyUse;
import io.workqueue.spi.StoredTask;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * The task commands of {@link WorkQueueCli}, one nested class each, and what every command shares;
 * the queue administration commands are in {@link CliAdminCommands}.
 */
final class CliCommands {
  private CliCommands() {}

  static final String QUEUE_HELP = "The queue, as OWNER/SERVICE (e.g. acme/billing).";

  /** Why a queue does not exist, in the words of the commands' messages and help. */
  static final String NO_QUEUE = "never added to, or purged";

  // ---------------------------------------------------------------- shared by the commands

  /** A command: runs in the CLI that parsed it. */
  abstract static class CliCommand implements Callable<Integer> {
    @ParentCommand WorkQueueCli cli;

    @Spec CommandSpec spec;

    /** A usage error of this command (exit code 2): its message, then where to find help. */
    ParameterException usage(String message) {
      return new ParameterException(spec.commandLine(), message);
    }

    /**
     * Refuses to destroy anything without {@code --yes}, before connecting (exit code 2).
     *
     * @param what what the command would destroy: "this drops queue acme/billing"
     * @param hint appended to the message, or empty
     */
    void requireYes(boolean yes, String what, String hint) {
      if (!yes) {
        throw usage(what + " for good: add --yes to confirm (nothing was changed" + hint + ")");
      }
    }
  }

  /** A command on one queue, given first. */
  abstract static class QueueCommand extends CliCommand {
    @Parameters(
        index = "0",
        paramLabel = "QUEUE",
        converter = Converters.Queue.class,
        description = QUEUE_HELP)
    QueueRef queue;

    /** A JSON object naming the queue: the start of most results. */
    ObjectNode result() {
      ObjectNode json = Converters.JSON.createObjectNode();
      json.put("queue", queue.toString());
      return json;
    }
  }

  /**
   * An outcome as JSON: {@code {"success": true, "result": ...}} or {@code {"success": false,
   * "error": ...}}.
   */
  static ObjectNode outcomeJson(Outcome outcome) {
    ObjectNode json = Converters.JSON.createObjectNode();
    if (outcome instanceof Outcome.Success success) {
      json.put("success", true);
      success.result().ifPresent(r -> json.set("result", r));
    } else if (outcome instanceof Outcome.Failure failure) {
      json.put("success", false);
      json.set("error", failure.error());
    }
    return json;
  }

  /** A command on one or more queues. */
  abstract static class QueuesCommand extends CliCommand {
    @Parameters(
        paramLabel = "QUEUE",
        arity = "1..*",
        converter = Converters.Queue.class,
        description = "One or more queues, as OWNER/SERVICE.")
    List<QueueRef> queues;
  }

  /** A command on one queue for one worker: fetch and ack. */
  abstract static class WorkerCommand extends QueueCommand {
    @Option(
        names = "--worker",
        required = true,
        paramLabel = "ID",
        description = "The worker's id.")
    String worker;
  }

  /**
   * Runs a library call on a flag's value; where the library refuses it, names the flag instead of
   * the library's argument, so that the message says what to change on the command line.
   */
  static <T> T flag(String flag, Supplier<T> call) {
    try {
      return call.get();
    } catch (InvalidArgumentException e) {
      String prefix = e.argument() + ": ";
      String reason =
          e.getMessage().startsWith(prefix)
              ? e.getMessage().substring(prefix.length())
              : e.getMessage();
      throw new InvalidArgumentException(flag, reason, e);
    }
  }

  /**
   * Checks an id argument (a schedule's) before connecting: letters, digits, '.', '_' and '-', the
   * rules of a queue's own ids, which {@link QueueRef} checks.
   */
  static String requireId(String argument, String id) {
    return flag(argument, () -> QueueRef.of("any", id).service());
  }

  /** Checks a task index argument before connecting. */
  static void requireIndex(long index) {
    if (index < 1) {
      throw new InvalidArgumentException("INDEX", "must be 1 or more, was " + index);
    }
  }

  static String millis(Instant time) {
    return time.truncatedTo(ChronoUnit.MILLIS).toString();
  }

  /**
   * The options of a task that {@code add} and {@code schedule} share: token, lane, group and
   * delivery limit.
   */
  static final class TaskOptions {
    @Option(
        names = "--token",
        paramLabel = "JSON",
        converter = Converters.Json.class,
        description = "A token, returned with the outcome to the completion listener.")
    JsonNode token;

    @Option(
        names = "--priority",
        paramLabel = "LANE",
        description =
            "The lane: URGENT, HIGH, NORMAL, LOW or BULK, served in that order (default NORMAL).")
    Priority priority;

    @Option(
        names = "--group",
        paramLabel = "ID",
        description =
            "A concurrency group: at most the queue's group limit (see configure) of its tasks"
                + " are leased at once.")
    String group;

    @Option(
        names = "--max-deliveries",
        paramLabel = "N",
        description =
            "The task's own delivery limit (1 to 1000000), instead of the queue's; after it, the"
                + " task goes to the dead letters.")
    Integer maxDeliveries;

    /** The task with these options; checked before anything is written. */
    NewTask apply(NewTask task) {
      NewTask t = task;
      if (token != null) {
        t = t.token(token);
      }
      if (priority != null) {
        t = t.priority(priority);
      }
      if (group != null) {
        NewTask grouped = t;
        t = flag("--group", () -> grouped.group(group));
      }
      if (maxDeliveries != null) {
        NewTask limited = t;
        t = flag("--max-deliveries", () -> limited.maxDeliveries(maxDeliveries));
      }
      return t;
    }

    /** A task's options, for JSON results. */
    static void describe(NewTask task, ObjectNode json) {
      json.put("priority", task.priority().name());
      task.group().ifPresent(g -> json.put("group", g));
      if (task.maxDeliveries() > 0) {
        json.put("maxDeliveries", task.maxDeliveries());
      }
    }
  }

  // ---------------------------------------------------------------------------- counters

  /** Queue counters as a table and as a JSON array, for info, queues and watch. */
  static final class CounterTable {
    private final boolean withRate;
    private final TextTable table;
    private final ArrayNode json = Converters.JSON.createArrayNode();

    CounterTable(boolean withRate) {
      this.withRate = withRate;
      List<String> header =
          new ArrayList<>(
              List.of(
                  "queue",
                  "index",
                  "fetched",
                  "waiting",
                  "in flight",
                  "expired leases",
                  "delayed",
                  "parked",
                  "dead letters",
                  "expired tasks",
                  "paused",
                  "lanes"));
      if (withRate) {
        header.add("fetched/s");
      }
      this.table = new TextTable(header.toArray(String[]::new));
    }

    /** Adds a queue's row; {@code fetchedPerSecond} only where the table has the rate. */
    void add(QueueInfo info, double fetchedPerSecond) {
      Instant now = Instant.now();
      long expiredLeases = info.leases().stream().filter(l -> l.expiredAt(now)).count();
      String lanes =
          info.lanes().entrySet().stream()
              .sorted(Map.Entry.comparingByKey()) // declaration order: the order lanes are served
              .map(e -> e.getKey() + " " + e.getValue().waiting())
              .collect(Collectors.joining(", "));
      List<Object> cells =
          new ArrayList<>(
              List.of(
                  info.queue(),
                  info.index(),
                  info.fetched(),
                  info.waiting(),
                  info.inFlight(),
                  expiredLeases,
                  info.delayed(),
                  info.parked(),
                  info.deadLetters(),
                  info.expired(),
                  info.paused() ? "yes" : "no",
                  lanes));
      if (withRate) {
        cells.add(String.format(Locale.ROOT, "%.1f", fetchedPerSecond));
      }
      table.row(cells.toArray());

      ObjectNode o = json.addObject();
      o.put("queue", info.queue().toString());
      o.put("owner", info.queue().owner());
      o.put("service", info.queue().service());
      o.put("index", info.index());
      o.put("fetched", info.fetched());
      o.put("waiting", info.waiting());
      o.put("inFlight", info.inFlight());
      o.put("expiredLeases", expiredLeases);
      o.put("delayed", info.delayed());
      o.put("parked", info.parked());
      o.put("deadLetters", info.deadLetters());
      o.put("expiredTasks", info.expired());
      o.put("paused", info.paused());
      ObjectNode byLane = o.putObject("lanes");
      info.lanes().entrySet().stream()
          .sorted(Map.Entry.comparingByKey())
          .forEach(
              e -> {
                ObjectNode lane = byLane.putObject(e.getKey().name());
                lane.put("index", e.getValue().index());
                lane.put("fetched", e.getValue().fetched());
                lane.put("waiting", e.getValue().waiting());
              });
      if (withRate) {
        o.put("fetchedPerSecond", fetchedPerSecond);
      }
    }

    boolean isEmpty() {
      return table.isEmpty();
    }

    String render() {
      return table.render();
    }

    ArrayNode json() {
      return json;
    }
  }

  static final String COUNTERS_HELP =
      " Columns: the highest index added and fetched (NORMAL lane), tasks waiting (all lanes),"
          + " leases in flight and how many of them expired, tasks delayed (not yet due), parked"
          + " (waiting for room in their group), in the dead letters, and past their retention"
          + " before delivery (expired tasks), whether the queue is paused, and the tasks waiting"
          + " per other lane.";

  // ------------------------------------------------------------------------------------ info

  @Command(
      name = "info",
      description = {
        "Shows each queue's counters: tasks waiting, in flight, delayed, parked, dead; paused.",
        "A queue never used reads as zeros." + COUNTERS_HELP
      })
  static final class Info extends QueuesCommand {
    @Override
    public Integer call() {
      return cli.withSession(
          KeyUse.NONE,
          s -> {
            CounterTable table = new CounterTable(false);
            for (QueueRef q : queues) {
              table.add(s.queue().info(q), 0);
            }
            cli.print(table.render(), table.json());
            return ExitCode.OK;
          });
    }
  }

  // ------------------------------------------------------------------------------------- add

  @Command(
      name = "add",
      description = {
        "Adds a task: seals its value (and token) with the owner's key; prints its index.",
        "A queue that does not exist yet is created."
      })
  static final class Add extends QueueCommand {
    @Parameters(
        index = "1",
        paramLabel = "VALUE",
        converter = Converters.Json.class,
        description = "The task's value as JSON, e.g. '{\"invoice\":42}' or '\"text\"'.")
    JsonNode value;

    @Mixin TaskOptions options;

    @Option(
        names = "--delay",
        paramLabel = "DURATION",
        converter = Converters.Time.class,
        description = "Hand it out no sooner than this after now (0 to 365d).")
    Duration delay;

    @Option(
        names = "--create-schema",
        description = "Create the keyspace and tables first if they do not exist.")
    boolean createSchema;

    @Override
    public Integer call() {
      NewTask task = options.apply(NewTask.of(value));
      if (delay != null) {
        NewTask undelayed = task;
        task = flag("--delay", () -> undelayed.delay(delay));
      }
      NewTask toAdd = task;
      return cli.withSession(
          KeyUse.CREATE,
          s -> {
            if (createSchema) {
              s.connection().store().createSchema();
            }
            long index = s.queue().add(queue, toAdd);
            ObjectNode json = result();
            json.put("index", index);
            TaskOptions.describe(toAdd, json);
            toAdd.delay().ifPresent(d -> json.put("delay", d.toString()));
            TextTable table = new TextTable("queue", "index", "priority", "delay");
            table.row(
                queue,
                index,
                toAdd.priority(),
                toAdd.delay().map(Duration::toString).orElse("none"));
            cli.print(table.render(), json);
            return ExitCode.OK;
          });
    }
  }

  // ----------------------------------------------------------------------------------- fetch

  @Command(
      name = "fetch",
      description =
          "Leases the next task to a worker and prints it opened (the worker's own unacknowledged"
              + " task again, if it holds one). Exit code 1 when there is none (a paused queue has"
              + " none).")
  static final class Fetch extends WorkerCommand {
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
          KeyUse.EXISTING,
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
                  millis(t.deadline()),
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
            if (tasks.isEmpty()) {
              boolean paused = s.queue().info(queue).paused();
              cli.print(
                  "no task to fetch in "
                      + queue
                      + (paused ? ": the queue is paused ('resume " + queue + "' resumes it)" : ""),
                  json);
              return ExitCode.NOT_FOUND;
            }
            cli.print(table.render(), json);
            return ExitCode.OK;
          });
    }
  }

  // ------------------------------------------------------------------------------------- ack

  @Command(
      name = "ack",
      description =
          "Acknowledges a worker's task with an outcome (default: success without result). Exit"
              + " code 1 when the worker holds no such lease.")
  static final class Ack extends WorkerCommand {
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
          KeyUse.EXISTING,
          s -> {
            s.keysFor(queue);
            boolean acked =
                index == null
                    ? s.queue().ack(queue, worker, outcome)
                    : s.queue().ack(queue, worker, index, outcome);
            ObjectNode json = result();
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
  static final class Peek extends QueueCommand {
    @Parameters(index = "1", paramLabel = "INDEX", description = "The task's index (1 or more).")
    long index;

    @Override
    public Integer call() {
      requireIndex(index);
      return cli.withSession(
          KeyUse.EXISTING,
          s -> {
            TinkKeyProvider keys = s.keysFor(queue);
            Optional<StoredTask> found = s.connection().store().get(queue, index);
            if (found.isEmpty()) {
              ObjectNode none = result();
              none.put("index", index);
              none.put("found", false);
              cli.print(
                  "no task #" + index + " in " + queue + " (never added, or past its retention)",
                  none);
              return ExitCode.NOT_FOUND;
            }
            StoredTask row = found.get();
            JsonNode value = open(keys, row.value(), "VALUE");
            Optional<JsonNode> token = row.token().map(t -> open(keys, t, "TOKEN"));
            QueueInfo info = s.queue().info(queue);
            Optional<Lease> lease =
                info.leases().stream().filter(l -> l.index() == index).findFirst();
            Priority lane = Priority.ofIndex(index);
            long laneFetched =
                lane == Priority.NORMAL
                    ? info.fetched()
                    : Optional.ofNullable(info.lanes().get(lane))
                        .map(QueueInfo.LaneInfo::fetched)
                        .orElse(lane.base());
            boolean due = row.notBefore().map(t -> !t.isAfter(Instant.now())).orElse(true);
            Optional<Outcome> outcome =
                lease.isPresent() ? Optional.empty() : s.queue().outcome(queue, index);
            String state;
            if (lease.isPresent()) {
              state = "leased";
            } else if (outcome.isPresent()) {
              state = "acknowledged";
            } else if (!due) {
              state = "delayed"; // the pointer steps over delayed tasks: check before it
            } else if (index > laneFetched) {
              state = "waiting";
            } else {
              state = "handed-out"; // released, parked, dead, or acknowledged with no outcome kept
            }
            ObjectNode json = result();
            json.put("index", index);
            json.put("found", true);
            json.put("state", state);
            json.put("priority", lane.name());
            json.put("enqueuedAt", row.enqueuedAt().toString());
            row.notBefore().ifPresent(t -> json.put("notBefore", t.toString()));
            row.group().ifPresent(g -> json.put("group", g));
            if (row.maxDeliveries() > 0) {
              json.put("maxDeliveries", row.maxDeliveries());
            }
            json.set("value", value);
            token.ifPresent(t -> json.set("token", t));
            outcome.ifPresent(o -> json.set("outcome", outcomeJson(o)));
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
                                + millis(l.deadline())
                                + " (delivery "
                                + l.deliveries()
                                + ")")
                    .orElse(
                        switch (state) {
                          case "waiting" -> "waiting";
                          case "delayed" -> "delayed until " + millis(row.notBefore().get());
                          case "acknowledged" -> "acknowledged";
                          default ->
                              "handed out, no lease held (released for a retry, parked in its"
                                  + " group, a dead letter, or acknowledged with no outcome kept)";
                        }));
            table.row("priority", lane);
            table.row("enqueued at", millis(row.enqueuedAt()));
            row.group().ifPresent(g -> table.row("group", g));
            if (row.maxDeliveries() > 0) {
              table.row("max deliveries", row.maxDeliveries());
            }
            table.row("value", value);
            table.row("token", token.map(Object::toString).orElse("(none)"));
            outcome.ifPresent(o -> table.row("outcome", outcomeJson(o)));
            cli.print(table.render(), json);
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
  static final class Leases extends QueueCommand {
    @Override
    public Integer call() {
      return cli.withSession(
          KeyUse.NONE,
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
                  millis(l.deadline()),
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
  static final class Rewind extends QueueCommand {
    @Parameters(index = "1", paramLabel = "INDEX", description = "0 to the queue's highest index.")
    long index;

    @Override
    public Integer call() {
      return cli.withSession(
          KeyUse.NONE,
          s -> {
            s.queue().rewind(queue, index);
            ObjectNode json = result();
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
      description = {
        "Refreshes the counters of the given queues until Ctrl-C (or --iterations), with the"
            + " fetch rate.",
        "The counters are those of info." + COUNTERS_HELP
      })
  static final class Watch extends QueuesCommand {
    private static final String CLEAR_SCREEN = "\033[H\033[2J";

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
          KeyUse.NONE,
          s -> {
            Map<QueueRef, Long> lastFetched = new HashMap<>();
            long lastNanos = 0;
            for (int i = 1; iterations == 0 || i <= iterations; i++) {
              long nanos = System.nanoTime();
              CounterTable table = new CounterTable(true);
              for (QueueRef q : queues) {
                QueueInfo info = s.queue().info(q);
                Long before = lastFetched.put(q, info.fetched());
                double rate =
                    before == null || lastNanos == 0
                        ? 0
                        : Math.max(0, info.fetched() - before) / ((nanos - lastNanos) / 1e9);
                table.add(info, rate);
              }
              lastNanos = nanos;
              ObjectNode json = Converters.JSON.createObjectNode();
              String now = millis(Instant.now());
              json.put("time", now);
              json.set("queues", table.json());
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
  static final class NewMasterKey extends CliCommand {
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
