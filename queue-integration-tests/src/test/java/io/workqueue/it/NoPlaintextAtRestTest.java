package io.workqueue.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.cql.ColumnDefinition;
import com.datastax.oss.driver.api.core.cql.Row;
import io.workqueue.NewTask;
import io.workqueue.Outcome;
import io.workqueue.QueueRef;
import io.workqueue.Task;
import io.workqueue.WorkQueue;
import io.workqueue.WorkQueues;
import io.workqueue.testkit.TestQueues;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;
import redis.clients.jedis.resps.Tuple;

/**
 * Invariant 7: no plaintext payload, token or result at rest. Adds tasks carrying a marker, moves
 * them through every state, then reads Cassandra's tables with raw CQL and every Redis key with
 * SCAN, typed reads and DUMP, and finds the marker nowhere. Each reader is first shown to find a
 * planted marker, so the check can fail.
 */
class NoPlaintextAtRestTest {
  private static final String MARKER = "MARKER-c0ffee-7f3a9c";

  @Test
  @DisplayName("the marker in values, tokens and results appears nowhere in Cassandra or Redis")
  void nothingInPlaintext() {
    WorkQueue queue =
        WorkQueues.builder()
            .taskStore(RealServers.store())
            .bookkeeper(RealServers.bookkeeper())
            .keyProvider(RealServers.tink())
            .completionListener(c -> {})
            .build();
    QueueRef q = TestQueues.fresh("plaintext");
    for (int i = 0; i < 10; i++) {
      queue.add(q, NewTask.of(Map.of("secret", MARKER + i)).token(MARKER + "-token-" + i));
    }
    List<NewTask> batch = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      batch.add(NewTask.of(MARKER + "-batch-" + i).token(List.of(MARKER)));
    }
    queue.addAll(q, batch);
    // some acknowledged with results, some leased, the rest waiting
    for (int i = 0; i < 5; i++) {
      Task t = queue.fetch(q, "w-" + i, Duration.ofMinutes(5)).orElseThrow();
      assertThat(t.value().toString()).contains(MARKER);
      queue.ack(q, "w-" + i, Outcome.success(Map.of("result", MARKER + "-result")));
    }
    queue.fetch(q, "holder", Duration.ofMinutes(5)).orElseThrow();
    List<Task> leased = queue.fetchBatch(q, "batcher", 4, Duration.ofMinutes(5));
    queue.ack(q, "batcher", leased.get(0).index(), Outcome.failure(MARKER + "-error"));

    plantedMarkersAreFound();

    assertThat(cassandraHits()).as("Cassandra cells holding the marker").isEmpty();
    assertThat(redisHits()).as("Redis keys holding the marker").isEmpty();
  }

  /** Each reader finds a marker that is really there. */
  private void plantedMarkersAreFound() {
    String control = "plaintext-control-" + System.nanoTime();
    RealServers.session()
        .execute(
            "INSERT INTO "
                + RealServers.KEYSPACE
                + ".tasks (owner, service, bucket, idx, value) VALUES (?, ?, 0, 1, ?)",
            control,
            control,
            ByteBuffer.wrap(MARKER.getBytes(StandardCharsets.UTF_8)));
    assertThat(cassandraHits()).anySatisfy(hit -> assertThat(hit).contains(control));
    RealServers.session()
        .execute(
            "DELETE FROM "
                + RealServers.KEYSPACE
                + ".tasks WHERE owner = ? AND service = ? AND bucket = 0",
            control,
            control);

    JedisPooled redis = RealServers.redisAdmin();
    redis.hset(control, "f", "x" + MARKER + "y".repeat(200)); // long enough for RDB compression
    assertThat(redisHits()).anySatisfy(hit -> assertThat(hit).contains(control));
    redis.del(control);
  }

  private static boolean hasMarker(byte[] bytes) {
    return new String(bytes, StandardCharsets.ISO_8859_1).contains(MARKER);
  }

  /** Every cell of every table in the keyspace that holds the marker, as "table/column/owner". */
  private static List<String> cassandraHits() {
    List<String> hits = new ArrayList<>();
    List<String> tables = new ArrayList<>();
    for (Row r :
        RealServers.session()
            .execute(
                "SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?",
                RealServers.KEYSPACE)) {
      tables.add(r.getString("table_name"));
    }
    assertThat(tables).contains("tasks", "outcomes");
    for (String table : tables) {
      for (Row row :
          RealServers.session().execute("SELECT * FROM " + RealServers.KEYSPACE + "." + table)) {
        for (ColumnDefinition col : row.getColumnDefinitions()) {
          ByteBuffer raw = row.getBytesUnsafe(col.getName());
          if (raw == null) {
            continue;
          }
          byte[] bytes = new byte[raw.remaining()];
          raw.duplicate().get(bytes);
          if (hasMarker(bytes)) {
            String owner =
                row.getColumnDefinitions().contains("owner") ? row.getString("owner") : "";
            hits.add(table + "/" + col.getName().asInternal() + "/" + owner);
          }
        }
      }
    }
    return hits;
  }

  /** Every Redis key whose name, DUMP or typed contents hold the marker. */
  private static List<String> redisHits() {
    JedisPooled redis = RealServers.redisAdmin();
    List<String> hits = new ArrayList<>();
    String cursor = ScanParams.SCAN_POINTER_START;
    do {
      ScanResult<String> page = redis.scan(cursor, new ScanParams().count(500));
      for (String key : page.getResult()) {
        List<String> parts = new ArrayList<>();
        parts.add(key);
        byte[] dump = redis.dump(key);
        if (dump != null && hasMarker(dump)) {
          hits.add(key + " (in its DUMP)");
        }
        switch (redis.type(key)) {
          case "string" -> parts.add(redis.get(key));
          case "hash" -> redis.hgetAll(key).forEach((f, v) -> parts.add(f + "=" + v));
          case "zset" ->
              redis.zrangeWithScores(key, 0, -1).stream()
                  .map(Tuple::getElement)
                  .forEach(parts::add);
          case "set" -> parts.addAll(redis.smembers(key));
          case "list" -> parts.addAll(redis.lrange(key, 0, -1));
          default -> {}
        }
        if (String.join("\n", parts).contains(MARKER)) {
          hits.add(key);
        }
      }
      cursor = page.getCursor();
    } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
    return hits;
  }
}
