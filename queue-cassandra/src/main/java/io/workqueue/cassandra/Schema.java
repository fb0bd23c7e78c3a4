package io.workqueue.cassandra;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The DDL of the store. {@code src/main/resources/io/workqueue/cassandra/schema.cql} holds the same
 * statements for the default settings (a test keeps the two equal).
 *
 * <p>The bucket size is written into both tables' comments as {@code bucket_size=N}: the store
 * reads it back before its first request and refuses to run with another bucket size, because
 * {@code bucket = idx / bucketSize} places every row, and another size would look for rows in the
 * wrong partitions.
 */
final class Schema {

  static final String TASKS = "tasks";
  static final String OUTCOMES = "outcomes";
  static final String QUEUES = "queues";
  static final String SCHEDULES = "schedules";

  /**
   * Columns of {@code tasks} added after its first version, with their types, in DDL order: {@code
   * createSchema()} adds those an existing table lacks.
   */
  static final Map<String, String> LATER_TASK_COLUMNS = laterTaskColumns();

  private static Map<String, String> laterTaskColumns() {
    Map<String, String> columns = new LinkedHashMap<>();
    columns.put("not_before", "timestamp");
    columns.put("not_before_ns", "int");
    columns.put("grp", "text");
    columns.put("max_deliveries", "int");
    return Collections.unmodifiableMap(columns);
  }

  private static final Pattern BUCKET_SIZE = Pattern.compile("bucket_size=(\\d+)");

  private Schema() {}

  /** Replication of a keyspace created by {@code createSchema()}. */
  record Replication(String cqlMap) {

    static Replication simple(int replicationFactor) {
      return new Replication(
          "{'class': 'SimpleStrategy', 'replication_factor': " + replicationFactor + "}");
    }

    static Replication networkTopology(Map<String, Integer> factorsByDatacenter) {
      // sorted, so that the DDL is stable
      String factors =
          factorsByDatacenter.entrySet().stream()
              .sorted(Map.Entry.comparingByKey())
              .map(e -> "'" + e.getKey().replace("'", "''") + "': " + e.getValue())
              .collect(Collectors.joining(", "));
      return new Replication("{'class': 'NetworkTopologyStrategy', " + factors + "}");
    }
  }

  static String keyspaceDdl(String keyspace, Replication replication) {
    return "CREATE KEYSPACE IF NOT EXISTS "
        + keyspace
        + " WITH replication = "
        + replication.cqlMap()
        + " AND durable_writes = true";
  }

  static String tasksDdl(String keyspace, long bucketSize) {
    return "CREATE TABLE IF NOT EXISTS "
        + keyspace
        + "."
        + TASKS
        + " ("
        + "owner text, service text, bucket bigint, idx bigint, "
        + "value blob, task_token blob, enqueued_at timestamp, enqueued_at_ns int, "
        + LATER_TASK_COLUMNS.entrySet().stream()
            .map(e -> e.getKey() + " " + e.getValue() + ", ")
            .collect(Collectors.joining())
        + "PRIMARY KEY ((owner, service, bucket), idx)"
        + ") WITH comment = '"
        + comment("sealed tasks", bucketSize)
        + "'";
  }

  static String outcomesDdl(String keyspace, long bucketSize) {
    return "CREATE TABLE IF NOT EXISTS "
        + keyspace
        + "."
        + OUTCOMES
        + " ("
        + "owner text, service text, bucket bigint, idx bigint, worker text, "
        + "outcome blob, completed_at timestamp, completed_at_ns int, "
        + "PRIMARY KEY ((owner, service, bucket), idx, worker)"
        + ") WITH comment = '"
        + comment("sealed outcomes", bucketSize)
        + "'";
  }

  static String queuesDdl(String keyspace) {
    return "CREATE TABLE IF NOT EXISTS "
        + keyspace
        + "."
        + QUEUES
        + " ("
        + "owner text, service text, allocated bigint, lowest_unfinished bigint, updated timestamp, "
        + "PRIMARY KEY (owner, service)"
        + ") WITH comment = 'WorkQueue queues and their progress, to rebuild lost bookkeeping'";
  }

  static String schedulesDdl(String keyspace) {
    return "CREATE TABLE IF NOT EXISTS "
        + keyspace
        + "."
        + SCHEDULES
        + " ("
        + "owner text, service text, id text, "
        + "spec text, template blob, origin timestamp, next_tick timestamp, "
        + "PRIMARY KEY ((owner, service), id)"
        + ") WITH comment = 'WorkQueue repeating tasks: sealed templates and their next ticks'";
  }

  /**
   * The DDL that adds columns to an existing {@code tasks} table.
   *
   * @param keyspace the keyspace
   * @param missing names of {@link #LATER_TASK_COLUMNS} the table lacks, one or more
   * @return an {@code ALTER TABLE ... ADD (...)} statement
   */
  static String addTaskColumnsDdl(String keyspace, List<String> missing) {
    return "ALTER TABLE "
        + keyspace
        + "."
        + TASKS
        + " ADD ("
        + missing.stream()
            .map(c -> c + " " + LATER_TASK_COLUMNS.get(c))
            .collect(Collectors.joining(", "))
        + ")";
  }

  /** Every statement {@code createSchema()} runs, in order. */
  static List<String> statements(
      String keyspace, Replication replication, long bucketSize, boolean createKeyspace) {
    List<String> ddl = new ArrayList<>();
    if (createKeyspace) {
      ddl.add(keyspaceDdl(keyspace, replication));
    }
    ddl.add(tasksDdl(keyspace, bucketSize));
    ddl.add(outcomesDdl(keyspace, bucketSize));
    ddl.add(queuesDdl(keyspace));
    ddl.add(schedulesDdl(keyspace));
    return List.copyOf(ddl);
  }

  private static String comment(String what, long bucketSize) {
    return "WorkQueue "
        + what
        + ". bucket_size="
        + bucketSize
        + " (bucket = idx / "
        + bucketSize
        + "); never change it for existing data";
  }

  /**
   * The bucket size a table's comment declares.
   *
   * @param comment the table's comment
   * @return the size, or empty when the comment does not declare one (tables created by hand)
   */
  static Optional<Long> bucketSizeOf(String comment) {
    Matcher m = BUCKET_SIZE.matcher(comment);
    if (!m.find()) {
      return Optional.empty();
    }
    try {
      return Optional.of(Long.parseLong(m.group(1)));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }
}
