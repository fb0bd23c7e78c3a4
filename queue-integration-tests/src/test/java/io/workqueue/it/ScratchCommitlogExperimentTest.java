package io.workqueue.it;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import io.workqueue.testservers.CassandraNode;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScratchCommitlogExperimentTest {

  @Test
  void run() throws Exception {
    String modes = System.getProperty("modes", "periodic");
    for (String mode : modes.split(",")) {
      experiment(mode);
    }
  }

  private void experiment(String mode) throws Exception {
    List<String> args =
        switch (mode) {
          case "periodic" -> List.of();
          case "periodic-mmap" ->
              List.of(
                  "-Dcassandra.config.allow_system_properties=true",
                  "-Dcassandra.settings.commitlog_disk_access_mode=mmap");
          case "group2" ->
              List.of(
                  "-Dcassandra.config.allow_system_properties=true",
                  "-Dcassandra.settings.commitlog_sync=group",
                  "-Dcassandra.settings.commitlog_sync_period=0ms",
                  "-Dcassandra.settings.commitlog_sync_group_window=2ms");
          case "group10" ->
              List.of(
                  "-Dcassandra.config.allow_system_properties=true",
                  "-Dcassandra.settings.commitlog_sync=group",
                  "-Dcassandra.settings.commitlog_sync_period=0ms",
                  "-Dcassandra.settings.commitlog_sync_group_window=10ms");
          case "batch" ->
              List.of(
                  "-Dcassandra.config.allow_system_properties=true",
                  "-Dcassandra.settings.commitlog_sync=batch",
                  "-Dcassandra.settings.commitlog_sync_period=0ms");
          default -> throw new IllegalArgumentException(mode);
        };
    CassandraNode.Options o = CassandraNode.Options.defaults();
    o.extraJvmArgs(args.toArray(String[]::new));
    try (CassandraNode node = CassandraNode.start(o)) {
      System.out.println(
          "MODE " + mode + " yaml-effective: " + grep(node, "commitlog_sync|disk_access"));
      int n = Integer.getInteger("n", 2000);
      int tail = Integer.getInteger("tail", 300);
      try (CqlSession s = session(node)) {
        s.execute(
            "CREATE KEYSPACE IF NOT EXISTS x WITH replication = {'class':'SimpleStrategy',"
                + " 'replication_factor':1}");
        s.execute("CREATE TABLE IF NOT EXISTS x.t (k int PRIMARY KEY, v text)");
        PreparedStatement ins = s.prepare("INSERT INTO x.t (k, v) VALUES (?, ?)");
        for (int i = 0; i < 500; i++) {
          s.execute(ins.bind(-1 - i, "warm"));
        }
        long[] lat = new long[n];
        for (int i = 0; i < n; i++) {
          long t0 = System.nanoTime();
          s.execute(ins.bind(i, "v" + i));
          lat[i] = System.nanoTime() - t0;
        }
        Arrays.sort(lat);
        System.out.printf(
            "MODE %s insert p50 %.3f ms p90 %.3f p99 %.3f ms%n",
            mode, lat[n / 2] / 1e6, lat[n * 9 / 10] / 1e6, lat[n * 99 / 100] / 1e6);
        long t0 = System.nanoTime();
        for (int i = 0; i < tail; i++) {
          s.execute(ins.bind(100_000 + i, "tail" + i));
        }
        System.out.printf(
            "MODE %s tail of %d written in %d ms%n",
            mode, tail, (System.nanoTime() - t0) / 1_000_000);
      }
      node.kill9();
      node.restart();
      try (CqlSession s = session(node)) {
        PreparedStatement get = s.prepare("SELECT v FROM x.t WHERE k = ?");
        int lostMain = 0;
        int lostTail = 0;
        for (int i = 0; i < n; i++) {
          if (s.execute(get.bind(i)).one() == null) {
            lostMain++;
          }
        }
        for (int i = 0; i < tail; i++) {
          if (s.execute(get.bind(100_000 + i)).one() == null) {
            lostTail++;
          }
        }
        System.out.printf(
            "MODE %s after kill -9: lost %d of %d earlier rows, %d of %d tail rows%n",
            mode, lostMain, n, lostTail, tail);
      }
    }
  }

  private static String grep(CassandraNode node, String re) throws Exception {
    return String.join(
        " | ",
        Files.readAllLines(node.systemLog()).stream()
            .filter(l -> l.matches(".*(" + re + ").*"))
            .limit(3)
            .map(l -> l.length() > 300 ? l.substring(0, 300) : l)
            .toList());
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
