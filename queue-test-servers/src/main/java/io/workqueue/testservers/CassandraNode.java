package io.workqueue.testservers;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Apache Cassandra 5.0 for tests, run as a child JVM from the {@code
 * cassandra-all} jars, or a handle to an external Cassandra.
 *
 * <p>{@link #shared()} gives one node per JVM, started lazily and stopped by a shutdown hook.
 * {@link #start(Options)} starts a private node that the caller controls and closes, e.g. for fault
 * tests with {@link #kill9()} and {@link #restart()}.
 *
 * <p>The node listens on 127.0.0.1 only, on a free CQL port and a free storage port chosen by the
 * OS, keeps everything in {@code <servers dir>/cassandra-<cql port>} (servers dir: system property
 * {@code workqueue.servers.dir}, else {@code target/servers}) and is ready when its CQL port
 * accepts TCP connections. Its local datacenter is {@value #DEFAULT_DATACENTER}.
 *
 * <p>The jars come from the directory in the system property {@value #LIB_PROPERTY} (set by the
 * parent pom's surefire configuration to {@code queue-cassandra-server/target/lib}), else from
 * {@code queue-cassandra-server/target/lib} in the working directory or one of its parents. The
 * child runs on this JVM's {@code java} unless {@value #JAVA_PROPERTY} names another; Cassandra 5.0
 * needs Java 11 or 17.
 *
 * <p>When the environment variable {@code WORKQUEUE_CASSANDRA=host:port} is set, {@link #shared()}
 * returns a handle to that node instead (datacenter from {@code WORKQUEUE_CASSANDRA_DC}, default
 * {@value #DEFAULT_DATACENTER}); process control methods then throw {@link
 * UnsupportedOperationException}.
 */
public final class CassandraNode implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(CassandraNode.class);

  /**
   * Environment variable naming an external Cassandra ({@code host:port}) for {@link #shared()}.
   */
  public static final String EXTERNAL_ENV = "WORKQUEUE_CASSANDRA";

  /** Environment variable with the local datacenter of the external Cassandra. */
  public static final String EXTERNAL_DC_ENV = "WORKQUEUE_CASSANDRA_DC";

  /** System property: directory holding cassandra-all and all its runtime dependencies. */
  public static final String LIB_PROPERTY = "workqueue.cassandra.lib";

  /** System property: the java binary (or JDK home) to run Cassandra with; Java 11 or 17. */
  public static final String JAVA_PROPERTY = "workqueue.cassandra.java";

  /** The local datacenter of a node started here (SimpleSnitch's default). */
  public static final String DEFAULT_DATACENTER = "datacenter1";

  private static final String RESOURCES = "/io/workqueue/testservers/cassandra/";
  private static final String LIB_MODULE_DIR = "queue-cassandra-server/target/lib";
  private static final Pattern CASSANDRA_JAR = Pattern.compile("cassandra-all-(.+)\\.jar");

  private static CassandraNode shared;
  private static RuntimeException sharedFailure;

  private final String host;
  private final int port;
  private final int storagePort;
  private final String datacenter;
  private final Options options;
  private final boolean isShared;
  private final Path dir;
  private final List<String> command;
  private final String version;
  private final ServerProcesses.Stoppable stopper;

  private Process process;
  private Process watchdog;
  private Duration startupTime = Duration.ZERO;
  private boolean closed;

  /** Settings for a node started by {@link #start(Options)}. Mutable builder; not thread-safe. */
  public static final class Options {
    private String heap = "512m";
    private boolean productionLike;
    private Duration startTimeout = Duration.ofSeconds(120);
    private Duration stopTimeout = Duration.ofSeconds(2);
    private Path java;
    private Path libDir;
    private boolean dropIpcLock = true;
    private final List<String> extraJvmArgs = new ArrayList<>();

    private Options() {}

    /**
     * The defaults: heap 512m, the test JVM flags (Serial GC, C1 only, {@code -ea}), start timeout
     * 120 s, graceful stop timeout 2 s, CAP_IPC_LOCK dropped when running as root.
     *
     * @return new options
     */
    public static Options defaults() {
      return new Options();
    }

    /**
     * Sets {@code -Xms} and {@code -Xmx}.
     *
     * @param size a JVM size such as {@code 512m} or {@code 2g}
     * @return these options
     */
    public Options heap(String size) {
      String s = Objects.requireNonNull(size, "size").trim();
      if (!s.matches("\\d+[kKmMgG]?")) {
        throw new IllegalArgumentException("heap must look like 512m or 2g, got '" + size + "'");
      }
      this.heap = s;
      return this;
    }

    /**
     * Chooses the production-like JVM flags (G1 as in Cassandra's own options, full JIT, no {@code
     * -ea}) instead of the test flags (Serial GC, {@code -XX:TieredStopAtLevel=1}, {@code -ea}),
     * e.g. for benchmarks.
     *
     * @param productionLike true for the production-like flags
     * @return these options
     */
    public Options productionLike(boolean productionLike) {
      this.productionLike = productionLike;
      return this;
    }

    /**
     * Sets how long to wait for the CQL port.
     *
     * @param timeout the timeout
     * @return these options
     */
    public Options startTimeout(Duration timeout) {
      this.startTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /**
     * Sets how long {@link #stop()}, {@link #close()} and the shutdown hook wait after SIGTERM
     * before SIGKILL; zero means SIGKILL right away. A full graceful stop takes about 6 s.
     *
     * @param timeout the timeout
     * @return these options
     */
    public Options stopTimeout(Duration timeout) {
      this.stopTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /**
     * Runs the node with this {@code java} binary (or JDK home) instead of this JVM's.
     *
     * @param javaBinaryOrHome a {@code bin/java} or a JDK home; Java 11 or 17
     * @return these options
     */
    public Options java(Path javaBinaryOrHome) {
      this.java = Objects.requireNonNull(javaBinaryOrHome, "javaBinaryOrHome");
      return this;
    }

    /**
     * Takes the Cassandra jars from this directory instead of the system property {@value
     * CassandraNode#LIB_PROPERTY}.
     *
     * @param dir directory holding cassandra-all and its runtime dependencies
     * @return these options
     */
    public Options libDir(Path dir) {
      this.libDir = Objects.requireNonNull(dir, "dir");
      return this;
    }

    /**
     * When running as root (default true): start the node without CAP_IPC_LOCK, so that Cassandra's
     * {@code mlockall()} fails harmlessly instead of pinning every mapped page (about 830 MiB RSS
     * instead of 370 MiB). Needs {@code setpriv} (util-linux).
     *
     * @param drop whether to drop the capability
     * @return these options
     */
    public Options dropIpcLock(boolean drop) {
      this.dropIpcLock = drop;
      return this;
    }

    /**
     * Adds JVM arguments, placed after the launcher's own flags. Do not add a garbage collector
     * (the JVM refuses two); use {@link #productionLike(boolean)}.
     *
     * @param args the JVM arguments
     * @return these options
     */
    public Options extraJvmArgs(String... args) {
      this.extraJvmArgs.addAll(List.of(args));
      return this;
    }

    /**
     * The heap size.
     *
     * @return the {@code -Xmx} value
     */
    public String heap() {
      return heap;
    }

    /**
     * Whether the production-like flags are used.
     *
     * @return true for production-like
     */
    public boolean isProductionLike() {
      return productionLike;
    }

    Options copy() {
      Options o = new Options();
      o.heap = heap;
      o.productionLike = productionLike;
      o.startTimeout = startTimeout;
      o.stopTimeout = stopTimeout;
      o.java = java;
      o.libDir = libDir;
      o.dropIpcLock = dropIpcLock;
      o.extraJvmArgs.addAll(extraJvmArgs);
      return o;
    }
  }

  private CassandraNode(String host, int port, String datacenter) {
    this.host = host;
    this.port = port;
    this.storagePort = -1;
    this.datacenter = datacenter;
    this.options = null;
    this.isShared = true;
    this.dir = null;
    this.command = List.of();
    this.version = "external";
    this.stopper = null;
  }

  private CassandraNode(
      int port,
      int storagePort,
      Options options,
      boolean isShared,
      Path dir,
      List<String> command,
      String version) {
    this.host = ServerProcesses.LOOPBACK;
    this.port = port;
    this.storagePort = storagePort;
    this.datacenter = DEFAULT_DATACENTER;
    this.options = options;
    this.isShared = isShared;
    this.dir = dir;
    this.command = List.copyOf(command);
    this.version = version;
    this.stopper =
        new ServerProcesses.Stoppable() {
          @Override
          public void stopAtShutdown() {
            stopProcess(CassandraNode.this.options.stopTimeout);
          }

          @Override
          public String describe() {
            return "cassandra-" + CassandraNode.this.port;
          }
        };
  }

  /**
   * The Cassandra node shared by all tests of this JVM: started on first use with {@link
   * Options#defaults()}, stopped by a shutdown hook; or the external node named by {@value
   * #EXTERNAL_ENV}. {@link #close()} on it does nothing. If it failed to start once, later calls
   * fail fast.
   *
   * @return the shared node
   */
  public static synchronized CassandraNode shared() {
    if (shared != null) {
      return shared;
    }
    if (sharedFailure != null) {
      throw new IllegalStateException(
          "the shared Cassandra node failed to start earlier in this JVM", sharedFailure);
    }
    try {
      String external = System.getenv(EXTERNAL_ENV);
      if (external != null && !external.isBlank()) {
        InetSocketAddress address = ServerProcesses.parseHostPort(external, EXTERNAL_ENV);
        String dc = System.getenv(EXTERNAL_DC_ENV);
        shared =
            external(
                address.getHostString(),
                address.getPort(),
                dc == null || dc.isBlank() ? DEFAULT_DATACENTER : dc.trim());
        LOG.info("using external Cassandra {} from {}", external.trim(), EXTERNAL_ENV);
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
   * Starts a private node with {@link Options#defaults()}. The caller must {@link #close()} it.
   *
   * @return the running node
   */
  public static CassandraNode start() {
    return start(Options.defaults());
  }

  /**
   * Starts a private node and waits until its CQL port accepts connections. The caller must {@link
   * #close()} it (a shutdown hook stops it otherwise).
   *
   * @param options the settings; copied
   * @return the running node
   */
  public static CassandraNode start(Options options) {
    return launch(Objects.requireNonNull(options, "options").copy(), false);
  }

  /**
   * A handle to a Cassandra that this JVM does not control ({@link #kill9()} and friends throw).
   *
   * @param host the host
   * @param port the CQL port
   * @param localDatacenter the datacenter drivers should treat as local
   * @return the handle
   */
  public static CassandraNode external(String host, int port, String localDatacenter) {
    return new CassandraNode(
        Objects.requireNonNull(host, "host"),
        port,
        Objects.requireNonNull(localDatacenter, "localDatacenter"));
  }

  private static CassandraNode launch(Options options, boolean isShared) {
    Path lib = findLibDir(options);
    String version = cassandraVersion(lib);
    Path java = findJava(options);
    IllegalStateException last = null;
    for (int attempt = 1; attempt <= 3; attempt++) {
      int[] ports = ServerProcesses.freePorts(2);
      Path dir = ServerProcesses.newServerDir("cassandra", ports[0]);
      prepareDir(dir, ports[0], ports[1]);
      List<String> command = command(java, lib, dir, options);
      CassandraNode node =
          new CassandraNode(ports[0], ports[1], options, isShared, dir, command, version);
      try {
        node.startProcess();
        return node;
      } catch (PortTakenException e) {
        LOG.info("a port of {} was taken before Cassandra could bind it; retrying", dir);
        last = e;
      }
    }
    throw last;
  }

  /** Thrown when a chosen port was grabbed by someone else between choosing and binding. */
  private static final class PortTakenException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    PortTakenException(String message) {
      super(message);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // locating jars and java

  static Path findLibDir(Options options) {
    List<String> tried = new ArrayList<>();
    if (options.libDir != null) {
      Path p = options.libDir.toAbsolutePath().normalize();
      if (hasCassandraJar(p)) {
        return p;
      }
      throw new IllegalStateException(
          "Options.libDir(" + p + ") holds no cassandra-all-*.jar" + missingLibHint());
    }
    String prop = System.getProperty(LIB_PROPERTY);
    if (prop != null && !prop.isBlank()) {
      Path p = Path.of(prop.trim()).toAbsolutePath().normalize();
      if (hasCassandraJar(p)) {
        return p;
      }
      tried.add("-D" + LIB_PROPERTY + "=" + p);
    }
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      Path p = d.resolve(LIB_MODULE_DIR);
      if (hasCassandraJar(p)) {
        return p;
      }
    }
    tried.add(LIB_MODULE_DIR + " in " + Path.of("").toAbsolutePath() + " and its parents");
    throw new IllegalStateException(
        "Cassandra server jars not found (looked at: "
            + String.join("; ", tried)
            + ")"
            + missingLibHint());
  }

  private static String missingLibHint() {
    return ". They are copied there by the module queue-cassandra-server: build it first, e.g. run"
        + " 'mvn -pl <your module> -am verify' from the repository root (the -am matters), or"
        + " 'mvn -pl queue-cassandra-server generate-resources'.";
  }

  private static boolean hasCassandraJar(Path dir) {
    return !cassandraJars(dir).isEmpty();
  }

  private static List<Path> cassandraJars(Path dir) {
    List<Path> jars = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return jars;
    }
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "cassandra-all-*.jar")) {
      s.forEach(jars::add);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return jars;
  }

  private static String cassandraVersion(Path lib) {
    List<Path> jars = cassandraJars(lib);
    if (jars.size() != 1) {
      throw new IllegalStateException(
          lib
              + " holds "
              + jars.size()
              + " cassandra-all jars "
              + jars
              + " (stale copies after a version change?): run 'mvn clean' in"
              + " queue-cassandra-server");
    }
    Matcher m = CASSANDRA_JAR.matcher(jars.get(0).getFileName().toString());
    return m.matches() ? m.group(1) : "?";
  }

  static Path findJava(Options options) {
    Path java;
    String source;
    if (options.java != null) {
      java = options.java;
      source = "Options.java(...)";
    } else if (System.getProperty(JAVA_PROPERTY) != null
        && !System.getProperty(JAVA_PROPERTY).isBlank()) {
      java = Path.of(System.getProperty(JAVA_PROPERTY).trim());
      source = "-D" + JAVA_PROPERTY;
    } else {
      java =
          ProcessHandle.current()
              .info()
              .command()
              .map(Path::of)
              .filter(p -> p.getFileName().toString().equals("java"))
              .orElse(Path.of(System.getProperty("java.home"), "bin", "java"));
      source = "the test JVM";
    }
    if (Files.isDirectory(java)) {
      java = java.resolve("bin").resolve("java");
    }
    if (!Files.isExecutable(java)) {
      throw new IllegalStateException("no java binary at " + java + " (from " + source + ")");
    }
    int feature = javaFeatureVersion(java);
    if (feature != 11 && feature != 17) {
      throw new IllegalStateException(
          "Cassandra 5.0 runs only on Java 11 or 17, but "
              + java
              + " (from "
              + source
              + ") is Java "
              + (feature < 0 ? "of unknown version" : feature)
              + ". Run the tests on JDK 17, or point -D"
              + JAVA_PROPERTY
              + " at a Java 17 binary or home (e.g. /usr/lib/jvm/java-17-openjdk-amd64).");
    }
    return java;
  }

  /** The feature version (11, 17, ...) of a java binary, or -1 if unknown. */
  static int javaFeatureVersion(Path java) {
    Path current = Path.of(System.getProperty("java.home"), "bin", "java");
    try {
      if (java.toRealPath().equals(current.toRealPath())) {
        return Runtime.version().feature();
      }
    } catch (IOException e) {
      // fall through
    }
    try {
      Path release = java.toRealPath().getParent().getParent().resolve("release");
      if (Files.isRegularFile(release)) {
        Properties props = new Properties();
        try (InputStream in = Files.newInputStream(release)) {
          props.load(in);
        }
        int v = parseFeature(props.getProperty("JAVA_VERSION"));
        if (v > 0) {
          return v;
        }
      }
      Process p =
          new ProcessBuilder(java.toString(), "-version")
              .redirectErrorStream(true)
              .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor();
      Matcher m = Pattern.compile("version \"([^\"]+)\"").matcher(out);
      return m.find() ? parseFeature(m.group(1)) : -1;
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  static int parseFeature(String version) {
    if (version == null) {
      return -1;
    }
    String v = version.replace("\"", "").trim();
    if (v.startsWith("1.")) {
      v = v.substring(2);
    }
    Matcher m = Pattern.compile("^(\\d+)").matcher(v);
    return m.find() ? Integer.parseInt(m.group(1)) : -1;
  }

  // ---------------------------------------------------------------------------------------------
  // command line and files

  /** The JVM flags for the chosen profile, without heap flags, from jvm-flags.txt. */
  static List<String> jvmFlags(boolean productionLike) {
    List<String> flags = new ArrayList<>();
    for (String raw : resource("jvm-flags.txt").split("\n")) {
      String line = raw.trim();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      if (line.startsWith("-Xms") || line.startsWith("-Xmx")) {
        continue;
      }
      if (productionLike
          && (line.equals("-XX:+UseSerialGC")
              || line.startsWith("-XX:TieredStopAtLevel")
              || line.equals("-ea")
              || line.startsWith("-da:"))) {
        continue;
      }
      flags.add(line);
    }
    if (productionLike) {
      // G1 as in Cassandra's own conf/jvm11-server.options and jvm17-server.options.
      flags.add("-XX:+UseG1GC");
      flags.add("-XX:+ParallelRefProcEnabled");
      flags.add("-XX:MaxGCPauseMillis=300");
    }
    return flags;
  }

  private static List<String> command(Path java, Path lib, Path dir, Options options) {
    Path jamm;
    try (DirectoryStream<Path> s = Files.newDirectoryStream(lib, "jamm-*.jar")) {
      var it = s.iterator();
      jamm = it.hasNext() ? it.next() : null;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (jamm == null) {
      throw new IllegalStateException("no jamm-*.jar in " + lib);
    }
    List<String> cmd = new ArrayList<>();
    if (options.dropIpcLock && isRoot()) {
      Optional<Path> setpriv = ServerProcesses.onPath("setpriv");
      if (setpriv.isPresent()) {
        cmd.addAll(
            List.of(
                setpriv.get().toString(),
                "--inh-caps=-ipc_lock",
                "--bounding-set=-ipc_lock",
                "--"));
      } else {
        LOG.warn(
            "running as root without setpriv: Cassandra's mlockall() will pin its memory"
                + " (RSS ~830 MiB instead of ~370 MiB)");
      }
    }
    cmd.add(java.toString());
    cmd.add("-Xms" + options.heap);
    cmd.add("-Xmx" + options.heap);
    cmd.addAll(jvmFlags(options.productionLike));
    cmd.add("-javaagent:" + jamm);
    cmd.add("-Dcassandra.config=" + dir.resolve("conf/cassandra.yaml").toUri());
    cmd.add("-Dcassandra.storagedir=" + dir);
    cmd.add("-Dcassandra.logdir=" + dir.resolve("logs"));
    cmd.add("-Dcassandra.triggers_dir=" + dir.resolve("triggers"));
    cmd.add("-Dlogback.configurationFile=" + dir.resolve("conf/logback.xml").toUri());
    cmd.add("-Dcassandra-foreground=yes");
    cmd.add("-Dcassandra.skip_wait_for_gossip_to_settle=0");
    cmd.add("-Dcassandra.ring_delay_ms=0");
    cmd.add("-Dcassandra.superuser_setup_delay_ms=0");
    cmd.addAll(options.extraJvmArgs);
    cmd.add("-cp");
    cmd.add(lib + File.separator + "*");
    cmd.add("org.apache.cassandra.service.CassandraDaemon");
    return cmd;
  }

  private static void prepareDir(Path dir, int cqlPort, int storagePort) {
    try {
      Files.createDirectories(dir.resolve("conf"));
      Files.createDirectories(dir.resolve("logs"));
      Files.createDirectories(dir.resolve("triggers"));
      String yaml =
          resource("cassandra.yaml")
              .replace("${STORAGE_DIR}", dir.toString())
              .replace("${CQL_PORT}", Integer.toString(cqlPort))
              .replace("${STORAGE_PORT}", Integer.toString(storagePort));
      Files.writeString(dir.resolve("conf/cassandra.yaml"), yaml);
      Files.writeString(dir.resolve("conf/logback.xml"), resource("logback.xml"));
    } catch (IOException e) {
      throw new UncheckedIOException("could not prepare " + dir, e);
    }
  }

  private static String resource(String name) {
    try (InputStream in = CassandraNode.class.getResourceAsStream(RESOURCES + name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + RESOURCES + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static boolean isRoot() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          return line.substring(4).trim().split("\\s+")[0].equals("0");
        }
      }
    } catch (IOException | RuntimeException e) {
      // fall through
    }
    return "root".equals(System.getProperty("user.name"));
  }

  // ---------------------------------------------------------------------------------------------
  // process control

  private synchronized void startProcess() {
    if (ServerProcesses.acceptsTcp(host, port, 200)) {
      throw new IllegalStateException("CQL port " + port + " is already in use; cannot start");
    }
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectErrorStream(true)
            .redirectOutput(
                ProcessBuilder.Redirect.appendTo(dir.resolve("logs/stdout.log").toFile()));
    long t0 = System.nanoTime();
    try {
      process = pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException("could not run " + command.get(0), e);
    }
    ServerProcesses.writePidFile(dir, process.pid());
    watchdog = ServerProcesses.startWatchdog(process.pid());
    ServerProcesses.register(stopper);
    long deadline = t0 + options.startTimeout.toNanos();
    while (!ServerProcesses.acceptsTcp(host, port, 200)) {
      if (!process.isAlive()) {
        stopProcess(Duration.ZERO);
        String logs = logTails();
        String message =
            "Cassandra (pid "
                + process.pid()
                + ", CQL port "
                + port
                + ") exited during startup with code "
                + process.exitValue()
                + "\n"
                + logs;
        if (logs.contains("Address already in use")) {
          throw new PortTakenException(message);
        }
        throw new IllegalStateException(message);
      }
      if (System.nanoTime() > deadline) {
        stopProcess(Duration.ZERO);
        throw new IllegalStateException(
            "Cassandra (CQL port "
                + port
                + ", dir "
                + dir
                + ") did not accept CQL connections within "
                + String.format(Locale.ROOT, "%.1f", options.startTimeout.toMillis() / 1000.0)
                + " s; killed it\n"
                + logTails());
      }
      ServerProcesses.sleep(100);
    }
    startupTime = Duration.ofNanos(System.nanoTime() - t0);
    LOG.info(
        "Cassandra {} up on {}:{} in {} s (pid {}, heap {}, {} flags, storage port {}, dir {})",
        version,
        host,
        port,
        String.format(Locale.ROOT, "%.1f", startupTime.toMillis() / 1000.0),
        process.pid(),
        options.heap,
        options.productionLike ? "production-like" : "test",
        storagePort,
        dir);
  }

  private String logTails() {
    return ServerProcesses.tail(dir.resolve("logs/system.log"), 40)
        + ServerProcesses.tail(dir.resolve("logs/stdout.log"), 15);
  }

  private synchronized void stopProcess(Duration grace) {
    if (process != null) {
      ServerProcesses.stopTree(process, grace);
    }
    ServerProcesses.stopWatchdog(watchdog);
    watchdog = null;
    ServerProcesses.unregister(stopper);
  }

  // ---------------------------------------------------------------------------------------------
  // accessors and control

  /**
   * The address drivers should connect to.
   *
   * @return host and CQL port
   */
  public InetSocketAddress contactPoint() {
    return new InetSocketAddress(host, port);
  }

  /**
   * The host of the CQL endpoint.
   *
   * @return {@code 127.0.0.1} for a node started here
   */
  public String host() {
    return host;
  }

  /**
   * The CQL (native transport) port.
   *
   * @return the port
   */
  public int port() {
    return port;
  }

  /**
   * The inter-node (storage) port.
   *
   * @return the port
   * @throws UnsupportedOperationException for an external node
   */
  public int storagePort() {
    requireManaged("storagePort()");
    return storagePort;
  }

  /**
   * The datacenter drivers should treat as local.
   *
   * @return {@value #DEFAULT_DATACENTER} for a node started here
   */
  public String localDatacenter() {
    return datacenter;
  }

  /**
   * The Cassandra version, from the cassandra-all jar's name.
   *
   * @return e.g. {@code 5.0.9}, or {@code external}
   */
  public String version() {
    return version;
  }

  /**
   * Whether this is a handle to a node this JVM does not control.
   *
   * @return true for an external node
   */
  public boolean isExternal() {
    return dir == null;
  }

  /**
   * The node's directory (conf, data, commitlog, logs).
   *
   * @return the storage dir
   * @throws UnsupportedOperationException for an external node
   */
  public Path dataDir() {
    requireManaged("dataDir()");
    return dir;
  }

  /**
   * The node's Cassandra log file.
   *
   * @return {@code <dataDir>/logs/system.log}
   * @throws UnsupportedOperationException for an external node
   */
  public Path systemLog() {
    return dataDir().resolve("logs/system.log");
  }

  /**
   * The pid of the node's JVM.
   *
   * @return the pid
   * @throws UnsupportedOperationException for an external node
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
   * How long the last start or restart took, from launch until the CQL port accepted connections.
   *
   * @return the duration; zero for an external node
   */
  public synchronized Duration startupTime() {
    return startupTime;
  }

  /**
   * Whether the node's process is alive (for an external node: whether its CQL port accepts TCP).
   *
   * @return true if running
   */
  public synchronized boolean isRunning() {
    if (isExternal()) {
      return ServerProcesses.acceptsTcp(host, port, 1000);
    }
    return process != null && process.isAlive();
  }

  /**
   * Kills the node with SIGKILL and waits until the process is really gone (its ports are then
   * free). The storage dir and ports are kept for {@link #restart()}. Does nothing if it is not
   * running.
   *
   * @throws UnsupportedOperationException for an external node
   */
  public synchronized void kill9() {
    requireManaged("kill9()");
    requireOpen();
    stopProcess(Duration.ZERO);
    LOG.info("Cassandra on port {} killed with SIGKILL", port);
  }

  /**
   * Stops the node: SIGTERM, then SIGKILL after the stop timeout. The storage dir and ports are
   * kept for {@link #restart()}.
   *
   * @throws UnsupportedOperationException for an external node
   */
  public synchronized void stop() {
    requireManaged("stop()");
    requireOpen();
    stopProcess(options.stopTimeout);
  }

  /**
   * Starts the node again with the same storage dir and ports (so the commit log is replayed);
   * stops it first if it is still running. Returns once the CQL port accepts connections.
   *
   * @throws UnsupportedOperationException for an external node
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
   * Stops a private node (SIGTERM, SIGKILL after the stop timeout). Does nothing for the shared
   * node (the shutdown hook stops it) and for an external one. The storage dir is left for
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
              + " is not possible on the external Cassandra "
              + host
              + ":"
              + port
              + " (from "
              + EXTERNAL_ENV
              + "); use CassandraNode.start(...) for a node this JVM controls");
    }
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException(this + " is closed");
    }
  }

  @Override
  public String toString() {
    return "CassandraNode[" + host + ":" + port + (isExternal() ? ", external" : "") + "]";
  }
}
