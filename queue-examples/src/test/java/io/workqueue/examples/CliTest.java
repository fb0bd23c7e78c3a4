package io.workqueue.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("The CLI, against the shared Redis and Cassandra")
class CliTest {
  private static final String KEYSPACE = "wq_examples_cli";

  @TempDir static Path dir;
  private static Path masterKey;
  private static List<String> flags;

  private String queue;

  @BeforeAll
  static void setUp() {
    masterKey = dir.resolve("master.json");
    Programs.Result key = Programs.cli("new-master-key", masterKey.toString());
    assertThat(key.exitCode()).as(key.toString()).isZero();
    flags = new ArrayList<>(Programs.serverFlags(KEYSPACE));
    flags.addAll(
        List.of(
            "--keyset-dir",
            dir.resolve("keysets").toString(),
            "--master-key-file",
            masterKey.toString()));
    Programs.Result schema = cli("add", "--create-schema", "setup/warmup", "{}");
    assertThat(schema.exitCode()).as(schema.toString()).isZero();
  }

  @BeforeEach
  void freshQueue() {
    queue = "acme/cli-" + UUID.randomUUID().toString().substring(0, 8);
  }

  static Programs.Result cli(String... args) {
    return Programs.cli(Programs.args(flags, args));
  }

  static JsonNode json(Programs.Result r) {
    try {
      return Converters.JSON.readTree(r.out());
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + r, e);
    }
  }

  @Nested
  @DisplayName("commands")
  class Commands {
    @Test
    @DisplayName("add, info, fetch, leases, ack: a task's life, in tables and in JSON")
    void lifeOfATask() {
      Programs.Result add =
          cli("add", queue, "{\"invoice\":42}", "--token", "\"flow-7\"", "--json");
      assertThat(add.exitCode()).as(add.toString()).isZero();
      assertThat(json(add).get("index").asLong()).isEqualTo(1);

      Programs.Result info = cli("info", queue);
      assertThat(info.exitCode()).isZero();
      assertThat(info.out())
          .contains("| queue ")
          .containsPattern("\\| " + queue + " +\\| +1 \\| +0 \\| +1 \\| +0 \\| +0 \\|");

      Programs.Result fetch = cli("fetch", queue, "--worker", "w1", "--ttr", "30s", "--json");
      assertThat(fetch.exitCode()).as(fetch.toString()).isZero();
      JsonNode task = json(fetch).get(0);
      assertThat(task.get("index").asLong()).isEqualTo(1);
      assertThat(task.get("value").get("invoice").asInt()).isEqualTo(42);
      assertThat(task.get("token").asText()).isEqualTo("flow-7");
      assertThat(task.get("deliveries").asInt()).isEqualTo(1);

      Programs.Result nothing = cli("fetch", queue, "--worker", "w2");
      assertThat(nothing.exitCode()).isEqualTo(ExitCode.NOT_FOUND);
      assertThat(nothing.out()).contains("no task to fetch in " + queue);

      Programs.Result leases = cli("leases", queue, "--json");
      assertThat(leases.exitCode()).isZero();
      assertThat(json(leases).get(0).get("worker").asText()).isEqualTo("w1");
      assertThat(json(leases).get(0).get("expired").asBoolean()).isFalse();

      Programs.Result wrongWorker = cli("ack", queue, "--worker", "w2");
      assertThat(wrongWorker.exitCode()).isEqualTo(ExitCode.NOT_FOUND);
      Programs.Result ack = cli("ack", queue, "--worker", "w1", "--result", "{\"paid\":true}");
      assertThat(ack.exitCode()).as(ack.toString()).isZero();
      assertThat(ack.out()).contains("acknowledged its task of w1 in " + queue);
      Programs.Result again = cli("ack", queue, "--worker", "w1", "--json");
      assertThat(again.exitCode()).isEqualTo(ExitCode.NOT_FOUND);
      assertThat(json(again).get("acknowledged").asBoolean()).isFalse();

      assertThat(cli("leases", queue).out()).contains("no leases in " + queue);
    }

    @Test
    @DisplayName("peek opens a task by index without leasing it; exit 1 for a missing index")
    void peek() {
      cli("add", queue, "{\"n\":1}");
      cli("add", queue, "{\"n\":2}", "--token", "{\"flow\":\"f2\"}");

      Programs.Result peek = cli("peek", queue, "2");
      assertThat(peek.exitCode()).as(peek.toString()).isZero();
      assertThat(peek.out())
          .containsPattern("\\| state +\\| waiting")
          .contains("{\"n\":2}")
          .contains("{\"flow\":\"f2\"}");
      assertThat(json(cli("info", queue, "--json")).get(0).get("fetched").asLong()).isZero();

      cli("fetch", queue, "--worker", "w1");
      assertThat(json(cli("peek", queue, "1", "--json")).get("lease").get("worker").asText())
          .isEqualTo("w1");

      Programs.Result missing = cli("peek", queue, "99");
      assertThat(missing.exitCode()).isEqualTo(ExitCode.NOT_FOUND);
      assertThat(missing.out()).contains("no task #99 in " + queue);
    }

    @Test
    @DisplayName("fetch --max leases a batch, acknowledged by --index")
    void batch() {
      for (int i = 1; i <= 3; i++) {
        cli("add", queue, "{\"n\":" + i + "}");
      }
      Programs.Result fetch = cli("fetch", queue, "--worker", "w1", "--max", "5", "--json");
      assertThat(fetch.exitCode()).isZero();
      assertThat(json(fetch)).hasSize(3);

      Programs.Result ambiguous = cli("ack", queue, "--worker", "w1");
      assertThat(ambiguous.exitCode()).isEqualTo(ExitCode.BAD_ARGUMENTS);
      assertThat(ambiguous.err()).contains("index");

      assertThat(cli("ack", queue, "--worker", "w1", "--index", "2").exitCode()).isZero();
      assertThat(cli("ack", queue, "--worker", "w1", "--index", "2").exitCode())
          .isEqualTo(ExitCode.NOT_FOUND);
      assertThat(
              cli("ack", queue, "--worker", "w1", "--index", "3", "--error", "{\"why\":\"x\"}")
                  .exitCode())
          .isZero();
      assertThat(json(cli("info", queue, "--json")).get(0).get("inFlight").asInt()).isEqualTo(1);
    }

    @Test
    @DisplayName("rewind replays tasks from an index")
    void rewind() {
      cli("add", queue, "{\"n\":1}");
      cli("add", queue, "{\"n\":2}");
      cli("fetch", queue, "--worker", "w1");
      cli("ack", queue, "--worker", "w1");

      Programs.Result rewind = cli("rewind", queue, "0");
      assertThat(rewind.exitCode()).as(rewind.toString()).isZero();
      assertThat(rewind.out()).contains("the next fresh fetch returns index 1");
      Programs.Result fetch = cli("fetch", queue, "--worker", "w2", "--json");
      assertThat(json(fetch).get(0).get("index").asLong()).isEqualTo(1);

      assertThat(cli("rewind", queue, "5").exitCode()).isEqualTo(ExitCode.BAD_ARGUMENTS);
    }

    @Test
    @DisplayName("watch refreshes the given queues, as tables or one JSON line per refresh")
    void watch() {
      cli("add", queue, "{\"n\":1}");
      String other = "globex/cli-" + UUID.randomUUID().toString().substring(0, 8);

      Programs.Result tables =
          cli("watch", queue, other, "--interval", "100ms", "--iterations", "2");
      assertThat(tables.exitCode()).as(tables.toString()).isZero();
      assertThat(tables.out().split("workqueue watch", -1)).hasSize(3);
      assertThat(tables.out()).contains(", 2/2").contains(other).contains("fetched/s");

      Programs.Result lines =
          cli("watch", queue, "--interval", "50ms", "--iterations", "3", "--json");
      String[] refreshes = lines.out().strip().split("\n");
      assertThat(refreshes).hasSize(3);
      for (String line : refreshes) {
        assertThat(Converters.json(line).get("queues").get(0).get("waiting").asInt()).isEqualTo(1);
      }
    }

    @Test
    @DisplayName("takes its settings from the environment")
    void environment() throws IOException {
      List<String> server = Programs.serverFlags(KEYSPACE);
      Map<String, String> env =
          Map.of(
              "WORKQUEUE_CASSANDRA", server.get(1),
              "WORKQUEUE_DATACENTER", server.get(3),
              "WORKQUEUE_REDIS", server.get(5),
              "WORKQUEUE_KEYSPACE", KEYSPACE,
              "WORKQUEUE_KEYSET_DIR", dir.resolve("keysets").toString(),
              "WORKQUEUE_MASTER_KEY",
                  Base64.getEncoder().encodeToString(Files.readAllBytes(masterKey)));

      Programs.Result add = Programs.cli(env, "add", queue, "{\"n\":1}");
      assertThat(add.exitCode()).as(add.toString()).isZero();
      Programs.Result peek = Programs.cli(env, "peek", queue, "1", "--json");
      assertThat(peek.exitCode()).as(peek.toString()).isZero();
      assertThat(json(peek).get("value").get("n").asInt()).isEqualTo(1);
    }
  }

  @Nested
  @DisplayName("keys")
  class Keys {
    @Test
    @DisplayName("commands that seal or open refuse to run without keys (exit 2)")
    void missingKeys() {
      Programs.Result r =
          Programs.cli(Programs.args(Programs.serverFlags(KEYSPACE), "add", queue, "{}"));
      assertThat(r.exitCode()).isEqualTo(ExitCode.BAD_ARGUMENTS);
      assertThat(r.err()).contains("--keyset-dir").contains("--master-key-file");

      Programs.Result info =
          Programs.cli(Programs.args(Programs.serverFlags(KEYSPACE), "info", queue));
      assertThat(info.exitCode()).as("info needs no keys").isZero();
    }

    @Test
    @DisplayName("a wrong master key fails (exit 4) without taking the task out of circulation")
    void wrongMasterKey() {
      cli("add", queue, "{\"n\":1}");
      Path otherKey = dir.resolve("other-" + UUID.randomUUID() + ".json");
      assertThat(Programs.cli("new-master-key", otherKey.toString()).exitCode()).isZero();
      List<String> wrong = new ArrayList<>(Programs.serverFlags(KEYSPACE));
      wrong.addAll(
          List.of(
              "--keyset-dir",
              dir.resolve("keysets").toString(),
              "--master-key-file",
              otherKey.toString()));

      Programs.Result fetch = Programs.cli(Programs.args(wrong, "fetch", queue, "--worker", "w1"));
      assertThat(fetch.exitCode()).as(fetch.toString()).isEqualTo(ExitCode.FAILED);
      assertThat(fetch.err()).contains("acme");
      assertThat(Programs.cli(Programs.args(wrong, "peek", queue, "1")).exitCode())
          .isEqualTo(ExitCode.FAILED);

      Programs.Result stillThere = cli("fetch", queue, "--worker", "w1", "--json");
      assertThat(stillThere.exitCode()).as(stillThere.toString()).isZero();
      assertThat(json(stillThere).get(0).get("value").get("n").asInt()).isEqualTo(1);
    }

    @Test
    @DisplayName("new-master-key refuses to overwrite a file (exit 2)")
    void newMasterKeyExists() {
      Programs.Result r = Programs.cli("new-master-key", masterKey.toString());
      assertThat(r.exitCode()).isEqualTo(ExitCode.BAD_ARGUMENTS);
      assertThat(r.err()).contains(masterKey.toString());
    }
  }

  @Nested
  @DisplayName("refuses bad arguments with exit code 2")
  class BadArguments {
    @Test
    @DisplayName("unknown commands and options, no command")
    void usage() {
      assertThat(Programs.cli("frobnicate").exitCode()).isEqualTo(2);
      assertThat(Programs.cli("info", queue, "--frobnicate").exitCode()).isEqualTo(2);
      Programs.Result none = Programs.cli();
      assertThat(none.exitCode()).isEqualTo(2);
      assertThat(none.err()).contains("Missing command").contains("Usage: workqueue-cli");
    }

    @Test
    @DisplayName("malformed queues, durations, JSON, ports and exclusive options")
    void malformed() {
      Programs.Result q = cli("info", "acme");
      assertThat(q.exitCode()).isEqualTo(2);
      assertThat(q.err()).contains("'acme' is not a queue: write OWNER/SERVICE");
      assertThat(cli("info", "acme/bill/ing").exitCode()).isEqualTo(2);
      assertThat(cli("info", "acme/bill ing").exitCode()).isEqualTo(2);
      Programs.Result d = cli("fetch", queue, "--worker", "w", "--ttr", "soon");
      assertThat(d.exitCode()).isEqualTo(2);
      assertThat(d.err()).contains("'soon' is not a duration");
      Programs.Result j = cli("add", queue, "{invoice: 42");
      assertThat(j.exitCode()).isEqualTo(2);
      assertThat(j.err()).contains("is not JSON");
      assertThat(Programs.cli("info", queue, "--redis", "localhost:http").exitCode()).isEqualTo(2);
      assertThat(cli("ack", queue, "--worker", "w", "--result", "1", "--error", "2").exitCode())
          .isEqualTo(2);
      assertThat(cli("fetch", queue).exitCode()).as("--worker is required").isEqualTo(2);
      assertThat(cli("fetch", queue, "--worker", "w", "--max", "0").exitCode()).isEqualTo(2);
      assertThat(cli("peek", queue, "0").exitCode()).isEqualTo(2);
      assertThat(cli("watch", queue, "--interval", "1ms").exitCode()).isEqualTo(2);
      assertThat(cli("info", queue, "--datacenter", "mars").exitCode()).isEqualTo(2);
    }

    @Test
    @DisplayName("help and version exit with 0")
    void help() {
      Programs.Result help = Programs.cli("--help");
      assertThat(help.exitCode()).isZero();
      assertThat(help.out())
          .contains("info", "add", "fetch", "ack", "peek", "leases", "rewind", "watch")
          .contains("WORKQUEUE_CASSANDRA")
          .contains("Exit codes");
      assertThat(Programs.cli("help", "fetch").out()).contains("--worker");
      Programs.Result fetchHelp = Programs.cli("fetch", "--help");
      assertThat(fetchHelp.exitCode()).isZero();
      assertThat(fetchHelp.out()).contains("--worker").contains("--ttr");
      assertThat(Programs.cli("--version").exitCode()).isZero();
    }
  }

  @Nested
  @DisplayName("reports a server that is down with exit code 3")
  class ServerDown {
    @Test
    @DisplayName("Redis")
    void redis() {
      List<String> down = new ArrayList<>(Programs.serverFlags(KEYSPACE));
      int port = Programs.closedPort();
      down.set(5, "127.0.0.1:" + port);
      Programs.Result r = Programs.cli(Programs.args(down, "info", queue));
      assertThat(r.exitCode()).as(r.toString()).isEqualTo(ExitCode.BACKEND_UNAVAILABLE);
      assertThat(r.err())
          .startsWith("workqueue-cli: redis: cannot reach Redis at 127.0.0.1:" + port)
          .contains("check --redis (env WORKQUEUE_REDIS)");
      assertThat(r.out()).isEmpty();
    }

    @Test
    @DisplayName("Cassandra")
    void cassandra() {
      List<String> down = new ArrayList<>(Programs.serverFlags(KEYSPACE));
      int port = Programs.closedPort();
      down.set(1, "127.0.0.1:" + port);
      Programs.Result r = Programs.cli(Programs.args(down, "info", queue, "--json"));
      assertThat(r.exitCode()).as(r.toString()).isEqualTo(ExitCode.BACKEND_UNAVAILABLE);
      assertThat(r.err())
          .startsWith("workqueue-cli: cassandra: cannot connect to Cassandra at 127.0.0.1:" + port)
          .contains("check --cassandra (env WORKQUEUE_CASSANDRA)");
      assertThat(r.out()).isEmpty();
    }
  }
}
