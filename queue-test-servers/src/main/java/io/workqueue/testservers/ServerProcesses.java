package io.workqueue.testservers;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Process plumbing shared by {@link RedisServer} and {@link CassandraNode}: the servers directory,
 * free ports, pid files, a watchdog that kills a server when the test JVM dies, cleanup of
 * leftovers from earlier JVMs, and the JVM shutdown hook.
 */
final class ServerProcesses {

  private static final Logger LOG = LoggerFactory.getLogger(ServerProcesses.class);

  /** System property: directory under which servers keep their data and logs. */
  static final String SERVERS_DIR_PROPERTY = "workqueue.servers.dir";

  static final String PID_FILE = "server.pid";
  static final String LOOPBACK = "127.0.0.1";

  /** Something the shutdown hook must stop. */
  interface Stoppable {
    /** Stops the process (tree), quickly; must not throw. */
    void stopAtShutdown();

    /** For log lines. */
    String describe();
  }

  private static final Set<Stoppable> LIVE = ConcurrentHashMap.newKeySet();
  private static final Set<Path> CLEANED = new HashSet<>();
  private static boolean hookInstalled;

  private ServerProcesses() {}

  /** The servers directory: {@code -Dworkqueue.servers.dir}, else {@code target/servers}. */
  static Path serversDir() {
    String prop = System.getProperty(SERVERS_DIR_PROPERTY);
    Path dir =
        prop != null && !prop.isBlank() ? Path.of(prop.trim()) : Path.of("target", "servers");
    return dir.toAbsolutePath().normalize();
  }

  /** Registers a running server with the shutdown hook. */
  static synchronized void register(Stoppable server) {
    if (!hookInstalled) {
      Runtime.getRuntime()
          .addShutdownHook(new Thread(ServerProcesses::stopAll, "workqueue-test-servers-shutdown"));
      hookInstalled = true;
    }
    LIVE.add(server);
  }

  /** Removes a server that was stopped explicitly. */
  static void unregister(Stoppable server) {
    LIVE.remove(server);
  }

  private static void stopAll() {
    List<Thread> threads = new ArrayList<>();
    for (Stoppable server : List.copyOf(LIVE)) {
      Thread t =
          new Thread(
              () -> {
                try {
                  server.stopAtShutdown();
                } catch (RuntimeException e) {
                  LOG.warn("could not stop {} at JVM shutdown", server.describe(), e);
                }
              },
              "workqueue-stop-" + server.describe());
      t.start();
      threads.add(t);
    }
    for (Thread t : threads) {
      try {
        t.join(TimeUnit.SECONDS.toMillis(20));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /**
   * Finds {@code count} distinct free TCP ports on 127.0.0.1 by letting the OS choose them. All
   * sockets are held open until every port is known, so the ports differ from each other.
   */
  static int[] freePorts(int count) {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      int[] ports = new int[count];
      for (int i = 0; i < count; i++) {
        ServerSocket socket = new ServerSocket();
        sockets.add(socket);
        socket.setReuseAddress(false);
        socket.bind(new InetSocketAddress(InetAddress.getByName(LOOPBACK), 0), 1);
        ports[i] = socket.getLocalPort();
      }
      return ports;
    } catch (IOException e) {
      throw new UncheckedIOException("could not find a free port on " + LOOPBACK, e);
    } finally {
      for (ServerSocket socket : sockets) {
        try {
          socket.close();
        } catch (IOException ignored) {
          // nothing to do
        }
      }
    }
  }

  /** True when something accepts TCP connections on host:port right now. */
  static boolean acceptsTcp(String host, int port, int timeoutMillis) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), timeoutMillis);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Creates a new, empty directory {@code <servers dir>/<prefix>-<port>} (with a suffix if that
   * exists already). Cleans up leftovers of dead JVMs in the servers dir first.
   */
  static Path newServerDir(String prefix, int port) {
    Path base = serversDir();
    cleanupLeftovers(base);
    try {
      Files.createDirectories(base);
      Path dir = base.resolve(prefix + "-" + port);
      for (int i = 2; Files.exists(dir); i++) {
        dir = base.resolve(prefix + "-" + port + "-" + i);
      }
      Files.createDirectories(dir);
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException("could not create a server dir under " + base, e);
    }
  }

