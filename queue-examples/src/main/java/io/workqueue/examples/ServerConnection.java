package io.workqueue.examples;

import com.datastax.oss.driver.api.core.AllNodesFailedException;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DriverException;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.metadata.Node;
import io.workqueue.BackendUnavailableException;
import io.workqueue.InvalidArgumentException;
import io.workqueue.WorkQueue;
import io.workqueue.WorkQueues;
import io.workqueue.cassandra.CassandraTaskStore;
import io.workqueue.redis.RedisBookkeeper;
import io.workqueue.spi.CompletionListener;
import io.workqueue.spi.KeyProvider;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.exceptions.JedisException;

/**
 * The clients of one Cassandra and one Redis and the adapters on them, for the demo on the user's
 * servers and for the CLI. Opens its own {@link CqlSession} and {@link JedisPooled} (also used for
 * raw reads) and closes them in {@link #close()}. Fails fast, with a message naming the server and
 * the flag to check, when a server cannot be reached.
 */
final class ServerConnection implements AutoCloseable {
  private final CqlSession session;
  private final JedisPooled redis;
  private final CassandraTaskStore store;
  private final RedisBookkeeper bookkeeper;

  private ServerConnection(
      CqlSession session, JedisPooled redis, CassandraTaskStore store, RedisBookkeeper bookkeeper) {
    this.session = session;
    this.redis = redis;
    this.store = store;
    this.bookkeeper = bookkeeper;
  }

  /**
   * Connects to Redis (checked with a PING) and to Cassandra.
   *
   * @throws BackendUnavailableException when a server cannot be reached
   * @throws InvalidArgumentException when the datacenter is not Cassandra's
   */
  static ServerConnection open(
      HostPort cassandra,
      String datacenter,
      HostPort redisEndpoint,
      String keyspace,
      Duration timeout) {
    JedisPooled redis = connectRedis(redisEndpoint, timeout);
    CqlSession session;
    try {
      session = connectCassandra(cassandra, datacenter, keyspace, timeout);
    } catch (RuntimeException e) {
      redis.close();
      throw e;
    }
    CassandraTaskStore store =
        CassandraTaskStore.builder().session(session).keyspace(keyspace).build();
    RedisBookkeeper bookkeeper =
        RedisBookkeeper.builder().client(redis).endpoint(redisEndpoint.toString()).build();
    return new ServerConnection(session, redis, store, bookkeeper);
  }

  private static JedisPooled connectRedis(HostPort endpoint, Duration timeout) {
    int millis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
    GenericObjectPoolConfig<Connection> pool = new GenericObjectPoolConfig<>();
    pool.setMaxTotal(32);
    pool.setMaxIdle(32);
    pool.setTestOnBorrow(true); // after a Redis restart, no call fails on a stale connection
    JedisPooled redis =
        new JedisPooled(
            new HostAndPort(endpoint.host(), endpoint.port()),
            DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(millis)
                .socketTimeoutMillis(millis)
                .clientName("workqueue-examples")
                .build(),
            pool);
    try {
      redis.ping();
      return redis;
    } catch (JedisException e) {
      redis.close();
      throw new BackendUnavailableException(
          "redis",
          "cannot reach Redis at "
              + endpoint
              + " ("
              + rootMessage(e)
              + "): check --redis (env "
              + Environment.REDIS
              + ") and that Redis is running",
          e);
    }
  }

  private static CqlSession connectCassandra(
      HostPort contactPoint, String datacenter, String keyspace, Duration timeout) {
    if (contactPoint.address().isUnresolved()) {
      throw new BackendUnavailableException(
          "cassandra",
          "the Cassandra host "
              + contactPoint.host()
              + " does not resolve: check --cassandra (env "
              + Environment.CASSANDRA
              + ")",
          null);
    }
    // A plain TCP connect first: its error ("Connection refused") says more than the driver's.
    try (Socket probe = new Socket()) {
      probe.connect(contactPoint.address(), (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    } catch (IOException e) {
      throw cassandraUnavailable(contactPoint, e.getMessage(), e);
    }
    CqlSession session;
    try {
      session =
          CqlSession.builder()
              .addContactPoint(contactPoint.address())
              .withLocalDatacenter(datacenter)
              .withConfigLoader(
                  DriverConfigLoader.programmaticBuilder()
                      // DDL waits for the debounced schema refresh: 1 s per statement by default
                      .withDuration(
                          DefaultDriverOption.METADATA_SCHEMA_WINDOW, Duration.ofMillis(10))
                      .withStringList(
                          DefaultDriverOption.METADATA_SCHEMA_REFRESHED_KEYSPACES,
                          List.of(keyspace))
                      .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, timeout)
                      .withDuration(DefaultDriverOption.CONNECTION_CONNECT_TIMEOUT, timeout)
                      .withDuration(DefaultDriverOption.CONNECTION_INIT_QUERY_TIMEOUT, timeout)
                      // close at once: Netty's default quiet period adds 2 s to every close
                      .withInt(DefaultDriverOption.NETTY_IO_SHUTDOWN_QUIET_PERIOD, 0)
                      .withInt(DefaultDriverOption.NETTY_ADMIN_SHUTDOWN_QUIET_PERIOD, 0)
                      .build())
              .build();
    } catch (DriverException | IllegalStateException e) {
      throw cassandraUnavailable(contactPoint, rootMessage(e), e);
    }
    Set<String> datacenters = new TreeSet<>();
    for (Node node : session.getMetadata().getNodes().values()) {
      Optional.ofNullable(node.getDatacenter()).ifPresent(datacenters::add);
    }
    if (!datacenters.isEmpty() && !datacenters.contains(datacenter)) {
      session.close();
      throw new InvalidArgumentException(
          "--datacenter",
          "Cassandra at "
              + contactPoint
              + " has the datacenter(s) "
              + datacenters
              + ", not '"
              + datacenter
              + "': set --datacenter (env "
              + Environment.DATACENTER
              + ")");
    }
    return session;
  }

  private static BackendUnavailableException cassandraUnavailable(
      HostPort contactPoint, String why, Throwable cause) {
    return new BackendUnavailableException(
        "cassandra",
        "cannot connect to Cassandra at "
            + contactPoint
            + " ("
            + why
            + "): check --cassandra (env "
            + Environment.CASSANDRA
            + ") and that Cassandra is running",
        cause);
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    if (t instanceof AllNodesFailedException all) {
      // Its own message lists every node's error verbosely: the first error says it all.
      Optional<Throwable> first =
          all.getAllErrors().values().stream().flatMap(List::stream).findFirst();
      if (first.isPresent()) {
        t = first.get();
      }
    }
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String m = t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
    return m.length() > 200 ? m.substring(0, 197) + "..." : m;
  }

  /**
   * A queue over these servers.
   *
   * @param keys the key provider
   * @param listener the completion listener, if any
   * @return the queue; it does not own the clients
   */
  WorkQueue queue(KeyProvider keys, Optional<CompletionListener> listener) {
    WorkQueues.Builder b =
        WorkQueues.builder().taskStore(store).bookkeeper(bookkeeper).keyProvider(keys);
    listener.ifPresent(b::completionListener);
    return b.build();
  }

  CqlSession session() {
    return session;
  }

  CassandraTaskStore store() {
    return store;
  }

  @Override
  public void close() {
    bookkeeper.close();
    store.close();
    session.close();
    redis.close();
  }
}
