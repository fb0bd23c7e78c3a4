package io.workqueue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.workqueue.InvalidArgumentException;
import io.workqueue.Lease;
import io.workqueue.Priority;
import io.workqueue.QueueRef;
import io.workqueue.QueueSettings;
import io.workqueue.spi.BookkeeperState;
import io.workqueue.spi.DeadEntry;
import io.workqueue.spi.Fetch;
import io.workqueue.spi.LaneStart;
import io.workqueue.spi.PendingCompletion;
import io.workqueue.testkit.TestQueues;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.LongStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.util.JedisClusterCRC16;

/** What the contract kit cannot see: the keys in Redis, script loading, ordering, lifecycle. */
@DisplayName("RedisBookkeeper in Redis")
class RedisBookkeeperStorageTest {

  private static final Instant T0 = Instant.ofEpochMilli(1_800_000_000_000L);
  private static final Duration TTR = Duration.ofSeconds(10);
  private static final Duration GRACE = Duration.ofSeconds(5);

  private final RedisBookkeeper bk = SharedRedis.bookkeeper();
  private final JedisPooled admin = SharedRedis.admin();

  private long addCommitted(QueueRef q, int n, Instant now) {
    long first = bk.allocate(q, n, now);
    assertThat(bk.commit(q, first, n)).isTrue();
    return first;
  }

  private Lease leased(Fetch f) {
    assertThat(f).isInstanceOf(Fetch.Leased.class);
    return ((Fetch.Leased) f).lease();
  }

  private static List<String> existing(JedisPooled client, QueueKeys keys) {
    List<String> out = new ArrayList<>();
    for (String key : keys.all()) {
      if (client.exists(key)) {
        out.add(key.substring(key.lastIndexOf(':') + 1));
      }
    }
    return out;
  }

  @Nested
  @DisplayName("key layout")
  class Layout {
    @Test
    @DisplayName("the keys of a queue share the hash tag {owner/service} and so one cluster slot")
    void oneSlot() {
      QueueRef q = QueueRef.of("owner-1", "billing.v2");
      QueueKeys k = QueueKeys.of("wq", q);
      assertThat(k.all()).allSatisfy(key -> assertThat(key).startsWith("wq:{owner-1/billing.v2}:"));
      assertThat(k.all().stream().map(JedisClusterCRC16::getSlot).distinct()).hasSize(1);
      assertThat(JedisClusterCRC16.getSlot(k.n()))
          .isEqualTo(JedisClusterCRC16.getSlot("owner-1/billing.v2"));
    }

    @Test
    @DisplayName("a lease is a hash field worker|deadline|deliveries, a deadline and a holder")
    void leaseFields() {
      QueueRef q = TestQueues.fresh();
      bk.initialize(q, 0, 1, 0);
      QueueKeys k = QueueKeys.of("wq", q);
      addCommitted(q, 1, T0);
      leased(bk.fetch(q, "host-1:42@node", T0, TTR, GRACE));
      long deadline = T0.plus(TTR).toEpochMilli();
      assertThat(SharedRedis.hash(k.lease()))
          .containsExactly(Map.entry("1", "host-1:42@node|" + deadline + "|1|s"));
      assertThat(admin.zscore(k.deadline(), "0000000000000001")).isEqualTo((double) deadline);
      assertThat(SharedRedis.hash(k.holder())).containsExactly(Map.entry("host-1:42@node", "1"));
      assertThat(SharedRedis.hash(k.n()))
          .containsOnly(
              Map.entry("init", "1"),
              Map.entry("allocated", "1"),
              Map.entry("fetched", "1"),
              Map.entry("replay", "0"),
              Map.entry("skip", "0"));
    }

