package io.workqueue.bench;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import io.workqueue.QueueListener;
import io.workqueue.WorkQueue;
import io.workqueue.WorkQueues;
import io.workqueue.cassandra.CassandraTaskStore;
import io.workqueue.crypto.CassandraKeysetStore;
import io.workqueue.crypto.MasterKey;
import io.workqueue.crypto.TinkKeyProvider;
import io.workqueue.redis.RedisBookkeeper;
import io.workqueue.testservers.CassandraNode;
import io.workqueue.testservers.RedisServer;
import java.time.Duration;
import java.util.Locale;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisPooled;

/**
 * The servers of one bench run and the clients on them: a Cassandra node and a Redis for the queue
 * (and the floor, which runs on the same two servers), and a second Redis for BullMQ with the same
 * persistence settings. Either started here with the bench's settings ({@link #startOwn()}) or the
 * shared servers of a test JVM ({@link #testServers()}).
 *
 * <p>Not thread-safe to build; the clients it hands out are thread-safe. {@link #close()} closes
 * the clients and stops the servers it started.
 */
public final class BenchServers implements AutoCloseable {
  /** The keyspace of the queue's tables, the keysets and the floor's tables. */
  public static final String KEYSPACE = "wq_bench";

  /** Connections of each Redis client pool: more than the bench's threads ever ask for. */
  private static final int REDIS_CONNECTIONS = 512;

  private final CassandraNode cassandra;
  private final RedisServer redis;
  private final RedisServer peerRedis;
  private final boolean ownsServers;
  private final String profile;
  private final CqlSession session;
  private final JedisPooled jedis;
  private final JedisPooled peerJedis;
  private final CassandraTaskStore store;
  private final TinkKeyProvider keys;
  private boolean recordPlainOutcomes = true;
  private WorkQueue queue;

