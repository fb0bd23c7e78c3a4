package io.workqueue.bench;

import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BatchStatementBuilder;
import com.datastax.oss.driver.api.core.cql.BatchType;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.ResultSet;
import com.datastax.oss.driver.api.core.cql.Row;
import java.nio.ByteBuffer;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import redis.clients.jedis.JedisPooled;

/**
 * PERFORMANCE.md's floor: what a queue with no logic of its own would cost on the same two servers,
 * with the raw Cassandra driver and raw Jedis.
 *
 * <ul>
 *   <li>per task: add = Redis {@code INCR} + one Cassandra {@code INSERT}; fetch = {@code INCR} +
 *       one {@code SELECT} by primary key; ack = one {@code DEL};
 *   <li>per batch of 100: add = {@code INCRBY} + one unlogged batch into one partition; fetch =
 *       {@code INCRBY} + one range read of that partition; ack = one {@code DEL} of 100 keys.
 * </ul>
 *
 * <p>Rows are laid out as the queue lays them out (partition = key and bucket of 1000 indices, a
 * blob of the queue's sealed size, {@code USING TTL} of 7 days, {@code LOCAL_QUORUM}, idempotent),
 * so the only difference to the queue is the queue's own logic. One {@link Lane} is one "queue":
 * its counters are shared by all threads that use it.
 */
final class Floor {
  private static final String TABLE = BenchServers.KEYSPACE + ".floor_tasks";
  private static final long BUCKET = 1000;
  private static final int TTL_SECONDS = 7 * 24 * 3600;

  private final CqlSession session;
  private final JedisPooled redis;
  private final ByteBuffer payload;
  private final PreparedStatement insert;
  private final PreparedStatement select;
  private final PreparedStatement range;

  /**
   * Creates the floor's table and prepares its statements.
   *
   * @param payloadBytes the size of the blob written per task (the queue's sealed size)
   */
  Floor(CqlSession session, JedisPooled redis, int payloadBytes) {
    this.session = session;
    this.redis = redis;
    this.payload = ByteBuffer.wrap(new byte[payloadBytes]);
    session.execute(
        "CREATE TABLE IF NOT EXISTS "
            + TABLE
            + " (k text, bucket bigint, idx bigint, v blob, PRIMARY KEY ((k, bucket), idx))");
    this.insert =
        session.prepare(
            "INSERT INTO "
                + TABLE
                + " (k, bucket, idx, v) VALUES (?, ?, ?, ?) USING TTL "
                + TTL_SECONDS);
    this.select =
        session.prepare("SELECT v FROM " + TABLE + " WHERE k = ? AND bucket = ? AND idx = ?");
    this.range =
        session.prepare(
            "SELECT idx, v FROM "
                + TABLE
                + " WHERE k = ? AND bucket = ? AND idx >= ? AND idx <= ?");
  }

  /** A fresh "queue" of the floor. */
  Lane lane(String name) {
    return new Lane(name + "-" + UUID.randomUUID().toString().substring(0, 8));
  }

  /** One floor "queue": two counters in Redis and the rows under one key in Cassandra. */
  final class Lane {
    private final String key;
    private final String alloc;
    private final String fetched;
    private final AtomicLong misses = new AtomicLong();

    private Lane(String key) {
      this.key = key;
      this.alloc = key + ":alloc";
      this.fetched = key + ":fetched";
    }

    /** INCR + INSERT. */
    void add() {
      long idx = redis.incr(alloc);
      session.execute(bind(insert.bind(key, bucketOf(idx), idx, payload)));
    }

    /** INCR + SELECT by primary key; returns the index. */
    long fetch() {
      long idx = redis.incr(fetched);
      Row row = session.execute(bind(select.bind(key, bucketOf(idx), idx))).one();
      if (row == null) {
        misses.incrementAndGet(); // written by another thread that has not finished yet
      }
      return idx;
    }

    /** DEL of the lease key. */
    void ack(long idx) {
      redis.del(key + ":lease:" + idx);
    }

    /** INCRBY 100 + one unlogged batch into one partition. */
    void addBatch(int n) {
      long last = redis.incrBy(alloc, n);
      long first = last - n + 1;
      BatchStatementBuilder batch = BatchStatement.builder(BatchType.UNLOGGED);
      for (long idx = first; idx <= last; idx++) {
        batch.addStatement(insert.bind(key, bucketOf(first), idx, payload));
      }
      session.execute(
          batch.setConsistencyLevel(ConsistencyLevel.LOCAL_QUORUM).setIdempotence(true).build());
    }

    /** INCRBY 100 + one range read of that partition; returns the first index of the range. */
    long fetchBatch(int n) {
      long last = redis.incrBy(fetched, n);
      long first = last - n + 1;
      ResultSet rs = session.execute(bind(range.bind(key, bucketOf(first), first, last)));
      int found = 0;
      for (Row row : rs) {
        if (row.getLong(0) >= first) {
          found++;
        }
      }
      if (found < n) {
        misses.addAndGet(n - found); // written by another thread that has not finished yet
      }
      return first;
    }

    /** One DEL of the batch's lease keys. */
    void ackBatch(long first, int n) {
      String[] keys = new String[n];
      for (int i = 0; i < n; i++) {
        keys[i] = key + ":lease:" + (first + i);
      }
      redis.del(keys);
    }

    /** How many rows a fetch did not find because their add was still running. */
    long misses() {
      return misses.get();
    }
  }

  /**
   * Batches of 100 from INCRBY 100 are aligned on 100, so {@code (idx - 1) / 1000} keeps each in
   * one partition.
   */
  private static long bucketOf(long idx) {
    return (idx - 1) / BUCKET;
  }

  private static BoundStatement bind(BoundStatement s) {
    return s.setConsistencyLevel(ConsistencyLevel.LOCAL_QUORUM).setIdempotent(true);
  }
}