    @Test
    @DisplayName("committed tasks waiting to be fetched cost no key and no member per task")
    void backlogCostsNothing() {
      QueueRef q = TestQueues.fresh();
      bk.initialize(q, 0, 1, 0);
      QueueKeys k = QueueKeys.of("wq", q);
      for (int i = 0; i < 10; i++) {
        addCommitted(q, 1000, T0);
      }
      assertThat(existing(admin, k)).containsExactly("n");
      assertThat(SharedRedis.hash(k.n()))
          .containsOnly(
              Map.entry("init", "1"),
              Map.entry("allocated", "10000"),
              Map.entry("fetched", "0"),
              Map.entry("replay", "0"),
              Map.entry("skip", "0"));
      assertThat(bk.state(q))
          .isEqualTo(new BookkeeperState(10000, 10000, 0, 0, 1, true, List.of()));
    }

    @Test
    @DisplayName("pending indices are members until committed or resolved, then gone from pending")
    void pendingMembers() {
      QueueRef q = TestQueues.fresh();
      bk.initialize(q, 0, 1, 0);
      QueueKeys k = QueueKeys.of("wq", q);
      long first = bk.allocate(q, 3, T0);
      assertThat(admin.zrangeWithScores(k.pending(), 0, -1))
          .extracting(t -> t.getElement() + "@" + (long) t.getScore())
          .containsExactly(
              "1|" + T0.toEpochMilli() + "@1",
              "2|" + T0.toEpochMilli() + "@2",
              "3|" + T0.toEpochMilli() + "@3");
      assertThat(bk.commit(q, first + 1, 2)).isTrue();
      assertThat(bk.resolveHole(q, first, true, T0)).isTrue();
      assertThat(existing(admin, k)).containsExactly("n", "kept");
    }

    @Test
    @DisplayName(
        "after every lease is acknowledged only the counters and pending completions remain")
    void drained() {
      QueueRef q = TestQueues.fresh();
      bk.initialize(q, 0, 1, 0);
      QueueKeys k = QueueKeys.of("wq", q);
      addCommitted(q, 20, T0);
      for (int i = 0; i < 20; i++) {
        String w = "w" + (i % 3);
        Lease l = leased(bk.fetch(q, w, T0, TTR, GRACE));
        assertThat(bk.ack(q, w, l.index(), i == 0 ? Optional.of(T0) : Optional.empty())).isTrue();
      }
      assertThat(existing(admin, k)).containsExactly("n", "completions");
      bk.completionDelivered(q, new PendingCompletion(1, "w0"));
      assertThat(existing(admin, k)).containsExactly("n");
    }

    @Test
    @DisplayName("a custom key prefix puts every key under it")
    void prefix() {
      try (RedisBookkeeper other =
          RedisBookkeeper.builder()
              .connect(SharedRedis.server().host(), SharedRedis.server().port())
              .keyPrefix("tenant-a:wq")
              .build()) {
        QueueRef q = TestQueues.fresh();
        other.initialize(q, 0, 1, 0);
        long first = other.allocate(q, 2, T0);
        other.commit(q, first, 2);
        assertThat(admin.hget("tenant-a:wq:{" + q.owner() + "/" + q.service() + "}:n", "allocated"))
            .isEqualTo("2");
        assertThat(bk.state(q).initialized()).as("the default prefix sees another queue").isFalse();
      }
    }
  }

  @Nested
  @DisplayName("ordering")
  class Ordering {
    @Test
    @DisplayName("expired leases with one deadline are recovered lowest index first, also past 9")
    void recoveryOrder() {
      QueueRef q = TestQueues.fresh();
      bk.initialize(q, 0, 1, 0);
      addCommitted(q, 12, T0);
      for (int i = 1; i <= 12; i++) {
        assertThat(leased(bk.fetch(q, "a" + i, T0, TTR, GRACE)).index()).isEqualTo(i);
      }
      Instant later = T0.plus(TTR);
      List<Long> recovered = new ArrayList<>();
      for (int i = 1; i <= 12; i++) {
        Lease l = leased(bk.fetch(q, "b" + i, later, TTR, GRACE));
        assertThat(l.deliveries()).isEqualTo(2);
        recovered.add(l.index());
      }
      assertThat(recovered)
          .containsExactlyElementsOf(LongStream.rangeClosed(1, 12).boxed().toList());
    }

