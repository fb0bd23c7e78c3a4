package io.workqueue.it;

import static io.workqueue.it.ReliabilityRig.count;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.workqueue.QueueRef;
import io.workqueue.redis.RedisBookkeeper;
import io.workqueue.spi.KeyProvider;
import io.workqueue.testkit.InMemoryKeyProvider;
import io.workqueue.testkit.history.Anomaly;
import io.workqueue.testkit.history.CheckResult;
import io.workqueue.testkit.history.Drain;
import io.workqueue.testkit.history.History;
import io.workqueue.testkit.history.HistoryChecker;
import io.workqueue.testkit.history.Operation;
import io.workqueue.testkit.history.RecordingWorkQueue;
import io.workqueue.testkit.history.Status;
import io.workqueue.testkit.history.Workload;
import io.workqueue.testservers.RedisServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * kill -9 of Redis under a concurrent add/fetch/ack load, and a restart on the same data dir, with
 * the history checked: with {@code appendfsync always} nothing acknowledged is lost. Then it
 * measures what {@code appendfsync everysec} can lose: after a kill -9 of the process (the kernel
 * still holds what Redis wrote), and after a simulated host crash, where the AOF loses what was
 * written in the last second before the kill (everysec's fsync window).
 */
class ReliabilityRedisKillTest {
  private static final int RUNS = Integer.getInteger("reliability.everysec.runs", 2);
  private static final Duration EVERYSEC_WINDOW = Duration.ofSeconds(1);

  private enum Crash {
    /** The process is killed; what it wrote to the AOF file survives in the page cache. */
    PROCESS,
    /** The host crashes: the AOF loses the bytes written in the last second. */
    HOST
  }

  private record Outcome(CheckResult result, String figures, long outageFailures) {}

  @Test
  @DisplayName("kill -9 of Redis (appendfsync always) mid-load loses nothing acknowledged")
  void always() {
    Outcome run = run("always", Crash.PROCESS, 1);
    ReliabilityRig.report("redis kill -9, appendfsync always", run.result(), run.figures());
    run.result().assertValid();
    assertThat(run.outageFailures())
        .as("calls during the outage failed as backend failures")
        .isPositive();
    assertThat(run.result().adds()).isPositive();
  }

  @Test
  @DisplayName("measures what appendfsync everysec loses on kill -9 and on a host crash")
  void everysec() {
    long processLost = 0;
    long hostAnomalies = 0;
    for (int i = 1; i <= RUNS; i++) {
      Outcome run = run("everysec", Crash.PROCESS, i);
      ReliabilityRig.report(
          "redis kill -9, appendfsync everysec, run " + i,
          run.result(),
          run.figures() + "; " + damageFigures(run.result()));
      processLost += damage(run.result());
    }
    for (int i = 1; i <= RUNS; i++) {
      Outcome run = run("everysec", Crash.HOST, i);
      ReliabilityRig.report(
          "redis host crash (last 1 s of AOF lost), appendfsync everysec, run " + i,
          run.result(),
          run.figures() + "; " + damageFigures(run.result()));
      hostAnomalies += damage(run.result());
    }
    assertThat(hostAnomalies)
        .as("losing the last second of bookkeeping under load is seen by the checker")
        .isPositive();
    ReliabilityRig.report(
        String.format(
            Locale.ROOT,
            "everysec over %d runs each: kill -9 of the process: %d acknowledged operations lost;"
                + " host crash: %d",
            RUNS,
            processLost,
            hostAnomalies));
  }

  /**
   * Acknowledged operations the bookkeeper forgot, as the checker sees them: adds whose index was
   * handed out again (some of them lost), acks forgotten (their task delivered again), leases
   * forgotten (their task held by two workers at once).
   */
  private static long damage(CheckResult r) {
    return r.count(Anomaly.Kind.DUPLICATE_INDEX)
        + r.count(Anomaly.Kind.FORGOTTEN_ACK)
        + r.count(Anomaly.Kind.OVERLAPPING_LEASES)
        + r.count(Anomaly.Kind.UNKNOWN_DELIVERY);
  }

  private static String damageFigures(CheckResult r) {
    return String.format(
        Locale.ROOT,
        "%d adds' indices handed out again (%d of those adds lost), %d acks forgotten (task"
            + " delivered again), %d leases forgotten (task held twice)",
        r.count(Anomaly.Kind.DUPLICATE_INDEX),
        r.lost(),
        r.count(Anomaly.Kind.FORGOTTEN_ACK),
        r.count(Anomaly.Kind.OVERLAPPING_LEASES));
  }

  private Outcome run(String appendfsync, Crash crash, int run) {
    try (RedisServer redis =
            RedisServer.start(RedisServer.Options.defaults().appendfsync(appendfsync));
        RedisBookkeeper bookkeeper =
            RedisBookkeeper.builder().connect(redis.host(), redis.port()).build()) {
      History history = new History(Clock.systemUTC());
      KeyProvider keys = new InMemoryKeyProvider();
      List<QueueRef> queues = ReliabilityRig.queues(4, 2);
      List<RecordingWorkQueue> nodes =
          Stream.of("n1", "n2")
              .map(
                  name ->
                      ReliabilityRig.node(
                          history,
                          name,
                          RealServers.store(),
                          bookkeeper,
                          keys,
                          c -> {},
                          b ->
                              b.holeGracePeriod(Duration.ofSeconds(1))
                                  .completionRetryDelay(Duration.ofMillis(300))))
              .toList();
      Workload.Running load =
          Workload.builder()
              .nodes(nodes)
              .queues(queues)
              .threads(8)
              .timeToRecover(Duration.ofSeconds(1), Duration.ofSeconds(2))
              .maxWork(Duration.ofMillis(3))
              .abandonRate(0.02)
              .addShare(0.45)
              .backoff(Duration.ofMillis(50))
              .seed(run * 7919L + appendfsync.hashCode())
              .build()
              .start();
      AofTail tail = crash == Crash.HOST ? AofTail.watch(redis.dataDir()) : null;
      long t0 = System.nanoTime();
      // at least 3 s of load (the host crash cuts the last second) and some of everything
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  ReliabilityRig.millisSince(t0) >= 3000
                      && count(history, ReliabilityRig::okAdd) >= 400
                      && count(history, ReliabilityRig::okAck) >= 150);
      long failuresBefore = count(history, ReliabilityRig::backendFailure);
      Instant killedAt = Instant.now();
      long killNanos = System.nanoTime();
      redis.kill9();
      String truncated = "";
      if (tail != null) {
        truncated = tail.loseLast(EVERYSEC_WINDOW, killNanos);
      }
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> count(history, ReliabilityRig::backendFailure) >= failuresBefore + 16);
      long outageFailures = count(history, ReliabilityRig::backendFailure) - failuresBefore;
      redis.restart();
      long outage = ReliabilityRig.millisSince(killNanos);
      long addsBefore = count(history, ReliabilityRig::okAdd);
      long t1 = System.nanoTime();
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> count(history, ReliabilityRig::okAdd) >= addsBefore + 300);
      long resumed = ReliabilityRig.millisSince(t1);
      Workload.Stats stats = load.stop();
      long loadMillis = ReliabilityRig.millisSince(t0);
      Drain.Result drained =
          Drain.of(nodes.get(0), queues)
              .timeToRecover(Duration.ofSeconds(2))
              .run(Duration.ofSeconds(crash == Crash.HOST ? 6 : 30));
      CheckResult result = HistoryChecker.strict().check(history);
      String figures =
          String.format(
              Locale.ROOT,
              "load %d ms, %d calls (%d failed), outage %d ms with %d backend failures, resumed in"
                  + " %d ms, acknowledged in the last second before the kill: %s%s, drain %s in %d"
                  + " ms",
              loadMillis,
              stats.calls(),
              stats.failures(),
              outage,
              outageFailures,
              resumed,
              acknowledgedIn(history, killedAt.minus(EVERYSEC_WINDOW), killedAt),
              truncated,
              drained.done() ? "done" : "NOT done " + drained.left(),
              drained.took().toMillis());
      return new Outcome(result, figures, outageFailures);
    }
  }

  /** What was acknowledged to callers in a window of the clock: adds and successful acks. */
  private static String acknowledgedIn(History history, Instant from, Instant to) {
    long adds = 0;
    long acks = 0;
    for (Operation op : history.operations()) {
      Instant at = op.timing().completeTime();
      if (op.status() != Status.OK || at.isBefore(from) || at.isAfter(to)) {
        continue;
      }
      if (op instanceof Operation.Add a) {
        adds += a.indices().size();
      } else if (op instanceof Operation.Ack k) {
        acks += k.acknowledged().size();
      }
    }
    return adds + " adds, " + acks + " acks";
  }

  /**
   * Watches the AOF of a Redis server: samples the size of its incremental AOF file every 20 ms, so
   * that after a kill it can cut the file back to its size some time before the kill, as a host
   * crash under {@code appendfsync everysec} would.
   */
  private static final class AofTail {
    private record Sample(long nanos, Path file, long size) {}

    private final ConcurrentLinkedDeque<Sample> samples = new ConcurrentLinkedDeque<>();
    private final ScheduledExecutorService sampler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "aof-sampler");
              t.setDaemon(true);
              return t;
            });
    private final Path dir;

    private AofTail(Path dir) {
      this.dir = dir;
    }

    static AofTail watch(Path dataDir) {
      AofTail tail = new AofTail(dataDir.resolve("appendonlydir"));
      tail.sampler.scheduleAtFixedRate(tail::sample, 0, 20, TimeUnit.MILLISECONDS);
      return tail;
    }

    private void sample() {
      try (Stream<Path> files = Files.list(dir)) {
        files
            .filter(p -> p.getFileName().toString().endsWith(".incr.aof"))
            .max(Comparator.comparing(p -> p.getFileName().toString()))
            .ifPresent(
                p -> {
                  try {
                    samples.add(new Sample(System.nanoTime(), p, Files.size(p)));
                  } catch (IOException e) {
                    // the file is being replaced; the next sample will do
                  }
                });
      } catch (IOException e) {
        // the directory is being created; the next sample will do
      }
    }

    /** Cuts the AOF back to its size {@code window} before {@code killNanos}; says how much. */
    String loseLast(Duration window, long killNanos) {
      sampler.shutdownNow();
      long cutoff = killNanos - window.toNanos();
      Sample before =
          samples.stream()
              .filter(s -> s.nanos() <= cutoff)
              .reduce((a, b) -> b)
              .orElseThrow(() -> new IllegalStateException("no AOF sample a second before"));
      try (FileChannel ch = FileChannel.open(before.file(), StandardOpenOption.WRITE)) {
        long size = ch.size();
        ch.truncate(before.size());
        return String.format(Locale.ROOT, ", AOF cut from %d to %d bytes", size, before.size());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
