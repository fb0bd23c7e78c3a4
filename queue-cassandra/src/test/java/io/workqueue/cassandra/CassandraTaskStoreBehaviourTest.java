package io.workqueue.cassandra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import io.workqueue.BackendUnavailableException;
import io.workqueue.InvalidArgumentException;
import io.workqueue.Priority;
import io.workqueue.QueueRef;
import io.workqueue.spi.StoredOutcome;
import io.workqueue.spi.StoredSchedule;
import io.workqueue.spi.StoredTask;
import io.workqueue.testkit.TestQueues;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayName("CassandraTaskStore on a real Cassandra node")
class CassandraTaskStoreBehaviourTest {

  private static final Instant T0 = Instant.parse("2026-01-02T03:04:05.123456789Z");

  /** Buckets of 10 indices, so tests cross partitions with few rows. */
  private static CassandraTaskStore small;

  @BeforeAll
  static void smallBuckets() {
    TestCassandra.store(); // creates the schema of keyspace wq_test
    small = TestCassandra.onSharedSession("wq_test_b10").bucketSize(10).build();
    small.createSchema();
  }

  @AfterAll
  static void closeSmall() {
    small.close();
  }

  private static CassandraTaskStore store() {
    return TestCassandra.store();
  }

  private static StoredTask task(long index, byte[] value, byte[] token) {
    return new StoredTask(index, value, Optional.ofNullable(token), T0.plusMillis(index));
  }

  private static StoredTask task(long index) {
    return task(index, ("v" + index).getBytes(StandardCharsets.UTF_8), null);
  }

  private static List<StoredTask> tasks(long from, long to) {
    return LongStream.rangeClosed(from, to).mapToObj(i -> task(i)).toList();
  }

  private static long rowsInPartition(String table, QueueRef q, long bucket) {
    Row row =
        TestCassandra.session()
            .execute(
                SimpleStatement.newInstance(
                    "SELECT count(*) FROM wq_test_b10."
                        + table
                        + " WHERE owner = ? AND service = ? AND bucket = ?",
                    q.owner(),
                    q.service(),
                    bucket))
            .one();
    return row.getLong(0);
  }

  @Nested
  @DisplayName("round trips")
  class RoundTrips {
    @Test
    @DisplayName("every byte value, empty blobs and nanoseconds of the enqueue time survive")
    void bytesAndTimes() {
      QueueRef q = TestQueues.fresh();
      byte[] all = new byte[256];
      for (int i = 0; i < all.length; i++) {
        all[i] = (byte) i;
      }
      StoredTask binary = new StoredTask(1, all, Optional.of(new byte[] {0, -1, 127, -128}), T0);
      StoredTask empty = new StoredTask(2, new byte[0], Optional.of(new byte[0]), T0.plusNanos(1));
      StoredTask old =
          new StoredTask(
              3, new byte[] {1}, Optional.empty(), Instant.parse("1969-12-31T23:59:59.999999999Z"));
      store().put(q, List.of(binary, empty, old));

      assertThat(store().get(q, 1)).contains(binary);
      assertThat(store().get(q, 2)).contains(empty);
      assertThat(store().get(q, 2).orElseThrow().token())
          .hasValueSatisfying(t -> assertThat(t).isEmpty());
      assertThat(store().get(q, 3)).contains(old);
      assertThat(store().getAll(q, List.of(1L, 2L, 3L))).containsOnlyKeys(1L, 2L, 3L);
    }

    @Test
    @DisplayName("a 1 MiB value is written and read back")
    void largeValue() {
      QueueRef q = TestQueues.fresh();
      byte[] big = new byte[1 << 20];
      Arrays.fill(big, (byte) 7);
      store().put(q, List.of(task(1, big, null)));
      assertThat(store().get(q, 1).orElseThrow().value()).isEqualTo(big);
    }

