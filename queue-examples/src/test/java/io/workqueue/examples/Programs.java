package io.workqueue.examples;

import io.workqueue.Completion;
import io.workqueue.testservers.CassandraNode;
import io.workqueue.testservers.RedisServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** Runs the demo and the CLI in this JVM and captures what they print; the shared servers. */
final class Programs {
  private Programs() {}

  /** What one run printed, and its exit code. */
  record Result(int exitCode, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exitCode + "\n--- out ---\n" + out + "--- err ---\n" + err;
    }
  }

  static Result cli(Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = WorkQueueCli.run(args, print(out), print(err), new Environment(env));
    return new Result(code, text(out), text(err));
  }

  static Result cli(String... args) {
    return cli(Map.of(), args);
  }

  static Result demo(Map<String, String> env, EmbeddedServers.Launcher launcher, String... args) {
    return demo(env, launcher, c -> false, args);
  }

  /**
   * Runs the demo, dropping the completions that {@code drop} picks before its ledger sees them.
   */
  static Result demo(
      Map<String, String> env,
      EmbeddedServers.Launcher launcher,
      Predicate<Completion> drop,
      String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Demo.run(args, print(out), print(err), new Environment(env), launcher, drop);
    return new Result(code, text(out), text(err));
  }

  /** A launcher for runs that must not start servers. */
  static EmbeddedServers start(PrintStream out) {
    throw new AssertionError("this run must not start embedded servers");
  }

  /** The flags naming the shared servers of this test JVM. */
  static List<String> serverFlags(String keyspace) {
    RedisServer redis = RedisServer.shared();
    CassandraNode cassandra = CassandraNode.shared();
    List<String> flags = new ArrayList<>();
    flags.add("--cassandra");
    flags.add(cassandra.host() + ":" + cassandra.port());
    flags.add("--datacenter");
    flags.add(cassandra.localDatacenter());
    flags.add("--redis");
    flags.add(redis.host() + ":" + redis.port());
    flags.add("--keyspace");
    flags.add(keyspace);
    return flags;
  }

  /** A TCP port on 127.0.0.1 where nothing listens (bound, then closed). */
  static int closedPort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String[] args(List<String> first, String... more) {
    List<String> all = new ArrayList<>(first);
    all.addAll(List.of(more));
    return all.toArray(String[]::new);
  }

  private static PrintStream print(ByteArrayOutputStream bytes) {
    return new PrintStream(bytes, true, StandardCharsets.UTF_8);
  }

  private static String text(ByteArrayOutputStream bytes) {
    return bytes.toString(StandardCharsets.UTF_8);
  }
}
