package io.workqueue.redis;

import static io.workqueue.redis.EquivalenceTrace.canonical;
import static io.workqueue.redis.EquivalenceTrace.ttr;
import static org.assertj.core.api.Assertions.assertThat;

import io.workqueue.Lease;
import io.workqueue.QueueRef;
import io.workqueue.spi.Bookkeeper;
import io.workqueue.spi.Fetch;
import io.workqueue.spi.FetchBatch;
import io.workqueue.spi.PendingCompletion;
import io.workqueue.testkit.InMemoryBookkeeper;
import io.workqueue.testkit.TestQueues;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Runs the same random sequence of steps against the reference {@code InMemoryBookkeeper} and the
 * Redis bookkeeper, and requires the same answer to every step and the same state after it. Few
 * workers, short leases and a clock that jumps up to 1.5 s per step make holes, expiries,
 * take-overs, stale acks, rewinds over leased and skipped indices, and completion claims common.
 */
@DisplayName("RedisBookkeeper answers every step as the reference InMemoryBookkeeper does")
class ReferenceEquivalenceTest {

  private static final Instant T0 = Instant.ofEpochMilli(1_800_000_000_000L);
  private static final Duration GRACE = Duration.ofMillis(2000);
  private static final List<String> WORKERS = List.of("w1", "w2", "w3", "worker-10");
  private static final int STEPS = 1500;

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
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
    QueueRef q = TestQueues.fresh("equiv");
    Bookkeeper ref = new InMemoryBookkeeper();
    long replayTo = r.nextInt(3) == 0 ? r.nextInt(20) : 0; // some runs start as rebuilt queues
    long taken = replayTo + (replayTo > 0 ? r.nextInt(5) : 0);
    long replayFrom = 1 + (replayTo > 0 ? r.nextInt((int) replayTo) : 0);
    assertThat(ref.initialize(q, taken, replayFrom, replayTo)).isTrue();
    assertThat(redis.initialize(q, taken, replayFrom, replayTo)).isTrue();
    EquivalenceTrace trace = new EquivalenceTrace(seed, 25);
    List<long[]> uncommitted = new ArrayList<>();
    List<PendingCompletion> claimed = new ArrayList<>();
    Instant now = T0;
    int fresh = 0;
    int recovered = 0;
    int holes = 0;
    int acked = 0;
    int refusedAcks = 0;
    int claims = 0;
    int failedCommits = 0;
    int batchLeases = 0;

