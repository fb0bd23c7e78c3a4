package io.workqueue.crypto;

import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.CqlIdentifier;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.ResultSet;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.driver.api.core.servererrors.CASWriteUnknownException;
import com.datastax.oss.driver.api.core.servererrors.DefaultWriteType;
import com.datastax.oss.driver.api.core.servererrors.WriteTimeoutException;
import io.workqueue.BackendUnavailableException;
import io.workqueue.InvalidArgumentException;
import io.workqueue.KeyUnavailableException;
import io.workqueue.QueueException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link KeysetStore} in a Cassandra table:
 *
 * <pre>{@code
 * CREATE TABLE keysets (owner text PRIMARY KEY, keyset blob, destroyed boolean, updated timestamp)
 * }</pre>
 *
 * <p>Every write is a lightweight transaction (Paxos): a first keyset is {@code INSERT ... IF NOT
 * EXISTS}, so when two nodes create the same owner's keyset at once the loser gets the winner's
 * keyset back and uses it, never overwrites it; a rotation is {@code UPDATE ... IF keyset = ?}; a
 * destroy sets {@code keyset = null, destroyed = true} under a condition too, so writes on one row
 * never mix Paxos and plain timestamps. Reads run at the serial consistency level (linearizable,
 * they see every committed transaction). A transaction whose outcome is unknown after a timeout is
 * settled by such a read. Defaults: serial consistency {@code SERIAL}, commit consistency {@code
 * QUORUM}, safe with several datacenters; a single-datacenter cluster may choose {@code
 * LOCAL_SERIAL} and {@code LOCAL_QUORUM}.
 *
 * <p><b>Crypto-shredding in Cassandra.</b> A destroy overwrites the keyset with a tombstone at
 * once, but the old cells stay in SSTables until compaction purges them after the table's {@code
 * gc_grace_seconds} (default 10 days), and snapshots and backups keep them: anyone holding such
 * files and the master key can still open the owner's data. Run repairs within {@code
 * gc_grace_seconds}, or a replica that missed the destroy can bring the keyset back.
 *
 * <p><b>Why this class is here.</b> It needs both Tink's world (keysets) and the Cassandra driver.
 * Backends never depend on each other and {@code queue-cassandra} stays free of Tink, so it lives
 * in {@code queue-crypto} with the driver ({@code org.apache.cassandra:java-driver-core}) as an
 * <em>optional</em> dependency: users of this store add the driver themselves (they usually have it
 * already for {@code queue-cassandra}); users of the other stores get no driver. Without the driver
 * on the classpath, this class fails to load and nothing else in the package is affected.
 *
 * <p>Takes an existing {@link CqlSession} and does not own it: closing is the caller's job. The
 * keyspace must exist (its replication is the host's choice); the table is created when missing
 * unless turned off. Thread-safe.
 */
public final class CassandraKeysetStore implements KeysetStore {
  private static final Logger log = LoggerFactory.getLogger(CassandraKeysetStore.class);

  private static final int MAX_DESTROY_ATTEMPTS = 8;

  private final CqlSession session;
  private final String table;
  private final ConsistencyLevel consistency;
  private final ConsistencyLevel serialConsistency;
  private final Clock clock;
  private final PreparedStatement select;
  private final PreparedStatement insert;
  private final PreparedStatement update;
  private final PreparedStatement tombstoneExisting;
  private final PreparedStatement tombstoneAbsent;

  private CassandraKeysetStore(Builder b, CqlSession session, String table) {
    this.session = session;
    this.table = table;
    this.consistency = b.consistency;
    this.serialConsistency = b.serialConsistency;
    this.clock = b.clock;
    if (b.createTable) {
      run(
          "create the table",
          () ->
              session.execute(
                  SimpleStatement.newInstance(
                          "CREATE TABLE IF NOT EXISTS "
                              + table
                              + " (owner text PRIMARY KEY, keyset blob, destroyed boolean,"
                              + " updated timestamp)")
                      .setConsistencyLevel(consistency)));
    }
    this.select = prepare("SELECT keyset, destroyed FROM " + table + " WHERE owner = ?");
    this.insert =
        prepare(
            "INSERT INTO "
                + table
                + " (owner, keyset, destroyed, updated) VALUES (?, ?, false, ?) IF NOT EXISTS");
    this.update =
        prepare("UPDATE " + table + " SET keyset = ?, updated = ? WHERE owner = ? IF keyset = ?");
    this.tombstoneExisting =
        prepare(
            "UPDATE "
                + table
                + " SET keyset = null, destroyed = true, updated = ? WHERE owner = ? IF EXISTS");
    this.tombstoneAbsent =
        prepare(
            "INSERT INTO "
                + table
                + " (owner, destroyed, updated) VALUES (?, true, ?) IF NOT EXISTS");
  }

  /**
   * A builder; {@link Builder#session(CqlSession)} is required.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The fully qualified table name.
   *
   * @return {@code keyspace.table}, as CQL
   */
  public String table() {
    return table;
  }

  @Override
  public Optional<StoredKeyset> read(String owner) {
    Row row = run("read the keyset of owner '" + owner + "'", () -> readRow(owner));
    return row == null ? Optional.empty() : Optional.of(toRecord(owner, row));
  }

  @Override
  public StoredKeyset createIfAbsent(String owner, byte[] encryptedKeyset) {
    StoredKeyset mine = StoredKeyset.live(encryptedKeyset);
    String what = "create the keyset of owner '" + owner + "'";
    ResultSet rs;
    try {
      rs = run(what, () -> session.execute(lwt(insert.bind(owner, wrap(encryptedKeyset), now()))));
    } catch (OutcomeUnknown e) {
      // Our insert may or may not have won: the serial read settles it either way.
      return read(owner).orElseThrow(() -> unavailable(what, e.getCause()));
    }
    if (rs.wasApplied()) {
      return mine;
    }
    Row existing = rs.one();
    if (existing == null || !existing.getColumnDefinitions().contains("destroyed")) {
      return read(owner).orElseThrow(() -> unavailable(what + ": lost the row", null));
    }
    log.debug("owner {} already had a keyset in {}; adopting it", owner, table);
    return toRecord(owner, existing);
  }

  @Override
  public boolean replace(String owner, byte[] expected, byte[] replacement) {
    String what = "replace the keyset of owner '" + owner + "'";
    try {
      return run(
              what,
              () ->
                  session.execute(
                      lwt(update.bind(wrap(replacement), now(), owner, wrap(expected)))))
          .wasApplied();
    } catch (OutcomeUnknown e) {
      return read(owner).map(r -> r.holds(replacement)).orElse(false);
    }
  }

  @Override
  public void destroy(String owner) {
    String what = "destroy the keyset of owner '" + owner + "'";
    for (int attempt = 1; attempt <= MAX_DESTROY_ATTEMPTS; attempt++) {
      try {
        if (run(what, () -> session.execute(lwt(tombstoneExisting.bind(now(), owner))))
            .wasApplied()) {
          return;
        }
        if (run(what, () -> session.execute(lwt(tombstoneAbsent.bind(owner, now()))))
            .wasApplied()) {
          return;
        }
        // Created between the two statements: go round once more.
      } catch (OutcomeUnknown e) {
        if (read(owner).map(StoredKeyset::isDestroyed).orElse(false)) {
          return;
        }
      }
    }
    throw unavailable(what + ": the row kept changing", null);
  }

  @Override
  public String toString() {
    return "CassandraKeysetStore[" + table + "]";
  }

  // ---------------------------------------------------------------------------------- internals

  private @Nullable Row readRow(String owner) {
    return session.execute(select.bind(owner).setConsistencyLevel(serialConsistency)).one();
  }

  private StoredKeyset toRecord(String owner, Row row) {
    if (row.getBoolean("destroyed")) {
      return StoredKeyset.destroyed();
    }
    ByteBuffer keyset = row.getByteBuffer("keyset");
    if (keyset == null || !keyset.hasRemaining()) {
      throw new KeyUnavailableException(
          owner,
          "the row of this owner in "
              + table
              + " has no keyset and is not marked destroyed; restore it from a backup",
          null);
    }
    byte[] bytes = new byte[keyset.remaining()];
    keyset.duplicate().get(bytes);
    return StoredKeyset.live(bytes);
  }

  private BoundStatement lwt(BoundStatement statement) {
    return statement.setConsistencyLevel(consistency).setSerialConsistencyLevel(serialConsistency);
  }

  private PreparedStatement prepare(String cql) {
    return run("prepare a statement", () -> session.prepare(cql));
  }

  private Instant now() {
    return clock.instant();
  }

  private static ByteBuffer wrap(byte[] bytes) {
    return ByteBuffer.wrap(bytes);
  }

  /**
   * Runs a driver call. A lightweight transaction that timed out in its Paxos phase may still have
   * been applied: that becomes {@link OutcomeUnknown} for the caller to settle with a serial read;
   * every other failure becomes {@link BackendUnavailableException}.
   */
  private <T> T run(String what, Supplier<T> call) {
    try {
      return call.get();
    } catch (CASWriteUnknownException e) {
      throw new OutcomeUnknown(e);
    } catch (WriteTimeoutException e) {
      if (e.getWriteType() == DefaultWriteType.CAS) {
        throw new OutcomeUnknown(e);
      }
      throw unavailable(what, e);
    } catch (QueueException e) {
      throw e;
    } catch (RuntimeException e) {
      throw unavailable(what, e);
    }
  }

  private BackendUnavailableException unavailable(String what, @Nullable Throwable cause) {
    return new BackendUnavailableException(
        BACKEND,
        "cannot "
            + what
            + " in Cassandra table "
            + table
            + (cause == null ? "" : " (" + cause.getMessage() + ")")
            + "; check that Cassandra is reachable and the keyspace exists",
        cause);
  }

  /** A lightweight transaction whose outcome is unknown; internal only. */
  private static final class OutcomeUnknown extends RuntimeException {
    private static final long serialVersionUID = 1L;

    OutcomeUnknown(RuntimeException cause) {
      super(cause);
    }
  }

  // ------------------------------------------------------------------------------------ builder

  /**
   * Settings of a {@link CassandraKeysetStore}. Not thread-safe; {@link #build()} checks every
   * setting and names the one that is wrong.
   */
  public static final class Builder {
    private @Nullable CqlSession session;
    private @Nullable String keyspace;
    private String table = "keysets";
    private boolean createTable = true;
    private ConsistencyLevel consistency = DefaultConsistencyLevel.QUORUM;
    private ConsistencyLevel serialConsistency = DefaultConsistencyLevel.SERIAL;
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    /**
     * The session to use. Required. Not owned: the store never closes it.
     *
     * @param session an open session
     * @return this builder
     */
    public Builder session(CqlSession session) {
      this.session = session;
      return this;
    }

    /**
     * The keyspace of the table (default: the session's keyspace). Must exist.
     *
     * @param keyspace a CQL identifier, for example {@code wq} or {@code "MyKeyspace"} quoted
     * @return this builder
     */
    public Builder keyspace(String keyspace) {
      this.keyspace = keyspace;
      return this;
    }

    /**
     * The table's name (default {@code keysets}).
     *
     * @param table a CQL identifier
     * @return this builder
     */
    public Builder table(String table) {
      this.table = table;
      return this;
    }

    /**
     * Whether {@link #build()} creates the table when it is missing (default true). Turn off where
     * the application's role may not change the schema.
     *
     * @param createTable the setting
     * @return this builder
     */
    public Builder createTable(boolean createTable) {
      this.createTable = createTable;
      return this;
    }

    /**
     * The commit consistency of the lightweight transactions (default {@code QUORUM}).
     *
     * @param consistency for example {@code QUORUM} or {@code LOCAL_QUORUM}
     * @return this builder
     */
    public Builder consistency(ConsistencyLevel consistency) {
      this.consistency = consistency;
      return this;
    }

    /**
     * The serial consistency of the lightweight transactions and of reads (default {@code SERIAL}).
     * {@code LOCAL_SERIAL} is only safe when a single datacenter writes keysets: two datacenters
     * could otherwise each create a different keyset for the same owner.
     *
     * @param serialConsistency {@code SERIAL} or {@code LOCAL_SERIAL}
     * @return this builder
     */
    public Builder serialConsistency(ConsistencyLevel serialConsistency) {
      this.serialConsistency = serialConsistency;
      return this;
    }

    /**
     * The clock for the {@code updated} column (default system UTC).
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    /**
     * Creates the table if missing and enabled, prepares the statements and returns the store.
     *
     * @return the store
     * @throws InvalidArgumentException naming the first invalid setting
     * @throws BackendUnavailableException when Cassandra cannot be reached or the keyspace is
     *     missing
     */
    public CassandraKeysetStore build() {
      if (session == null) {
        throw new InvalidArgumentException("session", "is required: the application's CqlSession");
      }
      String ks =
          keyspace != null ? keyspace : session.getKeyspace().map(k -> k.asCql(true)).orElse(null);
      if (ks == null || ks.isBlank()) {
        throw new InvalidArgumentException(
            "keyspace", "is required when the session has no keyspace");
      }
      if (table == null || table.isBlank()) {
        throw new InvalidArgumentException("table", "must not be blank");
      }
      if (consistency == null || consistency.isSerial()) {
        throw new InvalidArgumentException(
            "consistency", "must be a non-serial level such as QUORUM, was " + consistency);
      }
      if (serialConsistency == null || !serialConsistency.isSerial()) {
        throw new InvalidArgumentException(
            "serialConsistency", "must be SERIAL or LOCAL_SERIAL, was " + serialConsistency);
      }
      if (clock == null) {
        throw new InvalidArgumentException("clock", "must not be null");
      }
      String qualified = identifier("keyspace", ks) + "." + identifier("table", table);
      return new CassandraKeysetStore(this, session, qualified);
    }

    private static String identifier(String argument, String cql) {
      try {
        return CqlIdentifier.fromCql(cql).asCql(true);
      } catch (IllegalArgumentException e) {
        throw new InvalidArgumentException(argument, "'" + cql + "' is not a CQL identifier", e);
      }
    }
  }
}
