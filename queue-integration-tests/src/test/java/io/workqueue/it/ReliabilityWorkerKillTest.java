package io.workqueue.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.workqueue.NewTask;
import io.workqueue.QueueRef;
import io.workqueue.Task;
import io.workqueue.crypto.CassandraKeysetStore;
import io.workqueue.crypto.MasterKey;
import io.workqueue.crypto.TinkKeyProvider;
import io.workqueue.spi.KeyProvider;
import io.workqueue.testkit.InMemoryKeyProvider;
import io.workqueue.testkit.history.CheckResult;
import io.workqueue.testkit.history.Drain;
import io.workqueue.testkit.history.History;
import io.workqueue.testkit.history.HistoryChecker;
import io.workqueue.testkit.history.Operation;
import io.workqueue.testkit.history.RecordingWorkQueue;
import io.workqueue.testkit.history.Status;
import io.workqueue.testkit.history.Timing;
import io.workqueue.testkit.history.Workload;
import io.workqueue.testservers.CassandraNode;
import io.workqueue.testservers.RedisServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A worker dies holding leases, single and batch: its tasks go to the other workers once its own
 * deadlines pass (never before), and none is lost. Once as a worker thread that stops without
 * acknowledging, once as a worker process killed with SIGKILL.
 */
class ReliabilityWorkerKillTest {
  private static final Duration VICTIM_TTR = Duration.ofSeconds(1);
  private static final ObjectMapper JSON = new ObjectMapper();

  private static List<RecordingWorkQueue> nodes(History history, KeyProvider keys) {
    return List.of(node(history, keys, "n1"), node(history, keys, "n2"));
  }

  private static RecordingWorkQueue node(History history, KeyProvider keys, String name) {
    return ReliabilityRig.node(
        history,
        name,
        RealServers.store(),
        RealServers.bookkeeper(),
        keys,
        c -> {},
        b -> b.completionRetryDelay(Duration.ofMillis(300)));
  }