  /**
   * Writes {@code <dir>/server.pid}: the server's pid and the pid of this JVM, so that a later JVM
   * can kill the server if this JVM died without stopping it.
   */
  static void writePidFile(Path dir, long serverPid) {
    Path tmp = dir.resolve(PID_FILE + ".tmp");
    try {
      Files.writeString(tmp, serverPid + " " + ProcessHandle.current().pid() + "\n");
      try {
        Files.move(
            tmp,
            dir.resolve(PID_FILE),
            StandardCopyOption.REPLACE_EXISTING,
            StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, dir.resolve(PID_FILE), StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("could not write the pid file in " + dir, e);
    }
  }

  /**
   * Once per servers dir and JVM: for every {@code <servers dir>/<name>/server.pid} whose owner JVM
   * is dead, kills the server if it is still alive (and really is that server: its working
   * directory is that dir), then deletes the dir. Dirs owned by live JVMs are left alone.
   */
  static synchronized void cleanupLeftovers(Path base) {
    if (!CLEANED.add(base) || !Files.isDirectory(base)) {
      return;
    }
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(base, Files::isDirectory)) {
      for (Path dir : dirs) {
        Path pidFile = dir.resolve(PID_FILE);
        if (!Files.isRegularFile(pidFile)) {
          continue;
        }
        long[] pids = readPidFile(pidFile);
        if (pids == null) {
          continue;
        }
        long serverPid = pids[0];
        long ownerPid = pids[1];
        if (ownerPid == ProcessHandle.current().pid() || isAlive(ownerPid)) {
          continue;
        }
        Optional<ProcessHandle> server = ProcessHandle.of(serverPid).filter(h -> isAlive(h.pid()));
        if (server.isPresent()) {
          if (!isWorkingDirectory(serverPid, dir)) {
            LOG.warn(
                "pid {} from {} is alive but does not run in that dir; not killing it",
                serverPid,
                pidFile);
            continue;
          }
          LOG.info(
              "killing leftover server pid {} in {} (its JVM {} is gone)",
              serverPid,
              dir,
              ownerPid);
          killAndWait(server.get(), Duration.ofSeconds(30));
        }
        deleteRecursively(dir);
      }
    } catch (IOException e) {
      LOG.warn("could not clean up leftover servers in {}", base, e);
    }
  }

  private static long[] readPidFile(Path pidFile) {
    try {
      String[] parts = Files.readString(pidFile, StandardCharsets.US_ASCII).trim().split("\\s+");
      if (parts.length != 2) {
        return null;
      }
      return new long[] {Long.parseLong(parts[0]), Long.parseLong(parts[1])};
    } catch (IOException | NumberFormatException e) {
      return null;
    }
  }

  private static boolean isWorkingDirectory(long pid, Path dir) {
    try {
      Path cwd = Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "cwd"));
      return cwd.toAbsolutePath().normalize().equals(dir.toRealPath());
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  /** Deletes a directory tree; logs and ignores failures. */
  static void deleteRecursively(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      LOG.debug("could not delete {}", dir, e);
    }
  }

  /**
   * Starts a tiny {@code sh} watchdog that SIGKILLs {@code serverPid} as soon as this JVM is gone,
   * and exits by itself when the server is gone. This keeps servers from outliving a test JVM that
   * was killed (the shutdown hook does not run on SIGKILL).
   */
  static Process startWatchdog(long serverPid) {
    // alive = exists and is not a zombie (a zombie JVM is dead even if nobody has reaped it yet)
    String script =
        "alive() { kill -0 \"$1\" 2>/dev/null"
            + " && ! grep -qs '^State:[[:space:]]*Z' \"/proc/$1/status\"; };"
            + " j=$1; s=$2; while alive \"$j\"; do alive \"$s\" || exit 0; sleep 1; done;"
            + " kill -9 \"$s\" 2>/dev/null; exit 0";
    ProcessBuilder pb =
        new ProcessBuilder(
                "sh",
                "-c",
                script,
                "workqueue-watchdog",
                Long.toString(ProcessHandle.current().pid()),
                Long.toString(serverPid))
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(ProcessBuilder.Redirect.DISCARD);
    try {
      return pb.start();
    } catch (IOException e) {
      LOG.warn(
          "could not start the watchdog for pid {}; it may outlive a killed JVM", serverPid, e);
      return null;
    }
  }

