package io.workqueue.cassandra;

import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BatchableStatement;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.BoundStatementBuilder;
import com.datastax.oss.driver.api.core.cql.DefaultBatchType;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.ResultSet;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.driver.api.core.cql.Statement;
import io.workqueue.BackendUnavailableException;
import io.workqueue.InvalidArgumentException;
import io.workqueue.Priority;
import io.workqueue.QueueRef;
import io.workqueue.spi.QueueMark;
import io.workqueue.spi.StoredOutcome;
import io.workqueue.spi.StoredSchedule;
import io.workqueue.spi.StoredTask;
import io.workqueue.spi.TaskStore;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.function.BiFunction;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link TaskStore} on Apache Cassandra (driver 4.x): sealed tasks and outcomes in two tables
 * whose partitions are buckets of {@link #bucketSize()} consecutive indices of one queue, plus a
 * table of queues and one of schedules.
 *
 * <p><b>Layout.</b> {@code tasks}: {@code PRIMARY KEY ((owner, service, bucket), idx)}, {@code
 * outcomes}: {@code PRIMARY KEY ((owner, service, bucket), idx, worker)}, with {@code bucket =
 * floorDiv(idx, bucketSize)}; {@code queues}: {@code PRIMARY KEY (owner, service)} (queue marks);
 * {@code schedules}: {@code PRIMARY KEY ((owner, service), id)}. {@link #createSchema()} creates
 * them; {@code io/workqueue/cassandra/schema.cql} (in this jar) holds the same DDL for operators.
 * The bucket size is recorded in the tables' comments ({@code bucket_size=N}) and must never change
 * for existing data: the store checks it before its first request and refuses to run with another.
 *
 * <p><b>Times.</b> A task's {@code enqueuedAt} and {@code notBefore} and an outcome's {@code
 * completedAt} are kept to the nanosecond (a {@code timestamp} column with the milliseconds and an
 * {@code int} column with the nanoseconds within the millisecond). A schedule's {@code origin} and
 * {@code nextTick} are kept to the millisecond (truncated), Cassandra's {@code timestamp}
 * precision, which is also the precision {@link #advanceSchedule} compares at.
 *
 * <p><b>Requests.</b> Prepared statements only, prepared once, on first use (so a store can be
 * built before its schema exists). {@link #put} writes one unlogged batch per partition touched (a
 * single statement when a partition gets one task), all partitions concurrently; {@link #getAll}
 * reads one index range per partition touched, concurrently; {@link #get} and {@link #getOutcome}
 * read one row by primary key; {@link #dropBelow} deletes whole partitions, never single rows.
 * Every insert carries {@code USING TTL} with the store's {@link #ttl()}, so two stores on the same
 * tables may keep rows for different times; schedules and queue marks do not expire. Reads use the
 * read consistency, writes and deletes the write consistency (both {@code LOCAL_QUORUM} by
 * default); every request but the lightweight transactions is marked idempotent, so the driver may
 * retry it.
 *
 * <p><b>Lightweight transactions.</b> {@link #createQueueMark}, {@link #putSchedule}, {@link
 * #deleteSchedule} and {@link #advanceSchedule} are conditional writes (Paxos): their commit runs
 * at the write consistency, their Paxos phase at the session's serial consistency (the driver's
 * {@code basic.request.serial-consistency}, {@code SERIAL} by default). Keep {@code SERIAL} where
 * nodes in several datacenters run the same queues' schedules: {@code LOCAL_SERIAL} orders claims
 * of a tick within one datacenter only. They are never retried by the driver.
 *
 * <p><b>Failures.</b> A node that is down or unreachable, a timeout, too few replicas and a missing
 * keyspace or table are {@link BackendUnavailableException}s with backend {@code "cassandra"} whose
 * message says what failed and what to check; no driver exception escapes. A {@link #put} that
 * fails may have written none, some or all of its partitions (each partition's batch is all or
 * nothing): the core then treats the add as failed and never commits those indices, and the rows
 * expire with their TTL or go with the next {@link #dropBelow}.
 *
 * <p><b>Session.</b> Built with {@link Builder#session(CqlSession)}, the store uses the
 * application's session and never closes it. Built with {@link Builder#contactPoints(String...)}
 * and {@link Builder#localDatacenter(String)}, the store opens its own session, tuned for short DDL
 * (schema metadata debouncer window 10 ms, schema metadata limited to the store's keyspace) and
 * with the request timeout as the default, and {@link #close()} closes it. Driver settings from an
 * {@code application.conf} on the classpath still apply to an owned session, below these.
 *
 * <p>Thread-safe: one store serves any number of threads and queues.
 */
public final class CassandraTaskStore implements TaskStore, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(CassandraTaskStore.class);

  /** The default keyspace: {@value}. */
  public static final String DEFAULT_KEYSPACE = "workqueue";

  /** The default retention of tasks and outcomes: 7 days. */
  public static final Duration DEFAULT_TTL = Duration.ofDays(7);

  /** The default number of indices per partition: {@value}. */
  public static final int DEFAULT_BUCKET_SIZE = 1000;

  /** The largest bucket size: {@value}; larger partitions get slow to read and to compact. */
  public static final int MAX_BUCKET_SIZE = 100_000;

  /** The default request timeout: 2 s, as the driver's own default. */
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(2);

  /** The CQL port used for a contact point given without one: {@value}. */
  public static final int DEFAULT_PORT = 9042;

  /** Cassandra's largest TTL: 20 years. */
  private static final Duration MAX_TTL = Duration.ofSeconds(630_720_000L);

  private static final Duration MAX_REQUEST_TIMEOUT = Duration.ofMinutes(10);

  /** DDL waits for schema agreement across the cluster, which takes longer than a read. */
  private static final Duration MIN_DDL_TIMEOUT = Duration.ofSeconds(30);

  /** How many partition deletes {@link #dropBelow} keeps in flight at once. */
  private static final int DELETES_IN_FLIGHT = 64;

  /** The default page size of the driver; a range read never asks for more rows per page. */
  private static final int MAX_PAGE_SIZE = 5000;

  private static final Pattern KEYSPACE = Pattern.compile("[a-z][a-z0-9_]{0,47}");
  private static final Pattern DATACENTER = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.\\-]*");

  private final CqlSession session;
  private final boolean ownsSession;
  private final String keyspace;
  private final Duration ttl;
  private final int ttlSeconds;
  private final long bucketSize;
  private final ConsistencyLevel readConsistency;
  private final ConsistencyLevel writeConsistency;
  private final Duration requestTimeout;
  private final Schema.Replication replication;
  private final boolean createKeyspace;
  private final FailureTranslator failures;

  private final Object prepareLock = new Object();
  private volatile @Nullable Statements statements;
  private volatile boolean closed;

  /** The prepared statements, made once per store. */
  private record Statements(
      PreparedStatement insertTask,
      PreparedStatement selectTask,
      PreparedStatement selectTaskRange,
      PreparedStatement insertOutcome,
      PreparedStatement selectOutcome,
      PreparedStatement deleteTasks,
      PreparedStatement deleteOutcomes,
      PreparedStatement insertQueueIfAbsent,
      PreparedStatement updateQueue,
      PreparedStatement selectQueue,
      PreparedStatement selectHighest,
      PreparedStatement selectOutcomesOfIndex,
      PreparedStatement selectAnyOutcome,
      PreparedStatement deleteQueue,
      PreparedStatement selectServices,
      PreparedStatement insertScheduleIfAbsent,
      PreparedStatement updateScheduleIfPresent,
      PreparedStatement deleteScheduleIfPresent,
      PreparedStatement deleteSchedules,
      PreparedStatement selectSchedules,
      PreparedStatement advanceSchedule) {}

  private CassandraTaskStore(
      Builder b, CqlSession session, boolean ownsSession, String connection) {
    this.session = session;
    this.ownsSession = ownsSession;
    this.keyspace = b.keyspace;
    this.ttl = b.ttl;
    this.ttlSeconds = (int) b.ttl.toSeconds();
    this.bucketSize = b.bucketSize;
    this.readConsistency = b.readConsistency;
    this.writeConsistency = b.writeConsistency;
    this.requestTimeout = b.requestTimeout;
    this.replication = b.replication;
    this.createKeyspace = b.createKeyspace;
    this.failures = new FailureTranslator(connection, keyspace);
  }

  /**
   * Starts a builder with the defaults: keyspace {@value #DEFAULT_KEYSPACE}, TTL 7 days, bucket
   * size {@value #DEFAULT_BUCKET_SIZE}, {@code LOCAL_QUORUM} reads and writes, {@code
   * SimpleStrategy} with replication factor 1 for {@link #createSchema()}, request timeout 2 s.
   *
   * @return a new builder; not thread-safe
   */
  public static Builder builder() {
    return new Builder();
  }

  // ---------------------------------------------------------------------------------------------
  // schema

  /**
   * Creates the keyspace (unless {@link Builder#createKeyspace(boolean)} turned that off) and the
   * four tables, each with {@code IF NOT EXISTS}: idempotent, safe to call from every node at
   * startup. An existing keyspace keeps its replication; existing tables keep their options. A
   * {@code tasks} table made by an earlier version gets the columns it lacks ({@code ALTER TABLE
   * ... ADD}). Then prepares the statements and checks the tables' bucket size.
   *
   * <p>Each statement waits for schema agreement; on a session this store owns that takes about 0.1
   * s per statement, on a session with the driver's default schema debouncer about 1 s.
   *
   * @throws BackendUnavailableException when Cassandra cannot be reached, times out or refuses the
   *     DDL (e.g. missing permissions)
   * @throws InvalidArgumentException naming {@code bucketSize} when the tables exist with another
   *     bucket size
   * @throws IllegalStateException when the store is closed
   */
  public void createSchema() {
    requireOpen();
    Duration ddlTimeout =
        requestTimeout.compareTo(MIN_DDL_TIMEOUT) > 0 ? requestTimeout : MIN_DDL_TIMEOUT;
    for (String ddl : schemaCql()) {
      String what =
          "createSchema (" + String.join(" ", List.of(ddl.split(" ")).subList(0, 6)) + ")";
      try {
        ResultSet rs =
            session.execute(
                SimpleStatement.newInstance(ddl).setTimeout(ddlTimeout).setIdempotent(true));
        if (!rs.getExecutionInfo().isSchemaInAgreement()) {
          LOG.warn(
              "{}: the nodes did not agree on the schema within the driver's"
                  + " schema-agreement timeout; they will converge by themselves",
              what);
        }
      } catch (RuntimeException e) {
        throw failures.translate(what, e);
      }
    }
    addMissingTaskColumns(ddlTimeout);
    LOG.info("schema of keyspace {} ready (bucket size {})", keyspace, bucketSize);
    try {
      statements();
    } catch (RuntimeException e) {
      throw failures.translate("createSchema: preparing statements", e);
    }
  }

  /**
   * Adds the {@code tasks} columns of {@link Schema#LATER_TASK_COLUMNS} that a table made by an
   * earlier version lacks. Another node doing the same at the same time is fine: a column it added
   * first is not added again.
   */
  private void addMissingTaskColumns(Duration ddlTimeout) {
    List<String> missing;
    try {
      missing = missingTaskColumns();
    } catch (RuntimeException e) {
      throw failures.translate("createSchema (reading the columns of table tasks)", e);
    }
    if (missing.isEmpty()) {
      return;
    }
    String ddl = Schema.addTaskColumnsDdl(keyspace, missing);
    try {
      session.execute(SimpleStatement.newInstance(ddl).setTimeout(ddlTimeout).setIdempotent(true));
      LOG.info("added columns {} to table {}.{}", missing, keyspace, Schema.TASKS);
    } catch (RuntimeException e) {
      boolean addedElsewhere;
      try {
        addedElsewhere = missingTaskColumns().isEmpty();
      } catch (RuntimeException again) {
        addedElsewhere = false;
      }
      if (!addedElsewhere) {
        throw failures.translate("createSchema (" + ddl + ")", e);
      }
    }
  }

  /** The columns of {@link Schema#LATER_TASK_COLUMNS} that table {@code tasks} lacks. */
  private List<String> missingTaskColumns() {
    Set<String> present = new HashSet<>();
    for (Row row :
        session.execute(
            SimpleStatement.newInstance(
                    "SELECT column_name FROM system_schema.columns"
                        + " WHERE keyspace_name = ? AND table_name = ?",
                    keyspace,
                    Schema.TASKS)
                .setConsistencyLevel(DefaultConsistencyLevel.LOCAL_ONE)
                .setTimeout(requestTimeout)
                .setIdempotent(true))) {
      present.add(row.getString(0));
    }
    return Schema.LATER_TASK_COLUMNS.keySet().stream().filter(c -> !present.contains(c)).toList();
  }

  /**
   * The DDL {@link #createSchema()} runs for this store's settings: the keyspace (unless turned
   * off), then the {@code tasks}, {@code outcomes}, {@code queues} and {@code schedules} tables.
   * For the defaults, the same statements as {@code io/workqueue/cassandra/schema.cql}.
   *
   * @return the CQL statements, without trailing semicolons
   */
  public List<String> schemaCql() {
    return Schema.statements(keyspace, replication, bucketSize, createKeyspace);
  }

  // ---------------------------------------------------------------------------------------------
  // TaskStore

  /**
   * {@inheritDoc}
   *
   * <p>Writes one unlogged batch per partition touched (one plain insert where a partition gets a
   * single task), all partitions concurrently, and returns once every one is acknowledged at the
   * write consistency. Each partition's batch is applied all or nothing, so a failure may leave
   * some partitions written and others not; the core never commits indices of a failed put. An
   * absent token, {@code notBefore} or group, and a {@code maxDeliveries} of 0, are left unset (no
   * tombstone). {@code enqueuedAt} and {@code notBefore} are kept to the nanosecond. A partition's
   * batch should stay well below the server's maximum mutation size (half of {@code
   * commitlog_segment_size}, 16 MiB by default).
   *
   * @throws InvalidArgumentException naming {@code queue} or {@code tasks} when one is null, a task
   *     is null, two tasks have the same index, a task's {@code maxDeliveries} is negative or one
   *     of its times is beyond Cassandra's range; nothing is written then
   * @throws BackendUnavailableException when Cassandra cannot be reached, times out, has too few
   *     replicas or lacks the schema
   * @throws IllegalStateException when the store is closed
   */
  @Override
  public void put(QueueRef queue, List<StoredTask> tasks) {
    requireOpen(queue);
    requireArgument(tasks, "tasks");
    if (tasks.isEmpty()) {
      return;
    }
    Map<Long, List<StoredTask>> byBucket = new TreeMap<>();
    Set<Long> seen = new HashSet<>();
    for (StoredTask t : tasks) {
      requireArgument(t, "tasks");
      if (!seen.add(t.index())) {
        throw new InvalidArgumentException(
            "tasks", "index " + t.index() + " appears more than once; each task needs its own");
      }
      if (t.maxDeliveries() < 0) {
        throw new InvalidArgumentException(
            "tasks",
            "maxDeliveries of index "
                + t.index()
                + " must be 0 (the queue's limit) or more, was "
                + t.maxDeliveries());
      }
      epochMillis(t.enqueuedAt(), "tasks");
      t.notBefore().ifPresent(nb -> epochMillis(nb, "tasks"));
      byBucket.computeIfAbsent(bucketOf(t.index()), k -> new ArrayList<>()).add(t);
    }
    insertByPartition(
        byBucket.values(),
        (s, t) -> bindInsertTask(s, queue, t),
        "put of " + tasks.size() + " task(s) of queue " + queue);
  }

  /**
   * {@inheritDoc}
   *
   * <p>One read of one row by primary key, at the read consistency.
   *
   * @throws InvalidArgumentException naming {@code queue} when it is null
   * @throws BackendUnavailableException when Cassandra cannot be reached, times out, has too few
   *     replicas or lacks the schema
   * @throws IllegalStateException when the store is closed
   */
  @Override
  public Optional<StoredTask> get(QueueRef queue, long index) {
    requireOpen(queue);
    String what = "get of index " + index + " of queue " + queue;
    try {
      Statements s = statements();
      BoundStatement read =
          asRead(inBucket(s.selectTask(), queue, bucketOf(index)).setLong(3, index));
      Row row = session.execute(read).one();
      return row == null ? Optional.empty() : task(row, queue);
    } catch (RuntimeException e) {
      throw failures.translate(what, e);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Reads, for every partition touched, the range from the lowest to the highest requested index
   * of that partition ({@code idx >= ? AND idx <= ?}), all partitions concurrently, and keeps the
   * requested rows. Cheapest for (nearly) consecutive indices, as the core asks for; a sparse
   * request reads the rows in between too. Duplicates in {@code indices} are read once.
   *
   * @return the tasks found, by index; an empty collection gives an empty map without a request
   * @throws InvalidArgumentException naming {@code queue} or {@code indices} when one is null or
   *     holds null
   * @throws BackendUnavailableException when Cassandra cannot be reached, times out, has too few
   *     replicas or lacks the schema
   * @throws IllegalStateException when the store is closed
   */
  @Override
  public Map<Long, StoredTask> getAll(QueueRef queue, Collection<Long> indices) {
    requireOpen(queue);
    requireArgument(indices, "indices");
    Map<Long, TreeSet<Long>> byBucket = new TreeMap<>();
    for (Long i : indices) {
      requireArgument(i, "indices");
      byBucket.computeIfAbsent(bucketOf(i), k -> new TreeSet<>()).add(i);
    }
    if (byBucket.isEmpty()) {
      return Map.of();
    }
    String what = "getAll of " + indices.size() + " index(es) of queue " + queue;
    try {
      Statements s = statements();
      List<CompletableFuture<List<Row>>> reads = new ArrayList<>(byBucket.size());
      for (Map.Entry<Long, TreeSet<Long>> e : byBucket.entrySet()) {
        long first = e.getValue().first();
        long last = e.getValue().last();
        // one more than the span, so that a full range does not end with an empty extra page
        int pageSize = (int) Math.min(MAX_PAGE_SIZE, last - first + 2);
        BoundStatement read =
            asRead(
                inBucket(s.selectTaskRange(), queue, e.getKey())
                    .setLong(3, first)
                    .setLong(4, last)
                    .setPageSize(pageSize));
        reads.add(
            session
                .executeAsync(read)
                .thenCompose(rs -> allPages(rs, new ArrayList<>()))
                .toCompletableFuture());
      }
      await(reads, what);
      Map<Long, StoredTask> found = new HashMap<>();
      for (CompletableFuture<List<Row>> f : reads) {
        for (Row row : f.join()) {
          long idx = row.getLong("idx");
          if (byBucket.get(bucketOf(idx)).contains(idx)) {
            task(row, queue).ifPresent(t -> found.put(idx, t));
          }
        }
      }
      return found;
    } catch (RuntimeException e) {
      throw failures.translate(what, e);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>One insert with the store's TTL, at the write consistency, in the partition of the task.
   *
   * @throws InvalidArgumentException naming {@code queue} or {@code outcome} when one is null
   * @throws BackendUnavailableException when Cassandra cannot be reached, times out, has too few
   *     replicas or lacks the schema
   * @throws IllegalStateException when the store is closed
   */
  @Override
  public void putOutcome(QueueRef queue, StoredOutcome outcome) {
    requireOpen(queue);
    requireArgument(outcome, "outcome");
    String what =
        "putOutcome of index " + outcome.index() + " by " + outcome.worker() + " of " + queue;
    try {
      session.execute(bindInsertOutcome(statements(), queue, outcome));
    } catch (RuntimeException e) {
      throw failures.translate(what, e);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>One unlogged batch per partition (a plain insert where a partition gets one outcome),
   * partitions written concurrently, each insert with the store's TTL at the write consistency.
   *
   * @throws InvalidArgumentException naming {@code queue} or {@code outcomes} when one is null or
   *     holds null; nothing is written then
   * @throws BackendUnavailableException when Cassandra cannot be reached, times out, has too few
   *     replicas or lacks the schema; some outcomes may have been written
   * @throws IllegalStateException when the store is closed
   */
  @Override
  public void putOutcomes(QueueRef queue, List<StoredOutcome> outcomes) {
    requireOpen(queue);
    requireArgument(outcomes, "outcomes");
    Map<Long, List<StoredOutcome>> byBucket = new TreeMap<>();
    for (StoredOutcome o : outcomes) {
      requireArgument(o, "outcomes");
      byBucket.computeIfAbsent(bucketOf(o.index()), k -> new ArrayList<>()).add(o);
    }
    if (byBucket.isEmpty()) {
      return;
    }
    insertByPartition(
        byBucket.values(),
        (s, o) -> bindInsertOutcome(s, queue, o),
        "putOutcomes of " + outcomes.size() + " outcome(s) of queue " + queue);
  }

  private BoundStatement bindInsertOutcome(Statements s, QueueRef queue, StoredOutcome outcome) {
    Instant at = outcome.completedAt();
    long millis = epochMillis(at, "outcome");
    return asWrite(
        inBucket(s.insertOutcome(), queue, bucketOf(outcome.index()))
            .setLong(3, outcome.index())
            .setString(4, outcome.worker())
            .setByteBuffer(5, ByteBuffer.wrap(outcome.outcome()))
            .setInstant(6, Instant.ofEpochMilli(millis))
            .setInt(7, at.getNano() % 1_000_000)
            .setInt(8, ttlSeconds));
  }

  /**
   * {@inheritDoc}
   *
   * <p>A lightweight transaction ({@code INSERT ... IF NOT EXISTS}) on the queue's row in table
   * {@code queues}: once per queue, when it is first used.
   *
   * @throws BackendUnavailableException when Cassandra fails
   * @throws IllegalStateException when the store is closed
   */
  @Override
  public void createQueueMark(QueueRef queue) {
    requireOpen(queue);
    String what = "createQueueMark of " + queue;
    try {
      session.execute(
          statements()
              .insertQueueIfAbsent()
              .boundStatementBuilder()
              .setString(0, queue.owner())
              .setString(1, queue.service())
              .setLong(2, QueueMark.NEW.allocated())
              .setLong(3, QueueMark.NEW.lowestUnfinished())
              .setInstant(4, Instant.now())
              .setConsistencyLevel(writeConsistency)
              .setTimeout(requestTimeout)
              .build());
    } catch (RuntimeException e) {
      throw failures.translate(what, e);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>One update of the queue's row in table {@code queues}, at the write consistency.
   *
   * @throws BackendUnavailableException when Cassandra fails
   * @throws IllegalStateException when the store is closed
   */
  @Override
  public void putQueueMark(QueueRef queue, QueueMark mark) {
    requireOpen(queue);
    requireArgument(mark, "mark");
    String what = "putQueueMark of " + queue;
    try {
      session.execute(
          asWrite(
              statements()
                  .updateQueue()
                  .boundStatementBuilder()
                  .setLong(0, mark.allocated())
                  .setLong(1, mark.lowestUnfinished())
                  .setInstant(2, Instant.now())
                  .setString(3, queue.owner())
                  .setString(4, queue.service())));
    } catch (RuntimeException e) {
      throw failures.translate(what, e);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>One read of the queue's row in table {@code queues}, at the read consistency.
   *
   * @throws BackendUnavailableException when Cassandra fails
   * @throws IllegalStateException when the store is closed
   */
  @Override
  public Optional<QueueMark> queueMark(QueueRef queue) {
    requireOpen(queue);
    String what = "queueMark of " + queue;
    try {
      Row row = session.execute(asRead(ofQueue(statements().selectQueue(), queue))).one();
      return row == null
          ? Optional.empty()
          : Optional.of(new QueueMark(row.getLong(0), row.getLong(1)));
    } catch (RuntimeException e) {
      throw failures.translate(what, e);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>One read per partition ({@code ORDER BY idx DESC LIMIT 1}), partition after partition upward
   * from the one holding {@code from}, until two in a row are empty: a handful of reads, once, when
   * a queue's bookkeeping is rebuilt.
   *
   * @throws BackendUnavailableException when Cassandra fails
   * @throws IllegalStateException when the store is closed
   */
  @Override
  public OptionalLong highestIndex(QueueRef queue, long from) {
    requireOpen(queue);
    String what = "highestIndex of " + queue + " from " + from;
    try {
      Statements s = statements();
      OptionalLong highest = OptionalLong.empty();
      int emptyInARow = 0;
      for (long bucket = bucketOf(Math.max(0, from)); emptyInARow < 2; bucket++) {
        Row row = session.execute(asRead(inBucket(s.selectHighest(), queue, bucket))).one();
        if (row == null) {
          emptyInARow++;
        } else {
          emptyInARow = 0;
          if (row.getLong(0) >= from) {
            highest = OptionalLong.of(row.getLong(0));
          }
        }
      }
      return highest;
    } catch (RuntimeException e) {
      throw failures.translate(what, e);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>One read of one row by primary key, at the read consistency.
   *
   * @throws InvalidArgumentException naming {@code queue} or {@code worker} when one is null
   * @throws BackendUnavailableException when Cassandra cannot be reached, times out, has too few
   *     replicas or lacks the schema
   * @throws IllegalStateException when the store is closed
   */
  @Override
  public Optional<StoredOutcome> getOutcome(QueueRef queue, long index, String worker) {
    requireOpen(queue);
    requireArgument(worker, "worker");
    String what = "getOutcome of index " + index + " by " + worker + " of " + queue;
    try {
      Statements s = statements();
      BoundStatement read =
          asRead(
              inBucket(s.selectOutcome(), queue, bucketOf(index))
                  .setLong(3, index)
                  .setString(4, worker));
      Row row = session.execute(read).one();
      if (row == null) {
        return Optional.empty();
      }
      StoredOutcome found = outcome(row, index, worker);
      if (found == null) {
        LOG.warn(
            "outcome row {} by {} of {} lacks its outcome or time; ignored", index, worker, queue);
      }
      return Optional.ofNullable(found);
    } catch (RuntimeException e) {
      throw failures.translate(what, e);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Deletes whole partitions of both tables: {@code DELETE ... WHERE owner = ? AND service = ?
   * AND bucket = ?} for every bucket from the one holding {@code previousWatermark} up to the last
   * one that ends below {@code watermark}; never single rows. Up to 64 deletes are in flight at
   * once. A failure may leave some of these partitions deleted; calling again with the same
   * arguments finishes the job (deletes are idempotent).
   *
   * @return the first index of the bucket holding {@code watermark} when partitions were deleted;
   *     {@code previousWatermark} when no whole bucket lies between the two (nothing is sent)
   * @throws InvalidArgumentException naming {@code queue} when it is null, or {@code
   *     previousWatermark} when it is negative
   * @throws BackendUnavailableException when Cassandra cannot be reached, times out, has too few
   *     replicas or lacks the schema
   * @throws IllegalStateException when the store is closed
   */
  @Override
  public long dropBelow(QueueRef queue, long previousWatermark, long watermark) {
    requireOpen(queue);
    if (previousWatermark < 0) {
      throw new InvalidArgumentException(
          "previousWatermark", "must be 0 or more, was " + previousWatermark);
    }
    long keepBucket = bucketOf(watermark);
    long keepFrom = keepBucket * bucketSize;
    if (keepFrom <= previousWatermark) {
      return previousWatermark;
    }
    long firstBucket = bucketOf(previousWatermark);
    String what =
        "dropBelow of buckets " + firstBucket + " to " + (keepBucket - 1) + " of queue " + queue;
    try {
      deleteBuckets(statements(), queue, firstBucket, keepBucket - 1, what);
    } catch (RuntimeException e) {
      throw failures.translate(what, e);
    }
    LOG.debug("dropped buckets {} to {} of {}", firstBucket, keepBucket - 1, queue);
    return keepFrom;
  }

  // ---------------------------------------------------------------------------------------------
  // scheduling

  /**
   * {@inheritDoc}
   *
   * <p>One read of the index's rows in its partition, at the read consistency. Outcomes with the
   * same completion time come in the order of their workers' ids.
   *
   * @throws InvalidArgumentException naming {@code queue} when it is null
   * @throws BackendUnavailableException when Cassandra fails
   * @throws IllegalStateException when the store is closed
   */
  @Override
  public List<StoredOutcome> outcomes(QueueRef queue, long index) {
    requireOpen(queue);
    String what = "outcomes of index " + index + " of queue " + queue;
    try {
      BoundStatement read =
          asRead(
              inBucket(statements().selectOutcomesOfIndex(), queue, bucketOf(index))
                  .setLong(3, index));
      List<StoredOutcome> found = new ArrayList<>();
      for (Row row : session.execute(read)) {
        StoredOutcome outcome = outcome(row, index, row.getString("worker"));
        if (outcome == null) {
          LOG.warn(
              "an outcome row of index {} of {} lacks its outcome or time; ignored", index, queue);
          continue;
        }
        found.add(outcome);
      }
      found.sort(
          Comparator.comparing(StoredOutcome::completedAt).thenComparing(StoredOutcome::worker));
      return List.copyOf(found);
    } catch (RuntimeException e) {
      throw failures.translate(what, e);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>In this order: deletes the partition of the queue's schedules (so that no node adds another
   * scheduled task); for each lane given, deletes the partitions of both {@code tasks} and {@code
   * outcomes} from the bucket of the lane's first index ({@code base() + 1}) to the bucket of its
   * highest index, up to 64 at once, then reads the buckets above it one by one and deletes each
   * that holds a task or an outcome, until two in a row are empty (a writer may have gone beyond
   * the given index); last, deletes the queue's row in {@code queues}. Tasks, outcomes and
   * schedules go as whole partitions; the queue's row is the one single-row delete (its partition
   * holds the owner's other queues), so an owner that purges many queues leaves that many
   * tombstones in its {@code queues} partition until compaction. Lanes not given are not touched.
   *
   * <p>Costs two deletes per bucket up to the highest index, also for buckets {@link #dropBelow}
   * dropped already. A failure may leave part of the queue; calling again with the same arguments
   * finishes the job. The queue stays listed by {@link #services} until the call succeeds.
   *
   * @throws InvalidArgumentException naming {@code queue} when it is null, or {@code highestIndex}
   *     when the map is null, holds null or an index outside its lane ({@code base()} for none to
   *     {@code base() + LANE_SIZE - 1}); nothing is deleted then
   * @throws BackendUnavailableException when Cassandra fails
   * @throws IllegalStateException when the store is closed
   */
  @Override
  public void purge(QueueRef queue, Map<Priority, Long> highestIndex) {
    requireOpen(queue);
    Map<Priority, Long> lanes = TaskStore.checkHighestIndices(highestIndex);
    String what = "purge of queue " + queue;
    try {
      Statements s = statements();
      session.execute(bindQueue(s.deleteSchedules(), queue, writeConsistency));
      for (Map.Entry<Priority, Long> lane : lanes.entrySet()) {
        long base = lane.getKey().base();
        long first = bucketOf(base + 1);
        long last = bucketOf(Math.max(lane.getValue(), base + 1));
        long laneEnd = bucketOf(base + Priority.LANE_SIZE - 1);
        deleteBuckets(s, queue, first, last, what);
        int emptyInARow = 0;
        for (long b = last + 1; emptyInARow < 2 && b <= laneEnd; b++) {
          if (bucketHoldsRows(s, queue, b, what)) {
            emptyInARow = 0;
            deleteBuckets(s, queue, b, b, what);
          } else {
            emptyInARow++;
          }
        }
      }
      session.execute(bindQueue(s.deleteQueue(), queue, writeConsistency));
    } catch (RuntimeException e) {
      throw failures.translate(what, e);
    }
    LOG.info("purged queue {} (lanes {})", queue, lanes.keySet());
  }

  /** Whether a bucket holds a task or an outcome: two reads of at most one row, concurrently. */
  private boolean bucketHoldsRows(Statements s, QueueRef queue, long bucket, String what) {
    List<CompletableFuture<AsyncResultSet>> reads = new ArrayList<>(2);
    for (PreparedStatement read : List.of(s.selectHighest(), s.selectAnyOutcome())) {
      reads.add(session.executeAsync(asRead(inBucket(read, queue, bucket))).toCompletableFuture());
    }
    await(reads, what);
    return reads.stream().anyMatch(r -> r.join().one() != null);
  }

  /**
   * {@inheritDoc}
   *
   * <p>One read of the owner's partition of table {@code queues}, at the read consistency, all
   * pages; sorted by {@link String#compareTo}.
   *
   * @throws InvalidArgumentException naming {@code owner} when it is null or blank
   * @throws BackendUnavailableException when Cassandra fails
   * @throws IllegalStateException when the store is closed
   */
  @Override
  public List<String> services(String owner) {
    requireOpen();
    requireArgument(owner, "owner");
    if (owner.isBlank()) {
      throw new InvalidArgumentException("owner", "must not be blank");
    }
    String what = "services of owner " + owner;
    try {
      BoundStatement read =
          asRead(statements().selectServices().boundStatementBuilder().setString(0, owner));
      List<String> names = new ArrayList<>();
      for (Row row : session.execute(read)) {
        names.add(row.getString(0));
      }
      names.sort(Comparator.naturalOrder());
      return List.copyOf(names);
    } catch (RuntimeException e) {
      throw failures.translate(what, e);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Keeps {@code origin} and {@code nextTick} to the millisecond (Cassandra's {@code timestamp};
   * finer parts are truncated). A lightweight transaction, so that it is ordered with {@link
   * #advanceSchedule} and {@link #deleteSchedule} on the same row: {@code INSERT ... IF NOT
   * EXISTS}, and where the schedule exists {@code UPDATE ... IF EXISTS} (two round trips of Paxos).
   * Where a concurrent call created or deleted the same schedule between the two, this call counts
   * as having happened just before that one. The row has no TTL.
   *
   * @throws InvalidArgumentException naming {@code queue} or {@code schedule} when one is null, or
   *     {@code schedule} when its id is blank or a time is beyond Cassandra's range
   * @throws BackendUnavailableException when Cassandra fails (the schedule may have been written)
   * @throws IllegalStateException when the store is closed
   */
  @Override
  public void putSchedule(QueueRef queue, StoredSchedule schedule) {
    requireOpen(queue);
    requireArgument(schedule, "schedule");
    if (schedule.id().isBlank()) {
      throw new InvalidArgumentException("schedule", "id must not be blank");
    }
    Instant origin = Instant.ofEpochMilli(epochMillis(schedule.origin(), "schedule"));
    Instant nextTick = Instant.ofEpochMilli(epochMillis(schedule.nextTick(), "schedule"));
    String what = "putSchedule of " + schedule.id() + " of queue " + queue;
    try {
      Statements s = statements();
      boolean inserted =
          session
              .execute(
                  lightweight(
                      ofQueue(s.insertScheduleIfAbsent(), queue)
                          .setString(2, schedule.id())
                          .setString(3, schedule.spec())
                          .setByteBuffer(4, ByteBuffer.wrap(schedule.template()))
                          .setInstant(5, origin)
                          .setInstant(6, nextTick)))
              .wasApplied();
      if (!inserted) {
        session.execute(
            lightweight(
                s.updateScheduleIfPresent()
                    .boundStatementBuilder()
                    .setString(0, schedule.spec())
                    .setByteBuffer(1, ByteBuffer.wrap(schedule.template()))
                    .setInstant(2, origin)
                    .setInstant(3, nextTick)
                    .setString(4, queue.owner())
                    .setString(5, queue.service())
                    .setString(6, schedule.id())));
      }
    } catch (RuntimeException e) {
      throw failures.translate(what, e);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>A lightweight transaction, {@code DELETE ... IF EXISTS}.
   *
   * @throws InvalidArgumentException naming {@code queue} or {@code id} when one is null
   * @throws BackendUnavailableException when Cassandra fails (the schedule may have been deleted)
   * @throws IllegalStateException when the store is closed
   */
  @Override
  public boolean deleteSchedule(QueueRef queue, String id) {
    requireOpen(queue);
    requireArgument(id, "id");
    String what = "deleteSchedule of " + id + " of queue " + queue;
    try {
      return session
          .execute(
              lightweight(ofQueue(statements().deleteScheduleIfPresent(), queue).setString(2, id)))
          .wasApplied();
    } catch (RuntimeException e) {
      throw failures.translate(what, e);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>One read of the queue's partition of table {@code schedules}, at the read consistency (not
   * serial: a tick read from a replica that lags makes {@link #advanceSchedule} fail, never succeed
   * twice). Times are in milliseconds.
   *
   * @throws InvalidArgumentException naming {@code queue} when it is null
   * @throws BackendUnavailableException when Cassandra fails
   * @throws IllegalStateException when the store is closed
   */
  @Override
  public List<StoredSchedule> schedules(QueueRef queue) {
    requireOpen(queue);
    String what = "schedules of queue " + queue;
    try {
      List<StoredSchedule> found = new ArrayList<>();
      for (Row row :
          session.execute(bindQueue(statements().selectSchedules(), queue, readConsistency))) {
        String id = row.getString("id");
        String spec = row.getString("spec");
        ByteBuffer template = row.getByteBuffer("template");
        Instant origin = row.getInstant("origin");
        Instant nextTick = row.getInstant("next_tick");
        if (id == null || spec == null || template == null || origin == null || nextTick == null) {
          // only a tick claimed while a purge deleted the partition leaves such a row
          LOG.warn("schedule row {} of {} is incomplete; ignored", id, queue);
          continue;
        }
        found.add(new StoredSchedule(id, spec, bytes(template), origin, nextTick));
      }
      return List.copyOf(found);
    } catch (RuntimeException e) {
      throw failures.translate(what, e);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>A lightweight transaction, {@code UPDATE ... SET next_tick = ? ... IF next_tick = ?}, at
   * millisecond precision: {@code expected} matches a stored tick in the same millisecond, and
   * {@code next} is stored truncated to the millisecond. Never retried by the driver: after a
   * timeout the claim may or may not have been applied, and the call fails.
   *
   * @throws InvalidArgumentException naming {@code queue}, {@code id}, {@code expected} or {@code
   *     next} when one is null or beyond Cassandra's range, or {@code next} when it is not at least
   *     a millisecond after {@code expected}
   * @throws BackendUnavailableException when Cassandra fails, including a timeout of the
   *     transaction (whether the tick moved is then unknown)
   * @throws IllegalStateException when the store is closed
   */
  @Override
  public boolean advanceSchedule(QueueRef queue, String id, Instant expected, Instant next) {
    requireOpen(queue);
    requireArgument(id, "id");
    requireArgument(expected, "expected");
    requireArgument(next, "next");
    long expectedMillis = epochMillis(expected, "expected");
    long nextMillis = epochMillis(next, "next");
    if (nextMillis == expectedMillis) {
      throw new InvalidArgumentException(
          "next",
          "must differ from expected ("
              + Instant.ofEpochMilli(expectedMillis)
              + ") by a millisecond or more, was "
              + next);
    }
    String what = "advanceSchedule of " + id + " of queue " + queue + " from " + expected;
    try {
      return session
          .execute(
              lightweight(
                  statements()
                      .advanceSchedule()
                      .boundStatementBuilder()
                      .setInstant(0, Instant.ofEpochMilli(nextMillis))
                      .setString(1, queue.owner())
                      .setString(2, queue.service())
                      .setString(3, id)
                      .setInstant(4, Instant.ofEpochMilli(expectedMillis))))
          .wasApplied();
    } catch (RuntimeException e) {
      throw failures.translate(what, e);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // settings and lifecycle

  /**
   * The keyspace of the store's tables.
   *
   * @return the keyspace name
   */
  public String keyspace() {
    return keyspace;
  }

  /**
   * How many consecutive indices share a partition.
   *
   * @return the bucket size
   */
  public long bucketSize() {
    return bucketSize;
  }

  /**
   * How long rows written by this store live (the {@code USING TTL} of every insert).
   *
   * @return the time to live
   */
  public Duration ttl() {
    return ttl;
  }

  /**
   * Closes the session if this store opened it; leaves a session given by the application open.
   * Idempotent. Afterwards every method throws {@link IllegalStateException}.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (ownsSession) {
      session.close();
      LOG.debug("closed the session of {}", this);
    }
  }

  @Override
  public String toString() {
    return "CassandraTaskStore[keyspace="
        + keyspace
        + ", bucketSize="
        + bucketSize
        + ", ttl="
        + ttl
        + ", read="
        + readConsistency
        + ", write="
        + writeConsistency
        + (ownsSession ? ", own session" : "")
        + "]";
  }

  // ---------------------------------------------------------------------------------------------
  // internals

  private long bucketOf(long index) {
    return Math.floorDiv(index, bucketSize);
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException(this + " is closed");
    }
  }

  /** What every request on a queue checks first: that the store is open, then the queue given. */
  private void requireOpen(@Nullable QueueRef queue) {
    requireOpen();
    requireArgument(queue, "queue");
  }

  private static void requireArgument(@Nullable Object value, String name) {
    if (value == null) {
      throw new InvalidArgumentException(name, "must not be null (nor hold null)");
    }
  }

  private static long epochMillis(Instant at, String argument) {
    try {
      return at.toEpochMilli();
    } catch (ArithmeticException e) {
      throw new InvalidArgumentException(
          argument, "time " + at + " is out of Cassandra's range", e);
    }
  }

  private BoundStatement bindInsertTask(Statements s, QueueRef queue, StoredTask t) {
    Instant at = t.enqueuedAt();
    BoundStatementBuilder b =
        inBucket(s.insertTask(), queue, bucketOf(t.index()))
            .setLong(3, t.index())
            .setByteBuffer(4, ByteBuffer.wrap(t.value()))
            .setInstant(6, Instant.ofEpochMilli(epochMillis(at, "tasks")))
            .setInt(7, at.getNano() % 1_000_000)
            .setInt(12, ttlSeconds);
    // absent values stay unset: binding null would write a tombstone
    t.token().ifPresent(token -> b.setByteBuffer(5, ByteBuffer.wrap(token)));
    t.notBefore()
        .ifPresent(
            nb ->
                b.setInstant(8, Instant.ofEpochMilli(epochMillis(nb, "tasks")))
                    .setInt(9, nb.getNano() % 1_000_000));
    t.group().ifPresent(g -> b.setString(10, g));
    if (t.maxDeliveries() != 0) {
      b.setInt(11, t.maxDeliveries());
    }
    return asWrite(b);
  }

  /**
   * Writes one unlogged batch per partition (a plain insert where a partition gets one row), all
   * partitions concurrently; a failure is translated, naming {@code what}.
   */
  private <T> void insertByPartition(
      Collection<List<T>> partitions,
      BiFunction<Statements, T, BatchableStatement<?>> bind,
      String what) {
    try {
      Statements s = statements();
      List<Statement<?>> writes = new ArrayList<>(partitions.size());
      for (List<T> partition : partitions) {
        List<BatchableStatement<?>> inserts = new ArrayList<>(partition.size());
        for (T row : partition) {
          inserts.add(bind.apply(s, row));
        }
        writes.add(inserts.size() == 1 ? (Statement<?>) inserts.get(0) : unloggedBatch(inserts));
      }
      executeAll(writes, what);
    } catch (RuntimeException e) {
      throw failures.translate(what, e);
    }
  }

  private BatchStatement unloggedBatch(List<BatchableStatement<?>> inserts) {
    return BatchStatement.builder(DefaultBatchType.UNLOGGED)
        .addStatements(inserts)
        .setConsistencyLevel(writeConsistency)
        .setTimeout(requestTimeout)
        .setIdempotence(true)
        .build();
  }

  /** Deletes the partitions of both tables from bucket {@code from} to {@code to}, inclusive. */
  private void deleteBuckets(Statements s, QueueRef queue, long from, long to, String what) {
    List<Statement<?>> deletes = new ArrayList<>(DELETES_IN_FLIGHT);
    for (long b = from; b <= to; b++) {
      deletes.add(bindDelete(s.deleteTasks(), queue, b));
      deletes.add(bindDelete(s.deleteOutcomes(), queue, b));
      if (deletes.size() >= DELETES_IN_FLIGHT) {
        executeAll(deletes, what);
        deletes.clear();
      }
    }
    executeAll(deletes, what);
  }

  /** A statement on one queue's row or partition ({@code owner = ? AND service = ?}). */
  private BoundStatement bindQueue(
      PreparedStatement statement, QueueRef queue, ConsistencyLevel consistency) {
    return idempotent(ofQueue(statement, queue), consistency);
  }

  /**
   * A lightweight transaction, as {@link #createQueueMark} sends it: the commit at the write
   * consistency, the Paxos phase at the session's serial consistency, not idempotent (a retry could
   * report a write of its own first attempt as someone else's).
   */
  private BoundStatement lightweight(BoundStatementBuilder b) {
    return b.setConsistencyLevel(writeConsistency)
        .setTimeout(requestTimeout)
        .setIdempotence(false)
        .build();
  }

  private BoundStatement bindDelete(PreparedStatement delete, QueueRef queue, long bucket) {
    return asWrite(inBucket(delete, queue, bucket));
  }

  /** A statement with its queue bound ({@code owner = ?, service = ?} as values 0 and 1). */
  private static BoundStatementBuilder ofQueue(PreparedStatement statement, QueueRef queue) {
    return statement
        .boundStatementBuilder()
        .setString(0, queue.owner())
        .setString(1, queue.service());
  }

  /** A statement on one partition: its queue and its bucket bound as values 0 to 2. */
  private static BoundStatementBuilder inBucket(
      PreparedStatement statement, QueueRef queue, long bucket) {
    return ofQueue(statement, queue).setLong(2, bucket);
  }

  /** An idempotent read at the read consistency. */
  private BoundStatement asRead(BoundStatementBuilder b) {
    return idempotent(b, readConsistency);
  }

  /** An idempotent write at the write consistency. */
  private BoundStatement asWrite(BoundStatementBuilder b) {
    return idempotent(b, writeConsistency);
  }

  /** Sets the consistency, the request timeout and idempotence (the driver may retry it). */
  private BoundStatement idempotent(BoundStatementBuilder b, ConsistencyLevel consistency) {
    return b.setConsistencyLevel(consistency)
        .setTimeout(requestTimeout)
        .setIdempotence(true)
        .build();
  }

  /** Runs the requests concurrently and waits for all of them, even when one fails early. */
  private void executeAll(List<Statement<?>> requests, String what) {
    if (requests.isEmpty()) {
      return;
    }
    if (requests.size() == 1) {
      session.execute(requests.get(0));
      return;
    }
    List<CompletableFuture<AsyncResultSet>> pending = new ArrayList<>(requests.size());
    for (Statement<?> r : requests) {
      pending.add(session.executeAsync(r).toCompletableFuture());
    }
    await(pending, what);
  }

  private void await(List<? extends CompletableFuture<?>> pending, String what) {
    try {
      CompletableFuture.allOf(pending.toArray(new CompletableFuture<?>[0])).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BackendUnavailableException(
          FailureTranslator.BACKEND,
          what + " was interrupted; requests already sent may still be applied",
          e);
    } catch (ExecutionException e) {
      throw failures.translate(what, e.getCause() == null ? e : e.getCause());
    }
  }

  private static CompletionStage<List<Row>> allPages(AsyncResultSet rs, List<Row> rows) {
    for (Row row : rs.currentPage()) {
      rows.add(row);
    }
    if (rs.hasMorePages()) {
      return rs.fetchNextPage().thenCompose(next -> allPages(next, rows));
    }
    return CompletableFuture.completedFuture(rows);
  }

  private static Optional<StoredTask> task(Row row, QueueRef queue) {
    long idx = row.getLong("idx");
    ByteBuffer value = row.getByteBuffer("value");
    Instant at = row.getInstant("enqueued_at");
    if (value == null || at == null) {
      // cannot happen with rows written by this store (a partition's batch is all or nothing)
      LOG.warn("task row {} of {} lacks its value or enqueue time; ignored", idx, queue);
      return Optional.empty();
    }
    ByteBuffer token = row.getByteBuffer("task_token");
    Instant notBefore = row.getInstant("not_before");
    return Optional.of(
        new StoredTask(
            idx,
            bytes(value),
            token == null ? Optional.empty() : Optional.of(bytes(token)),
            at.plusNanos(row.getInt("enqueued_at_ns")),
            notBefore == null
                ? Optional.empty()
                : Optional.of(notBefore.plusNanos(row.getInt("not_before_ns"))),
            Optional.ofNullable(row.getString("grp")),
            row.getInt("max_deliveries")));
  }

  /** The outcome of {@code worker} that a row holds; null when a column of it is missing. */
  private static @Nullable StoredOutcome outcome(Row row, long index, @Nullable String worker) {
    ByteBuffer sealed = row.getByteBuffer("outcome");
    Instant at = row.getInstant("completed_at");
    if (worker == null || sealed == null || at == null) {
      return null;
    }
    return new StoredOutcome(
        index, worker, bytes(sealed), at.plusNanos(row.getInt("completed_at_ns")));
  }

  private static byte[] bytes(ByteBuffer buffer) {
    byte[] copy = new byte[buffer.remaining()];
    buffer.duplicate().get(copy);
    return copy;
  }

  /** The prepared statements; prepares them (once) on first use, after checking the schema. */
  private Statements statements() {
    Statements s = statements;
    if (s != null) {
      return s;
    }
    synchronized (prepareLock) {
      s = statements;
      if (s == null) {
        checkTables();
        s = prepareAll();
        statements = s;
      }
      return s;
    }
  }

  /** Fails clearly when a table is missing or was created with another bucket size. */
  private void checkTables() {
    List<Row> rows =
        session
            .execute(
                SimpleStatement.newInstance(
                        "SELECT table_name, comment FROM system_schema.tables"
                            + " WHERE keyspace_name = ?",
                        keyspace)
                    .setConsistencyLevel(DefaultConsistencyLevel.LOCAL_ONE)
                    .setTimeout(requestTimeout)
                    .setIdempotent(true))
            .all();
    Map<String, String> comments = new LinkedHashMap<>();
    for (Row row : rows) {
      comments.put(row.getString("table_name"), Objects.toString(row.getString("comment"), ""));
    }
    for (String table : List.of(Schema.TASKS, Schema.OUTCOMES, Schema.QUEUES, Schema.SCHEDULES)) {
      String comment = comments.get(table);
      if (comment == null) {
        throw new BackendUnavailableException(
            FailureTranslator.BACKEND,
            "table "
                + keyspace
                + "."
                + table
                + " does not exist: run CassandraTaskStore.createSchema() once, or apply"
                + " io/workqueue/cassandra/schema.cql, with keyspace '"
                + keyspace
                + "'",
            null);
      }
      if (table.equals(Schema.QUEUES) || table.equals(Schema.SCHEDULES)) {
        continue; // no buckets there
      }
      Optional<Long> declared = Schema.bucketSizeOf(comment);
      if (declared.isEmpty()) {
        LOG.warn(
            "table {}.{} declares no bucket_size in its comment; assuming it holds buckets of {}",
            keyspace,
            table,
            bucketSize);
      } else if (declared.get() != bucketSize) {
        throw new InvalidArgumentException(
            "bucketSize",
            "is "
                + bucketSize
                + " but table "
                + keyspace
                + "."
                + table
                + " was created with bucket_size="
                + declared.get()
                + "; the bucket size of existing data must never change: use "
                + declared.get()
                + ", or another keyspace");
      }
    }
    List<String> missing = missingTaskColumns();
    if (!missing.isEmpty()) {
      throw new BackendUnavailableException(
          FailureTranslator.BACKEND,
          "table "
              + keyspace
              + "."
              + Schema.TASKS
              + " lacks the columns "
              + missing
              + " of this version: run CassandraTaskStore.createSchema() once (it adds them), or "
              + Schema.addTaskColumnsDdl(keyspace, missing),
          null);
    }
  }

  private Statements prepareAll() {
    String tasks = keyspace + "." + Schema.TASKS;
    String outcomes = keyspace + "." + Schema.OUTCOMES;
    String queues = keyspace + "." + Schema.QUEUES;
    String schedules = keyspace + "." + Schema.SCHEDULES;
    String taskColumns =
        "idx, value, task_token, enqueued_at, enqueued_at_ns,"
            + " not_before, not_before_ns, grp, max_deliveries";
    String partition = " WHERE owner = ? AND service = ? AND bucket = ?";
    String queue = " WHERE owner = ? AND service = ?";
    List<String> cql =
        List.of(
            "INSERT INTO "
                + tasks
                + " (owner, service, bucket, idx, value, task_token, enqueued_at, enqueued_at_ns,"
                + " not_before, not_before_ns, grp, max_deliveries)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TTL ?",
            "SELECT " + taskColumns + " FROM " + tasks + partition + " AND idx = ?",
            "SELECT " + taskColumns + " FROM " + tasks + partition + " AND idx >= ? AND idx <= ?",
            "INSERT INTO "
                + outcomes
                + " (owner, service, bucket, idx, worker, outcome, completed_at, completed_at_ns)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?) USING TTL ?",
            "SELECT outcome, completed_at, completed_at_ns FROM "
                + outcomes
                + partition
                + " AND idx = ? AND worker = ?",
            "DELETE FROM " + tasks + partition,
            "DELETE FROM " + outcomes + partition,
            "INSERT INTO "
                + queues
                + " (owner, service, allocated, lowest_unfinished, updated)"
                + " VALUES (?, ?, ?, ?, ?) IF NOT EXISTS",
            "UPDATE " + queues + " SET allocated = ?, lowest_unfinished = ?, updated = ?" + queue,
            "SELECT allocated, lowest_unfinished FROM " + queues + queue,
            "SELECT idx FROM " + tasks + partition + " ORDER BY idx DESC LIMIT 1",
            "SELECT worker, outcome, completed_at, completed_at_ns FROM "
                + outcomes
                + partition
                + " AND idx = ?",
            "SELECT idx FROM " + outcomes + partition + " LIMIT 1",
            "DELETE FROM " + queues + queue,
            "SELECT service FROM " + queues + " WHERE owner = ?",
            "INSERT INTO "
                + schedules
                + " (owner, service, id, spec, template, origin, next_tick)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS",
            "UPDATE "
                + schedules
                + " SET spec = ?, template = ?, origin = ?, next_tick = ?"
                + queue
                + " AND id = ? IF EXISTS",
            "DELETE FROM " + schedules + queue + " AND id = ? IF EXISTS",
            "DELETE FROM " + schedules + queue,
            "SELECT id, spec, template, origin, next_tick FROM " + schedules + queue,
            "UPDATE " + schedules + " SET next_tick = ?" + queue + " AND id = ? IF next_tick = ?");
    List<CompletableFuture<PreparedStatement>> prepared =
        cql.stream()
            .map(q -> session.prepareAsync(q).toCompletableFuture())
            .collect(Collectors.toList());
    await(prepared, "preparing statements");
    List<PreparedStatement> p = prepared.stream().map(CompletableFuture::join).toList();
    LOG.debug("prepared {} statements on keyspace {}", p.size(), keyspace);
    return new Statements(
        p.get(0), p.get(1), p.get(2), p.get(3), p.get(4), p.get(5), p.get(6), p.get(7), p.get(8),
        p.get(9), p.get(10), p.get(11), p.get(12), p.get(13), p.get(14), p.get(15), p.get(16),
        p.get(17), p.get(18), p.get(19), p.get(20));
  }

  // ---------------------------------------------------------------------------------------------
  // builder

  /**
   * Configures and builds a {@link CassandraTaskStore}. Every setter checks its value at once and
   * throws {@link InvalidArgumentException} naming the setting; {@link #build()} checks that the
   * settings fit together. Give either {@link #session(CqlSession)} or {@link
   * #contactPoints(String...)} with {@link #localDatacenter(String)}.
   *
   * <p>Not thread-safe; a builder may build several stores.
   */
  public static final class Builder {
    private @Nullable CqlSession session;
    private List<String> contactPoints = List.of();
    private @Nullable String localDatacenter;
    private String keyspace = DEFAULT_KEYSPACE;
    private Duration ttl = DEFAULT_TTL;
    private int bucketSize = DEFAULT_BUCKET_SIZE;
    private ConsistencyLevel readConsistency = DefaultConsistencyLevel.LOCAL_QUORUM;
    private ConsistencyLevel writeConsistency = DefaultConsistencyLevel.LOCAL_QUORUM;
    private Schema.Replication replication = Schema.Replication.simple(1);
    private boolean createKeyspace = true;
    private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;

    private Builder() {}

    /**
     * Uses the application's session. The store never closes it; {@link CassandraTaskStore#close()}
     * leaves it open. Statements name the keyspace, so the session may be bound to any keyspace or
     * none. Its schema debouncer window decides how long {@link #createSchema()} takes (driver
     * default 1 s per statement; {@code advanced.metadata.schema.debouncer.window = 10
     * milliseconds} makes it about 0.1 s).
     *
     * @param session an open session
     * @return this builder
     * @throws InvalidArgumentException naming {@code session} when it is null
     */
    public Builder session(CqlSession session) {
      requireArgument(session, "session");
      this.session = session;
      return this;
    }

    /**
     * The nodes the store's own session first connects to; the driver discovers the rest of the
     * cluster from them. Needs {@link #localDatacenter(String)}. Replaces earlier contact points.
     *
     * @param hostPorts one or more {@code host:port} (IPv6: {@code [::1]:9042}); a missing port
     *     means {@value CassandraTaskStore#DEFAULT_PORT}
     * @return this builder
     * @throws InvalidArgumentException naming {@code contactPoints} when none is given, one is
     *     blank or its port is not 1 to 65535
     */
    public Builder contactPoints(String... hostPorts) {
      requireArgument(hostPorts, "contactPoints");
      if (hostPorts.length == 0) {
        throw new InvalidArgumentException("contactPoints", "give at least one host:port");
      }
      for (String hp : hostPorts) {
        parseHostPort(hp);
      }
      this.contactPoints = List.of(hostPorts);
      return this;
    }

    /**
     * The nodes the store's own session first connects to, as addresses. Needs {@link
     * #localDatacenter(String)}. Replaces earlier contact points.
     *
     * @param addresses one or more addresses with their CQL ports
     * @return this builder
     * @throws InvalidArgumentException naming {@code contactPoints} when none is given or one is
     *     null
     */
    public Builder contactPoints(Collection<InetSocketAddress> addresses) {
      requireArgument(addresses, "contactPoints");
      if (addresses.isEmpty()) {
        throw new InvalidArgumentException("contactPoints", "give at least one address");
      }
      List<String> points = new ArrayList<>();
      for (InetSocketAddress a : addresses) {
        requireArgument(a, "contactPoints");
        String host = a.getHostString();
        points.add((host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort());
      }
      this.contactPoints = List.copyOf(points);
      return this;
    }

    /**
     * The datacenter the store's own session treats as local: requests go to its nodes, and {@code
     * LOCAL_QUORUM} counts its replicas. Required with contact points. A node with default settings
     * is in {@code datacenter1}; {@code SELECT data_center FROM system.local} tells.
     *
     * @param localDatacenter the datacenter's name
     * @return this builder
     * @throws InvalidArgumentException naming {@code localDatacenter} when it is null or blank
     */
    public Builder localDatacenter(String localDatacenter) {
      requireArgument(localDatacenter, "localDatacenter");
      if (localDatacenter.isBlank()) {
        throw new InvalidArgumentException("localDatacenter", "must not be blank");
      }
      this.localDatacenter = localDatacenter.strip();
      return this;
    }

    /**
     * The keyspace of the store's tables (default {@value CassandraTaskStore#DEFAULT_KEYSPACE}).
     *
     * @param keyspace 1 to 48 characters: lowercase letters, digits and {@code _}, starting with a
     *     letter
     * @return this builder
     * @throws InvalidArgumentException naming {@code keyspace} when it is not such a name
     */
    public Builder keyspace(String keyspace) {
      requireArgument(keyspace, "keyspace");
      if (!KEYSPACE.matcher(keyspace).matches()) {
        throw new InvalidArgumentException(
            "keyspace",
            "must be 1 to 48 characters: lowercase letters, digits and _, starting with a letter;"
                + " was '"
                + keyspace
                + "'");
      }
      this.keyspace = keyspace;
      return this;
    }

    /**
     * How long the rows this store writes live (default 7 days): every insert carries {@code USING
     * TTL}, so tasks not dropped earlier by {@code dropBelow} vanish after it, delivered or not.
     *
     * @param ttl whole seconds, from 1 s to 20 years
     * @return this builder
     * @throws InvalidArgumentException naming {@code ttl} otherwise
     */
    public Builder ttl(Duration ttl) {
      requireArgument(ttl, "ttl");
      if (ttl.compareTo(Duration.ofSeconds(1)) < 0 || ttl.compareTo(MAX_TTL) > 0) {
        throw new InvalidArgumentException(
            "ttl", "must be from 1 second to 20 years (Cassandra's limit), was " + ttl);
      }
      if (ttl.getNano() != 0) {
        throw new InvalidArgumentException(
            "ttl", "must be whole seconds (Cassandra's TTL unit), was " + ttl);
      }
      this.ttl = ttl;
      return this;
    }

    /**
     * How many consecutive indices of a queue share a partition (default {@value
     * CassandraTaskStore#DEFAULT_BUCKET_SIZE}). Recorded in the tables' comments by {@link
     * CassandraTaskStore#createSchema()}; it must never change for a keyspace that holds data.
     *
     * @param bucketSize 1 to {@value CassandraTaskStore#MAX_BUCKET_SIZE}
     * @return this builder
     * @throws InvalidArgumentException naming {@code bucketSize} otherwise
     */
    public Builder bucketSize(int bucketSize) {
      if (bucketSize < 1 || bucketSize > MAX_BUCKET_SIZE) {
        throw new InvalidArgumentException(
            "bucketSize", "must be from 1 to " + MAX_BUCKET_SIZE + ", was " + bucketSize);
      }
      this.bucketSize = bucketSize;
      return this;
    }

    /**
     * The consistency level of both reads and writes (default {@code LOCAL_QUORUM}); shorthand for
     * {@link #readConsistency} and {@link #writeConsistency}.
     *
     * @param consistency a level valid for reads and writes (not {@code ANY}, {@code SERIAL} or
     *     {@code LOCAL_SERIAL})
     * @return this builder
     * @throws InvalidArgumentException naming {@code consistency} otherwise
     */
    public Builder consistency(ConsistencyLevel consistency) {
      requireArgument(consistency, "consistency");
      checkRead("consistency", consistency);
      checkWrite("consistency", consistency);
      this.readConsistency = consistency;
      this.writeConsistency = consistency;
      return this;
    }

    /**
     * The consistency level of reads (default {@code LOCAL_QUORUM}). With the default write
     * consistency, {@code LOCAL_QUORUM} reads see every write that returned.
     *
     * @param consistency any level but {@code ANY}
     * @return this builder
     * @throws InvalidArgumentException naming {@code readConsistency} otherwise
     */
    public Builder readConsistency(ConsistencyLevel consistency) {
      requireArgument(consistency, "readConsistency");
      checkRead("readConsistency", consistency);
      this.readConsistency = consistency;
      return this;
    }

    /**
     * The consistency level of writes and deletes (default {@code LOCAL_QUORUM}): a {@code put}
     * returns once this many replicas hold the rows.
     *
     * @param consistency any level but {@code SERIAL} and {@code LOCAL_SERIAL}
     * @return this builder
     * @throws InvalidArgumentException naming {@code writeConsistency} otherwise
     */
    public Builder writeConsistency(ConsistencyLevel consistency) {
      requireArgument(consistency, "writeConsistency");
      checkWrite("writeConsistency", consistency);
      this.writeConsistency = consistency;
      return this;
    }

    /**
     * Replication of a keyspace created by {@link CassandraTaskStore#createSchema()}: {@code
     * SimpleStrategy} (the default, with factor 1: for a single node or tests).
     *
     * @param replicationFactor 1 or more
     * @return this builder
     * @throws InvalidArgumentException naming {@code replicationFactor} otherwise
     */
    public Builder simpleReplication(int replicationFactor) {
      if (replicationFactor < 1) {
        throw new InvalidArgumentException(
            "replicationFactor", "must be 1 or more, was " + replicationFactor);
      }
      this.replication = Schema.Replication.simple(replicationFactor);
      return this;
    }

    /**
     * Replication of a keyspace created by {@link CassandraTaskStore#createSchema()}: {@code
     * NetworkTopologyStrategy} with a factor per datacenter, the choice for production (e.g. {@code
     * Map.of("dc1", 3)}).
     *
     * @param factorsByDatacenter one or more datacenter names (letters, digits, {@code _ . -}) with
     *     a factor of 1 or more each
     * @return this builder
     * @throws InvalidArgumentException naming {@code replication} otherwise
     */
    public Builder networkTopologyReplication(Map<String, Integer> factorsByDatacenter) {
      requireArgument(factorsByDatacenter, "replication");
      if (factorsByDatacenter.isEmpty()) {
        throw new InvalidArgumentException("replication", "give at least one datacenter");
      }
      for (Map.Entry<String, Integer> e : factorsByDatacenter.entrySet()) {
        requireArgument(e.getKey(), "replication");
        requireArgument(e.getValue(), "replication");
        if (!DATACENTER.matcher(e.getKey()).matches()) {
          throw new InvalidArgumentException(
              "replication",
              "datacenter name '" + e.getKey() + "' may hold only letters, digits, _, . and -");
        }
        if (e.getValue() < 1) {
          throw new InvalidArgumentException(
              "replication",
              "factor of datacenter '" + e.getKey() + "' must be 1 or more, was " + e.getValue());
        }
      }
      this.replication = Schema.Replication.networkTopology(Map.copyOf(factorsByDatacenter));
      return this;
    }

    /**
     * Whether {@link CassandraTaskStore#createSchema()} creates the keyspace too (default true).
     * Turn off where operators create keyspaces and the store may only create tables.
     *
     * @param createKeyspace false to create the tables only
     * @return this builder
     */
    public Builder createKeyspace(boolean createKeyspace) {
      this.createKeyspace = createKeyspace;
      return this;
    }

    /**
     * How long the client waits for each request, retries included (default 2 s); past it, the call
     * fails with {@link BackendUnavailableException}. {@link CassandraTaskStore#createSchema()}
     * waits at least 30 s per statement.
     *
     * @param requestTimeout more than zero, at most 10 minutes
     * @return this builder
     * @throws InvalidArgumentException naming {@code requestTimeout} otherwise
     */
    public Builder requestTimeout(Duration requestTimeout) {
      requireArgument(requestTimeout, "requestTimeout");
      if (requestTimeout.isNegative()
          || requestTimeout.isZero()
          || requestTimeout.compareTo(MAX_REQUEST_TIMEOUT) > 0) {
        throw new InvalidArgumentException(
            "requestTimeout", "must be more than 0 and at most 10 minutes, was " + requestTimeout);
      }
      this.requestTimeout = requestTimeout;
      return this;
    }

    /**
     * Builds the store. With contact points, opens the store's own session (connects to the
     * cluster; takes about 1 s in a cold JVM). Does not touch the schema: call {@link
     * CassandraTaskStore#createSchema()} where the store should create it; otherwise the first
     * request checks that the tables exist.
     *
     * @return the store
     * @throws InvalidArgumentException naming {@code session}, {@code contactPoints} or {@code
     *     localDatacenter} when neither or both ways of getting a session were configured, or the
     *     local datacenter is missing
     * @throws BackendUnavailableException when the own session cannot connect (nothing listens at
     *     the contact points, a host name does not resolve, authentication fails)
     */
    public CassandraTaskStore build() {
      if (session != null) {
        if (!contactPoints.isEmpty() || localDatacenter != null) {
          throw new InvalidArgumentException(
              "session",
              "give either session(...) or contactPoints(...) with localDatacenter(...), not"
                  + " both");
        }
        return new CassandraTaskStore(this, session, false, "the application's CqlSession");
      }
      if (contactPoints.isEmpty()) {
        throw new InvalidArgumentException(
            "contactPoints",
            "none given: set contactPoints(\"host:port\", ...) and localDatacenter(...), or give"
                + " an existing session(...)");
      }
      if (localDatacenter == null) {
        throw new InvalidArgumentException(
            "localDatacenter",
            "required with contactPoints(...): the name of the datacenter to send requests to"
                + " (a node with default settings is in 'datacenter1')");
      }
      String connection =
          "contact points " + contactPoints + ", local datacenter '" + localDatacenter + "'";
      FailureTranslator failures = new FailureTranslator(connection, keyspace);
      List<InetSocketAddress> addresses = new ArrayList<>();
      for (String hp : contactPoints) {
        InetSocketAddress a = parseHostPort(hp);
        InetSocketAddress resolved = new InetSocketAddress(a.getHostString(), a.getPort());
        if (resolved.isUnresolved()) {
          throw new BackendUnavailableException(
              FailureTranslator.BACKEND,
              "contact point "
                  + hp
                  + " does not resolve to an address: check the contactPoints setting and DNS",
              null);
        }
        addresses.add(resolved);
      }
      DriverConfigLoader config =
          DriverConfigLoader.programmaticBuilder()
              // DDL completes only after the debounced schema refresh: 1 s by default, see
              // shared/cassandra/README.md, "DDL speed"
              .withDuration(DefaultDriverOption.METADATA_SCHEMA_WINDOW, Duration.ofMillis(10))
              // the store reads only its own keyspace's metadata (token-aware routing needs it)
              .withStringList(
                  DefaultDriverOption.METADATA_SCHEMA_REFRESHED_KEYSPACES, List.of(keyspace))
              .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, requestTimeout)
              // close() returns at once instead of waiting out Netty's 2 s quiet period: the
              // store closes its own session only when nothing of it is in use any more
              .withInt(DefaultDriverOption.NETTY_IO_SHUTDOWN_QUIET_PERIOD, 0)
              .withInt(DefaultDriverOption.NETTY_ADMIN_SHUTDOWN_QUIET_PERIOD, 0)
              .build();
      CqlSession own;
      try {
        own =
            CqlSession.builder()
                .addContactPoints(addresses)
                .withLocalDatacenter(localDatacenter)
                .withConfigLoader(config)
                .build();
      } catch (RuntimeException e) {
        throw failures.translate("connecting to Cassandra", e);
      }
      LOG.info("connected to Cassandra ({}), keyspace {}", connection, keyspace);
      return new CassandraTaskStore(this, own, true, connection);
    }

    private static InetSocketAddress parseHostPort(@Nullable String hostPort) {
      requireArgument(hostPort, "contactPoints");
      String hp = hostPort.strip();
      String host;
      String port = null;
      if (hp.startsWith("[")) {
        int end = hp.indexOf(']');
        if (end < 0) {
          throw new InvalidArgumentException(
              "contactPoints", "'" + hostPort + "' misses the ] of an IPv6 address");
        }
        host = hp.substring(1, end);
        String rest = hp.substring(end + 1);
        if (!rest.isEmpty()) {
          if (!rest.startsWith(":")) {
            throw new InvalidArgumentException(
                "contactPoints", "'" + hostPort + "' must look like [::1]:9042");
          }
          port = rest.substring(1);
        }
      } else {
        int colon = hp.lastIndexOf(':');
        if (colon >= 0 && hp.indexOf(':') != colon) {
          throw new InvalidArgumentException(
              "contactPoints", "'" + hostPort + "': write IPv6 addresses as [::1]:9042");
        }
        host = colon < 0 ? hp : hp.substring(0, colon);
        port = colon < 0 ? null : hp.substring(colon + 1);
      }
      if (host.isBlank()) {
        throw new InvalidArgumentException(
            "contactPoints", "'" + hostPort + "' has no host; write host:port");
      }
      int p = DEFAULT_PORT;
      if (port != null) {
        try {
          p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
          p = -1;
        }
        if (p < 1 || p > 65535) {
          throw new InvalidArgumentException(
              "contactPoints", "'" + hostPort + "' has no valid port (1 to 65535)");
        }
      }
      return InetSocketAddress.createUnresolved(host, p);
    }

    private static void checkRead(String setting, ConsistencyLevel c) {
      if (c.getProtocolCode() == DefaultConsistencyLevel.ANY.getProtocolCode()) {
        throw new InvalidArgumentException(setting, "ANY is only allowed for writes");
      }
    }

    private static void checkWrite(String setting, ConsistencyLevel c) {
      if (c.isSerial()) {
        throw new InvalidArgumentException(
            setting, c.name() + " is only for lightweight transactions, not for plain writes");
      }
    }
  }
}
