package io.workqueue.examples;

import static io.workqueue.examples.CliCommands.NO_QUEUE;
import static io.workqueue.examples.CliCommands.flag;
import static io.workqueue.examples.CliCommands.millis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.workqueue.DeadLetter;
import io.workqueue.InvalidArgumentException;
import io.workqueue.NewTask;
import io.workqueue.QueueRef;
import io.workqueue.QueueSettings;
import io.workqueue.Schedule;
import io.workqueue.ScheduleInfo;
import io.workqueue.WorkQueue;
import io.workqueue.examples.CliCommands.CliCommand;
import io.workqueue.examples.CliCommands.CounterTable;
import io.workqueue.examples.CliCommands.QueueCommand;
import io.workqueue.examples.CliCommands.TaskOptions;
import io.workqueue.examples.WorkQueueCli.KeyUse;
import io.workqueue.examples.WorkQueueCli.Session;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.regex.Pattern;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.TypeConversionException;

/**
 * The queue administration commands of {@link WorkQueueCli}: queues, dead letters, pause, purge,
 * settings and repeating tasks. What "the queue does not exist" means is the same for all: never
 * added to, or purged since ({@code queues OWNER} does not list it).
 */
final class CliAdminCommands {
  private CliAdminCommands() {}

  /** The end of a message about an empty list, saying when the queue does not exist at all. */
  private static String unlessMissing(Session s, QueueRef queue) {
    return s.exists(queue) ? "" : " (the queue does not exist: " + NO_QUEUE + ")";
  }

  /** The message of a command that finds no queue to change: "no queue Q to purge (why)". */
  private static String noQueueTo(String verb, QueueRef queue) {
    return "no queue " + queue + " to " + verb + " (" + NO_QUEUE + ")";
  }

  // ---------------------------------------------------------------------------------- queues

  @Command(
      name = "queues",
      description = {
        "Lists an owner's queues with the counters of info.",
        "The queues are those added to and not purged since, by name. An owner without queues"
            + " lists none (exit code 0)."
      })
  static final class Queues extends CliCommand {
    @Parameters(
        paramLabel = "OWNER",
        converter = Converters.Owner.class,
        description = "The owner, e.g. acme.")
    String owner;

    @Option(
        names = "--pattern",
        paramLabel = "REGEX",
        converter = Converters.Regex.class,
        description = "Only queues whose whole name (SERVICE) matches this Java regex.")
    Pattern pattern;

    @Override
    public Integer call() {
      return cli.withSession(
          KeyUse.NONE,
          s -> {
            CounterTable table = new CounterTable(false);
            for (QueueRef q : s.queue().queues(owner)) {
              if (pattern == null || pattern.matcher(q.service()).matches()) {
                table.add(s.queue().info(q), 0);
              }
            }
            cli.print(
                table.isEmpty()
                    ? "no queues of "
                        + owner
                        + (pattern == null ? "" : " match '" + pattern.pattern() + "'")
                    : table.render(),
                table.json());
            return ExitCode.OK;
          });
    }
  }

  // ---------------------------------------------------------------------------- dead letters

  @Command(
      name = "dead-letters",
      description = {
        "Lists a queue's dead letters with their last error, oldest first.",
        "Shows each one's index, deliveries, the worker of its last delivery, when it died and"
            + " its last error, opened with the owner's key (so it needs the keys). A queue that"
            + " does not exist ("
            + NO_QUEUE
            + ") has none (exit code 0)."
      })
  static final class DeadLetters extends QueueCommand {
    @Option(
        names = "--limit",
        paramLabel = "N",
        defaultValue = "100",
        description = "List at most N, 1 to 1000 (default ${DEFAULT-VALUE}).")
    int limit;