    for (int step = 0; step < STEPS; step++) {
      now = now.plusMillis(1 + r.nextInt(1500));
      final Instant t = now;
      int op = r.nextInt(100);
      String worker = WORKERS.get(r.nextInt(WORKERS.size()));
      long allocated = ref.state(q).allocated();
      String what;
      Object expected;
      Object actual;
      if (op < 12) {
        int count = 1 + r.nextInt(3);
        what = "allocate(" + count + ")";
        expected = ref.allocate(q, count, t);
        actual = redis.allocate(q, count, t);
        uncommitted.add(new long[] {(Long) expected, count});
      } else if (op < 24) {
        long first;
        int count;
        if (!uncommitted.isEmpty() && r.nextInt(10) < 8) {
          long[] a = uncommitted.remove(r.nextInt(uncommitted.size()));
          first = a[0];
          count = (int) a[1];
        } else {
          first = 1 + r.nextInt((int) allocated + 2);
          count = r.nextInt(4);
        }
        what = "commit(" + first + ", " + count + ")";
        expected = ref.commit(q, first, count);
        actual = redis.commit(q, first, count);
        if (!(Boolean) expected) {
          failedCommits++;
        }
      } else if (op < 27) {
        long index = 1 + r.nextInt((int) allocated + 1);
        boolean keep = r.nextBoolean();
        what = "resolveHole(" + index + ", " + keep + ")";
        expected = ref.resolveHole(q, index, keep, t);
        actual = redis.resolveHole(q, index, keep, t);
      } else if (op < 45) {
        Duration ttr = ttr(r);
        what = "fetch(" + worker + ", ttr " + ttr.toMillis() + ")";
        Fetch e = ref.fetch(q, worker, t, ttr, GRACE);
        Fetch a = redis.fetch(q, worker, t, ttr, GRACE);
        if (e instanceof Fetch.Leased l && l.fresh()) {
          fresh++;
        } else if (e instanceof Fetch.Leased l && l.lease().deliveries() > 1) {
          recovered++;
        } else if (e instanceof Fetch.Hole) {
          holes++;
        }
        expected = e;
        actual = a;
        if (e.equals(a) && e instanceof Fetch.Hole hole && r.nextBoolean()) {
          trace.compare(step, what, e, a);
          boolean keep = r.nextBoolean();
          what = "resolveHole(" + hole.index() + ", " + keep + ") after the hole";
          expected = ref.resolveHole(q, hole.index(), keep, t);
          actual = redis.resolveHole(q, hole.index(), keep, t);
        }
      } else if (op < 53) {
        Duration ttr = ttr(r);
        int max = 1 + r.nextInt(4);
        what = "fetchBatch(" + worker + ", " + max + ", ttr " + ttr.toMillis() + ")";
        FetchBatch e = ref.fetchBatch(q, worker, max, t, ttr, GRACE);
        FetchBatch a = redis.fetchBatch(q, worker, max, t, ttr, GRACE);
        batchLeases += e.leases().size();
        expected = e;
        actual = a;
        if (e.equals(a) && e.hole().isPresent() && r.nextBoolean()) {
          trace.compare(step, what, e, a);
          holes++;
          long hole = e.hole().getAsLong();
          boolean keep = r.nextBoolean();
          what = "resolveHole(" + hole + ", " + keep + ") after the batch's hole";
          expected = ref.resolveHole(q, hole, keep, t);
          actual = redis.resolveHole(q, hole, keep, t);
        }
      } else if (op < 62) {
        Optional<Lease> held = ref.lease(q, worker);
        long index =
            held.isPresent() && r.nextInt(10) < 7
                ? held.get().index()
                : 1 + r.nextInt((int) allocated + 1);
        Optional<Instant> due = due(r, t);
        what = "ack(" + worker + ", " + index + ", " + due + ")";
        expected = ref.ack(q, worker, index, due);
        actual = redis.ack(q, worker, index, due);
        if ((Boolean) expected) {
          acked++;
        } else {
          refusedAcks++;
        }
      } else if (op < 68) {
        List<Long> indices = new ArrayList<>();
        for (Lease l : ref.state(q).leases()) {
          if (l.worker().equals(worker) && r.nextInt(10) < 8) {
            indices.add(l.index());
          }
        }
        for (int i = r.nextInt(3); i > 0; i--) {
          indices.add(1 + (long) r.nextInt((int) allocated + 1));
        }
        Collections.shuffle(indices, r);
        Optional<Instant> due = due(r, t);
        what = "ackAll(" + worker + ", " + indices + ", " + due + ")";
        Set<Long> e = ref.ackAll(q, worker, indices, due);
        Set<Long> a = redis.ackAll(q, worker, indices, due);
        acked += e.size();
        expected = new ArrayList<>(e);
        actual = new ArrayList<>(a);
      } else if (op < 72) {
        what = "lease(" + worker + ")";
        expected = ref.lease(q, worker);
        actual = redis.lease(q, worker);
      } else if (op < 80) {
        Duration claimFor = Duration.ofMillis(500 + r.nextInt(3000));
        int limit = r.nextInt(4);
        what = "claimCompletions(" + claimFor.toMillis() + " ms, limit " + limit + ")";
        List<PendingCompletion> e = ref.claimCompletions(q, t, claimFor, limit);
        List<PendingCompletion> a = redis.claimCompletions(q, t, claimFor, limit);
        claimed.addAll(e);
        claims += e.size();
        expected = canonical(e);
        actual = canonical(a);
      } else if (op < 84) {
        if (claimed.isEmpty()) {
          continue;
        }
        PendingCompletion c = claimed.remove(r.nextInt(claimed.size()));
        what = "completionDelivered(" + c + ")";
        ref.completionDelivered(q, c);
        redis.completionDelivered(q, c);
        expected = "done";
        actual = "done";
      } else if (op < 86) {
        List<PendingCompletion> some = new ArrayList<>();
        for (int i = r.nextInt(4); i > 0 && !claimed.isEmpty(); i--) {
          some.add(claimed.remove(r.nextInt(claimed.size())));
        }
        what = "completionsDelivered(" + some + ")";
        ref.completionsDelivered(q, some);
        redis.completionsDelivered(q, some);
        expected = "done";
        actual = "done";
      } else if (op < 89) {
        long fetched = r.nextInt((int) allocated + 3) - 1;
        what = "rewind(" + fetched + ")";
        expected = ref.rewind(q, fetched);
        actual = redis.rewind(q, fetched);
      } else {
        what = "lease(" + worker + ")";
        expected = ref.lease(q, worker);
        actual = redis.lease(q, worker);
      }
      trace.compare(step, what, expected, actual);
      trace.compare(step, what + ", then state()", () -> ref.state(q), redis.state(q));
      for (String w : WORKERS) {
        trace.compare(
            step,
            what + ", then batchLeaseCount(" + w + ")",
            () -> ref.batchLeaseCount(q, w),
            redis.batchLeaseCount(q, w));
      }
    }
    System.out.printf(
        "seed %d: %d fresh leases, %d recovered, %d holes, %d acks, %d refused acks,"
            + " %d claimed completions, %d failed commits, %d batch leases%n",
        seed, fresh, recovered, holes, acked, refusedAcks, claims, failedCommits, batchLeases);
    // The sequence must have reached the interesting states, or it proves little.
    assertThat(fresh).as("fresh single-task leases").isGreaterThan(10);
    assertThat(recovered).as("recovered leases").isGreaterThan(10);
    assertThat(holes).as("holes").isGreaterThan(3);
    assertThat(acked).as("acks").isGreaterThan(30);
    assertThat(refusedAcks).as("refused acks").isGreaterThan(50);
    assertThat(claims).as("claimed completions").isGreaterThan(10);
    assertThat(failedCommits).as("commits of skipped holes").isGreaterThan(0);
    assertThat(batchLeases).as("batch leases").isGreaterThan(30);
  }

  private static Optional<Instant> due(Random r, Instant now) {
    return r.nextBoolean() ? Optional.of(now.plusMillis(r.nextInt(2000))) : Optional.empty();
  }
}
