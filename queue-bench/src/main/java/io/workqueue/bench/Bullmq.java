package io.workqueue.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * BullMQ, driven by our Node script {@code bullmq-bench.mjs} with the machine's {@code node}: the
 * script, its {@code package.json} (BullMQ pinned) and {@code package-lock.json} are copied out of
 * this jar into a work folder, where {@code npm install} installs BullMQ as the lock file pins it
 * (once; a later run reuses it). Not {@code npm ci}: it refuses a lock file that lists only the
 * platform packages the registry served, as ours does.
 */
final class Bullmq {
  /** The status of the BullMQ case where {@code node} is not on PATH. */
  static final String NODE_NOT_FOUND = "skipped: node not found";

  private static final String RESOURCES = "/io/workqueue/bench/bullmq/";
  private static final List<String> FILES =
      List.of("package.json", "package-lock.json", "bullmq-bench.mjs");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;
  private final Path node;
  private final String nodeVersion;
  private final String version;

  private Bullmq(Path dir, Path node, String nodeVersion, String version) {
    this.dir = dir;
    this.node = node;
    this.nodeVersion = nodeVersion;
    this.version = version;
  }

  /** The outcome of looking for node and installing BullMQ. */
  sealed interface Setup {}

  /** BullMQ is ready to run. */
  record Ready(Bullmq bullmq) implements Setup {}

  /** BullMQ cannot run here; {@code status} says why ("skipped: ..."). */
  record Skipped(String status) implements Setup {}

  /**
   * Finds node and npm on PATH and installs BullMQ under {@code workDir/bullmq}.
   *
   * @return ready, or skipped when node or npm is not on PATH
   * @throws IllegalStateException when npm fails
   */
  static Setup setUp(Path workDir) {
    Optional<Path> node = onPath("node");
    if (node.isEmpty()) {
      return new Skipped(NODE_NOT_FOUND);
    }
    Optional<Path> npm = onPath("npm");
    if (npm.isEmpty()) {
      return new Skipped("skipped: npm not found (node is " + node.get() + ")");
    }
    Path dir = workDir.resolve("bullmq").toAbsolutePath();
    try {
      Files.createDirectories(dir);
      boolean changed = false;
      for (String f : FILES) {
        boolean copied = copy(RESOURCES + f, dir.resolve(f));
        changed |= copied && f.startsWith("package"); // the script alone needs no new install
      }
      Path installed = dir.resolve("node_modules/bullmq/package.json");
      if (changed || !Files.isRegularFile(installed)) {
        run(
            List.of(
                npm.get().toString(),
                "install",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
                "--omit=dev"),
            dir,
            dir.resolve("npm.log"),
            TimeUnit.MINUTES.toMillis(5));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("could not install BullMQ in " + dir, e);
    }
    String nodeVersion =
        run(List.of(node.get().toString(), "--version"), dir, dir.resolve("node.log"), 30_000)
            .trim();
    Bullmq b = new Bullmq(dir, node.get(), nodeVersion, "?");
    String version = b.phase("version", List.of()).path("bullmq").asText("?");
    return new Ready(new Bullmq(dir, node.get(), nodeVersion, version));
  }

  /** BullMQ's version as installed. */
  String version() {
    return version;
  }

  /** node's version. */
  String nodeVersion() {
    return nodeVersion;
  }

  /** The result of one timed phase. */
  record Timed(long count, double seconds, Latency latency) {}

  /**
   * Runs a phase of the script against a Redis.
   *
   * @param phase add, addBulk, drain or fill
   * @param op the name of the timed call, for the latency
   */
  Timed run(
      String phase,
      String op,
      int port,
      String queue,
      int count,
      int concurrency,
      int warmup,
      boolean latencies) {
    Path file = dir.resolve("latencies-" + phase + "-" + queue + ".txt");
    List<String> args =
        new ArrayList<>(
            List.of(
                "--host",
                "127.0.0.1",
                "--port",
                Integer.toString(port),
                "--queue",
                queue,
                "--count",
                Integer.toString(count),
                "--concurrency",
                Integer.toString(concurrency),
                "--warmup",
                Integer.toString(warmup)));
    if (latencies) {
      args.add("--latencies");
      args.add(file.toString());
    }
    JsonNode out = phase(phase, args);
    Histogram h = Latency.newHistogram();
    if (latencies) {
      try {
        for (String line : Files.readAllLines(file, StandardCharsets.US_ASCII)) {
          if (!line.isBlank()) {
            h.recordValue(Math.min(Long.parseLong(line.trim()), 60_000_000_000L));
          }
        }
        Files.deleteIfExists(file);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return new Timed(
        out.path("count").asLong(), out.path("seconds").asDouble(), new Latency(op, h));
  }

  private JsonNode phase(String phase, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(node.toString());
    cmd.add(dir.resolve("bullmq-bench.mjs").toString());
    cmd.add(phase);
    cmd.addAll(args);
    String stdout =
        run(cmd, dir, dir.resolve("bullmq-" + phase + ".log"), TimeUnit.MINUTES.toMillis(10));
    String last = "";
    for (String line : stdout.split("\n")) {
      if (line.startsWith("{")) {
        last = line;
      }
    }
    try {
      return JSON.readTree(last);
    } catch (IOException e) {
      throw new IllegalStateException("BullMQ script printed no result: " + stdout, e);
    }
  }

  /** Runs a command, stderr to a log; returns stdout; fails on a non-zero exit or timeout. */
  private static String run(List<String> cmd, Path dir, Path log, long timeoutMillis) {
    try {
      Path out = Files.createTempFile(dir, "stdout", ".txt");
      Process p =
          new ProcessBuilder(cmd)
              .directory(dir.toFile())
              .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
              .redirectOutput(out.toFile())
              .redirectError(log.toFile())
              .start();
      if (!p.waitFor(timeoutMillis, TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
        throw new IllegalStateException(
            String.join(" ", cmd) + " did not finish in " + timeoutMillis / 1000 + " s");
      }
      String stdout = Files.readString(out, StandardCharsets.UTF_8);
      Files.deleteIfExists(out);
      if (p.exitValue() != 0) {
        throw new IllegalStateException(
            String.join(" ", cmd)
                + " exited with "
                + p.exitValue()
                + ": "
                + tail(Files.readString(log, StandardCharsets.UTF_8)));
      }
      return stdout;
    } catch (IOException e) {
      throw new UncheckedIOException("could not run " + cmd.get(0), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static String tail(String s) {
    return s.length() <= 2000 ? s : "..." + s.substring(s.length() - 2000);
  }

  /** Copies a resource to a file; returns whether the file changed. */
  private static boolean copy(String resource, Path target) throws IOException {
    try (InputStream in = Bullmq.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("resource " + resource + " missing from the jar");
      }
      byte[] bytes = in.readAllBytes();
      if (Files.isRegularFile(target)
          && java.util.Arrays.equals(Files.readAllBytes(target), bytes)) {
        return false;
      }
      Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".tmp");
      Files.write(tmp, bytes);
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      return true;
    }
  }

  /** An executable on PATH. */
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
}
