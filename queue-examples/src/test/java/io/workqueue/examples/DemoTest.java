package io.workqueue.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("The demo")
class DemoTest {
  private static final Pattern LOST_ROW = Pattern.compile("\\| lost +\\| +([0-9,]+) \\|");
  private static final Pattern COMPLETED_ROW =
      Pattern.compile("\\| tasks completed +\\| +([0-9,]+) \\|");

  static int lost(Programs.Result r) {
    Matcher m = LOST_ROW.matcher(r.out());
    assertThat(m.find()).as("a 'lost' row in the summary of %s", r).isTrue();
    return Integer.parseInt(m.group(1).replace(",", ""));
  }

  static double firstRecoverySeconds(Programs.Result r) {
    Matcher m = Pattern.compile("the first ([0-9.]+) s after the kill").matcher(r.out());
    assertThat(m.find()).as("the time of the first recovery in %s", r).isTrue();
    return Double.parseDouble(m.group(1));
  }

  static int completed(Programs.Result r) {
    Matcher m = COMPLETED_ROW.matcher(r.out());
    assertThat(m.find()).as("a 'tasks completed' row in the summary of %s", r).isTrue();
    return Integer.parseInt(m.group(1).replace(",", ""));
  }

  @Nested
  @DisplayName("on the in-memory testkit")
  class Memory {
    @Test
    @DisplayName("completes every task, recovers the killed worker's leases and says lost = 0")
    void completesEverything() {
      Programs.Result r =
          Programs.demo(
              Map.of(),
              Programs::start,
              "--backend",
              "memory",
              "--tasks",
              "600",
              "--time-to-recover",
              "1s",
              "--no-progress");

      assertThat(r.exitCode()).as(r.toString()).isZero();
      assertThat(lost(r)).isZero();
      assertThat(completed(r)).isEqualTo(600);
      assertThat(r.out())
          .contains("worker-4 was killed after 150 completions while it held")
          .containsPattern("the other workers recovered (\\d+) of them")
          .containsPattern("#\\d+(-#\\d+)? delivered 2 times")
          .contains("What the in-memory task store holds for acme/demo-")
          .contains("lost = 0: every task added was completed.");
      assertThat(r.out()).doesNotContain("not redelivered");
      assertThat(firstRecoverySeconds(r))
          .as("not before its time to recover")
          .isGreaterThanOrEqualTo(0.9);
    }

    @Test
    @DisplayName("counts a task whose completion never arrives as lost and exits with 1")
    void findsLostTasks() {
      Programs.Result r =
          Programs.demo(
              Map.of(),
              Programs::start,
              c -> c.queue().owner().equals("globex") && c.index() == 7,
              "--backend",
              "memory",
              "--tasks",
              "90",
              "--timeout",
              "1500ms",
              "--time-to-recover",
              "500ms",
              "--no-progress");

      assertThat(r.exitCode()).as(r.toString()).isEqualTo(ExitCode.NOT_FOUND);
      assertThat(lost(r)).isEqualTo(1);
      assertThat(r.out())
          .containsPattern("LOST: 1 tasks were added but never completed: globex/demo-\\w+ #7");
    }
  }

  @Nested
  @DisplayName("on real servers")
  class RealServers {
    @Test
    @DisplayName("embedded: runs on Redis and Cassandra, shows ciphertext at rest, lost = 0")
    void embedded() {
      Programs.Result r =
          Programs.demo(
              Map.of(),
              EmbeddedServers::shared,
              "--tasks",
              "600",
              "--keyspace",
              "wq_examples_demo",
              "--time-to-recover",
              "1s",
              "--no-progress");

      assertThat(r.exitCode()).as(r.toString()).isZero();
      assertThat(lost(r)).isZero();
      assertThat(completed(r)).isEqualTo(600);
      assertThat(firstRecoverySeconds(r))
          .as("not before its time to recover")
          .isGreaterThanOrEqualTo(0.9);
      assertThat(r.out())
          .contains("Schema: keyspace wq_examples_demo")
          .containsPattern("the other workers recovered (\\d+) of them")
          .containsPattern(
              "What Cassandra holds for acme/demo-\\w+ #1, read raw:\\n  SELECT value, task_token"
                  + " FROM wq_examples_demo.tasks WHERE owner = 'acme'")
          .containsPattern("value       0x[0-9a-f]{24}\\.\\.\\.[0-9a-f]{12} \\(\\d+ bytes\\)")
          .contains("\"invoice\":1,")
          .contains("lost = 0: every task added was completed.");
      // The ciphertext line does not carry the plaintext.
      String raw =
          r.out().substring(r.out().indexOf("read raw:"), r.out().indexOf("saw of the same"));
      assertThat(raw).doesNotContain("invoice").doesNotContain("acme-customer");
    }