  private BenchServers(
      CassandraNode cassandra,
      RedisServer redis,
      RedisServer peerRedis,
      boolean ownsServers,
      String profile) {
    this.cassandra = cassandra;
    this.redis = redis;
    this.peerRedis = peerRedis;
    this.ownsServers = ownsServers;
    this.profile = profile;
    this.session =
        CqlSession.builder()
            .addContactPoint(cassandra.contactPoint())
            .withLocalDatacenter(cassandra.localDatacenter())
            .withConfigLoader(
                DriverConfigLoader.programmaticBuilder()
                    .withDuration(DefaultDriverOption.METADATA_SCHEMA_WINDOW, Duration.ofMillis(10))
                    .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(10))
                    .build())
            .build();
    this.jedis = pooled(redis);
    this.peerJedis = pooled(peerRedis);
    this.store =
        CassandraTaskStore.builder()
            .session(session)
            .keyspace(KEYSPACE)
            .requestTimeout(Duration.ofSeconds(10))
            .build();
    store.createSchema();
    this.keys =
        TinkKeyProvider.builder()
            .masterKey(MasterKey.generateEphemeral())
            .keysetStore(CassandraKeysetStore.builder().session(session).keyspace(KEYSPACE).build())
            .build();
    this.queue = buildQueue();
  }

  private WorkQueue buildQueue() {
    return WorkQueues.builder()
        .taskStore(store)
        .bookkeeper(RedisBookkeeper.of(jedis))
        .keyProvider(keys)
        .recordPlainOutcomes(recordPlainOutcomes)
        .build();
  }

  /**
   * Sets whether the queue (and later {@linkplain #newNode nodes}) store plain successes as
   * outcomes, {@link WorkQueues.Builder#recordPlainOutcomes(boolean)}; true by default, as in the
   * library. Call before any case runs: it replaces {@link #queue()}.
   *
   * @param record whether an ack with a plain success writes an outcome row
   */
  public void recordPlainOutcomes(boolean record) {
    this.recordPlainOutcomes = record;
    this.queue = buildQueue();
  }

  /**
   * Whether plain successes are stored as outcomes.
   *
   * @return as set by {@link #recordPlainOutcomes(boolean)}
   */
  public boolean recordsPlainOutcomes() {
    return recordPlainOutcomes;
  }

  /**
   * Starts the bench's own servers: Cassandra production-like (G1, full JIT, no {@code -ea}, 2 GB
   * heap) and two Redis servers with {@code appendonly yes}, {@code appendfsync everysec}.
   *
   * @return the servers, with clients connected
   */
  public static BenchServers startOwn() {
    CassandraNode node =
        CassandraNode.start(
            CassandraNode.Options.defaults()
                .productionLike(true)
                .heap("2g")
                .startTimeout(Duration.ofMinutes(3)));
    RedisServer.Options redisOptions = RedisServer.Options.defaults().appendfsync("everysec");
    RedisServer redis = RedisServer.start(redisOptions);
    RedisServer peer = RedisServer.start(redisOptions);
    return new BenchServers(
        node,
        redis,
        peer,
        true,
        "Cassandra production-like (G1, full JIT, no -ea, heap 2g); Redis appendonly yes,"
            + " appendfsync everysec");
  }

  /**
   * The servers the tests use: the shared Cassandra node and Redis of this JVM (test flags), plus a
   * private Redis for BullMQ that {@link #close()} stops.
   *
   * @return the servers, with clients connected
   */
  public static BenchServers testServers() {
    return new BenchServers(
        CassandraNode.shared(),
        RedisServer.shared(),
        RedisServer.start(RedisServer.Options.defaults().appendfsync("everysec")),
        false,
        "the tests' shared servers (Cassandra test flags: SerialGC, C1 only, -ea, 512m);"
            + " Redis appendonly yes, appendfsync everysec");
  }

  private static JedisPooled pooled(RedisServer server) {
    ConnectionPoolConfig pool = new ConnectionPoolConfig();
    pool.setMaxTotal(REDIS_CONNECTIONS);
    pool.setMaxIdle(REDIS_CONNECTIONS);
    pool.setMinIdle(0);
    return new JedisPooled(
        pool,
        new HostAndPort(server.host(), server.port()),
        DefaultJedisClientConfig.builder()
            .connectionTimeoutMillis(5_000)
            .socketTimeoutMillis(10_000)
            .clientName("workqueue-bench")
            .build());
  }

  /**
   * The queue on the real adapters: {@link CassandraTaskStore}, {@link RedisBookkeeper}, {@link
   * TinkKeyProvider} (keysets in Cassandra, cached).
   *
   * @return the queue
   */
  public WorkQueue queue() {
    return queue;
  }

  /**
   * A second node on the same servers and clients, as a worker on another machine than the
   * producer's would have: its own {@link WorkQueue} and Redis bookkeeper (so its own Redis signal
   * subscriber), the same task store and keys. Close it after use.
   *
   * @param listener hears the node's queue events (on the thread that made the change)
   * @return the node
   */
  public Node newNode(QueueListener listener) {
    RedisBookkeeper bookkeeper = RedisBookkeeper.of(jedis);
    WorkQueue node =
        WorkQueues.builder()
            .taskStore(store)
            .bookkeeper(bookkeeper)
            .keyProvider(keys)
            .queueListener(listener)
            .recordPlainOutcomes(recordPlainOutcomes)
            .build();
    return new Node(node, bookkeeper);
  }

  /**
   * A node made by {@link #newNode()}.
   *
   * @param queue the node's queue
   * @param bookkeeper its bookkeeper, closed with it (the Redis client stays open)
   */
  public record Node(WorkQueue queue, RedisBookkeeper bookkeeper) implements AutoCloseable {
    @Override
    public void close() {
      try {
        queue.close();
      } finally {
        bookkeeper.close();
      }
    }
  }

  /**
   * The driver session, for the floor.
   *
   * @return the session
   */
  public CqlSession session() {
    return session;
  }

  /**
   * A client of the queue's Redis, for the floor and for {@code INFO memory}.
   *
   * @return the client
   */
  public JedisPooled redis() {
    return jedis;
  }

  /**
   * A client of BullMQ's Redis, for {@code INFO memory} and {@code FLUSHALL} between phases.
   *
   * @return the client
   */
  public JedisPooled peerRedis() {
    return peerJedis;
  }

  /**
   * BullMQ's Redis server.
   *
   * @return the server
   */
  public RedisServer peerServer() {
    return peerRedis;
  }

  /**
   * The key provider of the queue, for the JMH part.
   *
   * @return the key provider
   */
  public TinkKeyProvider keys() {
    return keys;
  }

  /**
   * One line on the servers, for the report.
   *
   * @return the description
   */
  public String describe() {
    return String.format(
        Locale.ROOT,
        "Cassandra %s (one node, 127.0.0.1), Redis %s (two instances: the queue's and BullMQ's); %s",
        cassandra.version(),
        redisVersion(),
        profile);
  }

  private String redisVersion() {
    for (String line : RedisMemory.info(jedis, "server").split("\r?\n")) {
      if (line.startsWith("redis_version:")) {
        return line.substring("redis_version:".length()).trim();
      }
    }
    return "?";
  }

  @Override
  public void close() {
    session.close();
    jedis.close();
    peerJedis.close();
    if (ownsServers) {
      cassandra.close();
      redis.close();
    }
    peerRedis.close();
  }
}
