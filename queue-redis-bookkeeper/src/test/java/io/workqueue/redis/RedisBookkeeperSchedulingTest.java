package io.workqueue.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.workqueue.Lease;
import io.workqueue.Priority;
import io.workqueue.QueueRef;
import io.workqueue.QueueSettings;
import io.workqueue.spi.BookkeeperState;
import io.workqueue.spi.DeadEntry;
import io.workqueue.spi.Fetch;
import io.workqueue.spi.FetchBatch;
import io.workqueue.spi.LaneStart;
import io.workqueue.spi.PendingCompletion;
import io.workqueue.testkit.TestQueues;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * What the contract kit cannot see of the scheduling features: the keys they cost, exact digits of
 * indices in the upper lanes, that purge leaves no key, the pointer's step bound, and the messages
 * the scripts publish.
 */
@DisplayName("RedisBookkeeper scheduling in Redis")
class RedisBookkeeperSchedulingTest {

  private static final Instant T0 = Instant.ofEpochMilli(1_800_000_000_000L);
  private static final Duration TTR = Duration.ofSeconds(10);
  private static final Duration GRACE = Duration.ofSeconds(5);

  private final RedisBookkeeper bk = SharedRedis.bookkeeper();
  private final JedisPooled admin = SharedRedis.admin();

  private QueueRef initialized() {
    QueueRef q = TestQueues.fresh();
    assertThat(bk.initialize(q, 0, 1, 0)).isTrue();
    return q;
  }

  private long add(QueueRef q, Priority lane, int n, Instant now) {
    long first = bk.allocate(q, lane, n, now);
    assertThat(bk.commit(q, first, n)).isTrue();
    return first;
  }

  private long addDelayed(QueueRef q, Priority lane, int n, Instant due, Instant now) {
    long first = bk.allocate(q, lane, n, now);
    Map<Long, Instant> dueAt = new HashMap<>();
    for (long i = first; i < first + n; i++) {
      dueAt.put(i, due);
    }
    assertThat(bk.commit(q, first, n, dueAt, now)).isTrue();
    return first;
  }

  private static Lease leased(Fetch f) {
    assertThat(f).isInstanceOf(Fetch.Leased.class);
    return ((Fetch.Leased) f).lease();
  }

  /** The bytes of every key of a queue (MEMORY USAGE with all samples). */
  private long queueBytes(QueueRef q) {
    long total = 0;
    for (String key : QueueKeys.of("wq", q).all()) {
      Long bytes = admin.memoryUsage(key, 0);
      total += bytes == null ? 0 : bytes;
    }
    return total;
  }

  private List<String> existing(QueueRef q) {
    List<String> out = new ArrayList<>();
    for (String key : QueueKeys.of("wq", q).all()) {
      if (admin.exists(key)) {
        out.add(key.substring(key.lastIndexOf(':') + 1));
      }
    }
    return out;
  }

  /** A raw subscription to a queue's channels, confirmed by Redis before it is returned. */
  private static final class Channels implements AutoCloseable {
    final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
    private final JedisPubSub sub;
    private final Thread thread;

    Channels(QueueRef q) throws InterruptedException {
      String base = "wq:{" + q.owner() + "/" + q.service() + "}:";
      BlockingQueue<Integer> confirmed = new LinkedBlockingQueue<>();
      sub =
          new JedisPubSub() {
            @Override
            public void onMessage(String channel, String message) {
              messages.add(channel.substring(base.length()) + "=" + message);
            }

            @Override
            public void onSubscribe(String channel, int count) {
              confirmed.add(count);
            }
          };
      thread =
          new Thread(
              () -> {
                try (Jedis j =
                    new Jedis(SharedRedis.server().host(), SharedRedis.server().port())) {
                  j.subscribe(sub, base + "work", base + "done");
                }
              });
      thread.start();
      assertThat(confirmed.poll(5, TimeUnit.SECONDS)).isEqualTo(1);
      assertThat(confirmed.poll(5, TimeUnit.SECONDS)).isEqualTo(2);
    }