    @Test
    @DisplayName("an empty put sends nothing and an empty getAll finds nothing")
    void empty() {
      QueueRef q = TestQueues.fresh();
      store().put(q, List.of());
      assertThat(store().getAll(q, List.of())).isEmpty();
    }

    @Test
    @DisplayName("a put with the same index twice is rejected before anything is written")
    void duplicateIndex() {
      QueueRef q = TestQueues.fresh();
      assertThatThrownBy(() -> store().put(q, List.of(task(4), task(5), task(4))))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("index 4");
      assertThat(store().getAll(q, List.of(4L, 5L))).isEmpty();
    }
  }

  @Nested
  @DisplayName("buckets")
  class Buckets {
    @Test
    @DisplayName("put spreads tasks over their buckets and getAll reads across bucket boundaries")
    void acrossBoundaries() {
      QueueRef q = TestQueues.fresh();
      small.put(q, tasks(5, 25));

      assertThat(rowsInPartition("tasks", q, 0)).isEqualTo(5); // 5..9
      assertThat(rowsInPartition("tasks", q, 1)).isEqualTo(10); // 10..19
      assertThat(rowsInPartition("tasks", q, 2)).isEqualTo(6); // 20..25
      Map<Long, StoredTask> found = small.getAll(q, List.of(9L, 10L, 11L, 19L, 20L, 21L, 30L, 4L));
      assertThat(found).containsOnlyKeys(9L, 10L, 11L, 19L, 20L, 21L);
      found.forEach((i, t) -> assertThat(t).isEqualTo(task(i)));
    }

    @Test
    @DisplayName("a sparse getAll keeps only the requested indices of a range")
    void sparse() {
      QueueRef q = TestQueues.fresh();
      small.put(q, tasks(1, 30));
      assertThat(small.getAll(q, List.of(2L, 8L, 8L, 23L))).containsOnlyKeys(2L, 8L, 23L);
    }

    @Test
    @DisplayName("a range longer than one page is read whole")
    void paging() {
      CassandraTaskStore wide =
          TestCassandra.onSharedSession("wq_test_b20000").bucketSize(20_000).build();
      wide.createSchema();
      QueueRef q = TestQueues.fresh();
      for (long i = 1; i <= 6000; i += 1000) {
        wide.put(q, tasks(i, i + 999));
      }
      List<Long> wanted = LongStream.rangeClosed(1, 6001).boxed().toList();
      Map<Long, StoredTask> found = wide.getAll(q, wanted);
      assertThat(found).hasSize(6000).containsKeys(1L, 5000L, 5001L, 6000L);
      assertThat(found.get(5555L)).isEqualTo(task(5555));
    }

    @Test
    @DisplayName("a store with another bucket size than the tables' refuses to run")
    void bucketSizeMismatch() {
      CassandraTaskStore wrong =
          TestCassandra.onSharedSession("wq_test_b10").bucketSize(100).build();
      assertThatThrownBy(() -> wrong.get(TestQueues.fresh(), 1))
          .isInstanceOfSatisfying(
              InvalidArgumentException.class, e -> assertThat(e.argument()).isEqualTo("bucketSize"))
          .hasMessageContaining("bucket_size=10");
    }
  }

