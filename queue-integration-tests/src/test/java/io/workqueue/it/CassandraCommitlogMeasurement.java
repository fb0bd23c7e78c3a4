package io.workqueue.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import io.workqueue.testservers.CassandraNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Measures what a kill -9 of a Cassandra node loses of the writes it acknowledged, and what a
 * single-threaded insert costs, for the test node's commit log setting ({@code periodic}, 10 s) and
 * for {@code batch}. A measurement of about a minute, so its name keeps it out of {@code mvn
 * verify}; run it with {@code mvn -pl queue-integration-tests -am verify
 * -Dtest=CassandraCommitlogMeasurement -Dsurefire.failIfNoSpecifiedTests=false}; the batch setting
 * it recommends is what {@link ReliabilityCassandraKillTest} runs on in every build.
 */
class CassandraCommitlogMeasurement {
  private static final int INSERTS = 2000;

  private record Figures(double p50, double p99, int acked, int lost, int writesPerSecond) {}

  @Test
  @DisplayName("periodic loses acknowledged writes to kill -9; batch loses none, at a latency cost")
  void measure() {
    List<String> lines = new ArrayList<>();
    Figures periodic = measure("periodic (test yaml)", CassandraNode.Options.defaults(), lines);
    Figures batch = measure("batch", DurableCassandra.options(), lines);
    String modes = System.getProperty("reliability.measure.more", "");
    if (modes.contains("direct")) {
      measure(
          "periodic, commitlog_disk_access_mode direct",
          CassandraNode.Options.defaults()
              .extraJvmArgs(
                  "-Dcassandra.config.allow_system_properties=true",
                  "-Dcassandra.settings.commitlog_disk_access_mode=direct"),
          lines);
    }
    if (modes.contains("group")) {
      measure(
          "group, 2 ms window",
          CassandraNode.Options.defaults()
              .extraJvmArgs(
                  "-Dcassandra.config.allow_system_properties=true",
                  "-Dcassandra.settings.commitlog_sync=group",
                  "-Dcassandra.settings.commitlog_sync_period=0ms",
                  "-Dcassandra.settings.commitlog_sync_group_window=2ms"),
          lines);
    }
    lines.forEach(ReliabilityRig::report);
    assertThat(batch.lost()).as("acknowledged writes lost with batch").isZero();
    assertThat(batch.acked()).isPositive();
    assertThat(periodic.acked()).isPositive();
  }

  private Figures measure(String mode, CassandraNode.Options options, List<String> lines) {
    try (CassandraNode node = CassandraNode.start(options)) {
      Set<Integer> acked = ConcurrentHashMap.newKeySet();
      double[] latency;
      AtomicInteger attempted = new AtomicInteger();
      long loadMillis;
      try (CqlSession s = session(node)) {
        s.execute(
            "CREATE KEYSPACE IF NOT EXISTS m WITH replication ="
                + " {'class': 'SimpleStrategy', 'replication_factor': 1}");
        s.execute("CREATE TABLE IF NOT EXISTS m.t (k int PRIMARY KEY, v text)");
        PreparedStatement insert = s.prepare("INSERT INTO m.t (k, v) VALUES (?, ?)");
        for (int i = 0; i < 500; i++) {
          s.execute(insert.bind(-1 - i, "warm-up"));
        }
        long[] nanos = new long[INSERTS];
        for (int i = 0; i < INSERTS; i++) {
          long t0 = System.nanoTime();
          s.execute(insert.bind(i, "v" + i));
          nanos[i] = System.nanoTime() - t0;
        }
        Arrays.sort(nanos);
        latency = new double[] {nanos[INSERTS / 2] / 1e6, nanos[INSERTS * 99 / 100] / 1e6};
        // four writers, killed mid-write; only the writes the node acknowledged count
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger next = new AtomicInteger(1_000_000);
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
          Thread t =
              new Thread(
                  () -> {
                    while (!stop.get()) {
                      int k = next.getAndIncrement();
                      attempted.incrementAndGet();
                      try {
                        s.execute(insert.bind(k, "load"));
                        acked.add(k);
                      } catch (RuntimeException e) {
                        return;
                      }
                    }
                  });
          t.start();
          writers.add(t);
        }
        long t0 = System.nanoTime();
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> acked.size() >= 1000 && ReliabilityRig.millisSince(t0) >= 2000);
        node.kill9();
        loadMillis = ReliabilityRig.millisSince(t0);
        stop.set(true);
        for (Thread t : writers) {
          t.join(10_000);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      node.restart();
      int lost = 0;
      try (CqlSession s = session(node)) {
        PreparedStatement get = s.prepare("SELECT v FROM m.t WHERE k = ?");
        for (int i = 0; i < INSERTS; i++) {
          if (s.execute(get.bind(i)).one() == null) {
            lost++;
          }
        }
        for (int k : acked) {
          if (s.execute(get.bind(k)).one() == null) {
            lost++;
          }
        }
      }
      Figures f =
          new Figures(
              latency[0],
              latency[1],
              acked.size() + INSERTS,
              lost,
              (int) (acked.size() * 1000L / Math.max(1, loadMillis)));
      lines.add(
          String.format(
              Locale.ROOT,
              "cassandra commitlog %s: single-thread insert p50 %.3f ms, p99 %.3f ms;"
                  + " 4 writers %d writes/s; kill -9 under load: %d of %d acknowledged writes lost",
              mode,
              f.p50(),
              f.p99(),
              f.writesPerSecond(),
              f.lost(),
              f.acked()));
      return f;
    }
  }

  private static CqlSession session(CassandraNode node) {
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
}