    @Test
    @DisplayName("completions with one due time are claimed lowest index first, also past 9")
    void completionOrder() {
      QueueRef q = TestQueues.fresh();
      bk.initialize(q, 0, 1, 0);
      addCommitted(q, 12, T0);
      for (int i = 1; i <= 12; i++) {
        Lease l = leased(bk.fetch(q, "w", T0, TTR, GRACE));
        assertThat(bk.ack(q, "w", l.index(), Optional.of(T0))).isTrue();
      }
      assertThat(bk.claimCompletions(q, T0, TTR, 20))
          .extracting(PendingCompletion::index)
          .containsExactlyElementsOf(LongStream.rangeClosed(1, 12).boxed().toList());
    }

    @Test
    @DisplayName("the lowest pending index blocks the pointer even when its clock was ahead")
    void skewedAllocation() {
      QueueRef q = TestQueues.fresh();
      bk.initialize(q, 0, 1, 0);
      long a = bk.allocate(q, 1, T0.plusSeconds(10)); // a node whose clock runs ahead
      long b = bk.allocate(q, 1, T0);
      assertThat(bk.commit(q, b, 1)).isTrue();
      assertThat(bk.state(q).committed()).isZero();
      assertThat(bk.fetch(q, "w", T0.plus(GRACE), TTR, GRACE)).isEqualTo(Fetch.EMPTY);
      assertThat(bk.fetch(q, "w", T0.plusSeconds(10).plus(GRACE), TTR, GRACE))
          .isEqualTo(new Fetch.Hole(a));
    }

    @Test
    @DisplayName("indices above 10^14 keep exact digits in every key and reply")
    void largeIndices() {
      QueueRef q = TestQueues.fresh();
      bk.initialize(q, 0, 1, 0);
      long base = 123_456_789_012_345L;
      QueueKeys k = QueueKeys.of("wq", q);
      admin.hset(k.n(), Map.of("allocated", Long.toString(base), "fetched", Long.toString(base)));
      long first = addCommitted(q, 2, T0);
      assertThat(first).isEqualTo(base + 1);
      Lease l = leased(bk.fetch(q, "w", T0, TTR, GRACE));
      assertThat(l.index()).isEqualTo(base + 1);
      assertThat(SharedRedis.hash(k.lease())).containsOnlyKeys(Long.toString(base + 1));
      assertThat(bk.ack(q, "w", base + 1, Optional.of(T0))).isTrue();
      assertThat(bk.claimCompletions(q, T0, TTR, 5))
          .containsExactly(new PendingCompletion(base + 1, "w"));
      assertThat(bk.state(q))
          .isEqualTo(
              new BookkeeperState(base + 2, base + 2, base + 1, 0, base + 1, true, List.of()));
    }
  }

  @Nested
  @DisplayName("skipped holes")
  class Skipped {
    @Test
    @DisplayName(
        "are remembered for a day, so a late commit fails, then trimmed when another is added")
    void trimmed() {
      QueueRef q = TestQueues.fresh();
      bk.initialize(q, 0, 1, 0);
      QueueKeys k = QueueKeys.of("wq", q);
      long first = bk.allocate(q, 2, T0);
      assertThat(bk.resolveHole(q, first, false, T0)).isTrue();
      assertThat(bk.commit(q, first, 1)).isFalse();
      Instant dayLater = T0.plus(Duration.ofDays(1)).plusMillis(1);
      assertThat(bk.resolveHole(q, first + 1, false, dayLater)).isTrue();
      assertThat(admin.zrange(k.skipped(), 0, -1)).containsExactly(Long.toString(first + 1));
      assertThat(bk.commit(q, first + 1, 1)).isFalse();
    }

    @Test
    @DisplayName(
        "a kept hole leaves one member, for a late commit; resolving it again returns false")
    void keptLeavesNothing() {
      QueueRef q = TestQueues.fresh();
      bk.initialize(q, 0, 1, 0);
      QueueKeys k = QueueKeys.of("wq", q);
      long first = bk.allocate(q, 1, T0);
      assertThat(bk.resolveHole(q, first, true, T0)).isTrue();
      assertThat(bk.resolveHole(q, first, false, T0)).isFalse();
      assertThat(existing(admin, k)).containsExactly("n", "kept");
      assertThat(admin.zrange(k.kept(), 0, -1)).containsExactly(Long.toString(first));
      assertThat(bk.commit(q, first, 1)).as("the late commit of a kept hole").isTrue();
    }
  }