  @Nested
  @DisplayName("dropBelow")
  class Drop {
    @Test
    @DisplayName("deletes whole buckets of tasks and outcomes below the watermark, keeps the rest")
    void wholeBuckets() {
      QueueRef q = TestQueues.fresh();
      QueueRef other = TestQueues.fresh();
      small.put(q, tasks(1, 45));
      small.put(other, tasks(1, 45));
      for (long i : new long[] {3, 15, 27, 41}) {
        small.putOutcome(q, new StoredOutcome(i, "w", new byte[] {1}, T0));
      }

      assertThat(small.dropBelow(q, 0, 25)).isEqualTo(20);

      for (long i = 1; i < 20; i++) {
        assertThat(small.get(q, i)).as("index %d", i).isEmpty();
      }
      assertThat(small.getAll(q, LongStream.rangeClosed(1, 45).boxed().toList()))
          .containsOnlyKeys(LongStream.rangeClosed(20, 45).boxed().toList());
      assertThat(rowsInPartition("tasks", q, 0)).isZero();
      assertThat(rowsInPartition("tasks", q, 1)).isZero();
      assertThat(rowsInPartition("outcomes", q, 0)).isZero();
      assertThat(small.getOutcome(q, 15, "w")).isEmpty();
      assertThat(small.getOutcome(q, 27, "w")).isPresent();
      assertThat(small.getAll(other, LongStream.rangeClosed(1, 45).boxed().toList())).hasSize(45);

      assertThat(small.dropBelow(q, 20, 29)).as("no whole bucket between").isEqualTo(20);
      assertThat(small.get(q, 20)).isPresent();

      assertThat(small.dropBelow(q, 20, 40)).isEqualTo(40);
      assertThat(small.getAll(q, LongStream.rangeClosed(1, 45).boxed().toList()))
          .containsOnlyKeys(40L, 41L, 42L, 43L, 44L, 45L);
      assertThat(small.getOutcome(q, 27, "w")).isEmpty();
      assertThat(small.getOutcome(q, 41, "w")).isPresent();
    }

    @Test
    @DisplayName("a negative previous watermark is rejected")
    void negative() {
      assertThatThrownBy(() -> small.dropBelow(TestQueues.fresh(), -1, 100))
          .isInstanceOfSatisfying(
              InvalidArgumentException.class,
              e -> assertThat(e.argument()).isEqualTo("previousWatermark"));
    }
  }

  @Nested
  @DisplayName("purge")
  class Purge {
    @Test
    @DisplayName(
        "deletes whole partitions of every lane given, upward over one empty partition, and"
            + " stops after two empty ones")
    void partitions() {
      QueueRef q = TestQueues.fresh();
      QueueRef other = TestQueues.fresh();
      long high = Priority.HIGH.base();
      for (QueueRef x : List.of(q, other)) {
        small.createQueueMark(x);
        small.put(x, tasks(1, 15)); // buckets 0 and 1
        small.put(x, tasks(high + 1, high + 12));
        small.putOutcome(x, new StoredOutcome(12, "w", new byte[] {1}, T0));
        small.putSchedule(x, new StoredSchedule("s", "every PT1M", new byte[] {1}, T0, T0));
      }
      small.put(q, tasks(25, 26)); // bucket 2: right above the highest index given
      small.putOutcome(q, new StoredOutcome(47, "w", new byte[] {1}, T0)); // bucket 4, 3 empty
      small.put(q, tasks(75, 75)); // bucket 7, after two empty buckets: not looked for

      small.purge(q, Map.of(Priority.NORMAL, 15L, Priority.HIGH, high + 12));

      for (long bucket : new long[] {0, 1, 2, 4}) {
        assertThat(rowsInPartition("tasks", q, bucket)).as("bucket %d", bucket).isZero();
        assertThat(rowsInPartition("outcomes", q, bucket)).as("bucket %d", bucket).isZero();
      }
      assertThat(rowsInPartition("tasks", q, high / 10)).isZero();
      assertThat(rowsInPartition("tasks", q, high / 10 + 1)).isZero();
      assertThat(small.get(q, 75)).as("beyond two empty partitions").isPresent();
      assertThat(small.queueMark(q)).isEmpty();
      assertThat(small.schedules(q)).isEmpty();

      assertThat(rowsInPartition("tasks", other, 0)).isEqualTo(9);
      assertThat(rowsInPartition("tasks", other, 1)).isEqualTo(6);
      assertThat(rowsInPartition("tasks", other, high / 10)).isEqualTo(9);
      assertThat(rowsInPartition("tasks", other, high / 10 + 1)).isEqualTo(3);
      assertThat(small.outcomes(other, 12)).hasSize(1);
      assertThat(small.queueMark(other)).isPresent();
      assertThat(small.schedules(other)).hasSize(1);
    }
  }

