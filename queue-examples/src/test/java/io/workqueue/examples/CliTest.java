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
    flags = keyFlags(masterKey);
    Programs.Result schema = cli("add", "--create-schema", "setup/warmup", "{}");
    assertThat(schema.exitCode()).as(schema.toString()).isZero();
  }

  @BeforeEach
  void freshQueue() {
    queue = "acme/cli-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** The server flags with the shared keyset directory and the master key in {@code keyFile}. */
  private static List<String> keyFlags(Path keyFile) {
    List<String> withKeys = new ArrayList<>(Programs.serverFlags(KEYSPACE));
    withKeys.addAll(
        List.of(
            "--keyset-dir",
            dir.resolve("keysets").toString(),
            "--master-key-file",
            keyFile.toString()));
    return withKeys;
  }

  /** The flags with a new master key of its own: not the one the keysets are sealed with. */
  private static List<String> wrongKeyFlags() {
    Path otherKey = dir.resolve("other-" + UUID.randomUUID() + ".json");
    assertThat(Programs.cli("new-master-key", otherKey.toString()).exitCode()).isZero();
    return keyFlags(otherKey);
  }

  static Programs.Result cli(String... args) {
    return Programs.cli(Programs.args(flags, args));
  }

  /** The counters of one queue, as info --json prints them. */
  static JsonNode info(String queue) {
    Programs.Result r = cli("info", queue, "--json");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    return json(r).get(0);
  }

  static String unique(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
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
      cli("ack", queue, "--worker", "w1", "--result", "{\"paid\":true}");
      JsonNode done = json(cli("peek", queue, "1", "--json"));
      assertThat(done.get("state").asText()).isEqualTo("acknowledged");
      assertThat(done.get("outcome").get("result").get("paid").asBoolean()).isTrue();
      assertThat(cli("peek", queue, "1").out()).containsPattern("\\| state +\\| acknowledged");

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
      assertThat(tables.out())
          .contains(", 2/2")
          .contains(other)
          .contains("fetched/s")
          .contains("dead letters")
          .contains("paused");

      Programs.Result lines =
          cli("watch", queue, "--interval", "50ms", "--iterations", "3", "--json");
      String[] refreshes = lines.out().strip().split("\n");
      assertThat(refreshes).hasSize(3);
      for (String line : refreshes) {
        JsonNode counters = Converters.json(line).get("queues").get(0);
        assertThat(counters.get("waiting").asInt()).isEqualTo(1);
        assertThat(counters.get("paused").asBoolean()).isFalse();
        assertThat(counters.get("deadLetters").asLong()).isZero();
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
  @DisplayName("administration")
  class Administration {
    @Test
    @DisplayName("add --delay, --priority and --group show in info, peek and fetch order")
    void addOptions() {
      Programs.Result later = cli("add", queue, "{\"n\":1}", "--delay", "1h", "--json");
      assertThat(later.exitCode()).as(later.toString()).isZero();
      assertThat(json(later).get("delay").asText()).isEqualTo("PT1H");
      Programs.Result urgent =
          cli("add", queue, "{\"n\":2}", "--priority", "urgent", "--max-deliveries", "3");
      assertThat(urgent.exitCode()).as(urgent.toString()).isZero();
      assertThat(urgent.out()).containsPattern("\\| +1000000000000001 \\| URGENT +\\| none");
      cli("add", queue, "{\"n\":3}", "--group", "tenant-7");

      JsonNode counters = info(queue);
      assertThat(counters.get("index").asLong()).isEqualTo(2);
      assertThat(counters.get("delayed").asLong()).isEqualTo(1);
      assertThat(counters.get("lanes").get("URGENT").get("waiting").asLong()).isEqualTo(1);
      assertThat(counters.get("lanes").get("URGENT").get("index").asLong())
          .isEqualTo(1_000_000_000_000_001L);
      assertThat(cli("info", queue).out())
          .contains("| delayed |")
          .containsPattern("\\| URGENT 1 +\\|");

      Programs.Result delayed = cli("peek", queue, "1", "--json");
      assertThat(json(delayed).get("state").asText()).isEqualTo("delayed");
      assertThat(json(delayed).has("notBefore")).isTrue();
      Programs.Result peekUrgent = cli("peek", queue, "1000000000000001");
      assertThat(peekUrgent.out())
          .containsPattern("\\| state +\\| waiting")
          .containsPattern("\\| priority +\\| URGENT")
          .containsPattern("\\| max deliveries +\\| +3 \\|");
      assertThat(json(cli("peek", queue, "2", "--json")).get("group").asText())
          .isEqualTo("tenant-7");

      Programs.Result first = cli("fetch", queue, "--worker", "w1", "--json");
      assertThat(json(first).get(0).get("index").asLong()).isEqualTo(1_000_000_000_000_001L);
      Programs.Result second = cli("fetch", queue, "--worker", "w2", "--json");
      assertThat(json(second).get(0).get("index").asLong())
          .as("the delayed task is not due")
          .isEqualTo(2);
      assertThat(cli("fetch", queue, "--worker", "w3").exitCode()).isEqualTo(ExitCode.NOT_FOUND);
      assertThat(json(cli("peek", queue, "1", "--json")).get("state").asText())
          .as("a delayed task the pointer stepped over is still delayed")
          .isEqualTo("delayed");
      JsonNode after = info(queue);
      assertThat(after.get("delayed").asLong()).isEqualTo(1);
      assertThat(after.get("waiting").asLong()).isZero();
      assertThat(after.get("inFlight").asLong()).isEqualTo(2);
    }

    @Test
    @DisplayName("a group at its limit parks its next task, which info counts")
    void parked() {
      cli("add", queue, "{\"n\":1}", "--group", "g");
      cli("add", queue, "{\"n\":2}", "--group", "g");
      Programs.Result limit = cli("configure", queue, "--group-limit", "1");
      assertThat(limit.exitCode()).as(limit.toString()).isZero();

      assertThat(cli("fetch", queue, "--worker", "w1").exitCode()).isZero();
      assertThat(cli("fetch", queue, "--worker", "w2").exitCode()).isEqualTo(ExitCode.NOT_FOUND);
      assertThat(info(queue).get("parked").asLong()).isEqualTo(1);

      assertThat(cli("ack", queue, "--worker", "w1").exitCode()).isZero();
      Programs.Result next = cli("fetch", queue, "--worker", "w2", "--json");
      assertThat(next.exitCode()).as(next.toString()).isZero();
      assertThat(json(next).get(0).get("index").asLong()).isEqualTo(2);
    }

    @Test
    @DisplayName("dead-letters lists a task past its delivery limit; requeue and discard it")
    void deadLetters() {
      cli("add", queue, "{\"n\":1}", "--max-deliveries", "1");
      // 1 ms to recover: the lease has expired by the time the next command runs
      assertThat(cli("fetch", queue, "--worker", "w1", "--ttr", "1ms").exitCode()).isZero();
      assertThat(cli("fetch", queue, "--worker", "w2").exitCode()).isEqualTo(ExitCode.NOT_FOUND);

      Programs.Result list = cli("dead-letters", queue, "--json");
      assertThat(list.exitCode()).as(list.toString()).isZero();
      JsonNode dead = json(list).get(0);
      assertThat(json(list)).hasSize(1);
      assertThat(dead.get("index").asLong()).isEqualTo(1);
      assertThat(dead.get("deliveries").asInt()).isGreaterThanOrEqualTo(1);
      assertThat(dead.get("lastError").get("type").asText()).isEqualTo("max-deliveries");
      assertThat(cli("dead-letters", queue).out())
          .contains("| index | deliveries | worker")
          .contains("max-deliveries");
      assertThat(info(queue).get("deadLetters").asLong()).isEqualTo(1);
      assertThat(cli("info", queue).out()).contains("| dead letters |");

      Programs.Result requeue = cli("requeue", queue, "1");
      assertThat(requeue.exitCode()).as(requeue.toString()).isZero();
      assertThat(requeue.out()).contains("requeued #1 of " + queue);
      Programs.Result again = cli("requeue", queue, "1", "--json");
      assertThat(again.exitCode()).isEqualTo(ExitCode.NOT_FOUND);
      assertThat(json(again).get("requeued").asBoolean()).isFalse();
      Programs.Result redelivered = cli("fetch", queue, "--worker", "w3", "--ttr", "1ms", "--json");
      assertThat(json(redelivered).get(0).get("index").asLong()).isEqualTo(1);
      assertThat(json(redelivered).get(0).get("deliveries").asInt()).isEqualTo(1);

      assertThat(cli("fetch", queue, "--worker", "w4").exitCode()).isEqualTo(ExitCode.NOT_FOUND);
      assertThat(info(queue).get("deadLetters").asLong()).isEqualTo(1);
      Programs.Result unconfirmed = cli("discard", queue, "1");
      assertThat(unconfirmed.exitCode()).isEqualTo(ExitCode.BAD_ARGUMENTS);
      assertThat(unconfirmed.err())
          .contains("this drops dead letter #1 of " + queue)
          .contains("add --yes to confirm");
      assertThat(info(queue).get("deadLetters").asLong()).isEqualTo(1);
      Programs.Result discard = cli("discard", queue, "1", "--yes");
      assertThat(discard.exitCode()).as(discard.toString()).isZero();
      assertThat(cli("discard", queue, "1", "--yes").exitCode()).isEqualTo(ExitCode.NOT_FOUND);
      assertThat(cli("requeue", queue, "1").exitCode()).isEqualTo(ExitCode.NOT_FOUND);
      Programs.Result none = cli("dead-letters", queue);
      assertThat(none.exitCode()).isZero();
      assertThat(none.out()).isEqualTo("no dead letters in " + queue + "\n");

      String missing = unique("acme/never");
      Programs.Result noQueue = cli("dead-letters", missing);
      assertThat(noQueue.exitCode()).isZero();
      assertThat(noQueue.out()).contains("(the queue does not exist: never added to, or purged)");
      assertThat(cli("requeue", missing, "1").out()).contains("the queue does not exist");
    }

    @Test
    @DisplayName("dead-letters opens errors, so it needs the keys (2) and the right ones (4)")
    void deadLettersNeedKeys() {
      cli("add", queue, "{}");
      Programs.Result noKeys =
          Programs.cli(Programs.args(Programs.serverFlags(KEYSPACE), "dead-letters", queue));
      assertThat(noKeys.exitCode()).isEqualTo(ExitCode.BAD_ARGUMENTS);
      assertThat(noKeys.err()).contains("--keyset-dir");
      List<String> wrong = wrongKeyFlags();
      Programs.Result wrongKey = Programs.cli(Programs.args(wrong, "dead-letters", queue));
      assertThat(wrongKey.exitCode()).as(wrongKey.toString()).isEqualTo(ExitCode.FAILED);
    }

    @Test
    @DisplayName("pause stops fetch until resume; a queue that does not exist needs --force")
    void pauseAndResume() {
      cli("add", queue, "{\"n\":1}");
      Programs.Result pause = cli("pause", queue);
      assertThat(pause.exitCode()).as(pause.toString()).isZero();
      assertThat(pause.out()).contains("paused " + queue);
      Programs.Result twice = cli("pause", queue, "--json");
      assertThat(twice.exitCode()).isZero();
      assertThat(json(twice).get("changed").asBoolean()).isFalse();
      assertThat(twice.out()).contains("\"paused\":true");

      Programs.Result fetch = cli("fetch", queue, "--worker", "w1");
      assertThat(fetch.exitCode()).isEqualTo(ExitCode.NOT_FOUND);
      assertThat(fetch.out()).contains("the queue is paused ('resume " + queue + "'");
      assertThat(info(queue).get("paused").asBoolean()).isTrue();
      assertThat(cli("info", queue).out()).containsPattern("\\| yes +\\|");
      cli("add", queue, "{\"n\":2}");
      assertThat(info(queue).get("index").asLong()).as("adds go on").isEqualTo(2);

      Programs.Result resume = cli("resume", queue);
      assertThat(resume.exitCode()).as(resume.toString()).isZero();
      assertThat(resume.out()).contains("resumed " + queue);
      Programs.Result notPaused = cli("resume", queue);
      assertThat(notPaused.exitCode()).isZero();
      assertThat(notPaused.out()).contains(queue + " was not paused");
      assertThat(cli("fetch", queue, "--worker", "w1").exitCode()).isZero();

      String missing = unique("acme/never");
      Programs.Result refused = cli("pause", missing, "--json");
      assertThat(refused.exitCode()).isEqualTo(ExitCode.NOT_FOUND);
      assertThat(json(refused).get("exists").asBoolean()).isFalse();
      assertThat(cli("pause", missing).out())
          .contains("no queue " + missing + " to pause (never added to, or purged)")
          .contains("--force");
      assertThat(info(missing).get("paused").asBoolean()).as("nothing was changed").isFalse();
      Programs.Result noResume = cli("resume", missing);
      assertThat(noResume.exitCode()).isEqualTo(ExitCode.NOT_FOUND);
      assertThat(noResume.out()).contains("no queue " + missing + " to resume");

      assertThat(cli("pause", missing, "--force").exitCode()).isZero();
      Programs.Result kept = cli("pause", missing, "--force", "--json");
      assertThat(json(kept).get("changed").asBoolean()).as("the flag is kept").isFalse();
      cli("add", missing, "{}");
      assertThat(info(missing).get("paused").asBoolean()).isTrue();
      assertThat(cli("fetch", missing, "--worker", "w1").exitCode())
          .as("paused before its first task")
          .isEqualTo(ExitCode.NOT_FOUND);
      assertThat(cli("resume", missing).exitCode()).isZero();
      assertThat(cli("fetch", missing, "--worker", "w1").exitCode()).isZero();
    }

    @Test
    @DisplayName("settings and configure; configure of a queue that does not exist needs --force")
    void settings() {
      cli("add", queue, "{}");
      Programs.Result defaults = cli("settings", queue);
      assertThat(defaults.exitCode()).isZero();
      assertThat(defaults.out())
          .containsPattern("\\| max deliveries +\\| 0 \\(no limit\\)")
          .containsPattern("\\| group limit +\\| 0 \\(no limit\\)");

      Programs.Result max = cli("configure", queue, "--max-deliveries", "5", "--json");
      assertThat(max.exitCode()).as(max.toString()).isZero();
      assertThat(json(max).get("maxDeliveries").asInt()).isEqualTo(5);
      assertThat(json(max).get("groupLimit").asInt()).isZero();
      assertThat(cli("configure", queue, "--group-limit", "2").exitCode()).isZero();
      JsonNode both = json(cli("settings", queue, "--json"));
      assertThat(both.get("maxDeliveries").asInt()).as("kept").isEqualTo(5);
      assertThat(both.get("groupLimit").asInt()).isEqualTo(2);

      String missing = unique("acme/never");
      Programs.Result refused = cli("configure", missing, "--max-deliveries", "3");
      assertThat(refused.exitCode()).isEqualTo(ExitCode.NOT_FOUND);
      assertThat(refused.out()).contains("no queue " + missing + " to configure");
      assertThat(json(cli("settings", missing, "--json")).get("maxDeliveries").asInt()).isZero();
      assertThat(cli("configure", missing, "--max-deliveries", "3", "--force").exitCode()).isZero();
      assertThat(json(cli("settings", missing, "--json")).get("maxDeliveries").asInt())
          .isEqualTo(3);
    }

    @Test
    @DisplayName("queues lists an owner's queues with their counters, by name")
    void queues() {
      String owner = unique("q");
      cli("add", owner + "/b-urgent", "{}", "--priority", "URGENT");
      cli("add", owner + "/a-plain", "{}");
      cli("add", owner + "/a-plain", "{}");

      Programs.Result all = cli("queues", owner, "--json");
      assertThat(all.exitCode()).as(all.toString()).isZero();
      JsonNode list = json(all);
      assertThat(list).hasSize(2);
      assertThat(list.get(0).get("queue").asText()).isEqualTo(owner + "/a-plain");
      assertThat(list.get(0).get("waiting").asLong()).isEqualTo(2);
      assertThat(list.get(1).get("lanes").get("URGENT").get("waiting").asLong()).isEqualTo(1);
      assertThat(cli("queues", owner).out()).contains(owner + "/a-plain").contains("URGENT 1");

      JsonNode some = json(cli("queues", owner, "--pattern", "b-.*", "--json"));
      assertThat(some).hasSize(1);
      assertThat(some.get(0).get("service").asText()).isEqualTo("b-urgent");
      Programs.Result partial = cli("queues", owner, "--pattern", "b");
      assertThat(partial.out()).as("the whole name must match").contains("no queues of " + owner);

      Programs.Result none = cli("queues", unique("nobody"), "--json");
      assertThat(none.exitCode()).isZero();
      assertThat(json(none)).isEmpty();
    }

    @Test
    @DisplayName("purge needs --yes, drops one queue or an owner's queues by pattern")
    void purge() {
      cli("add", queue, "{\"n\":1}");
      cli("add", queue, "{\"n\":2}");

      Programs.Result unconfirmed = cli("purge", queue);
      assertThat(unconfirmed.exitCode()).isEqualTo(ExitCode.BAD_ARGUMENTS);
      assertThat(unconfirmed.err())
          .startsWith("purge: this drops queue " + queue)
          .contains("add --yes to confirm (nothing was changed; --dry-run");
      assertThat(unconfirmed.out()).isEmpty();
      Programs.Result dryRun = cli("purge", queue, "--dry-run");
      assertThat(dryRun.exitCode()).isZero();
      assertThat(dryRun.out()).contains("would purge " + queue).contains("nothing was changed");
      assertThat(info(queue).get("index").asLong()).isEqualTo(2);

      Programs.Result purge = cli("purge", queue, "--yes", "--json");
      assertThat(purge.exitCode()).as(purge.toString()).isZero();
      assertThat(json(purge).get("queues").get(0).asText()).isEqualTo(queue);
      assertThat(info(queue).get("index").asLong()).isZero();
      assertThat(cli("peek", queue, "1").exitCode()).isEqualTo(ExitCode.NOT_FOUND);
      Programs.Result gone = cli("purge", queue, "--yes");
      assertThat(gone.exitCode()).isEqualTo(ExitCode.NOT_FOUND);
      assertThat(gone.out())
          .contains("no queue " + queue + " to purge (never added to, or purged)");
      Programs.Result fresh = cli("add", queue, "{}", "--json");
      assertThat(json(fresh).get("index").asLong()).as("a new queue").isEqualTo(1);

      String owner = unique("purge");
      for (String service : List.of("tmp-1", "tmp-2", "keep")) {
        cli("add", owner + "/" + service, "{}");
      }
      Programs.Result byPattern = cli("purge", owner, "--pattern", "tmp-.*");
      assertThat(byPattern.exitCode()).isEqualTo(ExitCode.BAD_ARGUMENTS);
      assertThat(byPattern.err()).contains("every queue of " + owner + " whose name matches");
      Programs.Result listed = cli("purge", owner, "--pattern", "tmp-.*", "--dry-run", "--json");
      assertThat(json(listed).get("queues")).hasSize(2);
      assertThat(json(cli("queues", owner, "--json"))).hasSize(3);
      Programs.Result dropped = cli("purge", owner, "--pattern", "tmp-.*", "--yes");
      assertThat(dropped.exitCode()).as(dropped.toString()).isZero();
      assertThat(dropped.out())
          .contains("purged " + owner + "/tmp-1", "purged " + owner + "/tmp-2");
      JsonNode left = json(cli("queues", owner, "--json"));
      assertThat(left).hasSize(1);
      assertThat(left.get(0).get("service").asText()).isEqualTo("keep");
      Programs.Result noMatch = cli("purge", owner, "--pattern", "tmp-.*", "--yes");
      assertThat(noMatch.exitCode()).isEqualTo(ExitCode.NOT_FOUND);
      assertThat(noMatch.out()).contains("no queue of " + owner + " matches 'tmp-.*'");
    }

    @Test
    @DisplayName("schedule, schedules and unschedule repeating tasks")
    void schedules() {
      Programs.Result nightly =
          cli(
              "schedule",
              queue,
              "nightly",
              "{\"report\":true}",
              "--cron",
              "0 3 * * *",
              "--priority",
              "low",
              "--json");
      assertThat(nightly.exitCode()).as(nightly.toString()).isZero();
      assertThat(json(nightly).get("schedule").asText()).isEqualTo("cron 0 3 * * *");
      assertThat(json(nightly).get("firstTick").asText()).endsWith("T03:00:00Z");
      assertThat(json(nightly).get("priority").asText()).isEqualTo("LOW");
      assertThat(cli("schedule", queue, "often", "{}", "--every", "5m").exitCode()).isZero();

      Programs.Result list = cli("schedules", queue, "--json");
      assertThat(list.exitCode()).isZero();
      assertThat(json(list)).hasSize(2);
      assertThat(json(list).get(0).get("id").asText()).isEqualTo("nightly");
      assertThat(json(list).get(1).get("schedule").asText()).isEqualTo("every PT5M");
      assertThat(cli("schedules", queue).out()).contains("| often ").contains("every PT5M");

      Programs.Result removed = cli("unschedule", queue, "nightly");
      assertThat(removed.exitCode()).isZero();
      assertThat(removed.out()).contains("removed schedule nightly of " + queue);
      assertThat(cli("unschedule", queue, "nightly").exitCode()).isEqualTo(ExitCode.NOT_FOUND);
      assertThat(cli("unschedule", queue, "often").exitCode()).isZero();
      assertThat(cli("schedules", queue).out())
          .contains("no schedules in " + queue)
          .contains("the queue does not exist");
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
      List<String> wrong = wrongKeyFlags();

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
    @DisplayName("of the administration commands, before anything is changed")
    void administration() {
      cli("add", queue, "{\"n\":1}");

      Programs.Result delay = cli("add", queue, "{}", "--delay", "400d");
      assertThat(delay.exitCode()).isEqualTo(2);
      assertThat(delay.err()).contains("--delay: must be 0 to");
      assertThat(cli("add", queue, "{}", "--delay", "-1s").exitCode()).isEqualTo(2);
      Programs.Result lane = cli("add", queue, "{}", "--priority", "sideways");
      assertThat(lane.exitCode()).isEqualTo(2);
      assertThat(lane.err()).contains("URGENT");
      Programs.Result limit = cli("add", queue, "{}", "--max-deliveries", "0");
      assertThat(limit.exitCode()).isEqualTo(2);
      assertThat(limit.err()).contains("--max-deliveries: must be 1 to 1000000");
      Programs.Result group = cli("add", queue, "{}", "--group", "no spaces");
      assertThat(group.exitCode()).isEqualTo(2);
      assertThat(group.err()).contains("--group");
      assertThat(info(queue).get("index").asLong()).as("nothing was added").isEqualTo(1);

      assertThat(cli("dead-letters", queue, "--limit", "0").exitCode()).isEqualTo(2);
      assertThat(cli("dead-letters", queue, "--limit", "1001").exitCode()).isEqualTo(2);
      assertThat(cli("requeue", queue, "0").exitCode()).isEqualTo(2);
      assertThat(cli("requeue", queue).exitCode()).as("INDEX is required").isEqualTo(2);
      assertThat(cli("discard", queue, "x", "--yes").exitCode()).isEqualTo(2);

      Programs.Result owner = cli("queues", "acme/billing");
      assertThat(owner.exitCode()).isEqualTo(2);
      assertThat(owner.err()).contains("'acme/billing' is not an owner");
      Programs.Result regex = cli("queues", "acme", "--pattern", "tmp-(");
      assertThat(regex.exitCode()).isEqualTo(2);
      assertThat(regex.err()).contains("'tmp-(' is not a regular expression");

      Programs.Result both = cli("purge", queue, "--yes", "--dry-run");
      assertThat(both.exitCode()).isEqualTo(2);
      assertThat(both.err()).contains("--yes or --dry-run, not both");
      Programs.Result notAnOwner = cli("purge", queue, "--pattern", ".*", "--yes");
      assertThat(notAnOwner.exitCode()).isEqualTo(2);
      assertThat(notAnOwner.err()).contains("is not an owner").contains("OWNER alone");
      Programs.Result notAQueue = cli("purge", "acme", "--yes");
      assertThat(notAQueue.exitCode()).isEqualTo(2);
      assertThat(notAQueue.err()).contains("'acme' is not a queue").contains("--pattern");

      Programs.Result nothing = cli("configure", queue);
      assertThat(nothing.exitCode()).isEqualTo(2);
      assertThat(nothing.err()).contains("give --max-deliveries, --group-limit or both");
      Programs.Result negative = cli("configure", queue, "--group-limit", "-1");
      assertThat(negative.exitCode()).isEqualTo(2);
      assertThat(negative.err()).contains("--group-limit: must be 0 (no limit) to 1000000");
      assertThat(cli("configure", queue, "--max-deliveries", "1000001").exitCode()).isEqualTo(2);

      assertThat(cli("schedule", queue, "s1", "{}").exitCode())
          .as("--every or --cron is required")
          .isEqualTo(2);
      assertThat(cli("schedule", queue, "s1", "{}", "--every", "1m", "--cron", "0 3 * * *"))
          .extracting(Programs.Result::exitCode)
          .isEqualTo(2);
      Programs.Result often = cli("schedule", queue, "s1", "{}", "--every", "100ms");
      assertThat(often.exitCode()).isEqualTo(2);
      assertThat(often.err()).contains("--every: must be PT1S or longer");
      Programs.Result cron = cli("schedule", queue, "s1", "{}", "--cron", "at three");
      assertThat(cron.exitCode()).isEqualTo(2);
      assertThat(cron.err()).contains("--cron: is not a Unix cron expression");
      Programs.Result id = cli("schedule", queue, "no spaces", "{}", "--every", "1m");
      assertThat(id.exitCode()).isEqualTo(2);
      assertThat(id.err()).contains("ID:");
      assertThat(cli("unschedule", queue, "no/slash").exitCode()).isEqualTo(2);

      assertThat(cli("schedules", queue).out()).contains("no schedules in " + queue);
      assertThat(json(cli("settings", queue, "--json")).get("maxDeliveries").asInt()).isZero();
      assertThat(info(queue).get("index").asLong()).isEqualTo(1);
    }

    @Test
    @DisplayName("help and version exit with 0")
    void help() {
      Programs.Result help = Programs.cli("--help");
      assertThat(help.exitCode()).isZero();
      assertThat(help.out())
          .contains("info", "add", "fetch", "ack", "peek", "leases", "rewind", "watch")
          .contains("queues", "dead-letters", "requeue", "discard", "pause", "resume", "purge")
          .contains("settings", "configure", "schedule", "unschedule", "schedules")
          .contains("WORKQUEUE_CASSANDRA")
          .contains("Exit codes");
      assertThat(Programs.cli("help", "fetch").out()).contains("--worker");
      Programs.Result fetchHelp = Programs.cli("fetch", "--help");
      assertThat(fetchHelp.exitCode()).isZero();
      assertThat(fetchHelp.out()).contains("--worker").contains("--ttr");
      Programs.Result purgeHelp = Programs.cli("purge", "--help");
      assertThat(purgeHelp.exitCode()).isZero();
      assertThat(purgeHelp.out()).contains("--yes").contains("--dry-run").contains("never added");
      assertThat(Programs.cli("pause", "--help").out()).contains("--force").contains("Exit code 1");
      assertThat(Programs.cli("--version").exitCode()).isZero();
    }
  }

  @Nested
  @DisplayName("reports a server that is down with exit code 3")
  class ServerDown {
    @Test
    @DisplayName("for the administration commands too; purge without --yes refuses first (2)")
    void administration() {
      List<String> down = new ArrayList<>(Programs.serverFlags(KEYSPACE));
      int port = Programs.closedPort();
      down.set(5, "127.0.0.1:" + port);
      for (String[] command :
          List.of(
              new String[] {"purge", queue, "--yes"},
              new String[] {"queues", "acme"},
              new String[] {"pause", queue},
              new String[] {"resume", queue},
              new String[] {"requeue", queue, "1"},
              new String[] {"settings", queue},
              new String[] {"configure", queue, "--group-limit", "2"},
              new String[] {"schedules", queue})) {
        Programs.Result r = Programs.cli(Programs.args(down, command));
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(ExitCode.BACKEND_UNAVAILABLE);
        assertThat(r.err()).contains("cannot reach Redis at 127.0.0.1:" + port);
      }
      Programs.Result unconfirmed = Programs.cli(Programs.args(down, "purge", queue));
      assertThat(unconfirmed.exitCode()).isEqualTo(ExitCode.BAD_ARGUMENTS);
      assertThat(unconfirmed.err()).contains("add --yes to confirm");
    }

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
