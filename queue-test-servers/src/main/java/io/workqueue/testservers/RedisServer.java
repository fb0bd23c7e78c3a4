package io.workqueue.testservers;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real {@code redis-server} process for tests, or a handle to an external Redis.
 *
 * <p>{@link #shared()} gives one server per JVM, started lazily and stopped by a shutdown hook.
 * {@link #start(Options)} starts a private server that the caller controls and closes, e.g. for
 * fault tests with {@link #kill9()} and {@link #restart()}.
 *
 * <p>The binary is {@code redis-server} from {@code PATH}; where there is none, the Linux/macOS
 * binary shipped inside the Maven artifact {@code com.github.codemonstur:embedded-redis} is
 * extracted and used. Every server binds 127.0.0.1 on a free port chosen by the OS (never 6379),
 * runs with {@code appendonly yes}, {@code save ""} and a configurable {@code appendfsync}, and
 * keeps its data in {@code <servers dir>/redis-<port>}, where the servers dir is the system
 * property {@code workqueue.servers.dir} or else {@code target/servers}.
 *
 * <p>When the environment variable {@code WORKQUEUE_REDIS=host:port} is set, {@link #shared()}
 * returns a handle to that server instead; process control methods then throw {@link
 * UnsupportedOperationException}.
 */
public final class RedisServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(RedisServer.class);

  /** Environment variable naming an external Redis ({@code host:port}) for {@link #shared()}. */
  public static final String EXTERNAL_ENV = "WORKQUEUE_REDIS";

  private static final String EMBEDDED_REDIS_POM =
      "META-INF/maven/com.github.codemonstur/embedded-redis/pom.properties";

  private static RedisServer shared;
  private static RuntimeException sharedFailure;

  private final String host;
  private final int port;
  private final Options options;
  private final boolean isShared;
  private final Path dir;
  private final Path executable;
  private final ServerProcesses.Stoppable stopper;

  private Process process;
  private Process watchdog;
  private Duration startupTime = Duration.ZERO;
  private boolean closed;

  /** Settings for a server started by {@link #start(Options)}. Mutable builder; not thread-safe. */
  public static final class Options {
    private String appendfsync = "everysec";
    private Duration startTimeout = Duration.ofSeconds(30);
    private Duration stopTimeout = Duration.ofSeconds(5);
    private Path executable;
    private final List<String> extraArgs = new ArrayList<>();

    private Options() {}

    /**
     * The defaults: {@code appendfsync everysec}, start timeout 30 s, graceful stop timeout 5 s,
     * binary found automatically.
     *
     * @return new options
     */
    public static Options defaults() {
      return new Options();
    }

    /**
     * Sets Redis' {@code appendfsync}.
     *
     * @param policy {@code always}, {@code everysec} or {@code no}
     * @return these options
     */
    public Options appendfsync(String policy) {
      String p = Objects.requireNonNull(policy, "policy").trim().toLowerCase(Locale.ROOT);
      if (!p.equals("always") && !p.equals("everysec") && !p.equals("no")) {
        throw new IllegalArgumentException(
            "appendfsync must be always, everysec or no, got '" + policy + "'");
      }
      this.appendfsync = p;
      return this;
    }

    /**
     * Sets how long to wait for the server to answer PING.
     *
     * @param timeout the timeout
     * @return these options
     */
    public Options startTimeout(Duration timeout) {
      this.startTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /**
     * Sets how long {@link #stop()} and {@link #close()} wait after SIGTERM before SIGKILL; zero
     * means SIGKILL right away.
     *
     * @param timeout the timeout
     * @return these options
     */
    public Options stopTimeout(Duration timeout) {
      this.stopTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /**
     * Uses this {@code redis-server} binary instead of looking one up.
     *
     * @param redisServer path of the binary
     * @return these options
     */
    public Options executable(Path redisServer) {
      this.executable = Objects.requireNonNull(redisServer, "redisServer");
      return this;
    }

    /**
     * Adds raw command-line arguments, passed after the launcher's own (e.g. {@code "--maxmemory",
     * "64mb"}).
     *
     * @param args the arguments
     * @return these options
     */
    public Options extraArgs(String... args) {
      this.extraArgs.addAll(List.of(args));
      return this;
    }

    /**
     * The {@code appendfsync} policy.
     *
     * @return {@code always}, {@code everysec} or {@code no}
     */
    public String appendfsync() {
      return appendfsync;
    }

    Options copy() {
      Options o = new Options();
      o.appendfsync = appendfsync;
      o.startTimeout = startTimeout;
      o.stopTimeout = stopTimeout;
      o.executable = executable;
      o.extraArgs.addAll(extraArgs);
      return o;
    }
  }

  private RedisServer(String host, int port) {
    this.host = host;
    this.port = port;
    this.options = null;
    this.isShared = true;
    this.dir = null;
    this.executable = null;
    this.stopper = null;
  }

  private RedisServer(int port, Options options, boolean isShared, Path dir, Path executable) {
    this.host = ServerProcesses.LOOPBACK;
    this.port = port;
    this.options = options;
    this.isShared = isShared;
    this.dir = dir;
    this.executable = executable;
    this.stopper =
        new ServerProcesses.Stoppable() {
          @Override
          public void stopAtShutdown() {
            stopProcess(RedisServer.this.options.stopTimeout);
          }

          @Override
          public String describe() {
            return "redis-" + RedisServer.this.port;
          }
        };
  }

  /**
   * The Redis shared by all tests of this JVM: started on first use with {@link
   * Options#defaults()}, stopped by a shutdown hook; or the external server named by {@value
   * #EXTERNAL_ENV}. {@link #close()} on it does nothing. If it failed to start once, later calls
   * fail fast.
   *
   * @return the shared server
   */
  public static synchronized RedisServer shared() {
    if (shared != null) {
      return shared;
    }
    if (sharedFailure != null) {
      throw new IllegalStateException(
          "the shared Redis failed to start earlier in this JVM", sharedFailure);
    }
    try {
      String external = System.getenv(EXTERNAL_ENV);
      if (external != null && !external.isBlank()) {
        InetSocketAddress address = ServerProcesses.parseHostPort(external, EXTERNAL_ENV);
        shared = new RedisServer(address.getHostString(), address.getPort());
        LOG.info("using external Redis {}:{} from {}", shared.host, shared.port, EXTERNAL_ENV);
      } else {
        shared = launch(Options.defaults(), true);
      }
      return shared;
    } catch (RuntimeException e) {
      sharedFailure = e;
      throw e;
    }
  }

  /**
   * Starts a private server with {@link Options#defaults()}. The caller must {@link #close()} it.
   *
   * @return the running server
   */
  public static RedisServer start() {
    return start(Options.defaults());
  }

  /**
   * Starts a private server. The caller must {@link #close()} it (a shutdown hook stops it
   * otherwise).
   *
   * @param options the settings; copied
   * @return the running server, answering PING
   */
  public static RedisServer start(Options options) {
    return launch(Objects.requireNonNull(options, "options").copy(), false);
  }

  /**
   * A handle to a Redis that this JVM does not control ({@link #kill9()} and friends throw).
   *
   * @param host the host
   * @param port the port
   * @return the handle
   */
  public static RedisServer external(String host, int port) {
    return new RedisServer(Objects.requireNonNull(host, "host"), port);
  }

  private static RedisServer launch(Options options, boolean isShared) {
    Path exe = options.executable != null ? options.executable : findExecutable();
    IllegalStateException last = null;
    for (int attempt = 1; attempt <= 3; attempt++) {
      int port = ServerProcesses.freePorts(1)[0];
      Path dir = ServerProcesses.newServerDir("redis", port);
      RedisServer server = new RedisServer(port, options, isShared, dir, exe);
      try {
        server.startProcess();
        return server;
      } catch (PortTakenException e) {
        LOG.info("port {} was taken before redis-server could bind it; trying another", port);
        last = e;
      }
    }
    throw last;
  }

  /** Thrown when the chosen port was grabbed by someone else between choosing and binding. */
  private static final class PortTakenException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    PortTakenException(String message) {
      super(message);
    }
  }

  private synchronized void startProcess() {
    List<String> cmd = new ArrayList<>();
    cmd.add(executable.toString());
    cmd.addAll(
        List.of(
            "--port",
            Integer.toString(port),
            "--bind",
            ServerProcesses.LOOPBACK,
            "--protected-mode",
            "yes",
            "--daemonize",
            "no",
            "--dir",
            dir.toString(),
            "--logfile",
            dir.resolve("redis.log").toString(),
            "--appendonly",
            "yes",
            "--appendfsync",
            options.appendfsync,
            "--save",
            ""));
    cmd.addAll(options.extraArgs);
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .directory(dir.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("stdout.log").toFile()));
    long t0 = System.nanoTime();
    try {
      process = pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException("could not run " + executable, e);
    }
    ServerProcesses.writePidFile(dir, process.pid());
    watchdog = ServerProcesses.startWatchdog(process.pid());
    ServerProcesses.register(stopper);
    long deadline = t0 + options.startTimeout.toNanos();
    while (true) {
      if (!process.isAlive()) {
        stopProcess(Duration.ZERO);
        String log = ServerProcesses.tail(dir.resolve("redis.log"), 30);
        String message =
            "redis-server (pid "
                + process.pid()
                + ") exited during startup with code "
                + process.exitValue()
                + "\n"
                + log
                + ServerProcesses.tail(dir.resolve("stdout.log"), 10);
        if (log.contains("Address already in use")) {
          throw new PortTakenException(message);
        }
        throw new IllegalStateException(message);
      }
      if (ping()) {
        break;
      }
      if (System.nanoTime() > deadline) {
        stopProcess(Duration.ZERO);
        throw new IllegalStateException(
            "redis-server on port "
                + port
                + " did not answer PING within "
                + options.startTimeout.toSeconds()
                + " s; killed it\n"
                + ServerProcesses.tail(dir.resolve("redis.log"), 30));
      }
      ServerProcesses.sleep(10);
    }
    startupTime = Duration.ofNanos(System.nanoTime() - t0);
    LOG.info(
        "redis-server up on {}:{} in {} ms (pid {}, appendfsync {}, dir {})",
        host,
        port,
        startupTime.toMillis(),
        process.pid(),
        options.appendfsync,
        dir);
  }

  private synchronized void stopProcess(Duration grace) {
    if (process != null) {
      ServerProcesses.stopTree(process, grace);
    }
    ServerProcesses.stopWatchdog(watchdog);
    watchdog = null;
    ServerProcesses.unregister(stopper);
  }

  /** The redis-server binary: from PATH, else from the embedded-redis artifact. */
  static Path findExecutable() {
    Optional<Path> onPath = ServerProcesses.onPath("redis-server");
    if (onPath.isPresent()) {
      return onPath.get();
    }
    Path embedded = embeddedExecutable();
    LOG.info("no redis-server on PATH; using {} from embedded-redis", embedded.getFileName());
    return embedded;
  }

  /**
   * Extracts (once) the redis-server binary for this OS and CPU from the embedded-redis jar into
   * {@code <servers dir>/bin} and returns it.
   */
  static Path embeddedExecutable() {
    URL marker = RedisServer.class.getClassLoader().getResource(EMBEDDED_REDIS_POM);
    if (marker == null || !"jar".equals(marker.getProtocol())) {
      throw new IllegalStateException(
          "no redis-server on PATH, and the embedded-redis jar is not on the classpath ("
              + EMBEDDED_REDIS_POM
              + " not found): install Redis or add com.github.codemonstur:embedded-redis");
    }
    String url = marker.toString(); // jar:file:/...jar!/META-INF/...
    Path jar;
    try {
      jar = Path.of(URI.create(url.substring("jar:".length(), url.indexOf("!/"))));
    } catch (RuntimeException e) {
      throw new IllegalStateException("cannot locate the embedded-redis jar from " + marker, e);
    }
    String suffix = platformSuffix();
    try (ZipFile zip = new ZipFile(jar.toFile())) {
      ZipEntry entry =
          zip.stream()
              .filter(e -> !e.isDirectory())
              .filter(e -> e.getName().startsWith("redis-server-"))
              .filter(e -> e.getName().endsWith(suffix))
              .findFirst()
              .orElseThrow(
                  () ->
                      new IllegalStateException(
                          "no redis-server on PATH, and "
                              + jar.getFileName()
                              + " has no binary for *"
                              + suffix));
      Path binDir = ServerProcesses.serversDir().resolve("bin");
      Files.createDirectories(binDir);
      Path target = binDir.resolve(entry.getName());
      if (!Files.isRegularFile(target) || Files.size(target) != entry.getSize()) {
        Path tmp = Files.createTempFile(binDir, entry.getName(), ".tmp");
        try (InputStream in = zip.getInputStream(entry)) {
          Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
        }
        if (!tmp.toFile().setExecutable(true, false)) {
          throw new IOException("cannot make " + tmp + " executable");
        }
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException("could not extract redis-server from " + jar, e);
    }
  }

  private static String platformSuffix() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    String o;
    if (os.contains("linux")) {
      o = "linux";
    } else if (os.contains("mac") || os.contains("darwin")) {
      o = "darwin";
    } else {
      throw new IllegalStateException("no redis-server on PATH, and no embedded binary for " + os);
    }
    String a =
        switch (arch) {
          case "amd64", "x86_64" -> "amd64";
          case "aarch64", "arm64" -> "arm64";
          case "x86", "i386", "i686" -> "386";
          default ->
              throw new IllegalStateException(
                  "no redis-server on PATH, and no embedded binary for " + os + "/" + arch);
        };
    return "-" + o + "-" + a;
  }

  /**
   * The host to connect to.
   *
   * @return {@code 127.0.0.1} for a server started here
   */
  public String host() {
    return host;
  }

  /**
   * The port to connect to.
   *
   * @return the TCP port
   */
  public int port() {
    return port;
  }

  /**
   * The server as a Redis URI.
   *
   * @return {@code redis://host:port}
   */
  public String uri() {
    return "redis://" + host + ":" + port;
  }

  /**
   * Whether this is a handle to a server this JVM does not control.
   *
   * @return true for an external server
   */
  public boolean isExternal() {
    return dir == null;
  }

  /**
   * The directory holding the server's AOF files and logs.
   *
   * @return the data dir
   * @throws UnsupportedOperationException for an external server
   */
  public Path dataDir() {
    requireManaged("dataDir()");
    return dir;
  }

  /**
   * The pid of the running server process.
   *
   * @return the pid
   * @throws UnsupportedOperationException for an external server
   * @throws IllegalStateException if it is not running
   */
  public synchronized long pid() {
    requireManaged("pid()");
    if (process == null || !process.isAlive()) {
      throw new IllegalStateException(this + " is not running");
    }
    return process.pid();
  }

  /**
   * How long the last start or restart took, from launch until PING answered.
   *
   * @return the duration; zero for an external server
   */
  public synchronized Duration startupTime() {
    return startupTime;
  }

  /**
   * Whether the process is alive (for an external server: whether it answers PING).
   *
   * @return true if running
   */
  public synchronized boolean isRunning() {
    if (isExternal()) {
      return ping();
    }
    return process != null && process.isAlive();
  }

  /**
   * Sends a RESP {@code PING} over a fresh socket.
   *
   * @return true if the server answered {@code +PONG} within 1 s
   */
  public boolean ping() {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), 1000);
      socket.setSoTimeout(1000);
      OutputStream out = socket.getOutputStream();
      out.write("*1\r\n$4\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      StringBuilder line = new StringBuilder();
      int c;
      while ((c = in.read()) != -1 && c != '\n') {
        line.append((char) c);
      }
      return line.toString().trim().equals("+PONG");
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Kills the server with SIGKILL and waits until the process is really gone. The data dir and port
   * are kept for {@link #restart()}. Does nothing if it is not running.
   *
   * @throws UnsupportedOperationException for an external server
   */
  public synchronized void kill9() {
    requireManaged("kill9()");
    requireOpen();
    stopProcess(Duration.ZERO);
    LOG.info("redis-server on port {} killed with SIGKILL", port);
  }

  /**
   * Stops the server gracefully (SIGTERM, SIGKILL after the stop timeout). The data dir and port
   * are kept for {@link #restart()}.
   *
   * @throws UnsupportedOperationException for an external server
   */
  public synchronized void stop() {
    requireManaged("stop()");
    requireOpen();
    stopProcess(options.stopTimeout);
  }

  /**
   * Starts the server again on the same port with the same data dir, so the AOF is replayed; stops
   * it gracefully first if it is still running. Returns once it answers PING.
   *
   * @throws UnsupportedOperationException for an external server
   */
  public synchronized void restart() {
    requireManaged("restart()");
    requireOpen();
    if (process != null && process.isAlive()) {
      stopProcess(options.stopTimeout);
    }
    startProcess();
  }

  /**
   * Stops a private server (SIGTERM, SIGKILL after the stop timeout). Does nothing for the shared
   * server (the shutdown hook stops it) and for an external one. The data dir is left for
   * inspection and deleted by a later JVM.
   */
  @Override
  public synchronized void close() {
    if (isShared || isExternal() || closed) {
      return;
    }
    closed = true;
    stopProcess(options.stopTimeout);
  }

  private void requireManaged(String what) {
    if (isExternal()) {
      throw new UnsupportedOperationException(
          what
              + " is not possible on the external Redis "
              + host
              + ":"
              + port
              + " (from "
              + EXTERNAL_ENV
              + "); use RedisServer.start(...) for a server this JVM controls");
    }
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException(this + " is closed");
    }
  }

  @Override
  public String toString() {
    return "RedisServer[" + host + ":" + port + (isExternal() ? ", external" : "") + "]";
  }
}