    @Override
    public Integer call() {
      if (limit < 1 || limit > WorkQueue.MAX_BATCH) {
        throw new InvalidArgumentException(
            "--limit", "must be 1 to " + WorkQueue.MAX_BATCH + ", was " + limit);
      }
      return cli.withSession(
          KeyUse.EXISTING,
          s -> {
            s.keysFor(queue); // a wrong master key fails here instead of hiding every error
            List<DeadLetter> dead = s.queue().deadLetters(queue, limit);
            TextTable table =
                new TextTable("index", "deliveries", "worker", "dead at", "last error");
            ArrayNode json = Converters.JSON.createArrayNode();
            for (DeadLetter d : dead) {
              table.row(
                  d.index(),
                  d.deliveries(),
                  d.worker(),
                  millis(d.deadAt()),
                  d.lastError()
                      .map(JsonNode::toString)
                      .orElse("(unreadable: past retention, or the keys are gone)"));
              ObjectNode o = json.addObject();
              o.put("index", d.index());
              o.put("deliveries", d.deliveries());
              o.put("worker", d.worker());
              o.put("deadAt", d.deadAt().toString());
              d.lastError().ifPresent(e -> o.set("lastError", e));
            }
            String text;
            if (dead.isEmpty()) {
              text = "no dead letters in " + queue + unlessMissing(s, queue);
            } else {
              text = table.render();
              if (dead.size() == limit) {
                long total = s.queue().info(queue).deadLetters();
                text += "the oldest " + limit + " of " + total + " dead letters; --limit for more";
              }
            }
            cli.print(text, json);
            return ExitCode.OK;
          });
    }
  }

  /** A command on one dead letter: requeue and discard. */
  abstract static class DeadLetterCommand extends QueueCommand {
    @Parameters(index = "1", paramLabel = "INDEX", description = "The dead letter's index.")
    long index;

    /** Applies the command; false when {@code index} is not a dead letter. */
    abstract boolean apply(WorkQueue workQueue);

    /** The past participle for messages and the JSON field: "requeued", "discarded". */
    abstract String done();

    /** What happened to the task, after "#N of QUEUE". */
    abstract String outcome();

    @Override
    public Integer call() {
      CliCommands.requireIndex(index);
      return cli.withSession(
          KeyUse.NONE,
          s -> {
            boolean applied = apply(s.queue());
            ObjectNode json = result();
            json.put("index", index);
            json.put(done(), applied);
            cli.print(
                applied
                    ? done() + " #" + index + " of " + queue + ": " + outcome()
                    : "#"
                        + index
                        + " is not a dead letter of "
                        + queue
                        + " (never dead-lettered, or requeued or discarded already)"
                        + unlessMissing(s, queue),
                json);
            return applied ? ExitCode.OK : ExitCode.NOT_FOUND;
          });
    }
  }

  @Command(
      name = "requeue",
      description = {
        "Puts a dead letter back in circulation.",
        "It is delivered again as soon as possible, its delivery count starting over. Exit code 1"
            + " when INDEX is not a dead letter of the queue (or the queue does not exist: "
            + NO_QUEUE
            + ")."
      })
  static final class Requeue extends DeadLetterCommand {
    @Override
    boolean apply(WorkQueue workQueue) {
      return workQueue.requeue(queue, index);
    }

    @Override
    String done() {
      return "requeued";
    }

    @Override
    String outcome() {
      return "it is delivered again, as delivery 1";
    }
  }

  @Command(
      name = "discard",
      description = {
        "Drops a dead letter for good; needs --yes.",
        "Its failure outcome stays readable within retention. Without --yes it changes nothing"
            + " (exit code 2). Exit code 1 when INDEX is not a dead letter of the queue (or the"
            + " queue does not exist: "
            + NO_QUEUE
            + ")."
      })
  static final class Discard extends DeadLetterCommand {
    @Option(names = "--yes", description = "Confirm: the task is never delivered again.")
    boolean yes;

    @Override
    public Integer call() {
      requireYes(yes, "this drops dead letter #" + index + " of " + queue, "");
      return super.call();
    }

    @Override
    boolean apply(WorkQueue workQueue) {
      return workQueue.discard(queue, index);
    }

    @Override
    String done() {
      return "discarded";
    }

    @Override
    String outcome() {
      return "it is never delivered again";
    }
  }

  // ----------------------------------------------------------------------------------- pause

  /**
   * A command that changes a queue's state without adding to it (pause, configure): a queue that
   * does not exist is most likely a typo, so it is refused unless {@code --force}.
   */
  abstract static class ChangeCommand extends QueueCommand {
    @Option(
        names = "--force",
        description = "Change the queue even though it does not exist (before its first task).")
    boolean force;

    /**
     * Says that the queue does not exist and returns true, unless it exists or {@code --force}.
     *
     * @param verb what the command does: "pause"
     */
    boolean refuseMissing(Session s, String verb, ObjectNode json) {
      if (force || s.exists(queue)) {
        return false;
      }
      json.put("exists", false);
      json.put("changed", false);
      cli.print(
          noQueueTo(verb, queue)
              + ": nothing was changed; --force "
              + verb
              + "s it before its first task",
          json);
      return true;
    }
  }