    @Test
    @DisplayName("on servers given by flags, with persistent keys the CLI can use afterwards")
    void ownServersAndKeys(@TempDir Path dir) {
      Path masterKey = dir.resolve("master.json");
      assertThat(Programs.cli("new-master-key", masterKey.toString()).exitCode()).isZero();
      List<String> keys =
          List.of(
              "--keyset-dir",
              dir.resolve("keysets").toString(),
              "--master-key-file",
              masterKey.toString());
      List<String> flags = new ArrayList<>(Programs.serverFlags("wq_examples_demo"));
      flags.addAll(keys);

      Programs.Result r =
          Programs.demo(
              Map.of(),
              Programs::start,
              Programs.args(
                  flags,
                  "--tasks",
                  "60",
                  "--owners",
                  "2",
                  "--workers",
                  "2",
                  "--no-progress",
                  "--time-to-recover",
                  "1s"));

      assertThat(r.exitCode()).as(r.toString()).isZero();
      assertThat(lost(r)).isZero();
      assertThat(r.out())
          .contains("on your servers")
          .contains("keysets in " + dir.resolve("keysets"));
      Matcher queue = Pattern.compile("Queues: (acme/demo-\\w+)").matcher(r.out());
      assertThat(queue.find()).isTrue();

      Programs.Result peek =
          Programs.cli(Programs.args(flags, "peek", queue.group(1), "1", "--json"));
      assertThat(peek.exitCode()).as(peek.toString()).isZero();
      assertThat(peek.out()).contains("\"state\":\"acknowledged\"").contains("\"invoice\":1,");
    }
  }

  @Nested
  @DisplayName("refuses")
  class Refuses {
    @Test
    @DisplayName("bad arguments with exit code 2")
    void badArguments() {
      assertThat(Programs.demo(Map.of(), Programs::start, "--tasks", "0").exitCode()).isEqualTo(2);
      assertThat(Programs.demo(Map.of(), Programs::start, "--workers", "1").exitCode())
          .isEqualTo(2);
      assertThat(Programs.demo(Map.of(), Programs::start, "--backend", "mars").exitCode())
          .isEqualTo(2);
      assertThat(Programs.demo(Map.of(), Programs::start, "--time-to-recover", "soon").exitCode())
          .isEqualTo(2);
      Programs.Result onlyCassandra =
          Programs.demo(Map.of(), Programs::start, "--cassandra", "127.0.0.1:9042");
      assertThat(onlyCassandra.exitCode()).isEqualTo(2);
      assertThat(onlyCassandra.err()).contains("give both --cassandra and --redis");
      Programs.Result fromEnv =
          Programs.demo(
              Map.of("WORKQUEUE_REDIS", "127.0.0.1:6379"), Programs::start, "--backend", "memory");
      assertThat(fromEnv.exitCode()).isEqualTo(2);
    }

    @Test
    @DisplayName("a server that is down with exit code 3 and a message naming it")
    void serverDown() {
      int redis = Programs.closedPort();
      Programs.Result r =
          Programs.demo(
              Map.of(),
              Programs::start,
              "--cassandra",
              "127.0.0.1:" + Programs.closedPort(),
              "--redis",
              "127.0.0.1:" + redis,
              "--no-progress");

      assertThat(r.exitCode()).as(r.toString()).isEqualTo(ExitCode.BACKEND_UNAVAILABLE);
      assertThat(r.err()).contains("cannot reach Redis at 127.0.0.1:" + redis).contains("--redis");
    }

    @Test
    @DisplayName("helps with exit code 0")
    void help() {
      Programs.Result r = Programs.demo(Map.of(), Programs::start, "--help");
      assertThat(r.exitCode()).isZero();
      assertThat(r.out()).contains("--backend").contains("--cassandra").contains("Exit codes");
    }
  }

  @Test
  @DisplayName("writes consecutive indices as ranges")
  void ranges() {
    assertThat(Demo.ranges(List.of(5L, 3L, 4L, 9L, 11L, 12L))).isEqualTo("#3-#5, #9, #11-#12");
    assertThat(Demo.ranges(List.of())).isEmpty();
  }
}
