package io.workqueue.examples;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.workqueue.InvalidArgumentException;
import io.workqueue.QueueRef;
import io.workqueue.WorkQueue;
import io.workqueue.crypto.TinkKeyProvider;
import io.workqueue.spi.KeyProvider;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.Optional;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The admin CLI: {@code java -jar queue-examples/target/workqueue-cli.jar COMMAND ...}, with the
 * task commands {@code info}, {@code add}, {@code fetch}, {@code ack}, {@code peek}, {@code
 * leases}, {@code rewind}, {@code watch}, the administration commands {@code queues}, {@code
 * dead-letters}, {@code requeue}, {@code discard}, {@code pause}, {@code resume}, {@code purge},
 * {@code settings}, {@code configure}, {@code schedule}, {@code unschedule}, {@code schedules}, and
 * {@code new-master-key}. Queues are written {@code OWNER/SERVICE}.
 *
 * <p>Connection and key settings come from flags or environment variables ({@code
 * WORKQUEUE_CASSANDRA}, {@code WORKQUEUE_REDIS}, {@code WORKQUEUE_DATACENTER}, {@code
 * WORKQUEUE_KEYSPACE}, {@code WORKQUEUE_KEYSET_DIR}, {@code WORKQUEUE_MASTER_KEY_FILE}, {@code
 * WORKQUEUE_MASTER_KEY}), the same as the demo's. Output is a table, or JSON with {@code --json}.
 *
 * <p>Exit codes: 0 ok; 1 nothing found (fetch found no task, ack found no lease, peek found no
 * task, requeue or discard found no such dead letter, unschedule no such schedule, pause, resume,
 * configure or purge no such queue); 2 bad arguments or settings (a purge or discard without {@code
 * --yes} included); 3 Cassandra or Redis unavailable; 4 other failures (the owner's key is missing
 * or does not open, tampered data).
 */
@Command(
    name = "workqueue-cli",
    mixinStandardHelpOptions = true,
    scope = ScopeType.INHERIT, // --help and --version on every command
    versionProvider = Versions.class,
    usageHelpAutoWidth = true,
    subcommands = {
      CliCommands.Info.class,
      CliCommands.Add.class,
      CliCommands.Fetch.class,
      CliCommands.Ack.class,
      CliCommands.Peek.class,
      CliCommands.Leases.class,
      CliCommands.Rewind.class,
      CliCommands.Watch.class,
      CliAdminCommands.Queues.class,
      CliAdminCommands.DeadLetters.class,
      CliAdminCommands.Requeue.class,
      CliAdminCommands.Discard.class,
      CliAdminCommands.Pause.class,
      CliAdminCommands.Resume.class,
      CliAdminCommands.Purge.class,
      CliAdminCommands.Settings.class,
      CliAdminCommands.Configure.class,
      CliAdminCommands.ScheduleTask.class,
      CliAdminCommands.Unschedule.class,
      CliAdminCommands.Schedules.class,
      CliCommands.NewMasterKey.class,
      CommandLine.HelpCommand.class
    },
    description = "Administers WorkQueue queues on Cassandra and Redis. Queues are OWNER/SERVICE.",
    footer = {
      "",
      "Environment: "
          + Environment.CASSANDRA
          + " (default 127.0.0.1:9042), "
          + Environment.REDIS
          + " (default 127.0.0.1:6379), "
          + Environment.DATACENTER
          + ", "
          + Environment.KEYSPACE
          + ", "
          + Environment.KEYSET_DIR
          + ", "
          + Environment.MASTER_KEY_FILE
          + ", "
          + Environment.MASTER_KEY
          + " (a base64 master keyset). Flags win over variables.",
      "",
      "Exit codes: 0 ok; 1 nothing found (fetch: no task, ack: no lease, peek: no task,"
          + " requeue and discard: no such dead letter, unschedule: no such schedule, pause,"
          + " resume, configure and purge: no such queue); 2 bad arguments or settings (purge"
          + " and discard without --yes too); 3 Cassandra or Redis unavailable; 4 other failures"
          + " (the owner's key is missing or does not open, tampered data)."
    })
public final class WorkQueueCli implements Runnable {
  static final HostPort DEFAULT_CASSANDRA = new HostPort("127.0.0.1", 9042);
  static final HostPort DEFAULT_REDIS = new HostPort("127.0.0.1", 6379);

  @Mixin ServerOptions servers;

  @Mixin KeyOptions keyOptions;

  @Option(
      names = "--json",
      scope = ScopeType.INHERIT,
      description = "Print JSON (one document; watch: one line per refresh) instead of tables.")
  boolean json;

  @Spec CommandSpec spec;

  final PrintStream out;
  final PrintStream err;
  final Environment env;

  private WorkQueueCli(PrintStream out, PrintStream err, Environment env) {
    this.out = out;
    this.err = err;
    this.env = env;
  }