  @Nested
  @DisplayName("scheduling columns")
  class SchedulingColumns {
    @Test
    @DisplayName("task metadata carries the store's TTL; absent metadata writes no cell")
    void metadataCells() {
      QueueRef q = TestQueues.fresh();
      store()
          .put(
              q,
              List.of(
                  new StoredTask(
                      1,
                      new byte[] {1},
                      Optional.empty(),
                      T0,
                      Optional.of(T0.plusSeconds(5)),
                      Optional.of("g"),
                      3),
                  task(2)));
      Row full = tasksRow(q, 1);
      for (String column : List.of("not_before", "not_before_ns", "grp", "max_deliveries")) {
        assertThat(full.getObject("ttl_" + column))
            .as("TTL of %s", column)
            .isInstanceOfSatisfying(
                Integer.class, ttl -> assertThat(ttl).isBetween(7 * 86_400 - 60, 7 * 86_400));
      }
      Row plain = tasksRow(q, 2);
      for (String column : List.of("not_before", "not_before_ns", "grp", "max_deliveries")) {
        assertThat(plain.getObject(column)).as("cell %s", column).isNull();
        assertThat(plain.getObject("wt_" + column)).as("write time of %s", column).isNull();
      }
    }

    private Row tasksRow(QueueRef q, long index) {
      StringBuilder columns = new StringBuilder("not_before, not_before_ns, grp, max_deliveries");
      for (String c : List.of("not_before", "not_before_ns", "grp", "max_deliveries")) {
        columns.append(", TTL(").append(c).append(") AS ttl_").append(c);
        columns.append(", WRITETIME(").append(c).append(") AS wt_").append(c);
      }
      return TestCassandra.session()
          .execute(
              SimpleStatement.newInstance(
                  "SELECT "
                      + columns
                      + " FROM "
                      + TestCassandra.KEYSPACE
                      + ".tasks WHERE owner = ? AND service = ? AND bucket = 0 AND idx = ?",
                  q.owner(),
                  q.service(),
                  index))
          .one();
    }

    @Test
    @DisplayName("schedules do not expire")
    void schedulesKeep() {
      QueueRef q = TestQueues.fresh();
      store().putSchedule(q, new StoredSchedule("s", "every PT1M", new byte[] {1}, T0, T0));
      store().advanceSchedule(q, "s", T0, T0.plusSeconds(60));
      Row row =
          TestCassandra.session()
              .execute(
                  SimpleStatement.newInstance(
                      "SELECT TTL(spec), TTL(next_tick) FROM "
                          + TestCassandra.KEYSPACE
                          + ".schedules WHERE owner = ? AND service = ? AND id = 's'",
                      q.owner(),
                      q.service()))
              .one();
      assertThat(row.getObject(0)).isNull();
      assertThat(row.getObject(1)).isNull();
    }