  @Command(
      name = "pause",
      description = {
        "Pauses a queue: fetch hands out nothing until resume.",
        "On every node; adds, acks and the rest go on. Pausing a paused queue changes nothing"
            + " (exit code 0). Exit code 1, changing nothing, when the queue does not exist ("
            + NO_QUEUE
            + "), unless --force."
      })
  static final class Pause extends ChangeCommand {
    @Override
    public Integer call() {
      return cli.withSession(
          KeyUse.NONE,
          s -> {
            ObjectNode json = result();
            if (refuseMissing(s, "pause", json)) {
              return ExitCode.NOT_FOUND;
            }
            boolean changed = s.queue().pause(queue);
            json.put("paused", true);
            json.put("changed", changed);
            cli.print(
                changed
                    ? "paused " + queue + ": fetch hands out nothing until 'resume " + queue + "'"
                    : queue + " was paused already",
                json);
            return ExitCode.OK;
          });
    }
  }

  @Command(
      name = "resume",
      description = {
        "Resumes a paused queue.",
        "Resuming a queue that is not paused changes nothing (exit code 0); exit code 1 when the"
            + " queue is not paused and does not exist ("
            + NO_QUEUE
            + ")."
      })
  static final class Resume extends QueueCommand {
    @Override
    public Integer call() {
      return cli.withSession(
          KeyUse.NONE,
          s -> {
            boolean changed = s.queue().resume(queue);
            boolean exists = changed || s.exists(queue);
            ObjectNode json = result();
            json.put("paused", false);
            json.put("changed", changed);
            if (!exists) {
              json.put("exists", false);
            }
            cli.print(
                changed
                    ? "resumed " + queue
                    : exists ? queue + " was not paused" : noQueueTo("resume", queue),
                json);
            return exists ? ExitCode.OK : ExitCode.NOT_FOUND;
          });
    }
  }

  // ----------------------------------------------------------------------------------- purge

  @Command(
      name = "purge",
      description = {
        "Drops a queue, or an owner's queues matching --pattern, for good; needs --yes.",
        "Drops the queue's tasks, outcomes, schedules and bookkeeping: leases held on it are gone,"
            + " and adding to it afterwards starts a new queue at index 1. With --pattern, drops"
            + " every queue of OWNER whose name matches. Without --yes it changes nothing (exit"
            + " code 2); --dry-run lists what it would drop. Exit code 1 when there is no such"
            + " queue ("
            + NO_QUEUE
            + ") or no queue matches."
      })
  static final class Purge extends CliCommand {
    @Parameters(
        paramLabel = "QUEUE|OWNER",
        description = "The queue as OWNER/SERVICE, or with --pattern the OWNER alone.")
    String target;

    @Option(
        names = "--pattern",
        paramLabel = "REGEX",
        converter = Converters.Regex.class,
        description = "Purge every queue of OWNER whose whole name (SERVICE) matches this regex.")
    Pattern pattern;

    @Option(names = "--yes", description = "Confirm: what is purged cannot be recovered.")
    boolean yes;

    @Option(names = "--dry-run", description = "List what would be purged; change nothing.")
    boolean dryRun;

