package io.workqueue.redis;

import static io.workqueue.redis.EquivalenceTrace.canonical;
import static io.workqueue.redis.EquivalenceTrace.ttr;
import static org.assertj.core.api.Assertions.assertThat;

import io.workqueue.Lease;
import io.workqueue.Priority;
import io.workqueue.QueueRef;
import io.workqueue.QueueSettings;
import io.workqueue.spi.Bookkeeper;
import io.workqueue.spi.DeadEntry;
import io.workqueue.spi.Fetch;
import io.workqueue.spi.FetchBatch;
import io.workqueue.spi.LaneStart;
import io.workqueue.spi.PendingCompletion;
import io.workqueue.testkit.InMemoryBookkeeper;
import io.workqueue.testkit.TestQueues;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Runs random sequences of every step, the scheduling ones included (lanes, delays, release, dead
 * letters, groups, pause, settings, expire, extend), against the reference {@code
 * InMemoryBookkeeper} and the Redis bookkeeper, and requires the same answer to every step and the
 * same state, dead letters, settings, single-task leases and batch counts after it.
 */
@DisplayName("RedisBookkeeper answers the scheduling steps as the reference does")
class SchedulingEquivalenceTest {

  private static final Instant T0 = Instant.ofEpochMilli(1_800_000_000_000L);
  private static final Duration GRACE = Duration.ofMillis(2000);
  private static final List<String> WORKERS = List.of("w1", "w2", "w3");
  private static final List<String> GROUPS = List.of("g1", "g2");
  private static final int STEPS = 1500;

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {11, 12, 13, 14, 15, 16, 17, 18})
  @DisplayName("random step sequences")
  void sameAnswers(long seed) {
    sameAnswers(SharedRedis.bookkeeper(), seed);
  }

  /**
   * Runs {@value #STEPS} random steps of one seed against the reference and {@code redis}.
   *
   * @param redis the bookkeeper under test
   * @param seed the seed of the sequence
   */
  static void sameAnswers(Bookkeeper redis, long seed) {
    Random r = new Random(seed);
    QueueRef q = TestQueues.fresh("sched");
    Bookkeeper ref = new InMemoryBookkeeper();
    List<LaneStart> starts = new ArrayList<>();
    for (Priority p : Priority.values()) {
      if (r.nextInt(3) == 0) {
        long replayTo = p.base() + r.nextInt(6);
        long taken = replayTo + r.nextInt(4);
        long replayFrom =
            p.base() + 1 + (replayTo > p.base() ? r.nextInt((int) (replayTo - p.base())) : 0);
        starts.add(new LaneStart(p, taken, replayFrom, replayTo));
      }
    }
    QueueSettings early = settings(r); // before initialize: kept through it
    ref.configure(q, early);
    redis.configure(q, early);
    assertThat(ref.initialize(q, starts)).isTrue();
    assertThat(redis.initialize(q, starts)).isTrue();

    EquivalenceTrace trace = new EquivalenceTrace(seed, 30);
    List<long[]> uncommitted = new ArrayList<>();
    List<PendingCompletion> claimed = new ArrayList<>();
    Map<String, Integer> counts = new HashMap<>();
    Instant now = T0;
    for (int step = 0; step < STEPS; step++) {
      now = now.plusMillis(1 + r.nextInt(1200));
      final Instant t = now;
      String worker = WORKERS.get(r.nextInt(WORKERS.size()));
      List<Lease> leases = ref.state(q).leases();
      List<Long> held = new ArrayList<>();
      for (Lease l : leases) {
        if (l.worker().equals(worker)) {
          held.add(l.index());
        }
      }
      long heldIndex = held.isEmpty() ? 1 : held.get(r.nextInt(held.size()));
      int op = r.nextInt(100);
      String what;
      Object expected;
      Object actual;
      if (op < 10) {
        Priority lane = lane(r);
        int count = 1 + r.nextInt(3);
        what = "allocate(" + lane + ", " + count + ")";
        expected = ref.allocate(q, lane, count, t);
        actual = redis.allocate(q, lane, count, t);
        if ((Long) expected > 0) {
          uncommitted.add(new long[] {(Long) expected, count});
        }
      } else if (op < 20) {
        if (uncommitted.isEmpty()) {
          continue;
        }
        long[] a = uncommitted.remove(r.nextInt(uncommitted.size()));
        Map<Long, Instant> dueAt = new HashMap<>();
        for (long i = a[0]; i < a[0] + a[1]; i++) {
          if (r.nextInt(3) == 0) {
            dueAt.put(i, t.plusMillis(r.nextInt(4000) - 500));
          }
        }
        what = "commit(" + a[0] + ", " + a[1] + ", " + dueAt + ")";
        expected = ref.commit(q, a[0], (int) a[1], dueAt, t);
        actual = redis.commit(q, a[0], (int) a[1], dueAt, t);
      } else if (op < 22) {
        long index = anyIndex(r, ref, q);
        boolean keep = r.nextBoolean();
        what = "resolveHole(" + index + ", " + keep + ")";
        expected = ref.resolveHole(q, index, keep, t);
        actual = redis.resolveHole(q, index, keep, t);
      } else if (op < 36) {
        Duration ttr = ttr(r);
        what = "fetch(" + worker + ", ttr " + ttr.toMillis() + ")";
        Optional<Lease> own = ref.lease(q, worker);
        Fetch e = ref.fetch(q, worker, t, ttr, GRACE);
        Fetch a = redis.fetch(q, worker, t, ttr, GRACE);
        count(counts, e, own);
        expected = e;
        actual = a;
        if (e.equals(a) && e instanceof Fetch.Hole hole && r.nextBoolean()) {
          trace.compare(step, what, e, a);
          boolean keep = r.nextBoolean();
          what = "resolveHole(" + hole.index() + ", " + keep + ") after the hole";
          expected = ref.resolveHole(q, hole.index(), keep, t);
          actual = redis.resolveHole(q, hole.index(), keep, t);
        }
      } else if (op < 44) {
        Duration ttr = ttr(r);
        int max = 1 + r.nextInt(4);
        what = "fetchBatch(" + worker + ", " + max + ", ttr " + ttr.toMillis() + ")";
        FetchBatch e = ref.fetchBatch(q, worker, max, t, ttr, GRACE);
        FetchBatch a = redis.fetchBatch(q, worker, max, t, ttr, GRACE);
        counts.merge("batch leases", e.leases().size(), Integer::sum);
        counts.merge("recovered", e.recovered().size(), Integer::sum);
        expected = e;
        actual = a;
      } else if (op < 50) {
        Optional<Instant> due = r.nextBoolean() ? Optional.of(t) : Optional.empty();
        what = "ack(" + worker + ", " + heldIndex + ", " + due + ")";
        expected = ref.ack(q, worker, heldIndex, due);
        actual = redis.ack(q, worker, heldIndex, due);
      } else if (op < 53) {
        List<Long> some = new ArrayList<>(held);
        some.add(anyIndex(r, ref, q));
        Collections.shuffle(some, r);
        what = "ackAll(" + worker + ", " + some + ")";
        expected = new ArrayList<>(ref.ackAll(q, worker, some, Optional.of(t)));
        actual = new ArrayList<>(redis.ackAll(q, worker, some, Optional.of(t)));
      } else if (op < 55) {
        what = "ackHeld(" + worker + ")";
        expected = ref.ackHeld(q, worker);
        actual = redis.ackHeld(q, worker);
      } else if (op < 62) {
        Instant due = r.nextBoolean() ? t : t.plusMillis(r.nextInt(3000));
        what = "release(" + worker + ", " + heldIndex + ", " + due + ")";
        expected = ref.release(q, worker, heldIndex, due, t);
        actual = redis.release(q, worker, heldIndex, due, t);
        counts.merge("releases", ((Optional<?>) expected).isPresent() ? 1 : 0, Integer::sum);
      } else if (op < 66) {
        Optional<Instant> due = r.nextBoolean() ? Optional.of(t) : Optional.empty();
        what = "deadLetter(" + worker + ", " + heldIndex + ", " + due + ")";
        expected = ref.deadLetter(q, worker, heldIndex, due, t);
        actual = redis.deadLetter(q, worker, heldIndex, due, t);
        counts.merge("dead letters", ((Optional<?>) expected).isPresent() ? 1 : 0, Integer::sum);
      } else if (op < 70) {
        List<DeadEntry> dead = ref.deadLetters(q, 100);
        long index =
            dead.isEmpty() ? anyIndex(r, ref, q) : dead.get(r.nextInt(dead.size())).index();
        if (r.nextBoolean()) {
          what = "requeue(" + index + ")";
          expected = ref.requeue(q, index, t);
          actual = redis.requeue(q, index, t);
        } else {
          what = "discard(" + index + ")";
          expected = ref.discard(q, index);
          actual = redis.discard(q, index);
        }
      } else if (op < 78) {
        Map<Long, String> groups = new HashMap<>();
        for (long index : held) {
          if (r.nextInt(4) > 0) {
            groups.put(index, GROUPS.get(r.nextInt(GROUPS.size())));
          }
        }
        groups.put(anyIndex(r, ref, q), GROUPS.get(r.nextInt(GROUPS.size())));
        what = "admit(" + worker + ", " + groups + ")";
        expected = ref.admit(q, worker, groups, t);
        actual = redis.admit(q, worker, groups, t);
        counts.merge("admitted", ((Set<?>) expected).size(), Integer::sum);
      } else if (op < 80) {
        Instant deadline = t.plusMillis(r.nextInt(3000));
        what = "extend(" + worker + ", " + heldIndex + ", " + deadline + ")";
        expected = ref.extend(q, worker, heldIndex, deadline);
        actual = redis.extend(q, worker, heldIndex, deadline);
      } else if (op < 82) {
        List<Long> some = held.isEmpty() ? List.of(anyIndex(r, ref, q)) : List.of(heldIndex);
        what = "expire(" + worker + ", " + some + ")";
        expected = new ArrayList<>(ref.expire(q, worker, some));
        actual = new ArrayList<>(redis.expire(q, worker, some));
      } else if (op < 84) {
        boolean paused = r.nextInt(3) == 0;
        what = "pause(" + paused + ")";
        expected = ref.pause(q, paused);
        actual = redis.pause(q, paused);
      } else if (op < 87) {
        QueueSettings settings = settings(r);
        what = "configure(" + settings + ")";
        ref.configure(q, settings);
        redis.configure(q, settings);
        expected = "done";
        actual = "done";
      } else if (op < 89) {
        Priority lane = lane(r);
        long allocated =
            lane == Priority.NORMAL
                ? ref.state(q).allocated()
                : Optional.ofNullable(ref.state(q).lanes().get(lane))
                    .map(s -> s.allocated())
                    .orElse(lane.base());
        long fetched = lane.base() + r.nextInt((int) (allocated - lane.base()) + 2);
        what = "rewind(" + fetched + ")";
        expected = ref.rewind(q, fetched);
        actual = redis.rewind(q, fetched);
      } else if (op < 95) {
        int limit = r.nextInt(4);
        what = "claimCompletions(" + limit + ")";
        List<PendingCompletion> e = ref.claimCompletions(q, t, Duration.ofMillis(2000), limit);
        List<PendingCompletion> a = redis.claimCompletions(q, t, Duration.ofMillis(2000), limit);
        claimed.addAll(e);
        expected = canonical(e);
        actual = canonical(a);
      } else {
        if (claimed.isEmpty()) {
          continue;
        }
        PendingCompletion c = claimed.remove(r.nextInt(claimed.size()));
        what = "completionDelivered(" + c + ")";
        ref.completionDelivered(q, c);
        redis.completionDelivered(q, c);
        expected = "done";
        actual = "done";
      }
      trace.compare(step, what, expected, actual);
      trace.compare(step, what + ", then state()", () -> ref.state(q), redis.state(q));
      trace.compare(
          step,
          what + ", then deadLetters()",
          () -> ref.deadLetters(q, 100),
          redis.deadLetters(q, 100));
      trace.compare(step, what + ", then settings()", () -> ref.settings(q), redis.settings(q));
      for (String w : WORKERS) {
        trace.compare(
            step,
            what + ", then batchLeaseCount(" + w + ") and lease(" + w + ")",
            () -> List.of(ref.batchLeaseCount(q, w), ref.lease(q, w)),
            List.of(redis.batchLeaseCount(q, w), redis.lease(q, w)));
      }
      var s = ref.state(q);
      counts.merge("max delayed", 0, (x, y) -> Math.max(x, (int) s.delayed()));
      counts.merge("max ready", 0, (x, y) -> Math.max(x, (int) s.ready()));
      counts.merge("max parked", 0, (x, y) -> Math.max(x, (int) s.parked()));
      counts.merge("max lanes", 0, (x, y) -> Math.max(x, s.lanes().size()));
    }
    System.out.printf("seed %d: %s%n", seed, counts);
    // The sequence must have reached the interesting states, or it proves little.
    assertThat(counts.getOrDefault("fresh", 0)).as("fresh leases").isGreaterThan(10);
    assertThat(counts.getOrDefault("from the ready set", 0)).as("ready leases").isGreaterThan(10);
    assertThat(counts.getOrDefault("recovered", 0)).as("recovered leases").isGreaterThan(5);
    assertThat(counts.getOrDefault("batch leases", 0)).as("batch leases").isGreaterThan(20);
    assertThat(counts.getOrDefault("releases", 0)).as("releases").isGreaterThan(5);
    assertThat(counts.getOrDefault("dead letters", 0)).as("dead letters").isGreaterThan(3);
    assertThat(counts.getOrDefault("admitted", 0)).as("admitted").isGreaterThan(5);
    assertThat(counts.getOrDefault("max delayed", 0)).as("delayed").isGreaterThan(0);
    assertThat(counts.getOrDefault("max parked", 0)).as("parked").isGreaterThan(0);
    assertThat(counts.getOrDefault("max lanes", 0)).as("lanes besides NORMAL").isGreaterThan(1);
  }

  private static void count(Map<String, Integer> counts, Fetch f, Optional<Lease> own) {
    if (f instanceof Fetch.Leased l) {
      if (l.fresh()) {
        counts.merge("fresh", 1, Integer::sum);
      } else if (l.recovered()) {
        counts.merge("recovered", 1, Integer::sum);
      } else if (own.isEmpty() || own.get().index() != l.lease().index()) {
        counts.merge("from the ready set", 1, Integer::sum); // or a replay after a rebuild
      }
    } else if (f instanceof Fetch.Hole) {
      counts.merge("holes", 1, Integer::sum);
    }
  }

  /** Mostly a group limit of 1 or 2, so that groups fill and park; sometimes none. */
  private static QueueSettings settings(Random r) {
    return new QueueSettings(r.nextInt(3), r.nextInt(5) == 0 ? 0 : 1 + r.nextInt(2));
  }

  private static Priority lane(Random r) {
    Priority[] all = Priority.values();
    return r.nextBoolean() ? Priority.NORMAL : all[r.nextInt(all.length)];
  }

  /** Some index of some lane near what was allocated, possibly unknown. */
  private static long anyIndex(Random r, Bookkeeper ref, QueueRef q) {
    Priority lane = lane(r);
    var s = ref.state(q);
    long allocated =
        lane == Priority.NORMAL
            ? s.allocated()
            : Optional.ofNullable(s.lanes().get(lane)).map(l -> l.allocated()).orElse(lane.base());
    return lane.base() + 1 + r.nextInt((int) (allocated - lane.base()) + 1);
  }
}