    @Test
    @DisplayName(
        "a keyspace of the previous version is refused with a hint, and createSchema upgrades it")
    void upgrade() {
      CqlSession session = TestCassandra.session();
      String ks = "wq_test_upgrade";
      session.execute(
          "CREATE KEYSPACE IF NOT EXISTS "
              + ks
              + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
      session.execute(
          "CREATE TABLE "
              + ks
              + ".tasks (owner text, service text, bucket bigint, idx bigint, value blob,"
              + " task_token blob, enqueued_at timestamp, enqueued_at_ns int,"
              + " PRIMARY KEY ((owner, service, bucket), idx))"
              + " WITH comment = 'WorkQueue sealed tasks. bucket_size=1000'");
      session.execute(
          "CREATE TABLE "
              + ks
              + ".outcomes (owner text, service text, bucket bigint, idx bigint, worker text,"
              + " outcome blob, completed_at timestamp, completed_at_ns int,"
              + " PRIMARY KEY ((owner, service, bucket), idx, worker))"
              + " WITH comment = 'WorkQueue sealed outcomes. bucket_size=1000'");
      session.execute(
          "CREATE TABLE "
              + ks
              + ".queues (owner text, service text, allocated bigint, lowest_unfinished bigint,"
              + " updated timestamp, PRIMARY KEY (owner, service))");
      QueueRef q = TestQueues.fresh();
      StoredTask old = task(1);
      session.execute(
          SimpleStatement.newInstance(
              "INSERT INTO "
                  + ks
                  + ".tasks (owner, service, bucket, idx, value, enqueued_at, enqueued_at_ns)"
                  + " VALUES (?, ?, 0, 1, ?, ?, ?)",
              q.owner(),
              q.service(),
              ByteBuffer.wrap(old.value()),
              old.enqueuedAt().truncatedTo(ChronoUnit.MILLIS),
              old.enqueuedAt().getNano() % 1_000_000));

      CassandraTaskStore before = TestCassandra.onSharedSession(ks).build();
      assertThatThrownBy(() -> before.get(q, 1))
          .isInstanceOf(BackendUnavailableException.class)
          .hasMessageContaining(ks + ".schedules does not exist")
          .hasMessageContaining("createSchema");
      session.execute(
          "CREATE TABLE "
              + ks
              + ".schedules (owner text, service text, id text, spec text, template blob,"
              + " origin timestamp, next_tick timestamp, PRIMARY KEY ((owner, service), id))");
      CassandraTaskStore lacking = TestCassandra.onSharedSession(ks).build();
      assertThatThrownBy(() -> lacking.get(q, 1))
          .isInstanceOf(BackendUnavailableException.class)
          .hasMessageContaining(
              "lacks the columns [not_before, not_before_ns, grp, max_deliveries]")
          .hasMessageContaining("ALTER TABLE " + ks + ".tasks ADD (not_before timestamp");

      CassandraTaskStore upgraded = TestCassandra.onSharedSession(ks).build();
      upgraded.createSchema();
      upgraded.createSchema();
      assertThat(upgraded.get(q, 1)).contains(old);
      StoredTask delayed =
          new StoredTask(
              2, new byte[] {2}, Optional.empty(), T0, Optional.of(T0), Optional.of("g"), 2);
      upgraded.put(q, List.of(delayed));
      assertThat(upgraded.get(q, 2)).contains(delayed);
    }
  }

  @Nested
  @DisplayName("outcomes")
  class Outcomes {
    @Test
    @DisplayName("are keyed by index and worker: two workers' outcomes of one index coexist")
    void byWorker() {
      QueueRef q = TestQueues.fresh();
      StoredOutcome a = new StoredOutcome(15, "worker-A", new byte[] {1, 2}, T0);
      StoredOutcome b = new StoredOutcome(15, "worker-B", new byte[0], T0.plusNanos(999_999));
      small.putOutcome(q, a);
      small.putOutcome(q, b);
      assertThat(small.getOutcome(q, 15, "worker-A")).contains(a);
      assertThat(small.getOutcome(q, 15, "worker-B")).contains(b);
      assertThat(small.getOutcome(q, 15, "worker-C")).isEmpty();
      assertThat(small.getOutcome(q, 16, "worker-A")).isEmpty();
      assertThat(rowsInPartition("outcomes", q, 1)).isEqualTo(2);
    }
  }

  @Nested
  @DisplayName("time to live")
  class TimeToLive {
    @Test
    @DisplayName(
        "rows of a store with a 2 s TTL vanish; those of a 7-day store on the same tables stay")
    void expires() {
      CassandraTaskStore shortLived =
          TestCassandra.onSharedSession(TestCassandra.KEYSPACE).ttl(Duration.ofSeconds(2)).build();
      QueueRef q = TestQueues.fresh();
      shortLived.put(q, List.of(task(1)));
      shortLived.putOutcome(q, new StoredOutcome(1, "w", new byte[] {1}, T0));
      store().put(q, List.of(task(2)));
      assertThat(shortLived.get(q, 1)).isPresent();
      assertThat(ttlOf(q, 1)).isBetween(1, 2);
      assertThat(ttlOf(q, 2)).isBetween(7 * 86_400 - 60, 7 * 86_400);

      await()
          .atMost(Duration.ofSeconds(20))
          .pollInterval(Duration.ofMillis(250))
          .untilAsserted(
              () -> {
                assertThat(shortLived.get(q, 1)).isEmpty();
                assertThat(shortLived.getOutcome(q, 1, "w")).isEmpty();
              });
      assertThat(store().get(q, 2)).isPresent();
    }

