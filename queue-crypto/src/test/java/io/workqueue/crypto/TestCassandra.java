package io.workqueue.crypto;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import io.workqueue.testservers.CassandraNode;
import java.time.Duration;

/**
 * The real Cassandra node of the tests ({@link CassandraNode#shared()}) and two sessions on it, as
 * two application nodes would have. Sessions are never closed: the JVM ends them.
 */
final class TestCassandra {
  static final String KEYSPACE = "wq_crypto_test";

  private static CqlSession first;
  private static CqlSession second;

  private TestCassandra() {}

  static CqlSession newSession() {
    CassandraNode node = CassandraNode.shared();
    return CqlSession.builder()
        .addContactPoint(node.contactPoint())
        .withLocalDatacenter(node.localDatacenter())
        .withConfigLoader(
            DriverConfigLoader.programmaticBuilder()
                .withDuration(DefaultDriverOption.METADATA_SCHEMA_WINDOW, Duration.ofMillis(10))
                .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(10))
                .build())
        .build();
  }

  /** The first session; creates the test keyspace on first use. */
  static synchronized CqlSession first() {
    if (first == null) {
      first = newSession();
      first.execute(
          "CREATE KEYSPACE IF NOT EXISTS "
              + KEYSPACE
              + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
    }
    return first;
  }

  /** A second, independent session: another application node. */
  static synchronized CqlSession second() {
    first();
    if (second == null) {
      second = newSession();
    }
    return second;
  }

  /** A store over the given session in the test keyspace's {@code keysets} table. */
  static CassandraKeysetStore store(CqlSession session) {
    return CassandraKeysetStore.builder().session(session).keyspace(KEYSPACE).build();
  }
}
