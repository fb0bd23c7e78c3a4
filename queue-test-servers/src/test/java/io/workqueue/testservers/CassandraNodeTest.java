package io.workqueue.testservers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.Row;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CassandraNodeTest {

  @TempDir Path tmp;

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

  @Test
  void sharedNodeAcceptsCqlConnectionsAndQueries() throws Exception {
    CassandraNode node = CassandraNode.shared();

    assertThat(CassandraNode.shared()).isSameAs(node);
    assertThat(node.localDatacenter()).isEqualTo("datacenter1");
    assertThat(node.version()).isEqualTo("5.0.9");
    assertThat(node.contactPoint().getAddress().getHostAddress()).isEqualTo("127.0.0.1");
    assertThat(node.port()).isNotEqualTo(9042);
    assertThat(node.storagePort()).isNotEqualTo(node.port());
    try (Socket socket = new Socket()) {
      socket.connect(node.contactPoint(), 2000);
      assertThat(socket.isConnected()).isTrue();
    }
    assertThat(Files.readString(node.systemLog()))
        .contains("Starting listening for CQL clients on /127.0.0.1:" + node.port());

    try (CqlSession session = session(node)) {
      session.execute(
          "CREATE KEYSPACE IF NOT EXISTS shared_ks WITH replication ="
              + " {'class': 'SimpleStrategy', 'replication_factor': 1}");
      session.execute("CREATE TABLE IF NOT EXISTS shared_ks.kv (k text PRIMARY KEY, v int)");
      session.execute("INSERT INTO shared_ks.kv (k, v) VALUES ('a', 1)");
      Row row = session.execute("SELECT v FROM shared_ks.kv WHERE k = 'a'").one();
      assertThat(row).isNotNull();
      assertThat(row.getInt("v")).isEqualTo(1);
      Row local = session.execute("SELECT data_center FROM system.local").one();
      assertThat(local.getString("data_center")).isEqualTo(node.localDatacenter());
    }
  }

  @Test
  void privateNodeKeepsSchemaAndDataAcrossKill9AndRestart() {
    // stopTimeout zero: close() kills at once (the graceful path is exercised by the shared node)
    try (CassandraNode node =
        CassandraNode.start(CassandraNode.Options.defaults().stopTimeout(Duration.ZERO))) {
      InetSocketAddress contactPoint = node.contactPoint();
      try (CqlSession session = session(node)) {
        session.execute(
            "CREATE KEYSPACE fault_ks WITH replication ="
                + " {'class': 'SimpleStrategy', 'replication_factor': 1}");
        session.execute("CREATE TABLE fault_ks.kv (k text PRIMARY KEY, v int)");
        for (int i = 0; i < 100; i++) {
          session.execute("INSERT INTO fault_ks.kv (k, v) VALUES ('k" + i + "', " + i + ")");
        }
      }
      long pid = node.pid();

      node.kill9();

      assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
      assertThat(ServerProcesses.acceptsTcp("127.0.0.1", node.port(), 500)).isFalse();

      node.restart();

      assertThat(node.contactPoint()).isEqualTo(contactPoint);
      try (CqlSession session = session(node)) {
        Row row = session.execute("SELECT v FROM fault_ks.kv WHERE k = 'k42'").one();
        assertThat(row).isNotNull();
        assertThat(row.getInt("v")).isEqualTo(42);
        assertThat(session.execute("SELECT k FROM fault_ks.kv").all()).hasSize(100);
      }
    }
  }

  @Test
  void testAndProductionLikeFlags() {
    List<String> test = CassandraNode.jvmFlags(false);
    assertThat(test)
        .contains("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-ea")
        .contains("--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED")
        .noneMatch(f -> f.startsWith("-Xmx") || f.startsWith("-Xms"));

    List<String> prod = CassandraNode.jvmFlags(true);
    assertThat(prod)
        .contains("-XX:+UseG1GC", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED")
        .doesNotContain("-XX:+UseSerialGC", "-ea")
        .noneMatch(f -> f.startsWith("-XX:TieredStopAtLevel") || f.startsWith("-da:"));
  }

  @Test
  void refusesJavaOtherThan11Or17() throws Exception {
    Path home = Files.createDirectories(tmp.resolve("jdk-25"));
    Files.writeString(home.resolve("release"), "JAVA_VERSION=\"25.0.3\"\n");
    Path java = Files.createDirectories(home.resolve("bin")).resolve("java");
    Files.writeString(java, "#!/bin/sh\nexit 1\n");
    assertThat(java.toFile().setExecutable(true)).isTrue();

    assertThatThrownBy(() -> CassandraNode.findJava(CassandraNode.Options.defaults().java(home)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("Java 11 or 17")
        .hasMessageContaining("is Java 25")
        .hasMessageContaining(CassandraNode.JAVA_PROPERTY);
    assertThat(CassandraNode.parseFeature("17.0.15")).isEqualTo(17);
    assertThat(CassandraNode.parseFeature("1.8.0_402")).isEqualTo(8);
    assertThat(
            CassandraNode.javaFeatureVersion(
                CassandraNode.findJava(CassandraNode.Options.defaults())))
        .isIn(11, 17);
  }

  @Test
  void startTimeoutKillsTheNodeAndReportsItsLog() {
    assertThatThrownBy(
            () -> CassandraNode.start(CassandraNode.Options.defaults().startTimeout(Duration.ZERO)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("did not accept CQL connections within 0.0 s; killed it")
        .hasMessageContaining("logs/system.log");
  }

  @Test
  void missingServerJarsGiveAClearError() {
    assertThatThrownBy(() -> CassandraNode.start(CassandraNode.Options.defaults().libDir(tmp)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no cassandra-all-*.jar")
        .hasMessageContaining("queue-cassandra-server");
  }

  @Test
  void externalHandleRefusesProcessControl() {
    CassandraNode external = CassandraNode.external("127.0.0.1", 1, "dc9");
    assertThat(external.isExternal()).isTrue();
    assertThat(external.localDatacenter()).isEqualTo("dc9");
    assertThat(external.contactPoint().getPort()).isEqualTo(1);
    assertThatThrownBy(external::kill9)
        .isInstanceOf(UnsupportedOperationException.class)
        .hasMessageContaining("external Cassandra 127.0.0.1:1")
        .hasMessageContaining("WORKQUEUE_CASSANDRA");
    assertThatThrownBy(external::restart).isInstanceOf(UnsupportedOperationException.class);
    external.close();
  }
}