    private int ttlOf(QueueRef q, long index) {
      return TestCassandra.session()
          .execute(
              SimpleStatement.newInstance(
                  "SELECT TTL(value) FROM "
                      + TestCassandra.KEYSPACE
                      + ".tasks WHERE owner = ? AND service = ? AND bucket = 0 AND idx = ?",
                  q.owner(),
                  q.service(),
                  index))
          .one()
          .getInt(0);
    }
  }

  @Nested
  @DisplayName("schema")
  class SchemaFile {
    @Test
    @DisplayName("createSchema is idempotent")
    void idempotent() {
      store().createSchema();
      store().createSchema();
      QueueRef q = TestQueues.fresh();
      store().put(q, List.of(task(1)));
      assertThat(store().get(q, 1)).isPresent();
    }

    @Test
    @DisplayName("schema.cql holds the DDL createSchema runs for the default settings")
    void fileMatchesCode() throws IOException {
      List<String> code =
          CassandraTaskStore.builder().session(TestCassandra.session()).build().schemaCql();
      assertThat(fileStatements().stream().map(SchemaFile::normalize).toList())
          .containsExactlyElementsOf(code.stream().map(SchemaFile::normalize).toList());
    }

    @Test
    @DisplayName("schema.cql, run by hand with another keyspace name, makes a working schema")
    void fileWorks() throws IOException {
      CqlSession session = TestCassandra.session();
      for (String ddl : fileStatements()) {
        session.execute(
            ddl.replace("EXISTS workqueue\n", "EXISTS wq_test_file\n")
                .replace("workqueue.", "wq_test_file."));
      }
      CassandraTaskStore byHand = TestCassandra.onSharedSession("wq_test_file").build();
      QueueRef q = TestQueues.fresh();
      byHand.put(q, tasks(998, 1002));
      assertThat(byHand.getAll(q, List.of(999L, 1000L, 1001L))).hasSize(3);
    }

    private static List<String> fileStatements() throws IOException {
      String text;
      try (InputStream in =
          CassandraTaskStore.class.getResourceAsStream("/io/workqueue/cassandra/schema.cql")) {
        assertThat(in).as("schema.cql on the classpath").isNotNull();
        text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      StringBuilder withoutComments = new StringBuilder();
      for (String line : text.split("\n")) {
        if (!line.strip().startsWith("--")) {
          withoutComments.append(line).append('\n');
        }
      }
      List<String> statements = new ArrayList<>();
      for (String s : withoutComments.toString().split(";\\s*\n")) {
        if (!s.isBlank()) {
          statements.add(s.strip());
        }
      }
      return statements;
    }

    private static String normalize(String cql) {
      return cql.replaceAll("\\s+", " ").replace("( ", "(").replace(" )", ")").strip();
    }
  }

