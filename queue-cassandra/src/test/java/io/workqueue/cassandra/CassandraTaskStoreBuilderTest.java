package io.workqueue.cassandra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import io.workqueue.BackendUnavailableException;
import io.workqueue.InvalidArgumentException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayName("CassandraTaskStore.Builder (no Cassandra needed)")
class CassandraTaskStoreBuilderTest {

  private static void rejects(String setting, ThrowingCallable call) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            InvalidArgumentException.class,
            e -> {
              assertThat(e.argument()).isEqualTo(setting);
              assertThat(e.getMessage()).startsWith(setting + ": ");
            });
  }

  private static CassandraTaskStore.Builder builder() {
    return CassandraTaskStore.builder();
  }

  @Nested
  @DisplayName("rejects, naming the setting,")
  class Validation {
    @Test
    @DisplayName("keyspaces that are not lowercase CQL names of at most 48 characters")
    void keyspace() {
      rejects("keyspace", () -> builder().keyspace(null));
      rejects("keyspace", () -> builder().keyspace(""));
      rejects("keyspace", () -> builder().keyspace("Work"));
      rejects("keyspace", () -> builder().keyspace("work-queue"));
      rejects("keyspace", () -> builder().keyspace("1queue"));
      rejects("keyspace", () -> builder().keyspace("a".repeat(49)));
      builder().keyspace("a".repeat(48)).keyspace("wq_1");
    }

    @Test
    @DisplayName("TTLs below 1 s, above 20 years or not in whole seconds")
    void ttl() {
      rejects("ttl", () -> builder().ttl(null));
      rejects("ttl", () -> builder().ttl(Duration.ZERO));
      rejects("ttl", () -> builder().ttl(Duration.ofSeconds(-5)));
      rejects("ttl", () -> builder().ttl(Duration.ofMillis(1500)));
      rejects("ttl", () -> builder().ttl(Duration.ofDays(365L * 21)));
      builder().ttl(Duration.ofSeconds(1)).ttl(Duration.ofSeconds(630_720_000L));
    }

    @Test
    @DisplayName("bucket sizes outside 1 to 100,000")
    void bucketSize() {
      rejects("bucketSize", () -> builder().bucketSize(0));
      rejects("bucketSize", () -> builder().bucketSize(-1));
      rejects("bucketSize", () -> builder().bucketSize(100_001));
      builder().bucketSize(1).bucketSize(100_000);
    }

    @Test
    @DisplayName("ANY for reads and serial levels for writes")
    void consistency() {
      rejects("readConsistency", () -> builder().readConsistency(DefaultConsistencyLevel.ANY));
      rejects("readConsistency", () -> builder().readConsistency(null));
      rejects("writeConsistency", () -> builder().writeConsistency(DefaultConsistencyLevel.SERIAL));
      rejects(
          "writeConsistency",
          () -> builder().writeConsistency(DefaultConsistencyLevel.LOCAL_SERIAL));
      rejects("consistency", () -> builder().consistency(DefaultConsistencyLevel.ANY));
      rejects("consistency", () -> builder().consistency(DefaultConsistencyLevel.SERIAL));
      builder()
          .consistency(DefaultConsistencyLevel.QUORUM)
          .readConsistency(DefaultConsistencyLevel.LOCAL_SERIAL)
          .writeConsistency(DefaultConsistencyLevel.EACH_QUORUM);
    }

    @Test
    @DisplayName("replication factors below 1 and odd datacenter names")
    void replication() {
      rejects("replicationFactor", () -> builder().simpleReplication(0));
      rejects("replication", () -> builder().networkTopologyReplication(Map.of()));
      rejects("replication", () -> builder().networkTopologyReplication(Map.of("dc1", 0)));
      rejects("replication", () -> builder().networkTopologyReplication(Map.of("dc'1", 3)));
      rejects("replication", () -> builder().networkTopologyReplication(Map.of("dc 1", 3)));
      rejects("replication", () -> builder().networkTopologyReplication(null));
      builder().simpleReplication(3).networkTopologyReplication(Map.of("us-east-1", 3, "dc2", 2));
    }

    @Test
    @DisplayName("request timeouts of zero, below zero or above 10 minutes")
    void requestTimeout() {
      rejects("requestTimeout", () -> builder().requestTimeout(Duration.ZERO));
      rejects("requestTimeout", () -> builder().requestTimeout(Duration.ofMillis(-1)));
      rejects("requestTimeout", () -> builder().requestTimeout(Duration.ofMinutes(11)));
      rejects("requestTimeout", () -> builder().requestTimeout(null));
      builder().requestTimeout(Duration.ofMillis(1)).requestTimeout(Duration.ofMinutes(10));
    }

    @Test
    @DisplayName("contact points without host, with a bad port, or none at all")
    void contactPoints() {
      rejects("contactPoints", () -> builder().contactPoints());
      rejects("contactPoints", () -> builder().contactPoints(List.of()));
      rejects("contactPoints", () -> builder().contactPoints(":9042"));
      rejects("contactPoints", () -> builder().contactPoints("host:0"));
      rejects("contactPoints", () -> builder().contactPoints("host:65536"));
      rejects("contactPoints", () -> builder().contactPoints("host:abc"));
      rejects("contactPoints", () -> builder().contactPoints("::1"));
      rejects("contactPoints", () -> builder().contactPoints("[::1"));
      rejects("contactPoints", () -> builder().contactPoints("ok:9042", null));
      builder().contactPoints("host", "host:9042", "[::1]:9042", "[::1]", "10.0.0.1:19042");
    }

    @Test
    @DisplayName("a blank local datacenter and a null session")
    void datacenterAndSession() {
      rejects("localDatacenter", () -> builder().localDatacenter(" "));
      rejects("localDatacenter", () -> builder().localDatacenter(null));
      rejects("session", () -> builder().session(null));
    }

    @Test
    @DisplayName("build() without a way to get a session, or contact points without datacenter")
    void incomplete() {
      rejects("contactPoints", () -> builder().build());
      rejects("contactPoints", () -> builder().localDatacenter("dc1").build());
      rejects("localDatacenter", () -> builder().contactPoints("127.0.0.1:9042").build());
    }
  }

  @Test
  @DisplayName("a store pointed at a port where nothing listens fails with BackendUnavailable")
  void nothingListening() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    long t0 = System.nanoTime();
    int closedPort = port;
    assertThatThrownBy(
            () ->
                builder()
                    .contactPoints(List.of(new InetSocketAddress("127.0.0.1", closedPort)))
                    .localDatacenter("datacenter1")
                    .build())
        .isInstanceOfSatisfying(
            BackendUnavailableException.class, e -> assertThat(e.backend()).isEqualTo("cassandra"))
        .hasMessageStartingWith("cassandra: ")
        .hasMessageContaining("127.0.0.1:" + closedPort)
        .hasMessageContaining("datacenter1");
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(30));
  }
}
