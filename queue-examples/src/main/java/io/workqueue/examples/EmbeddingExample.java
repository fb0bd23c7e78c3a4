package io.workqueue.examples;

import com.datastax.oss.driver.api.core.CqlSession;
import io.workqueue.NewTask;
import io.workqueue.Outcome;
import io.workqueue.QueueRef;
import io.workqueue.Task;
import io.workqueue.WorkQueue;
import io.workqueue.WorkQueues;
import io.workqueue.cassandra.CassandraTaskStore;
import io.workqueue.crypto.InMemoryKeysetStore;
import io.workqueue.crypto.KeysetStore;
import io.workqueue.crypto.MasterKey;
import io.workqueue.crypto.TinkKeyProvider;
import io.workqueue.redis.RedisBookkeeper;
import io.workqueue.spi.CompletionListener;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import redis.clients.jedis.JedisPooled;

/**
 * Embedding the queue with the application's own clients: a {@link CqlSession} and a {@link
 * JedisPooled} that the application opens, shares and closes; the queue's adapters use them and
 * close neither.
 *
 * <pre>
 * java -cp workqueue-demo.jar io.workqueue.examples.EmbeddingExample 127.0.0.1:9042 datacenter1 127.0.0.1:6379
 * </pre>
 */
public final class EmbeddingExample {
  private EmbeddingExample() {}

  /**
   * Wires a queue on the application's clients.
   *
   * @param session the application's Cassandra session; statements name the keyspace, so it may be
   *     bound to any keyspace or none
   * @param jedis the application's Redis client ({@code JedisCluster} works the same)
   * @param keyspace where the queue's tables live; created here if missing
   * @param masterKey the key that seals the owners' keysets (a KMS key in production)
   * @param keysets where the owners' sealed keysets live ({@code CassandraKeysetStore} or {@code
   *     DirectoryKeysetStore} to keep them)
   * @param listener hears of every acknowledged task
   * @return the queue; thread-safe, one per application
   */
  public static WorkQueue wire(
      CqlSession session,
      JedisPooled jedis,
      String keyspace,
      MasterKey masterKey,
      KeysetStore keysets,
      CompletionListener listener) {
    CassandraTaskStore store =
        CassandraTaskStore.builder().session(session).keyspace(keyspace).build();
    store.createSchema(); // idempotent; operators may run io/workqueue/cassandra/schema.cql instead
    return WorkQueues.builder()
        .taskStore(store)
        .bookkeeper(RedisBookkeeper.of(jedis))
        .keyProvider(TinkKeyProvider.builder().masterKey(masterKey).keysetStore(keysets).build())
        .completionListener(listener)
        .build();
  }

  /**
   * Adds a task, leases it and acknowledges it with a result.
   *
   * @param queue the wired queue
   * @param billing the queue to use
   * @return the task as the worker saw it
   */
  public static Task roundTrip(WorkQueue queue, QueueRef billing) {
    long index = queue.add(billing, NewTask.of(Map.of("invoice", 42)).token("flow-7"));
    Task task = queue.fetch(billing, "worker-A", Duration.ofSeconds(30)).orElseThrow();
    if (task.index() != index) {
      throw new IllegalStateException("expected task " + index + ", got " + task.index());
    }
    queue.ack(billing, "worker-A", Outcome.success(Map.of("paid", true)));
    return task;
  }

  /**
   * Runs the round trip on the servers named by the arguments.
   *
   * @param args Cassandra {@code host:port}, its local datacenter, Redis {@code host:port}
   */
  public static void main(String[] args) {
    if (args.length != 3) {
      System.err.println("usage: EmbeddingExample CASSANDRA_HOST:PORT DATACENTER REDIS_HOST:PORT");
      System.exit(ExitCode.BAD_ARGUMENTS);
    }
    HostPort cassandra = HostPort.parse(args[0], 9042);
    HostPort redis = HostPort.parse(args[2], 6379);
    try (CqlSession session =
            CqlSession.builder()
                .addContactPoint(new InetSocketAddress(cassandra.host(), cassandra.port()))
                .withLocalDatacenter(args[1])
                .build();
        JedisPooled jedis = new JedisPooled(redis.host(), redis.port())) {
      WorkQueue queue =
          wire(
              session,
              jedis,
              "workqueue",
              MasterKey.generateEphemeral(),
              new InMemoryKeysetStore(),
              done -> System.out.println("completed " + done.queue() + " #" + done.index()));
      Task task = roundTrip(queue, QueueRef.of("tenant-1", "billing"));
      System.out.println(
          "worker saw " + task.value() + " with token " + task.token().orElseThrow());
    }
  }
}
