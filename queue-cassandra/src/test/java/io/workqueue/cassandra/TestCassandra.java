package io.workqueue.cassandra;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import io.workqueue.testservers.CassandraNode;
import java.time.Duration;
import java.util.List;

/**
 * The real Cassandra node of the tests ({@link CassandraNode#shared()}), a session of the tests'
 * own on it, and one store with the default settings.
 */
final class TestCassandra {

  /** The keyspace of stores with the default bucket size. */
  static final String KEYSPACE = "wq_test";

  private static CqlSession session;
  private static CassandraTaskStore store;

  private TestCassandra() {}

  static CassandraNode node() {
    return CassandraNode.shared();
  }

  /** A builder pointed at the shared node, to open a session of its own. */
  static CassandraTaskStore.Builder builder() {
    CassandraNode node = node();
    return CassandraTaskStore.builder()
        .contactPoints(List.of(node.contactPoint()))
        .localDatacenter(node.localDatacenter());
  }

  /** A builder that uses the tests' session, for stores with other settings. */
  static CassandraTaskStore.Builder onSharedSession(String keyspace) {
    return CassandraTaskStore.builder().session(session()).keyspace(keyspace);
  }

  /** The tests' own session, to look at the tables directly. Never closed: the JVM ends it. */
  static synchronized CqlSession session() {
    if (session == null) {
      CassandraNode node = node();
      session =
          CqlSession.builder()
              .addContactPoint(node.contactPoint())
              .withLocalDatacenter(node.localDatacenter())
              .withConfigLoader(
                  DriverConfigLoader.programmaticBuilder()
                      .withDuration(
                          DefaultDriverOption.METADATA_SCHEMA_WINDOW, Duration.ofMillis(10))
                      .build())
              .build();
    }
    return session;
  }

  /** A store with the default settings and a session of its own, its schema created. */
  static synchronized CassandraTaskStore store() {
    if (store == null) {
      CassandraTaskStore s = builder().keyspace(KEYSPACE).build();
      try {
        s.createSchema();
      } catch (RuntimeException e) {
        s.close();
        throw e;
      }
      store = s;
    }
    return store;
  }
}
