package io.workqueue.it;

import com.datastax.oss.driver.api.core.CqlSession;
import io.workqueue.QueueRef;
import io.workqueue.Task;
import io.workqueue.WorkQueue;
import io.workqueue.WorkQueues;
import io.workqueue.cassandra.CassandraTaskStore;
import io.workqueue.crypto.CassandraKeysetStore;
import io.workqueue.crypto.MasterKey;
import io.workqueue.crypto.TinkKeyProvider;
import io.workqueue.redis.RedisBookkeeper;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * A worker in a process of its own, for {@link ReliabilityWorkerKillTest}: leases tasks, reports
 * them on stdout, then waits, without acknowledging, until the test kills it with SIGKILL.
 *
 * <p>Arguments: redis host, redis port, cassandra host, cassandra port, datacenter, keyspace,
 * master key file, owner, service, worker, batch size, time to recover in ms. Output: one line
 * {@code LEASE <index> <deliveries> <deadline epoch ms> <value JSON>} per leased task, then {@code
 * READY}.
 */
public final class WorkerProcess {
  private WorkerProcess() {}

  /**
   * Runs the worker.
   *
   * @param args see the class comment
   * @throws InterruptedException never, in practice: the process is killed while it waits
   */
  public static void main(String[] args) throws InterruptedException {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    QueueRef q = QueueRef.of(args[7], args[8]);
    String worker = args[9];
    int batch = Integer.parseInt(args[10]);
    Duration ttr = Duration.ofMillis(Long.parseLong(args[11]));
    CqlSession session =
        CqlSession.builder()
            .addContactPoint(new InetSocketAddress(args[2], Integer.parseInt(args[3])))
            .withLocalDatacenter(args[4])
            .build();
    WorkQueue queue =
        WorkQueues.builder()
            .taskStore(CassandraTaskStore.builder().session(session).keyspace(args[5]).build())
            .bookkeeper(RedisBookkeeper.connect(args[0], Integer.parseInt(args[1])))
            .keyProvider(
                TinkKeyProvider.builder()
                    .masterKey(MasterKey.fromCleartextKeysetFile(Path.of(args[6])))
                    .keysetStore(
                        CassandraKeysetStore.builder().session(session).keyspace(args[5]).build())
                    .build())
            .build();
    List<Task> leased = new ArrayList<>(queue.fetchBatch(q, worker, batch, ttr));
    queue.fetch(q, worker, ttr).ifPresent(leased::add);
    for (Task t : leased) {
      out.println(
          "LEASE "
              + t.index()
              + " "
              + t.deliveries()
              + " "
              + t.deadline().toEpochMilli()
              + " "
              + t.value());
    }
    out.println("READY");
    new CountDownLatch(1).await(); // a worker busy with its tasks, until SIGKILL
  }
}
