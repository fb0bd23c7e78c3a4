package io.workqueue.crypto;

import static io.workqueue.crypto.TestKeys.bytes;
import static io.workqueue.crypto.TestKeys.owner;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import com.datastax.oss.driver.api.core.cql.Row;
import io.workqueue.BackendUnavailableException;
import io.workqueue.InvalidArgumentException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** {@link CassandraKeysetStore} on a real Cassandra node ({@code CassandraNode.shared()}). */
@DisplayName("CassandraKeysetStore")
class CassandraKeysetStoreTest {

  @Nested
  @DisplayName("passes the keyset store contract (two sessions, as two nodes)")
  class Contract extends KeysetStoreContract {
    private final CassandraKeysetStore store = TestCassandra.store(TestCassandra.first());
    private final CassandraKeysetStore other = TestCassandra.store(TestCassandra.second());

    @Override
    protected KeysetStore store() {
      return store;
    }

    @Override
    protected KeysetStore otherStore() {
      return other;
    }
  }

  @Nested
  @DisplayName("under TinkKeyProvider passes the key provider contract")
  class Provider extends TinkKeyProviderStoreTest {
    private final AtomicInteger instances = new AtomicInteger();

    /** Alternates between the two sessions, so providers behave like separate nodes. */
    @Override
    protected KeysetStore newStore() {
      return TestCassandra.store(
          instances.getAndIncrement() % 2 == 0 ? TestCassandra.first() : TestCassandra.second());
    }
  }

  @Nested
  @DisplayName("the table")
  class Table {
    @Test
    @DisplayName("has the documented columns and types")
    void schema() {
      CqlSession session = TestCassandra.first();
      TestCassandra.store(session);
      Map<String, String> columns = new HashMap<>();
      for (Row row :
          session.execute(
              "SELECT column_name, type, kind FROM system_schema.columns"
                  + " WHERE keyspace_name = ? AND table_name = 'keysets'",
              TestCassandra.KEYSPACE)) {
        columns.put(
            row.getString("column_name"), row.getString("type") + "/" + row.getString("kind"));
      }
      assertThat(columns)
          .containsExactlyInAnyOrderEntriesOf(
              Map.of(
                  "owner", "text/partition_key",
                  "keyset", "blob/regular",
                  "destroyed", "boolean/regular",
                  "updated", "timestamp/regular"));
    }

    @Test
    @DisplayName("a destroyed owner's row keeps no keyset, only the tombstone and its time")
    void tombstoneRow() {
      CqlSession session = TestCassandra.first();
      CassandraKeysetStore store = TestCassandra.store(session);
      String o = owner();
      store.createIfAbsent(o, bytes("keyset"));
      store.destroy(o);
      Row row =
          session
              .execute(
                  "SELECT keyset, destroyed, updated FROM " + store.table() + " WHERE owner = ?", o)
              .one();
      assertThat(row).isNotNull();
      assertThat(row.getByteBuffer("keyset")).isNull();
      assertThat(row.getBoolean("destroyed")).isTrue();
      assertThat(row.getInstant("updated")).isNotNull();
    }

    @Test
    @DisplayName("a closed session gives BackendUnavailableException for keyset-store")
    void sessionClosed() {
      CqlSession session = TestCassandra.newSession();
      CassandraKeysetStore store =
          CassandraKeysetStore.builder().session(session).keyspace(TestCassandra.KEYSPACE).build();
      TinkKeyProvider keys =
          TinkKeyProvider.builder()
              .masterKey(MasterKey.generateEphemeral())
              .keysetStore(store)
              .build();
      session.close();
      String o = owner();
      assertThatThrownBy(() -> keys.seal(o, bytes("x"), bytes("ad")))
          .isInstanceOf(BackendUnavailableException.class)
          .hasMessageContaining(o)
          .satisfies(
              e ->
                  assertThat(((BackendUnavailableException) e).backend())
                      .isEqualTo("keyset-store"));
    }

    @Test
    @DisplayName("a missing keyspace gives BackendUnavailableException when building")
    void missingKeyspace() {
      assertThatThrownBy(
              () ->
                  CassandraKeysetStore.builder()
                      .session(TestCassandra.first())
                      .keyspace("no_such_keyspace_4711")
                      .build())
          .isInstanceOf(BackendUnavailableException.class)
          .hasMessageContaining("no_such_keyspace_4711");
    }

    @Test
    @DisplayName("the builder names a missing or invalid setting")
    void builderChecks() {
      assertThatThrownBy(() -> CassandraKeysetStore.builder().keyspace("x").build())
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageStartingWith("session");
      assertThatThrownBy(
              () -> CassandraKeysetStore.builder().session(TestCassandra.first()).build())
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageStartingWith("keyspace");
      assertThatThrownBy(
              () ->
                  CassandraKeysetStore.builder()
                      .session(TestCassandra.first())
                      .keyspace(TestCassandra.KEYSPACE)
                      .serialConsistency(DefaultConsistencyLevel.QUORUM)
                      .build())
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageStartingWith("serialConsistency");
      assertThatThrownBy(
              () ->
                  CassandraKeysetStore.builder()
                      .session(TestCassandra.first())
                      .keyspace(TestCassandra.KEYSPACE)
                      .consistency(DefaultConsistencyLevel.SERIAL)
                      .build())
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageStartingWith("consistency");
    }
  }
}