  /**
   * Stops a process and all its descendants: SIGTERM first when {@code grace} is positive, SIGKILL
   * after {@code grace} (or right away), then waits until every one of them is really gone.
   */
  static void stopTree(Process process, Duration grace) {
    List<ProcessHandle> descendants = process.descendants().toList();
    if (!grace.isZero() && !grace.isNegative() && process.isAlive()) {
      process.destroy();
      try {
        process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    for (ProcessHandle child : descendants) {
      child.destroyForcibly();
    }
    process.destroyForcibly();
    awaitExit(process, Duration.ofSeconds(30));
    for (ProcessHandle child : descendants) {
      awaitGone(child, Duration.ofSeconds(30));
    }
  }

  /** SIGKILLs a process that is not necessarily a child of this JVM and waits until it is gone. */
  static void killAndWait(ProcessHandle handle, Duration timeout) {
    handle.descendants().forEach(ProcessHandle::destroyForcibly);
    handle.destroyForcibly();
    awaitGone(handle, timeout);
  }

  private static void awaitExit(Process process, Duration timeout) {
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException(
            "pid " + process.pid() + " still alive " + timeout.toSeconds() + " s after SIGKILL");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for pid " + process.pid(), e);
    }
    awaitGone(process.toHandle(), timeout);
  }

  private static void awaitGone(ProcessHandle handle, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (isAlive(handle.pid())) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "pid " + handle.pid() + " still alive " + timeout.toSeconds() + " s after SIGKILL");
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for pid " + handle.pid(), e);
      }
    }
  }

  /**
   * Whether a process exists and is not a zombie. ({@link ProcessHandle#isAlive()} is true for a
   * zombie, i.e. a dead process that its parent has not reaped yet.)
   */
  static boolean isAlive(long pid) {
    if (!ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
      return false;
    }
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("State:")) {
          return !line.substring(6).trim().startsWith("Z");
        }
      }
    } catch (IOException | UncheckedIOException e) {
      // no /proc (not Linux) or the process just went away
      return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }
    return true;
  }

  /** Stops a watchdog started by {@link #startWatchdog}; null-safe. */
  static void stopWatchdog(Process watchdog) {
    if (watchdog != null && watchdog.isAlive()) {
      watchdog.destroyForcibly();
      try {
        watchdog.waitFor(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** The last {@code lines} lines of a text file, or a note that it does not exist. */
  static String tail(Path file, int lines) {
    if (!Files.isRegularFile(file)) {
      return "(" + file + " does not exist)\n";
    }
    try {
      List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
      StringBuilder sb = new StringBuilder();
      sb.append("--- last lines of ").append(file).append(" ---\n");
      for (String line : all.subList(Math.max(0, all.size() - lines), all.size())) {
        sb.append(line).append('\n');
      }
      return sb.toString();
    } catch (IOException | UncheckedIOException e) {
      return "(could not read " + file + ": " + e + ")\n";
    }
  }

  /** Finds an executable on PATH, or empty. */
  static Optional<Path> onPath(String name) {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    for (String entry : path.split(File.pathSeparator)) {
      if (entry.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(entry, name);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /** Parses "host:port" (host may be a bracketed IPv6 literal). */
  static InetSocketAddress parseHostPort(String value, String what) {
    String v = value.trim();
    int colon = v.lastIndexOf(':');
    if (colon <= 0 || colon == v.length() - 1) {
      throw new IllegalArgumentException(what + " must be host:port, got '" + value + "'");
    }
    String host = v.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(v.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(what + " must be host:port, got '" + value + "'", e);
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException(what + ": port out of range in '" + value + "'");
    }
    return InetSocketAddress.createUnresolved(host, port);
  }

  /** Sleeps, turning an interrupt into an exception. */
  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
