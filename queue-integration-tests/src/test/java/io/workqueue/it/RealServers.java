package io.workqueue.it;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import io.workqueue.cassandra.CassandraTaskStore;
import io.workqueue.crypto.CassandraKeysetStore;
import io.workqueue.crypto.MasterKey;
import io.workqueue.crypto.TinkKeyProvider;
import io.workqueue.redis.RedisBookkeeper;
import io.workqueue.testservers.CassandraNode;
import io.workqueue.testservers.RedisServer;
import java.time.Duration;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisPooled;

/**
 * The real servers of this test JVM (started once, stopped at exit by the launchers) and the
 * adapters on them, each built once.
 */
final class RealServers {
  static final String KEYSPACE = "wq_it";

  private static CqlSession session;
  private static CassandraTaskStore store;
  private static RedisBookkeeper bookkeeper;
  private static JedisPooled redisAdmin;
  private static TinkKeyProvider tink;

  private RealServers() {}

  /** A session of the tests' own, also used to read the tables raw. */
  static synchronized CqlSession session() {
    if (session == null) {
      CassandraNode node = CassandraNode.shared();
      session =
          CqlSession.builder()
              .addContactPoint(node.contactPoint())
              .withLocalDatacenter(node.localDatacenter())
              .withConfigLoader(
                  DriverConfigLoader.programmaticBuilder()
                      .withDuration(
                          DefaultDriverOption.METADATA_SCHEMA_WINDOW, Duration.ofMillis(10))
                      .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(10))
                      .build())
              .build();
    }
    return session;
  }

  static synchronized CassandraTaskStore store() {
    if (store == null) {
      store = CassandraTaskStore.builder().session(session()).keyspace(KEYSPACE).build();
      store.createSchema();
    }
    return store;
  }

  static synchronized RedisBookkeeper bookkeeper() {
    if (bookkeeper == null) {
      RedisServer redis = RedisServer.shared();
      bookkeeper = RedisBookkeeper.connect(redis.host(), redis.port());
    }
    return bookkeeper;
  }

  /**
   * A bookkeeper on the same Redis under a key prefix nobody used: to the queue it looks like a
   * Redis whose data was lost. Each call gets its own prefix; the client is shared.
   */
  static synchronized RedisBookkeeper emptyBookkeeper() {
    return RedisBookkeeper.builder()
        .client(redisAdmin())
        .keyPrefix("wq-lost-" + java.util.UUID.randomUUID().toString().substring(0, 8))
        .build();
  }

  /** A plain client for looking at the keys. */
  static synchronized JedisPooled redisAdmin() {
    if (redisAdmin == null) {
      RedisServer redis = RedisServer.shared();
      redisAdmin = new JedisPooled(new HostAndPort(redis.host(), redis.port()));
    }
    return redisAdmin;
  }

  /** Tink with per-owner keysets in a Cassandra table, under an ephemeral master key. */
  static synchronized TinkKeyProvider tink() {
    if (tink == null) {
      store(); // the keyspace
      tink =
          TinkKeyProvider.builder()
              .masterKey(MasterKey.generateEphemeral())
              .keysetStore(
                  CassandraKeysetStore.builder().session(session()).keyspace(KEYSPACE).build())
              .build();
    }
    return tink;
  }
}