  /**
   * Runs one command and exits with its exit code.
   *
   * @param args the command line; {@code --help} lists the commands
   */
  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err, Environment.system()));
  }

  /** Runs one command in this JVM; for tests. */
  static int run(String[] args, PrintStream out, PrintStream err, Environment env) {
    CommandLine cl = new CommandLine(new WorkQueueCli(out, err, env));
    cl.setDefaultValueProvider(env);
    cl.setCaseInsensitiveEnumValuesAllowed(true); // --priority urgent
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    cl.setParameterExceptionHandler(WorkQueueCli::usageError);
    cl.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          err.println("workqueue-cli: " + ExitCode.message(e));
          return ExitCode.of(e);
        });
    return cl.execute(args);
  }

  /**
   * A usage error: the message and where to find help, rather than the whole usage text (which only
   * a missing command gets).
   */
  static int usageError(ParameterException e, String[] args) {
    CommandLine cl = e.getCommandLine();
    PrintWriter err = cl.getErr();
    err.println(cl.getCommandName() + ": " + e.getMessage());
    if (!CommandLine.UnmatchedArgumentException.printSuggestions(e, err)) {
      if (!cl.getSubcommands().isEmpty()
          && cl.getParseResult() != null
          && !cl.getParseResult().hasSubcommand()) {
        cl.usage(err);
      } else {
        err.println(
            "Try '" + cl.getCommandSpec().qualifiedName() + " --help' for more information.");
      }
    }
    err.flush();
    return ExitCode.BAD_ARGUMENTS;
  }

  @Override
  public void run() {
    throw new ParameterException(
        spec.commandLine(), "Missing command: give one of the commands below");
  }

  // ------------------------------------------------------------------ shared by the commands

  /** Which keys a command needs. */
  enum KeyUse {
    /** None: the command neither seals nor opens tasks. */
    NONE,
    /** The owners' existing keysets: the command opens tasks or outcomes. */
    EXISTING,
    /** The owners' keysets, made for an owner that has none: the command seals new tasks. */
    CREATE
  }

  /** The connection and the queue of one command. */
  record Session(ServerConnection connection, WorkQueue queue, Optional<TinkKeyProvider> keys)
      implements AutoCloseable {
    @Override
    public void close() {
      try {
        queue.close(); // its subscriptions and threads, if a command started any
      } finally {
        connection.close();
      }
    }

    /** The keys, checked to open the owner's keyset before anything is fetched or sealed. */
    TinkKeyProvider keysFor(QueueRef queue) {
      TinkKeyProvider k = keys.orElseThrow();
      // Before a fetch: a wrong master key or a missing keyset must fail here, not make the
      // queue take the task out of circulation as unreadable.
      k.requireKey(queue.owner());
      return k;
    }

    /**
     * Whether a queue exists: added to at least once and not purged since, as {@code queues} lists
     * it. One read of the owner's queue list.
     */
    boolean exists(QueueRef q) {
      return queue.queues(q.owner()).contains(q);
    }
  }

  /**
   * Connects and runs a command body.
   *
   * @param keyUse which keys the command needs
   */
  <T> T withSession(KeyUse keyUse, Function<Session, T> body) {
    Optional<TinkKeyProvider> keys = keyOptions.keyProvider(env, keyUse == KeyUse.CREATE);
    if (keyUse != KeyUse.NONE && keys.isEmpty()) {
      throw new InvalidArgumentException(
          "--keyset-dir",
          "this command seals or opens tasks, so it needs the owners' keys: give --keyset-dir DIR"
              + " and --master-key-file FILE (or set "
              + Environment.KEYSET_DIR
              + " and "
              + Environment.MASTER_KEY_FILE
              + " or "
              + Environment.MASTER_KEY
              + ")");
    }
    ServerConnection connection =
        ServerConnection.open(
            servers.cassandra != null ? servers.cassandra : DEFAULT_CASSANDRA,
            servers.datacenter,
            servers.redis != null ? servers.redis : DEFAULT_REDIS,
            servers.keyspace,
            servers.timeout);
    KeyProvider provider = keys.isPresent() ? keys.get() : NoKeys.INSTANCE;
    try (Session session =
        new Session(connection, connection.queue(provider, Optional.empty()), keys)) {
      return body.apply(session);
    }
  }

  /** Prints a table, or the JSON document with --json. */
  void print(TextTable table, JsonNode document) {
    print(table.render(), document);
  }

  /** Prints text, or the JSON document (on one line) with --json. */
  void print(String text, JsonNode document) {
    if (json) {
      try {
        out.println(Converters.JSON.writeValueAsString(document));
      } catch (JsonProcessingException e) {
        throw new UncheckedIOException(e);
      }
    } else {
      out.print(text.endsWith("\n") ? text : text + "\n");
    }
    out.flush();
  }

  /** Keys for commands that neither seal nor open: any use is a bug of the CLI. */
  private enum NoKeys implements KeyProvider {
    INSTANCE;

    private static InvalidArgumentException missing() {
      return new InvalidArgumentException("--keyset-dir", "no keys configured");
    }

    @Override
    public void requireKey(String owner) {
      throw missing();
    }

    @Override
    public byte[] seal(String owner, byte[] plaintext, byte[] associatedData) {
      throw missing();
    }

    @Override
    public byte[] open(String owner, byte[] ciphertext, byte[] associatedData) {
      throw missing();
    }

    @Override
    public void rotate(String owner) {
      throw missing();
    }

    @Override
    public void destroy(String owner) {
      throw missing();
    }
  }
}
