package io.workqueue.examples;

import io.workqueue.BackendUnavailableException;
import io.workqueue.testservers.CassandraNode;
import io.workqueue.testservers.RedisServer;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;

/**
 * A Redis and a Cassandra node for the demo, on this machine, from queue-test-servers: either
 * started for this run (data in a temporary directory, stopped and deleted at {@link #close()}) or
 * the shared servers of the JVM (in tests; their launcher stops them at exit).
 */
final class EmbeddedServers implements AutoCloseable {
  private static final String SERVERS_DIR_PROPERTY = "workqueue.servers.dir";

  private final RedisServer redis;
  private final CassandraNode cassandra;
  private final boolean owned;
  private final Optional<Path> tempDir;
  private final PrintStream out;
  private final Thread onExit;
  private boolean closed;

  private EmbeddedServers(
      RedisServer redis,
      CassandraNode cassandra,
      boolean owned,
      Optional<Path> tempDir,
      PrintStream out) {
    this.redis = redis;
    this.cassandra = cassandra;
    this.owned = owned;
    this.tempDir = tempDir;
    this.out = out;
    // Ctrl-C: the launchers stop the servers by themselves; this also deletes their data.
    this.onExit = new Thread(this::stop, "workqueue-demo-servers-cleanup");
    if (owned) {
      Runtime.getRuntime().addShutdownHook(onExit);
    }
  }

  /** What starts the servers: {@link #startPrivate} in the demo, {@link #shared} in tests. */
  @FunctionalInterface
  interface Launcher {
    EmbeddedServers start(PrintStream out);
  }

  /**
   * Starts a Redis and a Cassandra node for this run, in parallel, with their data in a new
   * temporary directory (unless {@code -Dworkqueue.servers.dir} names one).
   */
  static EmbeddedServers startPrivate(PrintStream out) {
    Optional<Path> temp = Optional.empty();
    if (System.getProperty(SERVERS_DIR_PROPERTY) == null) {
      try {
        Path dir = Files.createTempDirectory("workqueue-demo-");
        System.setProperty(SERVERS_DIR_PROPERTY, dir.toString());
        temp = Optional.of(dir);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create a temporary directory for the servers", e);
      }
    }
    out.printf(
        "Starting Redis and a Cassandra node (a child JVM; about 10 s), data in %s%n",
        System.getProperty(SERVERS_DIR_PROPERTY));
    CompletableFuture<RedisServer> redis =
        CompletableFuture.supplyAsync(
            () -> RedisServer.start(RedisServer.Options.defaults().stopTimeout(Duration.ZERO)));
    CassandraNode cassandra;
    try {
      cassandra = CassandraNode.start(cassandraOptions());
    } catch (RuntimeException e) {
      redis.thenAccept(RedisServer::close);
      deleteQuietly(temp);
      throw unavailable("cassandra", "the embedded Cassandra node did not start", e);
    }
    RedisServer r;
    try {
      r = redis.join();
    } catch (CompletionException e) {
      cassandra.close();
      deleteQuietly(temp);
      throw unavailable("redis", "the embedded Redis did not start", e.getCause());
    }
    out.printf(
        Locale.ROOT,
        "  Redis on %s:%d, Cassandra %s on %s:%d (up in %.1f s)%n",
        r.host(),
        r.port(),
        cassandra.version(),
        cassandra.host(),
        cassandra.port(),
        cassandra.startupTime().toMillis() / 1000.0);
    return new EmbeddedServers(r, cassandra, true, temp, out);
  }

  /** The shared servers of this JVM (started on first use, stopped at exit by their launcher). */
  static EmbeddedServers shared(PrintStream out) {
    RedisServer r = RedisServer.shared();
    CassandraNode c = CassandraNode.shared();
    out.printf(
        "Using this JVM's shared Redis on %s:%d and Cassandra on %s:%d%n",
        r.host(), r.port(), c.host(), c.port());
    return new EmbeddedServers(r, c, false, Optional.empty(), out);
  }

  private static CassandraNode.Options cassandraOptions() {
    // Throwaway data: no graceful stop needed.
    CassandraNode.Options options =
        CassandraNode.Options.defaults()
            .stopTimeout(Duration.ZERO)
            .startTimeout(Duration.ofMinutes(3));
    if (System.getProperty(CassandraNode.LIB_PROPERTY) == null) {
      libBesideThisJar().ifPresent(options::libDir);
    }
    return options;
  }

  /**
   * {@code queue-cassandra-server/target/lib} of the checkout this jar (or classes directory) was
   * built in, so that the demo finds the server jars from any working directory.
   */
  private static Optional<Path> libBesideThisJar() {
    try {
      Path here =
          Path.of(
              EmbeddedServers.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      // .../queue-examples/target/workqueue-demo.jar or .../queue-examples/target/classes
      Path root = here.getParent() == null ? null : here.getParent().getParent();
      root = root == null ? null : root.getParent();
      if (root == null) {
        return Optional.empty();
      }
      Path lib = root.resolve("queue-cassandra-server/target/lib");
      return Files.isDirectory(lib) ? Optional.of(lib) : Optional.empty();
    } catch (URISyntaxException | RuntimeException e) {
      return Optional.empty();
    }
  }

  private static BackendUnavailableException unavailable(
      String backend, String what, Throwable cause) {
    String message = cause == null ? "" : String.valueOf(cause.getMessage());
    int newline = message.indexOf('\n');
    String firstLine = newline < 0 ? message : message.substring(0, newline);
    return new BackendUnavailableException(
        backend,
        what
            + ": "
            + firstLine
            + " (or run the demo with --backend memory, or on your servers with --cassandra and"
            + " --redis)",
        cause);
  }

  HostPort redis() {
    return new HostPort(redis.host(), redis.port());
  }

  HostPort cassandra() {
    return new HostPort(cassandra.host(), cassandra.port());
  }

  String datacenter() {
    return cassandra.localDatacenter();
  }

  /** Stops servers started for this run and deletes their data; the shared ones stay. */
  @Override
  public void close() {
    if (owned && stop()) {
      try {
        Runtime.getRuntime().removeShutdownHook(onExit);
      } catch (IllegalStateException e) {
        // the JVM is shutting down already
      }
      out.println(
          "Stopped the embedded servers"
              + (tempDir.isPresent() ? " and deleted their data." : "."));
    }
  }

  /** Stops the servers and deletes their data, once; true for the call that did it. */
  private synchronized boolean stop() {
    if (closed) {
      return false;
    }
    closed = true;
    cassandra.close();
    redis.close();
    deleteQuietly(tempDir);
    return true;
  }

  private static void deleteQuietly(Optional<Path> dir) {
    if (dir.isEmpty()) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir.get())) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException | UncheckedIOException e) {
      // left for the OS's temp cleaning
    }
  }
}