  @Nested
  @DisplayName("sessions")
  class Sessions {
    @Test
    @DisplayName("closing a store leaves the application's session open")
    void borrowed() {
      CassandraTaskStore borrowed = TestCassandra.onSharedSession(TestCassandra.KEYSPACE).build();
      QueueRef q = TestQueues.fresh();
      borrowed.put(q, List.of(task(1)));
      borrowed.close();
      assertThat(TestCassandra.session().isClosed()).isFalse();
      assertThatThrownBy(() -> borrowed.get(q, 1)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    @DisplayName("a store closes the session it opened, and is unusable afterwards")
    void owned() {
      CassandraTaskStore owned = TestCassandra.builder().keyspace(TestCassandra.KEYSPACE).build();
      QueueRef q = TestQueues.fresh();
      owned.put(q, List.of(task(1)));
      assertThat(owned.get(q, 1)).isPresent();
      owned.close();
      owned.close();
      assertThatThrownBy(() -> owned.get(q, 1)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    @DisplayName("giving both a session and contact points is rejected")
    void both() {
      assertThatThrownBy(() -> TestCassandra.builder().session(TestCassandra.session()).build())
          .isInstanceOfSatisfying(
              InvalidArgumentException.class, e -> assertThat(e.argument()).isEqualTo("session"));
    }
  }

  @Nested
  @DisplayName("failures")
  class Failures {
    @Test
    @DisplayName("a missing keyspace is BackendUnavailableException telling to run createSchema")
    void missingKeyspace() {
      CassandraTaskStore nowhere = TestCassandra.onSharedSession("wq_test_never_created").build();
      assertThatThrownBy(() -> nowhere.get(TestQueues.fresh(), 1))
          .isInstanceOfSatisfying(
              BackendUnavailableException.class,
              e -> assertThat(e.backend()).isEqualTo("cassandra"))
          .hasMessageContaining("wq_test_never_created")
          .hasMessageContaining("createSchema");
      assertThatThrownBy(() -> nowhere.put(TestQueues.fresh(), List.of(task(1))))
          .isInstanceOf(BackendUnavailableException.class);
    }

    @Test
    @DisplayName("createSchema without the keyspace and without creating it says so")
    void tablesOnlyWithoutKeyspace() {
      CassandraTaskStore tablesOnly =
          TestCassandra.onSharedSession("wq_test_no_keyspace").createKeyspace(false).build();
      assertThat(tablesOnly.schemaCql()).hasSize(4);
      assertThatThrownBy(tablesOnly::createSchema)
          .isInstanceOf(BackendUnavailableException.class)
          .hasMessageContaining("wq_test_no_keyspace");
    }

    @Test
    @DisplayName("too few replicas for LOCAL_QUORUM is BackendUnavailableException naming replicas")
    void unavailable() {
      CassandraTaskStore rf3 =
          TestCassandra.onSharedSession("wq_test_rf3").simpleReplication(3).build();
      rf3.createSchema();
      QueueRef q = TestQueues.fresh();
      assertThatThrownBy(() -> rf3.put(q, List.of(task(1))))
          .isInstanceOfSatisfying(
              BackendUnavailableException.class,
              e -> assertThat(e.backend()).isEqualTo("cassandra"))
          .hasMessageContaining("replicas")
          .hasMessageContaining("wq_test_rf3");
      assertThatThrownBy(() -> rf3.get(q, 1)).isInstanceOf(BackendUnavailableException.class);
      CassandraTaskStore one =
          TestCassandra.onSharedSession("wq_test_rf3")
              .consistency(com.datastax.oss.driver.api.core.DefaultConsistencyLevel.ONE)
              .build();
      one.put(q, List.of(task(1)));
      assertThat(one.get(q, 1)).isPresent();
    }

    @Test
    @DisplayName("a wrong local datacenter is BackendUnavailableException naming the datacenter")
    void wrongDatacenter() {
      assertThatThrownBy(
              () -> {
                try (CassandraTaskStore lost =
                    TestCassandra.builder()
                        .localDatacenter("no-such-dc")
                        .keyspace(TestCassandra.KEYSPACE)
                        .build()) {
                  lost.get(TestQueues.fresh(), 1);
                }
              })
          .isInstanceOfSatisfying(
              BackendUnavailableException.class,
              e -> assertThat(e.backend()).isEqualTo("cassandra"))
          .hasMessageContaining("no-such-dc")
          .hasMessageContaining("datacenter");
    }
  }
}