  private static void addTasks(RecordingWorkQueue node, QueueRef q, int n) {
    List<NewTask> tasks = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      tasks.add(NewTask.of(Map.of("id", "seed-" + i)).token("tok-" + i));
    }
    node.addAll(q, tasks);
  }

  @Test
  @DisplayName("a worker thread dies holding leases: others get its tasks after its deadlines")
  void workerThreadDies() throws Exception {
    History history = new History(Clock.systemUTC());
    List<RecordingWorkQueue> nodes = nodes(history, new InMemoryKeyProvider());
    QueueRef q = ReliabilityRig.queues(1, 1).get(0);
    addTasks(nodes.get(0), q, 150);

    Thread victim =
        new Thread(
            () -> {
              nodes.get(1).fetch(q, "victim", VICTIM_TTR).orElseThrow();
              nodes.get(1).fetchBatch(q, "victim", 30, VICTIM_TTR);
              // and dies: no ack, no release, nothing more
            },
            "victim");
    victim.start();
    victim.join(30_000);
    assertThat(victim.isAlive()).isFalse();

    survive(history, nodes, q, "victim", "worker thread");
  }

  @Test
  @DisplayName("a worker process is killed with SIGKILL holding leases: none of its tasks is lost")
  void workerProcessKilled() throws Exception {
    Path keyFile = Files.createTempFile(Path.of("target"), "master-key", ".json");
    Files.delete(keyFile);
    MasterKey masterKey = MasterKey.writeNewCleartextKeysetFile(keyFile);
    RealServers.store(); // creates the keyspace the keyset table lives in
    KeyProvider keys =
        TinkKeyProvider.builder()
            .masterKey(masterKey)
            .keysetStore(
                CassandraKeysetStore.builder()
                    .session(RealServers.session())
                    .keyspace(RealServers.KEYSPACE)
                    .build())
            .build();
    History history = new History(Clock.systemUTC());
    List<RecordingWorkQueue> nodes = nodes(history, keys);
    QueueRef q = ReliabilityRig.queues(1, 1).get(0);
    addTasks(nodes.get(0), q, 150);

    RedisServer redis = RedisServer.shared();
    CassandraNode cassandra = CassandraNode.shared();
    Path log = Path.of("target", "worker-process.log");
    History.Stopwatch watch = history.start();
    Process child =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                WorkerProcess.class.getName(),
                redis.host(),
                Integer.toString(redis.port()),
                cassandra.host(),
                Integer.toString(cassandra.port()),
                cassandra.localDatacenter(),
                RealServers.KEYSPACE,
                keyFile.toString(),
                q.owner(),
                q.service(),
                "child-worker",
                "30",
                Long.toString(VICTIM_TTR.toMillis() * 3))
            .redirectError(log.toFile())
            .start();
    List<String> lines = new CopyOnWriteArrayList<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(
                      new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                  lines.add(line);
                }
              } catch (IOException e) {
                // the process was killed
              }
            },
            "child-stdout");
    reader.setDaemon(true);
    reader.start();
    try {
      await()
          .atMost(Duration.ofSeconds(90))
          .failFast("the worker process exited", () -> !child.isAlive())
          .until(() -> lines.contains("READY"));
      Timing timing = watch.stop();
      List<Task> leased = parseLeases(q, lines);
      assertThat(leased).hasSize(31);
      history.append(
          seq ->
              new Operation.Fetch(
                  seq,
                  "child-jvm",
                  "main",
                  q,
                  timing,
                  Status.OK,
                  Optional.empty(),
                  "child-worker",
                  VICTIM_TTR.multipliedBy(3),
                  true,
                  leased));
    } finally {
      child.destroyForcibly();
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(child.exitValue()).as("killed by SIGKILL").isEqualTo(137);

    survive(history, nodes, q, "child-worker", "worker process (SIGKILL)");
  }

  private static List<Task> parseLeases(QueueRef q, List<String> lines) {
    List<Task> tasks = new ArrayList<>();
    for (String line : lines) {
      if (!line.startsWith("LEASE ")) {
        continue;
      }
      String[] f = line.split(" ", 5);
      try {
        JsonNode value = JSON.readTree(f[4]);
        tasks.add(
            new Task(
                q,
                Long.parseLong(f[1]),
                value,
                Optional.empty(),
                Integer.parseInt(f[2]),
                Instant.EPOCH,
                Instant.ofEpochMilli(Long.parseLong(f[3]))));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return tasks;
  }

  /**
   * Runs four surviving workers until every task the dead worker held was delivered to one of them,
   * then drains and checks.
   */
  private static void survive(
      History history, List<RecordingWorkQueue> nodes, QueueRef q, String deadWorker, String what) {
    Map<Long, Instant> deadlines = new HashMap<>();
    for (Operation op : history.operations()) {
      if (op instanceof Operation.Fetch f && f.worker().equals(deadWorker)) {
        f.tasks().forEach(t -> deadlines.put(t.index(), t.deadline()));
      }
    }
    assertThat(deadlines).as("leases the dead worker held").hasSizeGreaterThanOrEqualTo(31);

    long t0 = System.nanoTime();
    Workload.Running load =
        Workload.builder()
            .nodes(nodes)
            .queues(List.of(q))
            .threads(4)
            .workerPrefix("survivor")
            .timeToRecover(Duration.ofSeconds(5), Duration.ofSeconds(5))
            .maxWork(Duration.ofMillis(2))
            .abandonRate(0)
            .addShare(0.1)
            .seed(7)
            .build()
            .start();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> redelivered(history, q, deadlines.keySet()).size() == deadlines.size());
    long recoveredAfter = ReliabilityRig.millisSince(t0);
    load.stop();
    Drain.Result drained = Drain.of(nodes.get(0), List.of(q)).run(Duration.ofSeconds(30));
    CheckResult result = HistoryChecker.strict().check(history);
    ReliabilityRig.report(
        "worker killed holding " + deadlines.size() + " leases (" + what + ")",
        result,
        "all recovered by the survivors within "
            + recoveredAfter
            + " ms, drain "
            + (drained.done() ? "done" : "NOT done " + drained.left()));

    result.assertValid();
    Map<Long, Task> again = redelivered(history, q, deadlines.keySet());
    assertThat(again.values())
        .allSatisfy(
            t -> {
              assertThat(t.deliveries()).isGreaterThanOrEqualTo(2);
              assertThat(t.deadline().minus(Duration.ofSeconds(5)))
                  .as("recovered at or after the dead worker's deadline")
                  .isAfterOrEqualTo(deadlines.get(t.index()));
            });
  }

  /** The first delivery of each of these indices to a worker other than the dead one. */
  private static Map<Long, Task> redelivered(History history, QueueRef q, Set<Long> indices) {
    Map<Long, Task> first = new HashMap<>();
    for (Operation op : history.operations()) {
      if (op instanceof Operation.Fetch f
          && f.status() == Status.OK
          && q.equals(f.queue())
          && f.worker().startsWith("survivor")) {
        for (Task t : f.tasks()) {
          if (indices.contains(t.index())) {
            first.putIfAbsent(t.index(), t);
          }
        }
      }
    }
    return first;
  }
}