    @Override
    public Integer call() {
      String owner;
      QueueRef single;
      try {
        single = pattern == null ? Converters.queue(target) : null;
        owner = pattern == null ? single.owner() : Converters.owner(target);
      } catch (TypeConversionException e) {
        throw usage(
            e.getMessage()
                + (pattern == null
                    ? " (or give an OWNER with --pattern)"
                    : " (with --pattern, give the OWNER alone)"));
      }
      if (yes && dryRun) {
        throw usage("give --yes or --dry-run, not both");
      }
      String what =
          single != null
              ? "queue " + single
              : "every queue of " + owner + " whose name matches '" + pattern.pattern() + "'";
      if (!dryRun) {
        requireYes(
            yes,
            "this drops " + what + " (tasks, outcomes, schedules, bookkeeping)",
            "; --dry-run lists what it would drop");
      }
      return cli.withSession(
          KeyUse.NONE,
          s -> {
            List<QueueRef> targets =
                single != null
                    ? (s.exists(single) ? List.of(single) : List.of())
                    : s.queue().queues(owner).stream()
                        .filter(q -> pattern.matcher(q.service()).matches())
                        .toList();
            List<QueueRef> purged = targets;
            if (!dryRun) {
              if (single != null) {
                targets.forEach(s.queue()::purge);
              } else {
                purged = s.queue().purge(owner, pattern);
              }
            }
            ObjectNode json = Converters.JSON.createObjectNode();
            if (single != null) {
              json.put("queue", single.toString());
            } else {
              json.put("owner", owner);
              json.put("pattern", pattern.pattern());
            }
            json.put("dryRun", dryRun);
            ArrayNode names = json.putArray("queues");
            purged.forEach(q -> names.add(q.toString()));
            StringBuilder text = new StringBuilder();
            if (purged.isEmpty()) {
              text.append(
                  single != null
                      ? noQueueTo("purge", single)
                      : "no queue of " + owner + " matches '" + pattern.pattern() + "'");
              text.append(": nothing was changed");
            } else {
              for (QueueRef q : purged) {
                text.append(dryRun ? "would purge " : "purged ").append(q).append('\n');
              }
              if (dryRun) {
                text.append("(dry run: nothing was changed; --yes purges)");
              }
            }
            cli.print(text.toString(), json);
            return purged.isEmpty() ? ExitCode.NOT_FOUND : ExitCode.OK;
          });
    }
  }

  // -------------------------------------------------------------------------------- settings

  /** Settings as a table and as JSON: for settings and configure. */
  private static void printSettings(
      WorkQueueCli cli, QueueRef queue, ObjectNode json, QueueSettings settings) {
    json.put("maxDeliveries", settings.maxDeliveries());
    json.put("groupLimit", settings.groupLimit());
    TextTable table = new TextTable("setting", "value");
    table.row("queue", queue);
    table.row("max deliveries", limit(settings.maxDeliveries()));
    table.row("group limit", limit(settings.groupLimit()));
    cli.print(table.render(), json);
  }

  private static String limit(int n) {
    return n == 0 ? "0 (no limit)" : String.valueOf(n);
  }

  @Command(
      name = "settings",
      description = {
        "Shows a queue's delivery limit and group limit.",
        "0 is no limit. A queue never configured, or that does not exist, has the defaults (0"
            + " and 0)."
      })
  static final class Settings extends QueueCommand {
    @Override
    public Integer call() {
      return cli.withSession(
          KeyUse.NONE,
          s -> {
            printSettings(cli, queue, result(), s.queue().settings(queue));
            return ExitCode.OK;
          });
    }
  }

  @Command(
      name = "configure",
      description = {
        "Changes a queue's delivery limit or group limit.",
        "For every node at once; the setting not given stays. Prints the new settings. Exit code"
            + " 1, changing nothing, when the queue does not exist ("
            + NO_QUEUE
            + "), unless --force."
      })
  static final class Configure extends ChangeCommand {
    @Option(
        names = "--max-deliveries",
        paramLabel = "N",
        description =
            "Deliveries a task gets before it goes to the dead letters; 0 for no limit (up to"
                + " 1000000).")
    Integer maxDeliveries;

    @Option(
        names = "--group-limit",
        paramLabel = "N",
        description =
            "Leases the tasks of one group may hold at once; 0 for no limit (up to 1000000).")
    Integer groupLimit;

    @Override
    public Integer call() {
      if (maxDeliveries == null && groupLimit == null) {
        throw usage("give --max-deliveries, --group-limit or both");
      }
      if (maxDeliveries != null) {
        flag("--max-deliveries", () -> QueueSettings.DEFAULT.withMaxDeliveries(maxDeliveries));
      }
      if (groupLimit != null) {
        flag("--group-limit", () -> QueueSettings.DEFAULT.withGroupLimit(groupLimit));
      }
      return cli.withSession(
          KeyUse.NONE,
          s -> {
            ObjectNode json = result();
            if (refuseMissing(s, "configure", json)) {
              return ExitCode.NOT_FOUND;
            }
            // Read, change, write: a concurrent configure of the other setting may be lost.
            QueueSettings settings = s.queue().settings(queue);
            if (maxDeliveries != null) {
              settings = settings.withMaxDeliveries(maxDeliveries);
            }
            if (groupLimit != null) {
              settings = settings.withGroupLimit(groupLimit);
            }
            s.queue().configure(queue, settings);
            printSettings(cli, queue, json, settings);
            return ExitCode.OK;
          });
    }
  }