    /** The next n messages, as "work=1" or "done=<indices>". */
    List<String> next(int n) throws InterruptedException {
      List<String> got = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        String m = messages.poll(5, TimeUnit.SECONDS);
        assertThat(m).as("message %d of %d after %s", i + 1, n, got).isNotNull();
        got.add(m);
      }
      return got;
    }

    @Override
    public void close() throws InterruptedException {
      sub.unsubscribe();
      thread.join(5000);
    }
  }

  private List<String> scanQueue(QueueRef q) {
    String pattern = "wq:{" + q.owner() + "/" + q.service() + "}:*";
    List<String> found = new ArrayList<>();
    String cursor = ScanParams.SCAN_POINTER_START;
    do {
      ScanResult<String> page = admin.scan(cursor, new ScanParams().match(pattern).count(1000));
      found.addAll(page.getResult());
      cursor = page.getCursor();
    } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
    return found;
  }

  @Nested
  @DisplayName("memory")
  class Memory {
    @Test
    @DisplayName(
        "100,000 NORMAL and 10,000 URGENT queued tasks cost the queue's keys a few hundred bytes;"
            + " delayed, leased, parked and dead ones cost per entry")
    void notPerQueuedTask() {
      QueueRef q = initialized();
      for (int i = 0; i < 100; i++) {
        add(q, Priority.NORMAL, 1000, T0);
      }
      for (int i = 0; i < 10; i++) {
        add(q, Priority.URGENT, 1000, T0);
      }
      long backlog = queueBytes(q);
      System.out.printf(
          "110,000 queued tasks in two lanes: the queue's keys hold %d bytes%n", backlog);
      assertThat(backlog).as("bytes for 110,000 queued tasks").isLessThan(1_000);
      BookkeeperState s = bk.state(q);
      assertThat(s.committed() - s.fetched()).isEqualTo(100_000);
      assertThat(s.lanes().get(Priority.URGENT))
          .isEqualTo(
              new BookkeeperState.LaneState(
                  Priority.URGENT.base() + 10_000,
                  Priority.URGENT.base() + 10_000,
                  Priority.URGENT.base(),
                  0));

      // Entries that are not backlog: 1,000 delayed, 100 leased, 10 parked, 10 dead.
      addDelayed(q, Priority.NORMAL, 1000, T0.plusSeconds(3600), T0);
      bk.configure(q, QueueSettings.DEFAULT.withGroupLimit(1));
      FetchBatch batch = bk.fetchBatch(q, "w", 120, T0, Duration.ofHours(1), GRACE);
      assertThat(batch.leases()).hasSize(120);
      Map<Long, String> groups = new HashMap<>();
      for (int i = 100; i < 111; i++) {
        groups.put(batch.leases().get(i).index(), "g");
      }
      assertThat(bk.admit(q, "w", groups, T0)).hasSize(1);
      for (int i = 111; i < 120; i++) {
        assertThat(bk.deadLetter(q, "w", batch.leases().get(i).index(), Optional.empty(), T0))
            .isPresent();
      }
      s = bk.state(q);
      assertThat(s.delayed()).isEqualTo(1000);
      assertThat(s.leases()).hasSize(101);
      assertThat(s.parked()).isEqualTo(10);
      assertThat(s.dead()).isEqualTo(9);
      long entries = s.delayed() + s.leases().size() + s.parked() + s.dead();
      long withEntries = queueBytes(q);
      double perEntry = (withEntries - backlog) / (double) entries;
      System.out.printf(
          "%d delayed, leased, parked and dead entries: %d bytes, %.0f bytes per entry%n",
          entries, withEntries - backlog, perEntry);
      assertThat(perEntry).as("bytes per set-aside or leased entry").isBetween(20.0, 400.0);
    }

    @Test
    @DisplayName("a delayed task costs memory until it is leased; acknowledged, nothing is left")
    void delayedFreed() {
      QueueRef q = initialized();
      add(q, Priority.NORMAL, 1, T0);
      long empty = queueBytes(q);
      addDelayed(q, Priority.NORMAL, 1000, T0.plusSeconds(60), T0);
      long delayed = queueBytes(q);
      System.out.printf("1,000 delayed tasks: %d bytes%n", delayed - empty);
      assertThat(delayed - empty).isGreaterThan(1000 * 20L);
      Instant due = T0.plusSeconds(60);
      FetchBatch b = bk.fetchBatch(q, "v", 1001, due, TTR, GRACE);
      assertThat(b.leases()).hasSize(1001);
      assertThat(
              bk.ackAll(q, "v", b.leases().stream().map(Lease::index).toList(), Optional.empty()))
          .hasSize(1001);
      BookkeeperState s = bk.state(q);
      assertThat(s.delayed() + s.ready() + s.leases().size()).isZero();
      assertThat(existing(q)).containsExactly("n");
    }
  }

  @Nested
  @DisplayName("indices above 10^15")
  class LargeIndices {
    @Test
    @DisplayName("keep every digit in keys, replies and signals, through every script")
    void exact() throws Exception {
      QueueRef q = TestQueues.fresh();
      long base = Priority.BULK.base() + 999_999_999_999_000L; // 4,999,999,999,999,000
      assertThat(bk.initialize(q, List.of(new LaneStart(Priority.BULK, base, base + 1, base))))
          .isTrue();
      QueueKeys k = QueueKeys.of("wq", q);
      assertThat(SharedRedis.hash(k.n()))
          .containsEntry("allocated:4", "4999999999999000")
          .containsEntry("fetched:4", "4999999999999000");
      long first = bk.allocate(q, Priority.BULK, 3, T0);
      assertThat(first).isEqualTo(4_999_999_999_999_001L);
      assertThat(admin.zrange(k.pending(), 0, -1))
          .containsExactly(
              "4999999999999001|" + T0.toEpochMilli(),
              "4999999999999002|" + T0.toEpochMilli(),
              "4999999999999003|" + T0.toEpochMilli());
      Instant due = T0.plusSeconds(5);
      assertThat(bk.commit(q, first, 3, Map.of(first + 1, due), T0)).isTrue();
      assertThat(admin.zrange(k.delayed(), 0, -1)).containsExactly("4999999999999002");
      assertThat(SharedRedis.hash(k.info())).containsOnlyKeys("4999999999999002");

      try (Channels channels = new Channels(q)) {
        Lease a = leased(bk.fetch(q, "w", T0, TTR, GRACE));
        assertThat(a.index()).isEqualTo(first);
        assertThat(SharedRedis.hash(k.lease())).containsOnlyKeys("4999999999999001");
        assertThat(admin.zrange(k.deadline(), 0, -1)).containsExactly("4999999999999001");
        assertThat(bk.admit(q, "w", Map.of(first, "g"), T0)).containsExactly(first);
        assertThat(bk.release(q, "w", first, T0, T0)).contains(a);
        assertThat(admin.zrange(k.ready(), 0, -1)).containsExactly("4999999999999001");
        assertThat(admin.zrange(k.aside(), 0, -1))
            .containsExactly("4999999999999001", "4999999999999002");
        assertThat(bk.fetch(q, "x", T0, TTR, GRACE))
            .isEqualTo(new Fetch.Leased(new Lease("x", first, T0.plus(TTR), 2), false));
        assertThat(bk.deadLetter(q, "x", first, Optional.of(T0), T0))
            .contains(new DeadEntry(first, 2, "x", T0));
        assertThat(admin.zrange(k.dead(), 0, -1)).containsExactly("4999999999999001");
        assertThat(bk.deadLetters(q, 5)).containsExactly(new DeadEntry(first, 2, "x", T0));
        assertThat(bk.claimCompletions(q, T0, TTR, 5))
            .containsExactly(new PendingCompletion(first, "x"));
        assertThat(bk.requeue(q, first, T0)).isTrue();
        FetchBatch batch = bk.fetchBatch(q, "y", 5, due, TTR, GRACE);
        assertThat(batch.leases())
            .containsExactly(
                new Lease("y", first, due.plus(TTR), 1),
                new Lease("y", first + 1, due.plus(TTR), 1),
                new Lease("y", first + 2, due.plus(TTR), 1));
        assertThat(bk.ackAll(q, "y", List.of(first + 2, first + 1), Optional.of(due)))
            .containsExactly(first + 2, first + 1);
        assertThat(bk.extend(q, "y", first, due.plusSeconds(60))).isTrue();
        assertThat(bk.expire(q, "y", List.of(first))).containsExactly(first);
        assertThat(channels.next(4))
            .containsExactly(
                "work=1",
                "done=4999999999999001",
                "work=1",
                "done=4999999999999003,4999999999999002");
      }
      BookkeeperState s = bk.state(q);
      assertThat(s.lanes())
          .containsExactly(
              Map.entry(
                  Priority.BULK,
                  new BookkeeperState.LaneState(
                      4_999_999_999_999_003L, 4_999_999_999_999_003L, 4_999_999_999_999_003L, 0)));
      assertThat(s.expired()).isEqualTo(1);
      assertThat(bk.rewind(q, 4_999_999_999_999_001L)).isTrue();
      assertThat(bk.state(q).lanes().get(Priority.BULK).fetched())
          .isEqualTo(4_999_999_999_999_001L);
    }
  }

  @Nested
  @DisplayName("purge")
  class Purge {
    @Test
    @DisplayName("leaves no key of the queue behind (SCAN), and other queues untouched")
    void noKeyLeft() {
      QueueRef q = initialized();
      QueueRef neighbour = initialized();
      add(neighbour, Priority.NORMAL, 3, T0);
      bk.configure(q, new QueueSettings(3, 1));
      add(q, Priority.NORMAL, 6, T0);
      add(q, Priority.HIGH, 2, T0);
      addDelayed(q, Priority.LOW, 2, T0.plusSeconds(60), T0);
      long hole = bk.allocate(q, Priority.NORMAL, 2, T0);
      assertThat(bk.resolveHole(q, hole, false, T0)).isTrue();
      assertThat(bk.resolveHole(q, hole + 1, true, T0)).isTrue();
      bk.allocate(q, Priority.BULK, 1, T0); // stays pending
      FetchBatch b = bk.fetchBatch(q, "w", 6, T0, TTR, GRACE);
      assertThat(b.leases()).hasSize(6);
      List<Long> idx = b.leases().stream().map(Lease::index).toList();
      assertThat(bk.admit(q, "w", Map.of(idx.get(0), "g1", idx.get(1), "g1", idx.get(2), "g2"), T0))
          .containsExactlyInAnyOrder(idx.get(0), idx.get(2));
      assertThat(bk.state(q).parked()).isEqualTo(1);
      assertThat(bk.deadLetter(q, "w", idx.get(3), Optional.of(T0), T0)).isPresent();
      assertThat(bk.release(q, "w", idx.get(4), T0.plusSeconds(30), T0)).isPresent();
      assertThat(bk.ack(q, "w", idx.get(5), Optional.of(T0.plusSeconds(1)))).isTrue();
      assertThat(bk.expire(q, "w", List.of(idx.get(0)))).hasSize(1);
      leased(bk.fetch(q, "single", T0, TTR, GRACE));
      assertThat(bk.pause(q, true)).isTrue();
      assertThat(scanQueue(q)).hasSizeGreaterThan(12);

      bk.purge(q);
      assertThat(scanQueue(q)).as("keys left after purge").isEmpty();
      assertThat(bk.state(q)).isEqualTo(BookkeeperState.UNINITIALIZED);
      assertThat(bk.settings(q)).isEqualTo(QueueSettings.DEFAULT);
      assertThat(bk.allocate(q, 1, T0)).isZero();
      assertThat(bk.state(neighbour).committed()).isEqualTo(3);
      bk.purge(q);
      assertThat(scanQueue(q)).as("purging a purged queue").isEmpty();
    }
  }

  @Nested
  @DisplayName("the fetch pointer")
  class Pointer {
    @Test
    @DisplayName(
        "steps over 1,000 delayed indices per script call, calling again until it finds one")
    void stepBound() {
      QueueRef q = initialized();
      addDelayed(q, Priority.NORMAL, 2500, T0.plusSeconds(60), T0);
      long ready = add(q, Priority.NORMAL, 1, T0);
      long calls = scriptCalls();
      assertThat(bk.fetch(q, "w", T0, TTR, GRACE))
          .isEqualTo(new Fetch.Leased(new Lease("w", ready, T0.plus(TTR), 1), true));
      assertThat(scriptCalls() - calls)
          .as("script calls of 1,000 steps at most (one more when the script was not loaded)")
          .isBetween(3L, 4L);
      assertThat(bk.state(q).fetched()).isEqualTo(ready);
      assertThat(bk.ackHeld(q, "w")).hasValue(ready);
      Instant due = T0.plusSeconds(60);
      FetchBatch b = bk.fetchBatch(q, "v", 1000, due, TTR, GRACE);
      assertThat(b.leases()).hasSize(1000);
      assertThat(b.leases().get(0)).isEqualTo(new Lease("v", 1, due.plus(TTR), 1));
      assertThat(b.leases().get(999)).isEqualTo(new Lease("v", 1000, due.plus(TTR), 1));
      assertThat(bk.state(q).delayed()).as("promoted: 1,000 per call").isEqualTo(1500);
      assertThat(bk.fetchBatch(q, "v", 10, due, TTR, GRACE).leases()).hasSize(10);
      assertThat(bk.state(q).delayed()).isEqualTo(500);
      assertThat(bk.state(q).ready()).isEqualTo(990);
    }
  }

  @Nested
  @DisplayName("signals")
  class Signals {
    @Test
    @DisplayName(
        "the scripts publish '1' on <prefix>:{owner/service}:work and the indices on :done")
    void channels() throws Exception {
      QueueRef q = initialized();
      try (Channels channels = new Channels(q)) {
        add(q, Priority.NORMAL, 3, T0);
        assertThat(channels.next(1)).containsExactly("work=1");
        addDelayed(q, Priority.NORMAL, 1, T0.plusSeconds(5), T0); // nothing ready: no signal
        assertThat(bk.fetchBatch(q, "w", 3, T0, TTR, GRACE).leases()).hasSize(3);
        assertThat(bk.ackAll(q, "w", List.of(3L, 1L), Optional.empty())).containsExactly(3L, 1L);
        assertThat(bk.release(q, "w", 2, T0, T0)).isPresent();
        assertThat(leased(bk.fetch(q, "x", T0, TTR, GRACE)).index()).isEqualTo(2);
        assertThat(bk.ackHeld(q, "x")).hasValue(2);
        assertThat(bk.pause(q, true)).isTrue();
        assertThat(bk.pause(q, false)).isTrue();
        assertThat(bk.expire(q, "nobody", List.of(1L))).isEmpty();
        assertThat(channels.next(4)).containsExactly("done=3,1", "work=1", "done=2", "work=1");
        assertThat(channels.messages.poll(300, TimeUnit.MILLISECONDS))
            .as("nothing else: no signal for a delayed commit, a pause or a refused step")
            .isNull();
      }
    }
  }

  /** Scripts run on the server so far (EVALSHA and EVAL), from INFO commandstats. */
  private long scriptCalls() {
    long calls = 0;
    String stats;
    try (Jedis j = new Jedis(SharedRedis.server().host(), SharedRedis.server().port())) {
      stats = j.info("commandstats");
    }
    for (String line : stats.split("\r?\n")) {
      if (line.startsWith("cmdstat_evalsha:") || line.startsWith("cmdstat_eval:")) {
        String rest = line.substring(line.indexOf("calls=") + 6);
        calls += Long.parseLong(rest.substring(0, rest.indexOf(',')));
      }
    }
    return calls;
  }
}