  @Nested
  @DisplayName("scripts")
  class Scripts {
    private final List<LuaScript> all = LuaScript.ALL;

    @Test
    @DisplayName(
        "after SCRIPT FLUSH every script is loaded again on first use and the call succeeds")
    void reloadAfterFlush() {
      QueueRef q = TestQueues.fresh();
      bk.initialize(q, 0, 1, 0);
      long first = bk.allocate(q, 3, T0);
      admin.scriptFlush();
      assertThat(admin.scriptExists(List.of(LuaScript.FETCH.sha1()))).containsExactly(false);

      // every script once, each starting from NOSCRIPT
      assertThat(bk.commit(q, first, 2)).isTrue();
      assertThat(leased(bk.fetch(q, "w", T0, TTR, GRACE)).index()).isEqualTo(1);
      assertThat(bk.lease(q, "w")).isPresent();
      assertThat(bk.ack(q, "w", 1, Optional.of(T0))).isTrue();
      assertThat(bk.claimCompletions(q, T0, TTR, 5)).containsExactly(new PendingCompletion(1, "w"));
      assertThat(bk.resolveHole(q, 3, false, T0)).isTrue();
      assertThat(bk.rewind(q, 0)).isTrue();
      assertThat(bk.allocate(q, 1, T0)).isEqualTo(4);
      assertThat(bk.fetchBatch(q, "wb", 5, T0, TTR, GRACE).leases())
          .containsExactly(
              new Lease("wb", 1, T0.plus(TTR), 1), new Lease("wb", 2, T0.plus(TTR), 1));
      assertThat(bk.state(q))
          .isEqualTo(
              new BookkeeperState(
                  4,
                  3,
                  3,
                  0,
                  1,
                  true,
                  List.of(
                      new Lease("wb", 1, T0.plus(TTR), 1), new Lease("wb", 2, T0.plus(TTR), 1))));

      // the scripts of the scheduling features
      QueueRef o = TestQueues.fresh();
      assertThat(bk.initialize(o, 0, 1, 0)).isTrue();
      addCommitted(o, 4, T0);
      assertThat(leased(bk.fetch(o, "a", T0, TTR, GRACE)).index()).isEqualTo(1);
      assertThat(bk.ackHeld(o, "a")).hasValue(1);
      assertThat(leased(bk.fetch(o, "a", T0, TTR, GRACE)).index()).isEqualTo(2);
      assertThat(bk.extend(o, "a", 2, T0.plusSeconds(60))).isTrue();
      assertThat(bk.admit(o, "a", Map.of(2L, "g"), T0)).containsExactly(2L);
      assertThat(bk.release(o, "a", 2, T0, T0)).contains(new Lease("a", 2, T0.plusSeconds(60), 1));
      assertThat(bk.fetch(o, "b", T0, TTR, GRACE))
          .isEqualTo(new Fetch.Leased(new Lease("b", 2, T0.plus(TTR), 2), false));
      DeadEntry dead = new DeadEntry(2, 2, "b", T0);
      assertThat(bk.deadLetter(o, "b", 2, Optional.empty(), T0)).contains(dead);
      assertThat(bk.deadLetters(o, 5)).containsExactly(dead);
      assertThat(bk.requeue(o, 2, T0)).isTrue();
      assertThat(leased(bk.fetch(o, "c", T0, TTR, GRACE)).index()).isEqualTo(2);
      assertThat(bk.deadLetter(o, "c", 2, Optional.empty(), T0)).isPresent();
      assertThat(bk.discard(o, 2)).isTrue();
      assertThat(leased(bk.fetch(o, "d", T0, TTR, GRACE)).index()).isEqualTo(3);
      assertThat(bk.expire(o, "d", List.of(3L))).containsExactly(3L);
      assertThat(bk.pause(o, true)).isTrue();
      bk.configure(o, QueueSettings.DEFAULT.withGroupLimit(2));
      assertThat(bk.settings(o)).isEqualTo(new QueueSettings(0, 2));
      bk.purge(o);
      assertThat(bk.state(o)).isEqualTo(BookkeeperState.UNINITIALIZED);

      assertThat(admin.scriptExists(all.stream().map(LuaScript::sha1).toList())).containsOnly(true);
    }