  // ------------------------------------------------------------------------ repeating tasks

  @Command(
      name = "schedule",
      description = {
        "Adds or replaces a repeating task; prints its first tick.",
        "At each tick, one task made from VALUE and the options is added to the queue, exactly"
            + " once among all nodes. The nodes that run schedules (a QueueWorker, or"
            + " WorkQueue.runSchedules) add the tasks, not this command; missed ticks are not"
            + " caught up. Seals the template with the owner's key. A queue that does not exist"
            + " yet is created at the first tick."
      })
  static final class ScheduleTask extends QueueCommand {
    @Parameters(
        index = "1",
        paramLabel = "ID",
        description = "The schedule's id: letters, digits, '.', '_', '-' (at most 100).")
    String id;

    @Parameters(
        index = "2",
        paramLabel = "VALUE",
        converter = Converters.Json.class,
        description = "The value of each task, as JSON.")
    JsonNode value;

    @ArgGroup(exclusive = true, multiplicity = "1")
    When when;

    /** An interval or a cron expression, exactly one. */
    static final class When {
      @Option(
          names = "--every",
          paramLabel = "DURATION",
          converter = Converters.Time.class,
          description = "Tick at this interval (1s or more), counted from now.")
      Duration every;

      @Option(
          names = "--cron",
          paramLabel = "EXPR",
          description = "Tick at the times of this Unix cron expression, in UTC ('0 3 * * *').")
      String cron;
    }

    @Mixin TaskOptions options;

    @Override
    public Integer call() {
      Schedule schedule =
          when.every != null
              ? flag("--every", () -> Schedule.every(when.every))
              : flag("--cron", () -> Schedule.cron(when.cron));
      NewTask template = options.apply(NewTask.of(value));
      CliCommands.requireId("ID", id);
      return cli.withSession(
          KeyUse.CREATE,
          s -> {
            Instant first = s.queue().schedule(queue, id, schedule, template);
            ObjectNode json = result();
            json.put("id", id);
            json.put("schedule", schedule.spec());
            json.put("firstTick", first.toString());
            TaskOptions.describe(template, json);
            TextTable table = new TextTable("queue", "id", "schedule", "first tick");
            table.row(queue, id, schedule.spec(), millis(first));
            cli.print(table.render(), json);
            return ExitCode.OK;
          });
    }
  }

  @Command(
      name = "unschedule",
      description = "Removes a repeating task. Exit code 1 when the queue has no such schedule.")
  static final class Unschedule extends QueueCommand {
    @Parameters(index = "1", paramLabel = "ID", description = "The schedule's id.")
    String id;

    @Override
    public Integer call() {
      CliCommands.requireId("ID", id);
      return cli.withSession(
          KeyUse.NONE,
          s -> {
            boolean removed = s.queue().unschedule(queue, id);
            ObjectNode json = result();
            json.put("id", id);
            json.put("removed", removed);
            cli.print(
                removed
                    ? "removed schedule " + id + " of " + queue
                    : "no schedule " + id + " in " + queue,
                json);
            return removed ? ExitCode.OK : ExitCode.NOT_FOUND;
          });
    }
  }

  @Command(
      name = "schedules",
      description = {
        "Lists a queue's repeating tasks: id, schedule and next tick.",
        "A queue that does not exist ("
            + NO_QUEUE
            + ") may have schedules that have not ticked yet. No schedules is exit code 0."
      })
  static final class Schedules extends QueueCommand {
    @Override
    public Integer call() {
      return cli.withSession(
          KeyUse.NONE,
          s -> {
            List<ScheduleInfo> schedules = s.queue().schedules(queue);
            TextTable table = new TextTable("id", "schedule", "next tick");
            ArrayNode json = Converters.JSON.createArrayNode();
            for (ScheduleInfo i : schedules) {
              table.row(i.id(), i.schedule().spec(), millis(i.nextTick()));
              ObjectNode o = json.addObject();
              o.put("id", i.id());
              o.put("schedule", i.schedule().spec());
              o.put("nextTick", i.nextTick().toString());
            }
            cli.print(
                schedules.isEmpty()
                    ? "no schedules in " + queue + unlessMissing(s, queue)
                    : table.render(),
                json);
            return ExitCode.OK;
          });
    }
  }
}
