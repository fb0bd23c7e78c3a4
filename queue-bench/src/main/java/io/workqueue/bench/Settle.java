package io.workqueue.bench;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import java.util.List;
import java.util.Locale;
import redis.clients.jedis.JedisPooled;

/**
 * Waits, before a measurement, until the servers are quiet: no Cassandra compaction or memtable
 * flush running or pending (its {@code system_views.thread_pools}), no Redis AOF rewrite. So the
 * background work that one measurement's writes set off is not billed to the next one, which
 * matters most where the queue and the floor run one after the other.
 */
final class Settle {
  private static final long MAX_WAIT_MILLIS = 30_000;
  private static final long POLL_MILLIS = 250;
  private static final int QUIET_POLLS = 2;

  private final CqlSession session;
  private final List<JedisPooled> redis;
  private boolean virtualTables = true;

  Settle(CqlSession session, List<JedisPooled> redis) {
    this.session = session;
    this.redis = List.copyOf(redis);
  }

  /**
   * Waits until quiet (two polls in a row), at most 30 s.
   *
   * @return empty when quiet, else a note that the wait timed out
   */
  String await() {
    long deadline = System.currentTimeMillis() + MAX_WAIT_MILLIS;
    int quiet = 0;
    String busy = "";
    while (System.currentTimeMillis() < deadline) {
      busy = busy();
      quiet = busy.isEmpty() ? quiet + 1 : 0;
      if (quiet >= QUIET_POLLS) {
        return "";
      }
      sleep();
    }
    return String.format(
        Locale.ROOT, "servers still busy after %d s (%s)", MAX_WAIT_MILLIS / 1000, busy);
  }

  private String busy() {
    StringBuilder sb = new StringBuilder();
    if (virtualTables) {
      try {
        for (Row row :
            session.execute(
                "SELECT name, active_tasks, pending_tasks FROM system_views.thread_pools")) {
          String name = row.getString("name");
          if ("CompactionExecutor".equals(name) || "MemtableFlushWriter".equals(name)) {
            long n = count(row, "active_tasks") + count(row, "pending_tasks");
            if (n > 0) {
              sb.append(name).append(' ').append(n).append(' ');
            }
          }
        }
      } catch (RuntimeException e) {
        virtualTables = false; // not Cassandra 4+: do without
      }
    }
    for (JedisPooled r : redis) {
      if (RedisMemory.info(r, "persistence").contains("aof_rewrite_in_progress:1")) {
        sb.append("AOF rewrite ");
      }
    }
    return sb.toString().trim();
  }

  /** An int or bigint column (the type differs between Cassandra versions). */
  private static long count(Row row, String column) {
    Object v = row.getObject(column);
    return v instanceof Number n ? n.longValue() : 0;
  }

  private static void sleep() {
    try {
      Thread.sleep(POLL_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