    @Test
    @DisplayName("the local SHA-1 of every script is the one Redis computes")
    void sha() {
      for (LuaScript s : all) {
        assertThat(admin.scriptLoad(s.source(), "any")).as(s.name()).isEqualTo(s.sha1());
      }
    }

    @Test
    @DisplayName(
        "every script starts with the shared prelude, the pointer or moves part where it needs"
            + " them, and then its own file")
    void prelude() throws IOException {
      List<String> walking = List.of("fetch", "fetch_batch", "state");
      List<String> moving =
          List.of("ack", "ack_held", "release", "dead_letter", "admit", "configure", "requeue");
      for (LuaScript s : all) {
        String parts = LuaScript.PRELUDE + "\n";
        if (walking.contains(s.name())) {
          parts += LuaScript.POINTER + "\n";
        }
        if (moving.contains(s.name())) {
          parts += LuaScript.MOVES + "\n";
        }
        assertThat(s.source()).as(s.name()).isEqualTo(parts + resource(s.name()));
      }
      assertThat(all).extracting(LuaScript::name).doesNotHaveDuplicates().hasSize(22);
    }

    @ParameterizedTest(name = "{0}.lua")
    @ValueSource(
        strings = {
          "allocate",
          "commit",
          "initialize",
          "fetch",
          "fetch_batch",
          "resolve_hole",
          "lease",
          "ack",
          "ack_held",
          "claim_completions",
          "state",
          "rewind",
          "admit",
          "extend",
          "release",
          "dead_letter",
          "dead_letters",
          "requeue",
          "discard",
          "pause",
          "configure",
          "purge"
        })
    @DisplayName("each script's header names every KEYS and ARGV it uses")
    void header(String name) throws IOException {
      String source = resource(name);
      StringBuilder comments = new StringBuilder();
      for (String line : source.split("\n")) {
        if (line.startsWith("--")) {
          comments.append(line).append('\n');
        }
      }
      String code = stripComments(source);
      Matcher m = Pattern.compile("(KEYS|ARGV)\\[(\\d+)]").matcher(code);
      TreeSet<String> used = new TreeSet<>();
      while (m.find()) {
        used.add(m.group());
      }
      if (code.contains("queueKeys(KEYS)") || code.contains("unpack(KEYS)")) {
        assertThat(comments.toString())
            .as("%s takes every key", name)
            .contains("-- KEYS[1..16]  every key of the queue, in the order of QueueKeys.all()");
        assertThat(used).as("%s names no single key", name).noneMatch(u -> u.startsWith("KEYS"));
      } else {
        assertThat(used).as("%s uses KEYS", name).anyMatch(u -> u.startsWith("KEYS"));
      }
      for (String u : used) {
        assertThat(comments.toString()).as("%s header", name).contains("-- " + u + " ");
      }
    }

    @ParameterizedTest(name = "{0}.lua")
    @ValueSource(
        strings = {
          "prelude",
          "pointer",
          "moves",
          "fetch",
          "fetch_batch",
          "ack",
          "ack_held",
          "lease",
          "commit",
          "allocate",
          "resolve_hole",
          "admit",
          "extend",
          "release",
          "dead_letter",
          "requeue",
          "discard"
        })
    @DisplayName("scripts on the fetch and add paths read no whole hash, set or key space")
    void noFullScans(String name) throws IOException {
      String code = stripComments(resource(name)).toUpperCase();
      for (String forbidden :
          List.of("'HGETALL'", "'HKEYS'", "'HVALS'", "'SMEMBERS'", "'KEYS'", "'SCAN'", "'TIME'")) {
        assertThat(code).as(name).doesNotContain(forbidden);
      }
      if (!name.equals("commit")) { // commit walks the tiny skipped set only when one is missing
        assertThat(code).as(name).doesNotContain("0, -1");
      }
    }

    private String resource(String name) throws IOException {
      try (InputStream in = RedisBookkeeper.class.getResourceAsStream(name + ".lua")) {
        assertThat(in).as(name).isNotNull();
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
    }

    private String stripComments(String source) {
      StringBuilder b = new StringBuilder();
      for (String line : source.split("\n")) {
        int c = line.indexOf("--");
        b.append(c >= 0 ? line.substring(0, c) : line).append('\n');
      }
      return b.toString();
    }
  }

  @Nested
  @DisplayName("lifecycle and settings")
  class Lifecycle {
    @Test
    @DisplayName("close() leaves a client given by the application open")
    void givenClientStaysOpen() {
      try (JedisPooled client =
          new JedisPooled(
              new HostAndPort(SharedRedis.server().host(), SharedRedis.server().port()),
              DefaultJedisClientConfig.builder().build())) {
        RedisBookkeeper given = RedisBookkeeper.of(client);
        assertThat(given.ownsClient()).isFalse();
        QueueRef q = TestQueues.fresh();
        bk.initialize(q, 0, 1, 0);
        assertThat(given.allocate(q, 1, T0)).isEqualTo(1);
        given.close();
        given.close();
        assertThat(client.ping()).isEqualTo("PONG");
        assertThatThrownBy(() -> given.state(q))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("closed");
      }
    }

    @Test
    @DisplayName("close() closes a client the bookkeeper built")
    void ownedClientClosed() {
      RedisBookkeeper owned =
          RedisBookkeeper.connect(SharedRedis.server().host(), SharedRedis.server().port());
      assertThat(owned.ownsClient()).isTrue();
      QueueRef q = TestQueues.fresh();
      bk.initialize(q, 0, 1, 0);
      assertThat(owned.allocate(q, 1, T0)).isEqualTo(1);
      owned.close();
      assertThat(owned.toString()).contains("closed");
      assertThatThrownBy(() -> owned.allocate(q, 1, T0)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    @DisplayName("the builder rejects missing, doubled and malformed settings, naming them")
    void builder() {
      assertThatThrownBy(() -> RedisBookkeeper.builder().build())
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageStartingWith("client:");
      assertThatThrownBy(
              () -> RedisBookkeeper.builder().client(admin).connect("localhost", 6379).build())
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("not both");
      assertThatThrownBy(
              () ->
                  RedisBookkeeper.builder()
                      .client(admin)
                      .clientConfig(DefaultJedisClientConfig.builder().build())
                      .build())
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageStartingWith("clientConfig:");
      assertThatThrownBy(() -> RedisBookkeeper.builder().keyPrefix("wq:{x}"))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageStartingWith("keyPrefix:");
      assertThatThrownBy(() -> RedisBookkeeper.builder().keyPrefix(""))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageStartingWith("keyPrefix:");
      assertThatThrownBy(() -> RedisBookkeeper.connect("localhost", 0))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageStartingWith("port:");
      assertThatThrownBy(() -> RedisBookkeeper.connect(" ", 6379))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageStartingWith("host:");
      assertThatThrownBy(() -> RedisBookkeeper.builder().maxConnections(0))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageStartingWith("maxConnections:");
    }

    @Test
    @DisplayName("arguments the reference rejects are rejected alike, before Redis is asked")
    void arguments() {
      QueueRef q = TestQueues.fresh();
      bk.initialize(q, 0, 1, 0);
      assertThatThrownBy(() -> bk.allocate(q, 0, T0))
          .isInstanceOfSatisfying(
              InvalidArgumentException.class, e -> assertThat(e.argument()).isEqualTo("count"));
      assertThatThrownBy(() -> bk.claimCompletions(q, T0, TTR, -1))
          .isInstanceOf(IllegalArgumentException.class);
      assertThat(bk.claimCompletions(q, T0, TTR, 0)).isEmpty();
      assertThat(bk.rewind(q, -1)).isFalse();
      assertThat(bk.rewind(q, 5 * Priority.LANE_SIZE)).isFalse();
      assertThat(bk.state(q)).isEqualTo(new BookkeeperState(0, 0, 0, 0, 1, true, List.of()));
    }

    @Test
    @DisplayName("bad arguments of the scheduling methods are refused by name, changing nothing")
    void schedulingArguments() {
      QueueRef q = TestQueues.fresh();
      bk.initialize(q, 0, 1, 0);
      long first = bk.allocate(q, 2, T0);
      assertThatThrownBy(() -> bk.commit(q, first, 2, Map.of(first + 2, T0.plusSeconds(1)), T0))
          .isInstanceOfSatisfying(
              InvalidArgumentException.class, e -> assertThat(e.argument()).isEqualTo("dueAt"));
      assertThatThrownBy(() -> bk.commit(q, first, -1, Map.of(), T0))
          .isInstanceOfSatisfying(
              InvalidArgumentException.class, e -> assertThat(e.argument()).isEqualTo("count"));
      assertThat(bk.state(q).committed()).as("the refused commits changed nothing").isZero();
      assertThat(bk.commit(q, first, 2)).isTrue();
      long held = leased(bk.fetch(q, "w", T0, TTR, GRACE)).index();
      for (String group : List.of("", "a|b", "a:b", "-a", "x".repeat(101))) {
        assertThatThrownBy(() -> bk.admit(q, "w", Map.of(held, group), T0))
            .as("group '%s'", group)
            .isInstanceOfSatisfying(
                InvalidArgumentException.class, e -> assertThat(e.argument()).isEqualTo("groups"));
      }
      assertThat(bk.admit(q, "w", Map.of(held, "a.b_c-1"), T0)).containsExactly(held);
      assertThatThrownBy(() -> bk.deadLetters(q, -1))
          .isInstanceOfSatisfying(
              InvalidArgumentException.class, e -> assertThat(e.argument()).isEqualTo("limit"));
      assertThat(bk.deadLetters(q, 0)).isEmpty();
      assertThatThrownBy(() -> bk.fetchBatch(q, "w", 0, T0, TTR, GRACE))
          .isInstanceOfSatisfying(
              InvalidArgumentException.class, e -> assertThat(e.argument()).isEqualTo("max"));
      assertThatThrownBy(() -> bk.allocate(q, Priority.URGENT, 0, T0))
          .isInstanceOfSatisfying(
              InvalidArgumentException.class, e -> assertThat(e.argument()).isEqualTo("count"));
      assertThatThrownBy(() -> bk.configure(q, null))
          .isInstanceOfSatisfying(
              InvalidArgumentException.class, e -> assertThat(e.argument()).isEqualTo("settings"));
      assertThatThrownBy(() -> bk.initialize(q, 5, 7, 5))
          .isInstanceOfSatisfying(
              InvalidArgumentException.class,
              e -> assertThat(e.argument()).isEqualTo("replayFrom"));
      assertThat(bk.state(q).lanes()).isEmpty();
      assertThat(bk.state(q).leases()).hasSize(1);
    }

    @Test
    @DisplayName("a lane whose indices run out refuses the allocation by count, changing nothing")
    void laneExhausted() {
      QueueRef q = TestQueues.fresh();
      long last = Priority.LOW.base() + Priority.LANE_SIZE - 1;
      bk.initialize(q, List.of(new LaneStart(Priority.LOW, last - 2, last - 1, last - 2)));
      assertThatThrownBy(() -> bk.allocate(q, Priority.LOW, 3, T0))
          .isInstanceOfSatisfying(
              InvalidArgumentException.class,
              e ->
                  assertThat(e)
                      .hasMessageContaining("2 indices left")
                      .extracting(InvalidArgumentException::argument)
                      .isEqualTo("count"));
      assertThat(bk.allocate(q, Priority.LOW, 2, T0)).isEqualTo(last - 1);
      assertThatThrownBy(() -> bk.allocate(q, Priority.LOW, 1, T0))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("0 indices left");
      assertThat(bk.state(q).lanes().get(Priority.LOW).allocated()).isEqualTo(last);
    }
  }
}
