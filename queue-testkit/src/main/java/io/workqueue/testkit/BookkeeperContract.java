package io.workqueue.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.workqueue.InvalidArgumentException;
import io.workqueue.Lease;
import io.workqueue.Priority;
import io.workqueue.QueueRef;
import io.workqueue.QueueSettings;
import io.workqueue.spi.Bookkeeper;
import io.workqueue.spi.BookkeeperState;
import io.workqueue.spi.DeadEntry;
import io.workqueue.spi.Fetch;
import io.workqueue.spi.FetchBatch;
import io.workqueue.spi.LaneStart;
import io.workqueue.spi.PendingCompletion;
import io.workqueue.spi.Signals;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The contract every {@link Bookkeeper} passes: index allocation and commit, holes, leases and
 * their recovery, completions, rewind, lanes, delays, release, extend, dead letters, expire, pause,
 * settings, concurrency groups, purge, signals, atomicity under concurrency. Time is passed in, so
 * the tests move it by hand. Each test uses its own queues; one shared bookkeeper is fine. A
 * bookkeeper without {@link Bookkeeper#signals()} overrides {@link #hasSignals()}.
 */
public abstract class BookkeeperContract {

  /**
   * The bookkeeper under test.
   *
   * @return the bookkeeper
   */
  protected abstract Bookkeeper bookkeeper();

  static final Instant T0 = Instant.ofEpochMilli(1_800_000_000_000L);
  static final Duration TTR = Duration.ofSeconds(10);
  static final Duration GRACE = Duration.ofSeconds(5);

  private Bookkeeper bk() {
    return bookkeeper();
  }

  /** A queue no other test uses, initialized as a new queue. */
  private QueueRef initializedQueue() {
    QueueRef q = TestQueues.fresh();
    assertThat(bk().initialize(q, 0, 1, 0)).isTrue();
    return q;
  }

  private long addCommitted(QueueRef q, int n, Instant now) {
    long first = bk().allocate(q, n, now);
    assertThat(bk().commit(q, first, n)).isTrue();
    return first;
  }

  private Fetch fetch(QueueRef q, String worker, Instant now) {
    return bk().fetch(q, worker, now, TTR, GRACE);
  }

  private static Lease leased(Fetch f) {
    assertThat(f).isInstanceOf(Fetch.Leased.class);
    return ((Fetch.Leased) f).lease();
  }

  @Nested
  @DisplayName("initialization")
  class Initialization {
    @Test
    @DisplayName("a queue never initialized allocates and hands out nothing until it is")
    void uninitialized() {
      QueueRef q = TestQueues.fresh();
      assertThat(bk().allocate(q, 1, T0)).isZero();
      assertThat(fetch(q, "w", T0)).isEqualTo(Fetch.UNINITIALIZED);
      assertThat(bk().fetchBatch(q, "w", 5, T0, TTR, GRACE)).isEqualTo(FetchBatch.UNINITIALIZED);
      assertThat(bk().state(q)).isEqualTo(BookkeeperState.UNINITIALIZED);
      assertThat(bk().rewind(q, 0)).isFalse();
      assertThat(bk().initialize(q, 0, 1, 0)).isTrue();
      assertThat(bk().initialize(q, 50, 1, 50))
          .as("only the first initialization counts")
          .isFalse();
      assertThat(bk().allocate(q, 1, T0)).isEqualTo(1);
    }

    @Test
    @DisplayName("a rebuilt queue replays its possibly unfinished tasks, then skips to new ones")
    void replay() {
      QueueRef q = TestQueues.fresh();
      assertThat(bk().initialize(q, 20, 4, 8)).isTrue();
      long first = addCommitted(q, 1, T0);
      assertThat(first).isEqualTo(21);
      for (long i = 4; i <= 8; i++) {
        Fetch f = fetch(q, "w" + i, T0);
        assertThat(f).isEqualTo(new Fetch.Leased(new Lease("w" + i, i, T0.plus(TTR), 2), false));
      }
      assertThat(fetch(q, "x", T0))
          .isEqualTo(new Fetch.Leased(new Lease("x", 21, T0.plus(TTR), 1), true));
      assertThat(fetch(q, "y", T0)).isInstanceOf(Fetch.Empty.class);
      assertThat(bk().state(q).allocated()).isEqualTo(21);
      assertThat(bk().state(q).lanes()).as("NORMAL only").isEmpty();
    }

    @Test
    @DisplayName("a rebuilt queue replays in batches too")
    void replayBatch() {
      QueueRef q = TestQueues.fresh();
      bk().initialize(q, 5, 3, 5);
      addCommitted(q, 2, T0);
      List<Lease> leases = bk().fetchBatch(q, "w", 10, T0, TTR, GRACE).leases();
      assertThat(leases).extracting(Lease::index).containsExactly(3L, 4L, 5L, 6L, 7L);
      assertThat(leases).extracting(Lease::deliveries).containsExactly(2, 2, 2, 1, 1);
    }

    @Test
    @DisplayName("a commit of an index the bookkeeper does not know fails")
    void unknownCommit() {
      QueueRef q = TestQueues.fresh();
      bk().initialize(q, 10, 11, 10);
      assertThat(bk().commit(q, 5, 1)).isFalse();
      long first = bk().allocate(q, 2, T0);
      assertThat(bk().commit(q, first, 2)).isTrue();
      assertThat(bk().commit(q, first, 2))
          .as("committed already: no longer known as pending")
          .isFalse();
    }

    @Test
    @DisplayName("the lowest unfinished index follows leases and pending completions")
    void lowestUnfinished() {
      QueueRef q = initializedQueue();
      assertThat(bk().state(q).lowestUnfinished()).isEqualTo(1);
      addCommitted(q, 4, T0);
      for (String w : List.of("a", "b", "c")) {
        leased(fetch(q, w, T0));
      }
      assertThat(bk().state(q).lowestUnfinished()).isEqualTo(1);
      bk().ack(q, "a", 1, Optional.empty());
      assertThat(bk().state(q).lowestUnfinished()).isEqualTo(2);
      bk().ack(q, "b", 2, Optional.of(T0));
      bk().ack(q, "c", 3, Optional.empty());
      assertThat(bk().state(q).lowestUnfinished()).as("2's completion is pending").isEqualTo(2);
      bk().completionDelivered(q, new PendingCompletion(2, "b"));
      assertThat(bk().state(q).lowestUnfinished()).isEqualTo(4);
    }
  }

  @Nested
  @DisplayName("allocation and commit")
  class Allocation {
    @Test
    @DisplayName("indices start at 1 and are consecutive, also in blocks")
    void consecutive() {
      QueueRef q = initializedQueue();
      assertThat(bk().allocate(q, 1, T0)).isEqualTo(1);
      assertThat(bk().allocate(q, 1, T0)).isEqualTo(2);
      assertThat(bk().allocate(q, 100, T0)).isEqualTo(3);
      assertThat(bk().allocate(q, 1, T0)).isEqualTo(103);
      assertThat(bk().state(q).allocated()).isEqualTo(103);
    }

    @Test
    @DisplayName("an allocated but uncommitted index is never handed out")
    void pendingNotFetched() {
      QueueRef q = initializedQueue();
      bk().allocate(q, 1, T0);
      assertThat(fetch(q, "w", T0)).isInstanceOf(Fetch.Empty.class);
      assertThat(fetch(q, "w", T0.plus(GRACE).minusMillis(1))).isInstanceOf(Fetch.Empty.class);
      assertThat(bk().state(q).committed()).isZero();
    }

    @Test
    @DisplayName("a later index committed first waits behind the pending one")
    void outOfOrderCommit() {
      QueueRef q = initializedQueue();
      long a = bk().allocate(q, 1, T0);
      long b = bk().allocate(q, 1, T0);
      assertThat(bk().commit(q, b, 1)).isTrue();
      assertThat(fetch(q, "w", T0)).isInstanceOf(Fetch.Empty.class);
      assertThat(bk().commit(q, a, 1)).isTrue();
      assertThat(leased(fetch(q, "w1", T0)).index()).isEqualTo(a);
      assertThat(leased(fetch(q, "w2", T0)).index()).isEqualTo(b);
      assertThat(bk().state(q).committed()).isEqualTo(2);
    }

    @Test
    @DisplayName("allocations from many threads are unique and gap-free")
    void concurrentAllocate() throws Exception {
      QueueRef q = initializedQueue();
      Set<Long> seen = ConcurrentHashMap.newKeySet();
      ExecutorService pool = Executors.newFixedThreadPool(8);
      try {
        List<Future<?>> fs = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
          fs.add(
              pool.submit(
                  () -> {
                    for (int i = 0; i < 50; i++) {
                      long first = bk().allocate(q, 2, T0);
                      assertThat(seen.add(first)).isTrue();
                      assertThat(seen.add(first + 1)).isTrue();
                    }
                  }));
        }
        for (Future<?> f : fs) {
          f.get(60, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }
      assertThat(seen).hasSize(800);
      assertThat(seen.stream().mapToLong(Long::longValue).max().orElseThrow()).isEqualTo(800);
    }
  }

  @Nested
  @DisplayName("holes")
  class Holes {
    @Test
    @DisplayName("a pending index older than the grace period is reported as a hole")
    void reported() {
      QueueRef q = initializedQueue();
      long a = bk().allocate(q, 1, T0);
      Fetch f = fetch(q, "w", T0.plus(GRACE));
      assertThat(f).isEqualTo(new Fetch.Hole(a));
    }

    @Test
    @DisplayName("a hole resolved as skipped is stepped over, and its late commit fails")
    void skipped() {
      QueueRef q = initializedQueue();
      long a = bk().allocate(q, 1, T0);
      long b = addCommitted(q, 1, T0);
      assertThat(bk().resolveHole(q, a, false, T0.plus(GRACE))).isTrue();
      assertThat(bk().resolveHole(q, a, false, T0.plus(GRACE))).isFalse();
      assertThat(bk().state(q).skippedAhead())
          .as("the pointer has yet to step over it")
          .isEqualTo(1);
      assertThat(bk().state(q).committed()).isEqualTo(2);
      assertThat(leased(fetch(q, "w", T0.plus(GRACE))).index()).isEqualTo(b);
      assertThat(bk().state(q).skippedAhead()).isZero();
      assertThat(bk().commit(q, a, 1)).isFalse();
      assertThat(fetch(q, "w2", T0.plus(GRACE))).isInstanceOf(Fetch.Empty.class);
    }

    @Test
    @DisplayName("a hole resolved as kept is delivered, and its late commit succeeds")
    void kept() {
      QueueRef q = initializedQueue();
      long a = bk().allocate(q, 1, T0);
      assertThat(bk().resolveHole(q, a, true, T0.plus(GRACE))).isTrue();
      assertThat(leased(fetch(q, "w", T0.plus(GRACE))).index()).isEqualTo(a);
      assertThat(bk().commit(q, a, 1)).isTrue();
    }

    @Test
    @DisplayName("a block with one skipped index fails its commit as a whole")
    void blockCommit() {
      QueueRef q = initializedQueue();
      long first = bk().allocate(q, 3, T0);
      bk().resolveHole(q, first + 1, false, T0.plus(GRACE));
      assertThat(bk().commit(q, first, 3)).isFalse();
    }
  }

  @Nested
  @DisplayName("leases")
  class Leases {
    @Test
    @DisplayName("a fresh lease has deliveries 1 and the holder's deadline")
    void fresh() {
      QueueRef q = initializedQueue();
      addCommitted(q, 1, T0);
      Fetch f = fetch(q, "w", T0);
      assertThat(f).isEqualTo(new Fetch.Leased(new Lease("w", 1, T0.plus(TTR), 1), true));
      assertThat(bk().state(q).fetched()).isEqualTo(1);
      assertThat(bk().lease(q, "w")).contains(new Lease("w", 1, T0.plus(TTR), 1));
    }

    @Test
    @DisplayName("the holder fetching again gets the same lease; another worker gets the next")
    void sameAgain() {
      QueueRef q = initializedQueue();
      addCommitted(q, 2, T0);
      Lease first = leased(fetch(q, "w1", T0));
      Fetch again = fetch(q, "w1", T0.plusSeconds(1));
      assertThat(again).isEqualTo(new Fetch.Leased(first, false));
      assertThat(leased(fetch(q, "w2", T0)).index()).isEqualTo(2);
      assertThat(fetch(q, "w3", T0)).isInstanceOf(Fetch.Empty.class);
    }

    @Test
    @DisplayName("ack succeeds once, by the holder only, and the next fetch moves on")
    void ackOnce() {
      QueueRef q = initializedQueue();
      addCommitted(q, 2, T0);
      leased(fetch(q, "w", T0));
      assertThat(bk().ack(q, "other", 1, Optional.empty())).isFalse();
      assertThat(bk().ack(q, "w", 1, Optional.empty())).isTrue();
      assertThat(bk().ack(q, "w", 1, Optional.empty())).isFalse();
      assertThat(bk().lease(q, "w")).isEmpty();
      assertThat(leased(fetch(q, "w", T0)).index()).isEqualTo(2);
      assertThat(bk().state(q).leases()).extracting(Lease::index).containsExactly(2L);
    }

    @Test
    @DisplayName("ackHeld releases the worker's single-task lease once, and only its own")
    void ackHeld() {
      QueueRef q = initializedQueue();
      addCommitted(q, 3, T0);
      assertThat(bk().ackHeld(q, "w")).as("nothing fetched yet").isEmpty();
      bk().fetchBatch(q, "w", 1, T0, TTR, GRACE);
      assertThat(bk().ackHeld(q, "w")).as("batch leases are not held on the single path").isEmpty();
      assertThat(leased(fetch(q, "w", T0)).index()).isEqualTo(2);
      assertThat(bk().ackHeld(q, "w")).hasValue(2);
      assertThat(bk().ackHeld(q, "w")).isEmpty();
      assertThat(bk().state(q).leases()).extracting(Lease::index).containsExactly(1L);
      leased(fetch(q, "x", T0));
      Instant later = T0.plus(TTR);
      assertThat(leased(fetch(q, "y", later)).index()).isIn(1L, 3L);
      leased(fetch(q, "z", later));
      assertThat(bk().ackHeld(q, "x")).as("taken over").isEmpty();
      assertThat(bk().state(q).leases()).hasSize(2);
    }

    @Test
    @DisplayName("an expired lease goes to exactly one next worker with a fresh deadline")
    void recovery() {
      QueueRef q = initializedQueue();
      addCommitted(q, 1, T0);
      leased(fetch(q, "w1", T0));
      Instant later = T0.plus(TTR);
      Fetch f = bk().fetch(q, "w2", later, Duration.ofSeconds(30), GRACE);
      assertThat(f)
          .as("recovered: taken over from w1")
          .isEqualTo(
              new Fetch.Leased(
                  new Lease("w2", 1, later.plusSeconds(30), 2), false, true, Optional.empty()));
      assertThat(fetch(q, "w3", later)).isInstanceOf(Fetch.Empty.class);
      assertThat(bk().ack(q, "w1", 1, Optional.empty())).as("taken-over ack").isFalse();
      assertThat(bk().lease(q, "w1")).isEmpty();
      assertThat(bk().ack(q, "w2", 1, Optional.empty())).isTrue();
    }

    @Test
    @DisplayName("a lease expires at its holder's deadline, not by the fetcher's time to recover")
    void holdersDeadline() {
      QueueRef q = initializedQueue();
      addCommitted(q, 1, T0);
      bk().fetch(q, "w1", T0, Duration.ofSeconds(60), GRACE);
      Fetch f = bk().fetch(q, "w2", T0.plusSeconds(30), Duration.ofSeconds(1), GRACE);
      assertThat(f).isInstanceOf(Fetch.Empty.class);
      assertThat(leased(bk().fetch(q, "w2", T0.plusSeconds(60), TTR, GRACE)).worker())
          .isEqualTo("w2");
    }

    @Test
    @DisplayName("several expired leases recovered by one worker give it exactly one")
    void oneAtATime() {
      QueueRef q = initializedQueue();
      addCommitted(q, 3, T0);
      for (String w : List.of("a", "b", "c")) {
        leased(fetch(q, w, T0));
      }
      Instant later = T0.plus(TTR).plusSeconds(1);
      Lease got = leased(fetch(q, "d", later));
      assertThat(fetch(q, "d", later)).isEqualTo(new Fetch.Leased(got, false));
      Set<Long> others = new HashSet<>();
      others.add(leased(fetch(q, "e", later)).index());
      others.add(leased(fetch(q, "f", later)).index());
      assertThat(others).doesNotContain(got.index()).hasSize(2);
      assertThat(fetch(q, "g", later)).isInstanceOf(Fetch.Empty.class);
    }

    @Test
    @DisplayName("an expired lease not yet taken over can still be acknowledged by its holder")
    void lateAck() {
      QueueRef q = initializedQueue();
      addCommitted(q, 1, T0);
      leased(fetch(q, "w", T0));
      assertThat(bk().ack(q, "w", 1, Optional.empty())).isTrue();
    }

    @Test
    @DisplayName("the holder fetching after its own deadline recovers its task as a redelivery")
    void ownExpired() {
      QueueRef q = initializedQueue();
      addCommitted(q, 2, T0);
      leased(fetch(q, "w", T0));
      Lease again = leased(fetch(q, "w", T0.plus(TTR)));
      assertThat(again.index()).isEqualTo(1);
      assertThat(again.deliveries()).isEqualTo(2);
      assertThat(again.deadline()).isEqualTo(T0.plus(TTR).plus(TTR));
    }

    @Test
    @DisplayName("20 workers in parallel threads get each of 50 tasks exactly once")
    void parallel() throws Exception {
      QueueRef q = initializedQueue();
      addCommitted(q, 50, T0);
      Set<Long> delivered = ConcurrentHashMap.newKeySet();
      List<Long> duplicates = new ArrayList<>();
      ExecutorService pool = Executors.newFixedThreadPool(20);
      try {
        List<Future<?>> fs = new ArrayList<>();
        for (int t = 0; t < 20; t++) {
          String w = "worker-" + t;
          fs.add(
              pool.submit(
                  () -> {
                    while (true) {
                      Fetch f = fetch(q, w, T0);
                      if (!(f instanceof Fetch.Leased l)) {
                        return;
                      }
                      if (!delivered.add(l.lease().index())) {
                        synchronized (duplicates) {
                          duplicates.add(l.lease().index());
                        }
                      }
                      assertThat(bk().ack(q, w, l.lease().index(), Optional.empty())).isTrue();
                    }
                  }));
        }
        for (Future<?> f : fs) {
          f.get(60, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }
      assertThat(duplicates).isEmpty();
      assertThat(delivered).hasSize(50);
      BookkeeperState s = bk().state(q);
      assertThat(s.fetched()).isEqualTo(50);
      assertThat(s.leases()).isEmpty();
    }
  }

  @Nested
  @DisplayName("rewind")
  class Rewind {
    @Test
    @DisplayName("the next fresh fetch after rewind(n) hands out n + 1")
    void replay() {
      QueueRef q = initializedQueue();
      addCommitted(q, 5, T0);
      for (int i = 1; i <= 5; i++) {
        leased(fetch(q, "w", T0));
        assertThat(bk().ack(q, "w", i, Optional.empty())).isTrue();
      }
      assertThat(bk().rewind(q, 2)).isTrue();
      assertThat(bk().state(q).fetched()).isEqualTo(2);
      assertThat(leased(fetch(q, "w", T0)).index()).isEqualTo(3);
    }

    @Test
    @DisplayName("rewinding beyond the highest allocated index changes nothing")
    void beyond() {
      QueueRef q = initializedQueue();
      addCommitted(q, 2, T0);
      assertThat(bk().rewind(q, 3)).isFalse();
      assertThat(bk().state(q).fetched()).isZero();
    }

    @Test
    @DisplayName("an index still leased is not leased a second time after a rewind")
    void noDoubleLease() {
      QueueRef q = initializedQueue();
      addCommitted(q, 2, T0);
      leased(fetch(q, "w1", T0));
      assertThat(bk().rewind(q, 0)).isTrue();
      assertThat(leased(fetch(q, "w2", T0)).index()).isEqualTo(2);
      assertThat(bk().state(q).leases()).extracting(Lease::worker).containsExactly("w1", "w2");
    }
  }

  @Nested
  @DisplayName("completions")
  class Completions {
    @Test
    @DisplayName("a tracked ack leaves a pending completion, claimable once due, once per claim")
    void claim() {
      QueueRef q = initializedQueue();
      addCommitted(q, 1, T0);
      leased(fetch(q, "w", T0));
      Instant due = T0.plusSeconds(5);
      assertThat(bk().ack(q, "w", 1, Optional.of(due))).isTrue();
      Duration claim = Duration.ofSeconds(5);
      assertThat(bk().claimCompletions(q, due.minusMillis(1), claim, 10)).isEmpty();
      PendingCompletion pc = new PendingCompletion(1, "w");
      assertThat(bk().claimCompletions(q, due, claim, 10)).containsExactly(pc);
      assertThat(bk().claimCompletions(q, due, claim, 10)).as("claimed already").isEmpty();
      assertThat(bk().claimCompletions(q, due.plus(claim), claim, 10)).containsExactly(pc);
      bk().completionDelivered(q, pc);
      assertThat(bk().claimCompletions(q, due.plusSeconds(3600), claim, 10)).isEmpty();
    }

    @Test
    @DisplayName("an untracked or refused ack leaves no pending completion")
    void untracked() {
      QueueRef q = initializedQueue();
      addCommitted(q, 2, T0);
      leased(fetch(q, "w", T0));
      assertThat(bk().ack(q, "w", 1, Optional.empty())).isTrue();
      assertThat(bk().ack(q, "x", 2, Optional.of(T0))).isFalse();
      assertThat(bk().claimCompletions(q, T0.plusSeconds(3600), TTR, 10)).isEmpty();
    }

    @Test
    @DisplayName("claims are bounded by the limit, oldest first")
    void limit() {
      QueueRef q = initializedQueue();
      addCommitted(q, 3, T0);
      for (int i = 1; i <= 3; i++) {
        String w = "w" + i;
        Lease l = leased(fetch(q, w, T0));
        bk().ack(q, w, l.index(), Optional.of(T0.plusSeconds(10 - i)));
      }
      assertThat(bk().claimCompletions(q, T0.plusSeconds(60), TTR, 2))
          .containsExactly(new PendingCompletion(3, "w3"), new PendingCompletion(2, "w2"));
    }
  }

  @Nested
  @DisplayName("the batch path")
  class Batch {
    private FetchBatch batch(QueueRef q, String worker, int max, Instant now) {
      return bk().fetchBatch(q, worker, max, now, TTR, GRACE);
    }

    private List<Long> indices(FetchBatch b) {
      return b.leases().stream().map(Lease::index).toList();
    }

    @Test
    @DisplayName("a batch larger than the backlog hands out the whole backlog in index order")
    void largerThanBacklog() {
      QueueRef q = initializedQueue();
      addCommitted(q, 3, T0);
      FetchBatch b = batch(q, "w", 5, T0);
      assertThat(b.leases())
          .containsExactly(
              new Lease("w", 1, T0.plus(TTR), 1),
              new Lease("w", 2, T0.plus(TTR), 1),
              new Lease("w", 3, T0.plus(TTR), 1));
      assertThat(b.hole()).isEmpty();
      assertThat(batch(q, "w", 5, T0).leases()).isEmpty();
      assertThat(bk().state(q).fetched()).isEqualTo(3);
      assertThat(bk().batchLeaseCount(q, "w")).isEqualTo(3);
    }

    @Test
    @DisplayName("batch leases are not the worker's single-task lease")
    void notSingle() {
      QueueRef q = initializedQueue();
      addCommitted(q, 4, T0);
      assertThat(indices(batch(q, "w", 2, T0))).containsExactly(1L, 2L);
      assertThat(bk().lease(q, "w")).isEmpty();
      Lease single = leased(fetch(q, "w", T0));
      assertThat(single.index()).isEqualTo(3);
      assertThat(fetch(q, "w", T0)).isEqualTo(new Fetch.Leased(single, false));
      assertThat(bk().ack(q, "w", 1, Optional.empty())).isTrue();
      assertThat(bk().batchLeaseCount(q, "w")).isEqualTo(1);
    }

    @Test
    @DisplayName("expired batch leases are recovered one by one by different workers")
    void recoveredOneByOne() {
      QueueRef q = initializedQueue();
      addCommitted(q, 3, T0);
      batch(q, "w1", 3, T0);
      Instant later = T0.plus(TTR);
      Lease a = leased(fetch(q, "w2", later));
      FetchBatch b = batch(q, "w3", 1, later);
      FetchBatch c = batch(q, "w4", 5, later);
      assertThat(b.leases()).hasSize(1);
      assertThat(c.leases()).hasSize(1);
      Set<Long> all =
          new HashSet<>(List.of(a.index(), b.leases().get(0).index(), c.leases().get(0).index()));
      assertThat(all).containsExactlyInAnyOrder(1L, 2L, 3L);
      assertThat(b.leases().get(0).deliveries()).isEqualTo(2);
      assertThat(b.recovered()).containsExactly(b.leases().get(0).index());
      assertThat(bk().batchLeaseCount(q, "w1")).isZero();
      assertThat(bk().batchLeaseCount(q, "w4")).isEqualTo(1);
    }

    @Test
    @DisplayName("ackAll releases only the leases the worker still holds")
    void partialAck() {
      QueueRef q = initializedQueue();
      addCommitted(q, 3, T0);
      batch(q, "w1", 3, T0);
      Lease taken = leased(fetch(q, "w2", T0.plus(TTR)));
      Set<Long> acked = bk().ackAll(q, "w1", List.of(1L, 2L, 3L), Optional.empty());
      Set<Long> expected = new HashSet<>(List.of(1L, 2L, 3L));
      expected.remove(taken.index());
      assertThat(acked).isEqualTo(expected);
      assertThat(bk().state(q).leases()).containsExactly(taken);
      assertThat(bk().ackAll(q, "w1", List.of(1L, 2L, 3L), Optional.empty())).isEmpty();
    }

    @Test
    @DisplayName("a pending index blocks a batch and is reported as a hole after the grace period")
    void hole() {
      QueueRef q = initializedQueue();
      long a = bk().allocate(q, 1, T0);
      addCommitted(q, 1, T0);
      FetchBatch early = batch(q, "w", 10, T0);
      assertThat(early.leases()).isEmpty();
      assertThat(early.hole()).isEmpty();
      FetchBatch late = batch(q, "w", 10, T0.plus(GRACE));
      assertThat(late.hole()).hasValue(a);
      bk().resolveHole(q, a, false, T0.plus(GRACE));
      assertThat(indices(batch(q, "w", 10, T0.plus(GRACE)))).containsExactly(2L);
    }

    @Test
    @DisplayName("tracked ackAll leaves one pending completion per acknowledged index")
    void completions() {
      QueueRef q = initializedQueue();
      addCommitted(q, 2, T0);
      batch(q, "w", 2, T0);
      bk().ackAll(q, "w", List.of(1L, 2L, 9L), Optional.of(T0));
      List<PendingCompletion> claimed = bk().claimCompletions(q, T0, TTR, 10);
      assertThat(claimed)
          .containsExactlyInAnyOrder(new PendingCompletion(1, "w"), new PendingCompletion(2, "w"));
      bk().completionsDelivered(q, claimed);
      assertThat(bk().claimCompletions(q, T0.plus(TTR), TTR, 10)).isEmpty();
    }

    @Test
    @DisplayName("16 threads fetching batches hand out each index exactly once")
    void concurrent() throws Exception {
      QueueRef q = initializedQueue();
      addCommitted(q, 500, T0);
      Set<Long> seen = ConcurrentHashMap.newKeySet();
      List<Long> duplicates = new java.util.concurrent.CopyOnWriteArrayList<>();
      ExecutorService pool = Executors.newFixedThreadPool(16);
      try {
        List<Future<?>> fs = new ArrayList<>();
        for (int t = 0; t < 16; t++) {
          String w = "w" + t;
          fs.add(
              pool.submit(
                  () -> {
                    while (true) {
                      FetchBatch b = batch(q, w, 7, T0);
                      if (b.leases().isEmpty()) {
                        return;
                      }
                      for (Lease l : b.leases()) {
                        if (!seen.add(l.index())) {
                          duplicates.add(l.index());
                        }
                      }
                      assertThat(bk().ackAll(q, w, indices(b), Optional.empty()))
                          .hasSize(b.leases().size());
                    }
                  }));
        }
        for (Future<?> f : fs) {
          f.get(60, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }
      assertThat(duplicates).isEmpty();
      assertThat(seen).hasSize(500);
      assertThat(bk().state(q).leases()).isEmpty();
    }
  }

  // ------------------------------------------------------------------ scheduling features

  /**
   * Whether the bookkeeper under test has {@link Bookkeeper#signals()}. A bookkeeper without them
   * overrides this to return false; the signal tests then require {@code signals()} to be empty
   * instead of skipping. Signals are delivered asynchronously where the backend is remote, so the
   * tests wait up to {@link #SIGNAL_WAIT} for one, and {@link #SIGNAL_QUIET} to see that none
   * comes. A subscription must receive the signals of every step that begins after {@code onWork}
   * or {@code onCompletion} returned.
   *
   * @return true (the default) when {@code signals()} must be present and deliver
   */
  protected boolean hasSignals() {
    return true;
  }

  /** How long the signal tests wait for a signal that must come. */
  static final Duration SIGNAL_WAIT = Duration.ofSeconds(5);

  /** How long the signal tests wait to see that a signal does not come. */
  static final Duration SIGNAL_QUIET = Duration.ofMillis(300);

  private long addCommitted(QueueRef q, Priority lane, int n, Instant now) {
    long first = bk().allocate(q, lane, n, now);
    assertThat(first).as("allocated in %s", lane).isPositive();
    assertThat(bk().commit(q, first, n, Map.of(), now)).isTrue();
    return first;
  }

  /** Adds one task to a lane, due at {@code due}. */
  private long addDelayed(QueueRef q, Priority lane, Instant due, Instant now) {
    long index = bk().allocate(q, lane, 1, now);
    assertThat(bk().commit(q, index, 1, Map.of(index, due), now)).isTrue();
    return index;
  }

  private FetchBatch fetchBatch(QueueRef q, String worker, int max, Instant now) {
    return bk().fetchBatch(q, worker, max, now, TTR, GRACE);
  }

  private static List<Long> indicesOf(FetchBatch b) {
    return b.leases().stream().map(Lease::index).toList();
  }

  private static long index(Fetch f) {
    return leased(f).index();
  }

  private static Fetch.Leased asLeased(Fetch f) {
    assertThat(f).isInstanceOf(Fetch.Leased.class);
    return (Fetch.Leased) f;
  }

  private void groupLimit(QueueRef q, int limit) {
    bk().configure(q, QueueSettings.DEFAULT.withGroupLimit(limit));
  }

  private static final long U = Priority.URGENT.base();
  private static final long H = Priority.HIGH.base();
  private static final long L = Priority.LOW.base();
  private static final long B = Priority.BULK.base();

  @Nested
  @DisplayName("lanes")
  class Lanes {
    @Test
    @DisplayName("each lane allocates its own consecutive indices from its base + 1")
    void allocatePerLane() {
      QueueRef q = initializedQueue();
      assertThat(bk().allocate(q, Priority.URGENT, 1, T0)).isEqualTo(U + 1);
      assertThat(bk().allocate(q, Priority.URGENT, 3, T0)).isEqualTo(U + 2);
      assertThat(bk().allocate(q, Priority.HIGH, 1, T0)).isEqualTo(H + 1);
      assertThat(bk().allocate(q, Priority.BULK, 2, T0)).isEqualTo(B + 1);
      assertThat(bk().allocate(q, 1, T0)).as("allocate without a lane is NORMAL").isEqualTo(1);
      assertThat(bk().allocate(q, Priority.NORMAL, 1, T0)).isEqualTo(2);
      assertThat(bk().allocate(q, Priority.LOW, 1, T0)).isEqualTo(L + 1);
      assertThat(bk().allocate(q, Priority.URGENT, 1, T0)).isEqualTo(U + 5);
      BookkeeperState s = bk().state(q);
      assertThat(s.allocated()).as("the NORMAL lane's").isEqualTo(2);
      assertThat(s.lanes().get(Priority.URGENT).allocated()).isEqualTo(U + 5);
      assertThat(s.lanes().get(Priority.BULK).allocated()).isEqualTo(B + 2);
      assertThat(bk().allocate(TestQueues.fresh(), Priority.HIGH, 1, T0))
          .as("a queue not initialized")
          .isZero();
    }

    @Test
    @DisplayName("fetch serves URGENT, HIGH, NORMAL, LOW, BULK in that order")
    void serviceOrder() {
      QueueRef q = initializedQueue();
      // committed lowest lane first, so that the order of commits cannot explain the result
      long bulk = addCommitted(q, Priority.BULK, 1, T0);
      long low = addCommitted(q, Priority.LOW, 1, T0);
      long normal = addCommitted(q, Priority.NORMAL, 1, T0);
      long high = addCommitted(q, Priority.HIGH, 1, T0);
      long urgent = addCommitted(q, Priority.URGENT, 1, T0);
      for (long expected : List.of(urgent, high, normal, low, bulk)) {
        String w = "w" + expected;
        assertThat(fetch(q, w, T0))
            .isEqualTo(new Fetch.Leased(new Lease(w, expected, T0.plus(TTR), 1), true));
      }
      assertThat(fetch(q, "x", T0)).isEqualTo(Fetch.EMPTY);
    }

    @Test
    @DisplayName("a batch fills up lane by lane in service order, by index within a lane")
    void batchServiceOrder() {
      QueueRef q = initializedQueue();
      for (Priority p : List.of(Priority.BULK, Priority.LOW, Priority.NORMAL, Priority.HIGH)) {
        addCommitted(q, p, 2, T0);
      }
      addCommitted(q, Priority.URGENT, 2, T0);
      assertThat(indicesOf(fetchBatch(q, "w", 7, T0)))
          .containsExactly(U + 1, U + 2, H + 1, H + 2, 1L, 2L, L + 1);
      FetchBatch rest = fetchBatch(q, "w", 7, T0);
      assertThat(indicesOf(rest)).containsExactly(L + 2, B + 1, B + 2);
      assertThat(rest.leases()).extracting(Lease::deliveries).containsOnly(1);
      assertThat(rest.hole()).isEmpty();
    }

    @Test
    @DisplayName("within a lane, indices go out in order, ahead of any lower lane")
    void indexOrderWithinLane() {
      QueueRef q = initializedQueue();
      long n1 = addCommitted(q, Priority.NORMAL, 1, T0);
      long u1 = addCommitted(q, Priority.URGENT, 3, T0);
      assertThat(index(fetch(q, "a", T0))).isEqualTo(u1);
      long h1 = addCommitted(q, Priority.HIGH, 1, T0);
      long u4 = addCommitted(q, Priority.URGENT, 1, T0);
      assertThat(u4).isEqualTo(U + 4);
      assertThat(index(fetch(q, "b", T0))).isEqualTo(U + 2);
      assertThat(index(fetch(q, "c", T0))).isEqualTo(U + 3);
      assertThat(index(fetch(q, "d", T0))).isEqualTo(u4);
      assertThat(index(fetch(q, "e", T0))).isEqualTo(h1);
      assertThat(index(fetch(q, "f", T0))).isEqualTo(n1);
    }

    @Test
    @DisplayName("a young pending index blocks only its own lane")
    void youngPendingBlocksOnlyItsLane() {
      QueueRef q = initializedQueue();
      long pending = bk().allocate(q, Priority.URGENT, 1, T0);
      long u2 = addCommitted(q, Priority.URGENT, 1, T0);
      long h1 = addCommitted(q, Priority.HIGH, 1, T0);
      long n1 = addCommitted(q, Priority.NORMAL, 1, T0);
      assertThat(index(fetch(q, "a", T0)))
          .as("URGENT waits for its pending index; HIGH goes on")
          .isEqualTo(h1);
      assertThat(index(fetch(q, "b", T0))).isEqualTo(n1);
      assertThat(fetch(q, "c", T0.plus(GRACE).minusMillis(1))).isEqualTo(Fetch.EMPTY);
      assertThat(bk().commit(q, pending, 1)).isTrue();
      assertThat(index(fetch(q, "c", T0))).isEqualTo(pending);
      assertThat(index(fetch(q, "d", T0))).isEqualTo(u2);
    }

    @Test
    @DisplayName("a young pending index blocks only its own lane in a batch too, with no hole")
    void youngPendingBlocksOnlyItsLaneInBatch() {
      QueueRef q = initializedQueue();
      long pending = bk().allocate(q, Priority.HIGH, 1, T0);
      addCommitted(q, Priority.HIGH, 1, T0);
      long u1 = addCommitted(q, Priority.URGENT, 1, T0);
      long n1 = addCommitted(q, Priority.NORMAL, 2, T0);
      long l1 = addCommitted(q, Priority.LOW, 1, T0);
      FetchBatch b = fetchBatch(q, "w", 10, T0);
      assertThat(indicesOf(b)).containsExactly(u1, n1, n1 + 1, l1);
      assertThat(b.hole()).isEmpty();
      assertThat(bk().commit(q, pending, 1)).isTrue();
      assertThat(indicesOf(fetchBatch(q, "w", 10, T0))).containsExactly(pending, pending + 1);
    }

    @Test
    @DisplayName("an old pending index in a higher lane is the hole, before any lower lane")
    void oldPendingInHigherLane() {
      QueueRef q = initializedQueue();
      long u1 = addCommitted(q, Priority.URGENT, 1, T0);
      long pending = bk().allocate(q, Priority.HIGH, 1, T0);
      long n1 = addCommitted(q, Priority.NORMAL, 1, T0);
      Instant late = T0.plus(GRACE);
      FetchBatch b = fetchBatch(q, "w", 10, late);
      assertThat(indicesOf(b)).as("leases collected before the hole are kept").containsExactly(u1);
      assertThat(b.hole()).hasValue(pending);
      assertThat(fetch(q, "x", late)).isEqualTo(new Fetch.Hole(pending));
      assertThat(bk().resolveHole(q, pending, false, late)).isTrue();
      assertThat(index(fetch(q, "x", late))).isEqualTo(n1);
      assertThat(bk().commit(q, pending, 1)).as("skipped").isFalse();
    }

    @Test
    @DisplayName("holes in a non-NORMAL lane are reported, skipped or kept like NORMAL ones")
    void holesInOtherLane() {
      QueueRef q = initializedQueue();
      long l1 = bk().allocate(q, Priority.LOW, 1, T0);
      long l2 = addCommitted(q, Priority.LOW, 1, T0);
      Instant late = T0.plus(GRACE);
      assertThat(fetch(q, "w", late)).isEqualTo(new Fetch.Hole(l1));
      assertThat(bk().resolveHole(q, l1, false, late)).isTrue();
      assertThat(bk().state(q).lanes().get(Priority.LOW))
          .isEqualTo(new BookkeeperState.LaneState(L + 2, L + 2, L, 1));
      assertThat(fetch(q, "w", late))
          .isEqualTo(new Fetch.Leased(new Lease("w", l2, late.plus(TTR), 1), true));
      assertThat(bk().state(q).lanes().get(Priority.LOW))
          .isEqualTo(new BookkeeperState.LaneState(L + 2, L + 2, L + 2, 0));
      assertThat(bk().commit(q, l1, 1, Map.of(), late)).isFalse();

      long l3 = bk().allocate(q, Priority.LOW, 1, late);
      Instant later = late.plus(GRACE);
      assertThat(fetch(q, "x", later)).isEqualTo(new Fetch.Hole(l3));
      assertThat(bk().resolveHole(q, l3, true, later)).isTrue();
      assertThat(index(fetch(q, "x", later))).isEqualTo(l3);
      assertThat(bk().commit(q, l3, 1, Map.of(), later)).as("kept").isTrue();
    }

    @Test
    @DisplayName("rewind moves the pointer of the lane its index belongs to, and only that one")
    void rewindWithinLane() {
      QueueRef q = initializedQueue();
      long h1 = addCommitted(q, Priority.HIGH, 3, T0);
      long n1 = addCommitted(q, Priority.NORMAL, 1, T0);
      for (long i = h1; i < h1 + 3; i++) {
        assertThat(index(fetch(q, "w", T0))).isEqualTo(i);
        assertThat(bk().ack(q, "w", i, Optional.empty())).isTrue();
      }
      assertThat(bk().rewind(q, H + 1)).isTrue();
      BookkeeperState s = bk().state(q);
      assertThat(s.lanes().get(Priority.HIGH).fetched()).isEqualTo(H + 1);
      assertThat(s.fetched()).as("NORMAL untouched").isZero();
      assertThat(index(fetch(q, "w", T0))).isEqualTo(H + 2);
      assertThat(bk().ack(q, "w", H + 2, Optional.empty())).isTrue();
      assertThat(bk().rewind(q, H + 4)).as("above the lane's allocated").isFalse();
      assertThat(bk().rewind(q, U + 1)).as("above the URGENT lane's allocated").isFalse();
      assertThat(bk().rewind(q, H)).as("the lane's base").isTrue();
      assertThat(index(fetch(q, "w", T0))).isEqualTo(H + 1);
      assertThat(index(fetch(q, "x", T0))).isEqualTo(H + 2);
      assertThat(index(fetch(q, "y", T0))).isEqualTo(H + 3);
      assertThat(index(fetch(q, "z", T0))).isEqualTo(n1);
    }

    @Test
    @DisplayName("state() reports the NORMAL lane at the top and every other used lane in lanes")
    void stateLanes() {
      QueueRef q = initializedQueue();
      assertThat(bk().state(q).lanes()).isEmpty();
      addCommitted(q, Priority.URGENT, 2, T0);
      bk().allocate(q, Priority.LOW, 1, T0);
      addCommitted(q, Priority.LOW, 1, T0);
      assertThat(index(fetch(q, "w", T0))).isEqualTo(U + 1);
      BookkeeperState s = bk().state(q);
      assertThat(s.lanes())
          .containsOnlyKeys(Priority.URGENT, Priority.LOW)
          .containsEntry(Priority.URGENT, new BookkeeperState.LaneState(U + 2, U + 2, U + 1, 0))
          .containsEntry(Priority.LOW, new BookkeeperState.LaneState(L + 2, L, L, 0));
      assertThat(List.of(s.allocated(), s.committed(), s.fetched(), s.skippedAhead()))
          .containsOnly(0L);
      assertThat(s.lowestUnfinished()).as("NORMAL indices only").isEqualTo(1);
      assertThat(s.leases()).containsExactly(new Lease("w", U + 1, T0.plus(TTR), 1));
    }

    @Test
    @DisplayName("initialize with lane starts replays and skips per lane; unlisted lanes are new")
    void initializeWithLanes() {
      QueueRef q = TestQueues.fresh();
      List<LaneStart> starts =
          List.of(
              new LaneStart(Priority.NORMAL, 10, 9, 10),
              new LaneStart(Priority.HIGH, H + 20, H + 19, H + 19));
      assertThat(bk().initialize(q, starts)).isTrue();
      assertThat(bk().initialize(q, List.of(LaneStart.empty(Priority.NORMAL)))).isFalse();
      BookkeeperState s = bk().state(q);
      assertThat(List.of(s.allocated(), s.committed(), s.fetched())).containsExactly(10L, 10L, 8L);
      assertThat(s.lanes())
          .containsOnlyKeys(Priority.HIGH)
          .containsEntry(Priority.HIGH, new BookkeeperState.LaneState(H + 20, H + 20, H + 18, 0));
      long u1 = addCommitted(q, Priority.URGENT, 1, T0);
      long h21 = addCommitted(q, Priority.HIGH, 1, T0);
      long n11 = addCommitted(q, Priority.NORMAL, 1, T0);
      assertThat(List.of(u1, h21, n11)).containsExactly(U + 1, H + 21, 11L);
      assertThat(fetch(q, "a", T0))
          .isEqualTo(new Fetch.Leased(new Lease("a", u1, T0.plus(TTR), 1), true));
      assertThat(fetch(q, "b", T0))
          .as("replayed")
          .isEqualTo(new Fetch.Leased(new Lease("b", H + 19, T0.plus(TTR), 2), false));
      assertThat(fetch(q, "c", T0))
          .as("over H + 20, which may hold no task")
          .isEqualTo(new Fetch.Leased(new Lease("c", h21, T0.plus(TTR), 1), true));
      assertThat(fetch(q, "d", T0))
          .isEqualTo(new Fetch.Leased(new Lease("d", 9, T0.plus(TTR), 2), false));
      assertThat(fetch(q, "e", T0))
          .isEqualTo(new Fetch.Leased(new Lease("e", 10, T0.plus(TTR), 2), false));
      assertThat(fetch(q, "f", T0))
          .isEqualTo(new Fetch.Leased(new Lease("f", n11, T0.plus(TTR), 1), true));
      assertThat(fetch(q, "g", T0)).isEqualTo(Fetch.EMPTY);
    }

    @Test
    @DisplayName("the four-argument initialize starts the NORMAL lane only")
    void initializeNormalOnly() {
      QueueRef q = TestQueues.fresh();
      assertThat(bk().initialize(q, 5, 6, 5)).isTrue();
      assertThat(bk().state(q).lanes()).isEmpty();
      assertThat(bk().allocate(q, Priority.BULK, 1, T0)).isEqualTo(B + 1);
      assertThat(bk().allocate(q, 1, T0)).isEqualTo(6);
    }
  }

  @Nested
  @DisplayName("delays")
  class Delays {
    @Test
    @DisplayName("a delayed index is stepped over until due, then served before newer ones")
    void steppedOverUntilDue() {
      QueueRef q = initializedQueue();
      long first = bk().allocate(q, 4, T0);
      Instant due = T0.plusSeconds(5);
      assertThat(bk().commit(q, first, 4, Map.of(first, due, first + 2, due), T0)).isTrue();
      assertThat(fetch(q, "a", T0))
          .isEqualTo(new Fetch.Leased(new Lease("a", 2, T0.plus(TTR), 1), true));
      assertThat(index(fetch(q, "b", T0))).isEqualTo(4);
      assertThat(fetch(q, "c", due.minusMillis(1))).isEqualTo(Fetch.EMPTY);
      BookkeeperState s = bk().state(q);
      assertThat(s.delayed()).isEqualTo(2);
      assertThat(s.fetched()).isEqualTo(4);
      assertThat(s.lowestUnfinished()).as("1 is delayed").isEqualTo(1);
      long fifth = addCommitted(q, 1, T0.plusSeconds(1));
      assertThat(fetch(q, "c", due))
          .as("due: back through the ready set, not fresh")
          .isEqualTo(new Fetch.Leased(new Lease("c", 1, due.plus(TTR), 1), false));
      assertThat(fetch(q, "d", due))
          .isEqualTo(new Fetch.Leased(new Lease("d", 3, due.plus(TTR), 1), false));
      assertThat(fetch(q, "e", due))
          .isEqualTo(new Fetch.Leased(new Lease("e", fifth, due.plus(TTR), 1), true));
      assertThat(fetch(q, "f", due)).isEqualTo(Fetch.EMPTY);
      s = bk().state(q);
      assertThat(List.of(s.delayed(), s.ready())).containsOnly(0L);
    }

    @Test
    @DisplayName("a due index the pointer has not reached yet is served exactly once, in order")
    void dueAheadOfPointer() {
      QueueRef q = initializedQueue();
      long first = bk().allocate(q, 3, T0);
      assertThat(bk().commit(q, first, 3, Map.of(2L, T0.plusSeconds(1)), T0)).isTrue();
      assertThat(index(fetch(q, "a", T0))).isEqualTo(1);
      Instant later = T0.plusSeconds(2);
      assertThat(fetch(q, "b", later))
          .as("served by the pointer")
          .isEqualTo(new Fetch.Leased(new Lease("b", 2, later.plus(TTR), 1), true));
      assertThat(index(fetch(q, "c", later))).isEqualTo(3);
      assertThat(fetch(q, "d", later)).isEqualTo(Fetch.EMPTY);
      BookkeeperState s = bk().state(q);
      assertThat(List.of(s.delayed(), s.ready())).containsOnly(0L);
      assertThat(s.leases()).extracting(Lease::index).containsExactly(1L, 2L, 3L);
    }

    @Test
    @DisplayName("due indices ahead of and behind the pointer go out once each in a batch")
    void dueInBatch() {
      QueueRef q = initializedQueue();
      long first = bk().allocate(q, 4, T0);
      Instant due = T0.plusSeconds(1);
      assertThat(bk().commit(q, first, 4, Map.of(1L, due, 3L, due), T0)).isTrue();
      assertThat(indicesOf(fetchBatch(q, "w", 1, T0))).containsExactly(2L);
      long fifth = addCommitted(q, 1, T0);
      FetchBatch b = fetchBatch(q, "x", 10, due);
      assertThat(indicesOf(b)).containsExactly(1L, 3L, 4L, fifth);
      assertThat(b.leases()).extracting(Lease::deliveries).containsOnly(1);
      assertThat(fetchBatch(q, "y", 10, due).leases()).isEmpty();
      assertThat(bk().state(q).leases()).hasSize(5);
    }

    @Test
    @DisplayName("a due time not after now makes the index ready at once")
    void notAfterNow() {
      QueueRef q = initializedQueue();
      long first = bk().allocate(q, 2, T0);
      assertThat(bk().commit(q, first, 2, Map.of(first, T0, first + 1, T0.minusSeconds(1)), T0))
          .isTrue();
      assertThat(bk().state(q).delayed()).isZero();
      assertThat(fetch(q, "a", T0))
          .isEqualTo(new Fetch.Leased(new Lease("a", 1, T0.plus(TTR), 1), true));
      assertThat(index(fetch(q, "b", T0))).isEqualTo(2);
    }

    @Test
    @DisplayName("the delayed and ready counts follow the entries")
    void counts() {
      QueueRef q = initializedQueue();
      long first = bk().allocate(q, 3, T0);
      Instant one = T0.plusSeconds(1);
      Instant two = T0.plusSeconds(2);
      assertThat(bk().commit(q, first, 3, Map.of(1L, one, 2L, one, 3L, two), T0)).isTrue();
      BookkeeperState s = bk().state(q);
      assertThat(List.of(s.delayed(), s.ready())).containsExactly(3L, 0L);
      assertThat(index(fetch(q, "a", one))).isEqualTo(1);
      s = bk().state(q);
      assertThat(List.of(s.delayed(), s.ready()))
          .as("both due ones promoted, one served")
          .containsExactly(1L, 1L);
      assertThat(index(fetch(q, "b", one))).isEqualTo(2);
      assertThat(fetch(q, "c", one)).isEqualTo(Fetch.EMPTY);
      s = bk().state(q);
      assertThat(List.of(s.delayed(), s.ready(), s.fetched())).containsExactly(1L, 0L, 3L);
      assertThat(fetch(q, "c", two))
          .isEqualTo(new Fetch.Leased(new Lease("c", 3, two.plus(TTR), 1), false));
    }

    @Test
    @DisplayName("a due index of a higher lane goes before the lower lanes' fresh ones")
    void higherLaneDueFirst() {
      QueueRef q = initializedQueue();
      Instant due = T0.plusSeconds(5);
      long n1 = addCommitted(q, Priority.NORMAL, 1, T0);
      long u1 = addDelayed(q, Priority.URGENT, due, T0);
      assertThat(index(fetch(q, "a", T0))).isEqualTo(n1);
      assertThat(fetch(q, "b", T0)).isEqualTo(Fetch.EMPTY);
      long n2 = addCommitted(q, Priority.NORMAL, 1, T0);
      assertThat(fetch(q, "b", due))
          .isEqualTo(new Fetch.Leased(new Lease("b", u1, due.plus(TTR), 1), false));
      assertThat(index(fetch(q, "c", due))).isEqualTo(n2);
    }

    @Test
    @DisplayName("thousands of delayed indices do not hide a ready one behind them")
    void manyDelayed() {
      QueueRef single = queueWithDelayedBacklog(2500);
      long ready = addCommitted(single, 1, T0);
      assertThat(fetch(single, "w", T0))
          .as("the first fetch steps over them all and finds the ready index")
          .isEqualTo(new Fetch.Leased(new Lease("w", ready, T0.plus(TTR), 1), true));
      assertThat(bk().state(single).delayed()).isEqualTo(2500);

      QueueRef batch = queueWithDelayedBacklog(2500);
      long first = addCommitted(batch, 2, T0);
      assertThat(bk().fetchBatch(batch, "b", 10, T0, TTR, GRACE).leases())
          .as("the first batch fetch steps over them all too")
          .extracting(Lease::index)
          .containsExactly(first, first + 1);
    }

    private QueueRef queueWithDelayedBacklog(int n) {
      QueueRef q = initializedQueue();
      long first = bk().allocate(q, n, T0);
      Map<Long, Instant> due = new HashMap<>();
      for (long i = first; i < first + n; i++) {
        due.put(i, T0.plus(Duration.ofHours(1)));
      }
      assertThat(bk().commit(q, first, n, due, T0)).isTrue();
      return q;
    }
  }

  @Nested
  @DisplayName("release")
  class Release {
    @Test
    @DisplayName("a released lease goes to the ready set and comes back with deliveries + 1")
    void toReady() {
      QueueRef q = initializedQueue();
      addCommitted(q, 2, T0);
      Lease held = leased(fetch(q, "w", T0));
      Instant now = T0.plusSeconds(1);
      assertThat(bk().release(q, "w", 1, now, now)).contains(held);
      assertThat(bk().lease(q, "w")).isEmpty();
      BookkeeperState s = bk().state(q);
      assertThat(s.leases()).isEmpty();
      assertThat(s.ready()).isEqualTo(1);
      assertThat(s.lowestUnfinished()).isEqualTo(1);
      assertThat(fetch(q, "x", now))
          .isEqualTo(new Fetch.Leased(new Lease("x", 1, now.plus(TTR), 2), false));
      assertThat(bk().ack(q, "w", 1, Optional.empty())).as("no longer w's").isFalse();
      assertThat(index(fetch(q, "y", now))).isEqualTo(2);
    }

    @Test
    @DisplayName("a lease released with a due time waits in the delayed set until then")
    void toDelayed() {
      QueueRef q = initializedQueue();
      addCommitted(q, 2, T0);
      Lease held = leased(fetch(q, "w", T0));
      Instant due = T0.plusSeconds(5);
      assertThat(bk().release(q, "w", 1, due, T0)).contains(held);
      assertThat(bk().state(q).delayed()).isEqualTo(1);
      assertThat(index(fetch(q, "x", T0))).isEqualTo(2);
      assertThat(fetch(q, "y", due.minusMillis(1))).isEqualTo(Fetch.EMPTY);
      assertThat(fetch(q, "y", due))
          .isEqualTo(new Fetch.Leased(new Lease("y", 1, due.plus(TTR), 2), false));
    }

    @Test
    @DisplayName("release by a worker that does not hold the lease changes nothing")
    void notHeld() {
      QueueRef q = initializedQueue();
      addCommitted(q, 2, T0);
      leased(fetch(q, "w", T0));
      BookkeeperState before = bk().state(q);
      assertThat(bk().release(q, "other", 1, T0, T0)).isEmpty();
      assertThat(bk().release(q, "w", 2, T0, T0)).as("committed, never leased").isEmpty();
      assertThat(bk().release(q, "w", 77, T0, T0)).as("unknown").isEmpty();
      assertThat(bk().state(q)).isEqualTo(before);
      assertThat(index(fetch(q, "x", T0))).isEqualTo(2);
    }

    @Test
    @DisplayName(
        "a lease taken over cannot be released by its old holder; past its deadline it can")
    void takenOver() {
      QueueRef q = initializedQueue();
      addCommitted(q, 2, T0);
      leased(fetch(q, "w", T0));
      leased(fetch(q, "v", T0));
      Instant late = T0.plus(TTR).plusSeconds(1);
      Lease taken = leased(fetch(q, "x", late));
      String loser = taken.index() == 1 ? "w" : "v";
      String other = taken.index() == 1 ? "v" : "w";
      long otherIndex = 3 - taken.index();
      assertThat(bk().release(q, loser, taken.index(), late, late)).isEmpty();
      assertThat(bk().release(q, other, otherIndex, late, late))
          .as("past its deadline, not taken over")
          .isPresent();
      assertThat(bk().release(q, "x", taken.index(), late, late)).contains(taken);
      assertThat(taken.deliveries()).isEqualTo(2);
    }

    @Test
    @DisplayName("batch leases are released by index")
    void batch() {
      QueueRef q = initializedQueue();
      addCommitted(q, 3, T0);
      FetchBatch b = fetchBatch(q, "w", 3, T0);
      assertThat(bk().release(q, "w", 2, T0, T0)).contains(b.leases().get(1));
      assertThat(bk().batchLeaseCount(q, "w")).isEqualTo(2);
      assertThat(bk().ack(q, "w", 2, Optional.empty())).isFalse();
      assertThat(fetch(q, "x", T0))
          .isEqualTo(new Fetch.Leased(new Lease("x", 2, T0.plus(TTR), 2), false));
      assertThat(bk().ackAll(q, "w", List.of(1L, 3L), Optional.empty()))
          .containsExactlyInAnyOrder(1L, 3L);
    }

    @Test
    @DisplayName("each release counts: the third lease of an index is delivery 3")
    void deliveriesAccumulate() {
      QueueRef q = initializedQueue();
      addCommitted(q, 1, T0);
      leased(fetch(q, "w", T0));
      assertThat(bk().release(q, "w", 1, T0, T0)).isPresent();
      assertThat(leased(fetch(q, "w", T0)).deliveries()).isEqualTo(2);
      assertThat(bk().release(q, "w", 1, T0, T0)).isPresent();
      assertThat(fetchBatch(q, "w", 5, T0).leases())
          .containsExactly(new Lease("w", 1, T0.plus(TTR), 3));
    }
  }

  @Nested
  @DisplayName("extend")
  class Extend {
    @Test
    @DisplayName("the holder moves its deadline; the lease is not recovered before it")
    void held() {
      QueueRef q = initializedQueue();
      addCommitted(q, 1, T0);
      leased(fetch(q, "w", T0));
      Instant deadline = T0.plusSeconds(60);
      assertThat(bk().extend(q, "w", 1, deadline)).isTrue();
      assertThat(bk().state(q).leases()).containsExactly(new Lease("w", 1, deadline, 1));
      assertThat(bk().lease(q, "w")).contains(new Lease("w", 1, deadline, 1));
      assertThat(fetch(q, "x", T0.plus(TTR))).isEqualTo(Fetch.EMPTY);
      assertThat(fetch(q, "x", deadline))
          .isEqualTo(
              new Fetch.Leased(
                  new Lease("x", 1, deadline.plus(TTR), 2), false, true, Optional.empty()));
    }

    @Test
    @DisplayName("a lease past its deadline but not taken over can still be extended")
    void pastDeadline() {
      QueueRef q = initializedQueue();
      addCommitted(q, 1, T0);
      fetchBatch(q, "w", 1, T0);
      Instant late = T0.plus(TTR).plusSeconds(1);
      assertThat(bk().extend(q, "w", 1, late.plus(TTR))).isTrue();
      assertThat(fetch(q, "x", late)).isEqualTo(Fetch.EMPTY);
      assertThat(bk().batchLeaseCount(q, "w")).isEqualTo(1);
    }

    @Test
    @DisplayName("extend of a lease taken over, or not held, answers false and changes nothing")
    void notHeld() {
      QueueRef q = initializedQueue();
      addCommitted(q, 2, T0);
      leased(fetch(q, "w", T0));
      Instant late = T0.plus(TTR);
      Lease taken = leased(fetch(q, "x", late));
      assertThat(taken.index()).isEqualTo(1);
      BookkeeperState before = bk().state(q);
      assertThat(bk().extend(q, "w", 1, late.plusSeconds(600))).isFalse();
      assertThat(bk().extend(q, "other", 1, late.plusSeconds(600))).isFalse();
      assertThat(bk().extend(q, "x", 2, late.plusSeconds(600))).as("never leased").isFalse();
      assertThat(bk().state(q)).isEqualTo(before);
      assertThat(bk().state(q).leases()).containsExactly(taken);
    }
  }

  @Nested
  @DisplayName("dead letters")
  class DeadLetters {
    @Test
    @DisplayName("deadLetter ends the held lease and keeps a dead entry the pointer steps over")
    void deadLetter() {
      QueueRef q = initializedQueue();
      addCommitted(q, 2, T0);
      leased(fetch(q, "w", T0));
      Lease other = leased(fetch(q, "x", T0));
      Instant now = T0.plusSeconds(1);
      DeadEntry entry = new DeadEntry(1, 1, "w", now);
      assertThat(bk().deadLetter(q, "w", 1, Optional.empty(), now)).contains(entry);
      BookkeeperState s = bk().state(q);
      assertThat(s.dead()).isEqualTo(1);
      assertThat(s.leases()).containsExactly(other);
      assertThat(s.lowestUnfinished()).as("a dead letter is unfinished").isEqualTo(1);
      assertThat(bk().lease(q, "w")).isEmpty();
      assertThat(bk().deadLetters(q, 10)).containsExactly(entry);
      assertThat(fetch(q, "y", now)).isEqualTo(Fetch.EMPTY);
      assertThat(bk().rewind(q, 0)).isTrue();
      assertThat(fetch(q, "y", now))
          .as("dead and leased indices are stepped over")
          .isEqualTo(Fetch.EMPTY);
      assertThat(bk().claimCompletions(q, now.plusSeconds(3600), TTR, 10)).isEmpty();
    }

    @Test
    @DisplayName("deadLetter records a pending completion as ack does, with the lease's deliveries")
    void pendingCompletion() {
      QueueRef q = initializedQueue();
      addCommitted(q, 1, T0);
      leased(fetch(q, "w", T0));
      assertThat(bk().release(q, "w", 1, T0, T0)).isPresent();
      fetchBatch(q, "w", 1, T0);
      assertThat(bk().deadLetter(q, "w", 1, Optional.of(T0), T0))
          .contains(new DeadEntry(1, 2, "w", T0));
      assertThat(bk().claimCompletions(q, T0, TTR, 10))
          .containsExactly(new PendingCompletion(1, "w"));
      assertThat(bk().batchLeaseCount(q, "w")).isZero();
    }

    @Test
    @DisplayName("deadLetter by a worker that does not hold the lease changes nothing")
    void notHeld() {
      QueueRef q = initializedQueue();
      addCommitted(q, 1, T0);
      leased(fetch(q, "w", T0));
      BookkeeperState before = bk().state(q);
      assertThat(bk().deadLetter(q, "x", 1, Optional.of(T0), T0)).isEmpty();
      assertThat(bk().deadLetter(q, "w", 5, Optional.of(T0), T0)).isEmpty();
      assertThat(bk().state(q)).isEqualTo(before);
      assertThat(bk().deadLetters(q, 10)).isEmpty();
      assertThat(bk().claimCompletions(q, T0, TTR, 10)).isEmpty();
    }

    @Test
    @DisplayName("dead letters are listed oldest first, then by index, up to the limit")
    void listing() {
      QueueRef q = initializedQueue();
      addCommitted(q, 3, T0);
      for (String w : List.of("w1", "w2", "w3")) {
        leased(fetch(q, w, T0));
      }
      Instant t1 = T0.plusSeconds(1);
      Instant t2 = T0.plusSeconds(2);
      bk().deadLetter(q, "w1", 1, Optional.empty(), t2);
      bk().deadLetter(q, "w3", 3, Optional.empty(), t1);
      bk().deadLetter(q, "w2", 2, Optional.empty(), t1);
      DeadEntry d1 = new DeadEntry(1, 1, "w1", t2);
      DeadEntry d2 = new DeadEntry(2, 1, "w2", t1);
      DeadEntry d3 = new DeadEntry(3, 1, "w3", t1);
      assertThat(bk().deadLetters(q, 10)).containsExactly(d2, d3, d1);
      assertThat(bk().deadLetters(q, 2)).containsExactly(d2, d3);
      assertThat(bk().state(q).dead()).isEqualTo(3);
    }

    @Test
    @DisplayName("requeue moves a dead letter to the ready set with its deliveries starting over")
    void requeue() {
      QueueRef q = initializedQueue();
      addCommitted(q, 2, T0);
      leased(fetch(q, "w", T0));
      bk().release(q, "w", 1, T0, T0);
      assertThat(leased(fetch(q, "w", T0)).deliveries()).isEqualTo(2);
      assertThat(bk().deadLetter(q, "w", 1, Optional.empty(), T0)).isPresent();
      assertThat(bk().requeue(q, 1, T0)).isTrue();
      BookkeeperState s = bk().state(q);
      assertThat(List.of(s.dead(), s.ready())).containsExactly(0L, 1L);
      assertThat(bk().deadLetters(q, 10)).isEmpty();
      assertThat(fetch(q, "x", T0))
          .isEqualTo(new Fetch.Leased(new Lease("x", 1, T0.plus(TTR), 1), false));
      assertThat(bk().requeue(q, 1, T0)).as("no longer dead").isFalse();
      assertThat(index(fetch(q, "y", T0))).isEqualTo(2);
    }

    @Test
    @DisplayName("discard forgets a dead letter")
    void discard() {
      QueueRef q = initializedQueue();
      addCommitted(q, 1, T0);
      leased(fetch(q, "w", T0));
      bk().deadLetter(q, "w", 1, Optional.empty(), T0);
      assertThat(bk().discard(q, 1)).isTrue();
      BookkeeperState s = bk().state(q);
      assertThat(s.dead()).isZero();
      assertThat(s.lowestUnfinished()).isEqualTo(2);
      assertThat(bk().deadLetters(q, 10)).isEmpty();
      assertThat(bk().discard(q, 1)).isFalse();
      assertThat(bk().requeue(q, 1, T0)).isFalse();
      assertThat(fetch(q, "x", T0)).isEqualTo(Fetch.EMPTY);
    }

    @Test
    @DisplayName("requeue and discard answer false for an index that is not dead")
    void notDead() {
      QueueRef q = initializedQueue();
      addCommitted(q, 2, T0);
      leased(fetch(q, "w", T0));
      BookkeeperState before = bk().state(q);
      for (long i : List.of(1L, 2L, 99L)) {
        assertThat(bk().requeue(q, i, T0)).isFalse();
        assertThat(bk().discard(q, i)).isFalse();
      }
      assertThat(bk().state(q)).isEqualTo(before);
    }
  }

  @Test
  @DisplayName("expire releases held leases without a completion and counts them")
  void expire() {
    QueueRef q = initializedQueue();
    addCommitted(q, 4, T0);
    fetchBatch(q, "w", 3, T0);
    Lease single = leased(fetch(q, "v", T0));
    Instant late = T0.plus(TTR).plusSeconds(1);
    assertThat(bk().expire(q, "w", List.of(1L, 2L, 7L))).containsExactlyInAnyOrder(1L, 2L);
    assertThat(bk().expire(q, "x", List.of(3L, 4L))).isEmpty();
    BookkeeperState s = bk().state(q);
    assertThat(s.expired()).isEqualTo(2);
    assertThat(s.leases()).extracting(Lease::index).containsExactly(3L, 4L);
    assertThat(bk().batchLeaseCount(q, "w")).isEqualTo(1);
    assertThat(bk().expire(q, "v", List.of(single.index()))).containsExactly(single.index());
    assertThat(bk().lease(q, "v")).isEmpty();
    assertThat(bk().state(q).expired()).isEqualTo(3);
    assertThat(bk().claimCompletions(q, late.plusSeconds(3600), TTR, 10)).isEmpty();
    assertThat(fetch(q, "y", late))
        .as("3 expired, recovered; 1, 2 and 4 are done")
        .isEqualTo(
            new Fetch.Leased(new Lease("y", 3, late.plus(TTR), 2), false, true, Optional.empty()));
  }

  @Nested
  @DisplayName("pause")
  class Pause {
    @Test
    @DisplayName("a paused queue hands out nothing: no fresh index, no hole, not the own lease")
    void nothingWhilePaused() {
      QueueRef q = initializedQueue();
      addCommitted(q, 2, T0);
      Lease held = leased(fetch(q, "w", T0));
      long pending = bk().allocate(q, 1, T0);
      assertThat(bk().pause(q, true)).isTrue();
      assertThat(bk().pause(q, true)).as("paused already").isFalse();
      assertThat(bk().state(q).paused()).isTrue();
      Instant late = T0.plus(GRACE);
      assertThat(fetch(q, "w", late)).isEqualTo(Fetch.EMPTY);
      assertThat(fetch(q, "x", late)).isEqualTo(Fetch.EMPTY);
      FetchBatch b = fetchBatch(q, "x", 5, late);
      assertThat(b.leases()).isEmpty();
      assertThat(b.hole()).isEmpty();
      assertThat(b.uninitialized()).isFalse();
      assertThat(bk().pause(q, false)).isTrue();
      assertThat(bk().pause(q, false)).as("running already").isFalse();
      assertThat(bk().state(q).paused()).isFalse();
      assertThat(fetch(q, "w", late)).isEqualTo(new Fetch.Leased(held, false));
      FetchBatch after = fetchBatch(q, "x", 5, late);
      assertThat(indicesOf(after)).containsExactly(2L);
      assertThat(after.hole()).hasValue(pending);
    }

    @Test
    @DisplayName("every step but fetching goes on while paused")
    void otherStepsGoOn() {
      QueueRef q = initializedQueue();
      addCommitted(q, 3, T0);
      leased(fetch(q, "w", T0));
      fetchBatch(q, "x", 2, T0);
      assertThat(bk().pause(q, true)).isTrue();
      long fourth = bk().allocate(q, 1, T0);
      assertThat(fourth).isEqualTo(4);
      assertThat(bk().commit(q, fourth, 1, Map.of(), T0)).isTrue();
      assertThat(bk().ack(q, "w", 1, Optional.empty())).isTrue();
      assertThat(bk().release(q, "x", 2, T0, T0)).isPresent();
      assertThat(bk().extend(q, "x", 3, T0.plusSeconds(60))).isTrue();
      assertThat(bk().deadLetter(q, "x", 3, Optional.empty(), T0)).isPresent();
      BookkeeperState s = bk().state(q);
      assertThat(List.of(s.allocated(), s.ready(), s.dead())).containsExactly(4L, 1L, 1L);
      assertThat(s.paused()).isTrue();
      assertThat(fetch(q, "y", T0)).isEqualTo(Fetch.EMPTY);
      assertThat(bk().pause(q, false)).isTrue();
      assertThat(fetch(q, "y", T0))
          .isEqualTo(new Fetch.Leased(new Lease("y", 2, T0.plus(TTR), 2), false));
      assertThat(index(fetch(q, "z", T0))).isEqualTo(fourth);
    }

    @Test
    @DisplayName("the paused flag of a queue not initialized yet survives its initialization")
    void survivesInitialize() {
      QueueRef q = TestQueues.fresh();
      assertThat(bk().pause(q, true)).isTrue();
      assertThat(fetch(q, "w", T0)).isEqualTo(Fetch.UNINITIALIZED);
      assertThat(bk().state(q))
          .as("not initialized, but paused")
          .isEqualTo(BookkeeperState.uninitialized(true));
      assertThat(bk().state(q).initialized()).isFalse();
      assertThat(bk().initialize(q, 0, 1, 0)).isTrue();
      assertThat(bk().state(q).paused()).isTrue();
      addCommitted(q, 1, T0);
      assertThat(fetch(q, "w", T0)).isEqualTo(Fetch.EMPTY);
      assertThat(bk().pause(q, false)).isTrue();
      assertThat(index(fetch(q, "w", T0))).isEqualTo(1);
    }
  }

  @Nested
  @DisplayName("settings")
  class Settings {
    @Test
    @DisplayName("a queue never configured has the default settings")
    void defaults() {
      assertThat(bk().settings(TestQueues.fresh())).isEqualTo(QueueSettings.DEFAULT);
      assertThat(bk().settings(initializedQueue())).isEqualTo(QueueSettings.DEFAULT);
    }

    @Test
    @DisplayName("configure replaces the settings of one queue")
    void configure() {
      QueueRef q = initializedQueue();
      QueueRef other = initializedQueue();
      bk().configure(q, new QueueSettings(5, 2));
      assertThat(bk().settings(q)).isEqualTo(new QueueSettings(5, 2));
      bk().configure(q, new QueueSettings(0, 7));
      assertThat(bk().settings(q)).isEqualTo(new QueueSettings(0, 7));
      assertThat(bk().settings(other)).isEqualTo(QueueSettings.DEFAULT);
    }

    @Test
    @DisplayName("settings of a queue not initialized yet survive its initialization")
    void survivesInitialize() {
      QueueRef q = TestQueues.fresh();
      bk().configure(q, new QueueSettings(3, 1));
      assertThat(bk().settings(q)).isEqualTo(new QueueSettings(3, 1));
      assertThat(bk().initialize(q, 0, 1, 0)).isTrue();
      assertThat(bk().settings(q)).isEqualTo(new QueueSettings(3, 1));
    }
  }

  @Nested
  @DisplayName("concurrency groups")
  class Groups {
    @Test
    @DisplayName("leases are admitted up to the limit; the rest are parked and no longer leased")
    void admitWithinLimit() {
      QueueRef q = initializedQueue();
      groupLimit(q, 2);
      addCommitted(q, 3, T0);
      FetchBatch b = fetchBatch(q, "w", 3, T0);
      assertThat(b.groups()).isEmpty();
      assertThat(bk().admit(q, "w", Map.of(1L, "g", 2L, "g", 3L, "g"), T0))
          .containsExactlyInAnyOrder(1L, 2L);
      BookkeeperState s = bk().state(q);
      assertThat(s.parked()).isEqualTo(1);
      assertThat(s.leases()).extracting(Lease::index).containsExactly(1L, 2L);
      assertThat(bk().batchLeaseCount(q, "w")).isEqualTo(2);
      assertThat(bk().ack(q, "w", 3, Optional.empty())).as("parked: not held").isFalse();
      assertThat(fetch(q, "x", T0)).isEqualTo(Fetch.EMPTY);
    }

    @Test
    @DisplayName("without a group limit every lease is admitted")
    void noLimit() {
      QueueRef q = initializedQueue();
      addCommitted(q, 3, T0);
      fetchBatch(q, "w", 3, T0);
      assertThat(bk().admit(q, "w", Map.of(1L, "g", 2L, "g", 3L, "g"), T0))
          .containsExactlyInAnyOrder(1L, 2L, 3L);
      assertThat(bk().state(q).parked()).isZero();
    }

    @Test
    @DisplayName("only the worker's own leases are admitted or parked")
    void onlyHeld() {
      QueueRef q = initializedQueue();
      groupLimit(q, 1);
      addCommitted(q, 2, T0);
      Lease held = leased(fetch(q, "w", T0));
      assertThat(bk().admit(q, "x", Map.of(1L, "g", 2L, "g"), T0)).isEmpty();
      BookkeeperState s = bk().state(q);
      assertThat(s.parked()).isZero();
      assertThat(s.leases()).containsExactly(held);
      assertThat(bk().admit(q, "w", Map.of(1L, "g"), T0)).containsExactly(1L);
    }

    @Test
    @DisplayName("an unparked index comes back with the delivery count of its parked lease")
    void deliveriesRestored() {
      QueueRef q = initializedQueue();
      groupLimit(q, 1);
      addCommitted(q, 2, T0);
      leased(fetch(q, "w", T0));
      assertThat(bk().admit(q, "w", Map.of(1L, "g"), T0)).containsExactly(1L);
      leased(fetch(q, "x", T0));
      assertThat(bk().release(q, "x", 2, T0, T0)).isPresent();
      Lease second = leased(fetch(q, "y", T0));
      assertThat(second.deliveries()).isEqualTo(2);
      assertThat(bk().admit(q, "y", Map.of(2L, "g"), T0)).isEmpty();
      assertThat(bk().lease(q, "y")).as("the parked lease is dropped").isEmpty();
      assertThat(bk().ackHeld(q, "y")).isEmpty();
      BookkeeperState s = bk().state(q);
      assertThat(List.of(s.parked(), s.ready())).containsExactly(1L, 0L);
      assertThat(bk().ack(q, "w", 1, Optional.empty())).isTrue();
      s = bk().state(q);
      assertThat(List.of(s.parked(), s.ready())).containsExactly(0L, 1L);
      assertThat(fetch(q, "z", T0))
          .isEqualTo(new Fetch.Leased(new Lease("z", 2, T0.plus(TTR), 2), false));
      assertThat(bk().admit(q, "z", Map.of(2L, "g"), T0)).containsExactly(2L);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(SlotEnding.class)
    @DisplayName("a freed slot moves the group's lowest parked index to the ready set")
    void unparkWhenSlotFrees(SlotEnding ending) {
      QueueRef q = initializedQueue();
      groupLimit(q, 1);
      addCommitted(q, 3, T0);
      leased(fetch(q, "w", T0));
      assertThat(bk().admit(q, "w", Map.of(1L, "g"), T0)).containsExactly(1L);
      leased(fetch(q, "x", T0));
      assertThat(bk().admit(q, "x", Map.of(2L, "g"), T0)).isEmpty();
      leased(fetch(q, "y", T0));
      assertThat(bk().admit(q, "y", Map.of(3L, "g"), T0)).isEmpty();
      assertThat(bk().state(q).parked()).isEqualTo(2);
      switch (ending) {
        case ACK -> assertThat(bk().ack(q, "w", 1, Optional.empty())).isTrue();
        case ACK_ALL ->
            assertThat(bk().ackAll(q, "w", List.of(1L), Optional.empty())).containsExactly(1L);
        case ACK_HELD -> assertThat(bk().ackHeld(q, "w")).hasValue(1);
        case RELEASE -> assertThat(bk().release(q, "w", 1, T0.plusSeconds(3600), T0)).isPresent();
        case DEAD_LETTER ->
            assertThat(bk().deadLetter(q, "w", 1, Optional.empty(), T0)).isPresent();
        case EXPIRE -> assertThat(bk().expire(q, "w", List.of(1L))).containsExactly(1L);
      }
      BookkeeperState s = bk().state(q);
      assertThat(List.of(s.parked(), s.ready())).containsExactly(1L, 1L);
      assertThat(s.leases()).isEmpty();
      assertThat(fetch(q, "z", T0))
          .isEqualTo(new Fetch.Leased(new Lease("z", 2, T0.plus(TTR), 1), false));
      assertThat(bk().admit(q, "z", Map.of(2L, "g"), T0)).containsExactly(2L);
      assertThat(bk().ack(q, "z", 2, Optional.empty())).isTrue();
      assertThat(index(fetch(q, "v", T0))).isEqualTo(3);
      assertThat(bk().admit(q, "v", Map.of(3L, "g"), T0)).containsExactly(3L);
      assertThat(bk().state(q).parked()).isZero();
    }

    @Test
    @DisplayName("a full group blocks neither other groups nor tasks without a group")
    void blockedGroupBlocksNothingElse() {
      QueueRef q = initializedQueue();
      groupLimit(q, 1);
      addCommitted(q, 5, T0);
      Map<Long, String> groups = Map.of(1L, "g", 2L, "g", 3L, "h", 5L, "g");
      List<Long> admitted = new ArrayList<>();
      for (String w : List.of("a", "b", "c", "d", "e")) {
        long i = index(fetch(q, w, T0));
        if (groups.containsKey(i)) {
          admitted.addAll(bk().admit(q, w, Map.of(i, groups.get(i)), T0));
        }
      }
      assertThat(admitted).containsExactly(1L, 3L);
      BookkeeperState s = bk().state(q);
      assertThat(s.parked()).isEqualTo(2);
      assertThat(s.leases()).extracting(Lease::index).containsExactly(1L, 3L, 4L);
      assertThat(bk().ack(q, "a", 1, Optional.empty())).isTrue();
      assertThat(index(fetch(q, "f", T0))).as("the lowest parked index of g").isEqualTo(2);
      assertThat(bk().state(q).parked()).isEqualTo(1);
    }

    @Test
    @DisplayName("a parked index counts as unfinished")
    void parkedIsUnfinished() {
      QueueRef q = initializedQueue();
      groupLimit(q, 1);
      addCommitted(q, 3, T0);
      for (String w : List.of("a", "b", "c")) {
        leased(fetch(q, w, T0));
      }
      assertThat(bk().admit(q, "c", Map.of(3L, "g"), T0)).containsExactly(3L);
      assertThat(bk().admit(q, "b", Map.of(2L, "g"), T0)).isEmpty();
      assertThat(bk().ack(q, "a", 1, Optional.empty())).isTrue();
      assertThat(bk().state(q).lowestUnfinished()).isEqualTo(2);
    }

    @Test
    @DisplayName("the worker's own lease, fetched again, reports the slot it holds")
    void ownLeaseReportsGroup() {
      QueueRef q = initializedQueue();
      groupLimit(q, 1);
      addCommitted(q, 1, T0);
      Lease held = leased(fetch(q, "w", T0));
      assertThat(bk().admit(q, "w", Map.of(1L, "g"), T0)).containsExactly(1L);
      assertThat(fetch(q, "w", T0))
          .isEqualTo(new Fetch.Leased(held, false, false, Optional.of("g")));
    }

    @Test
    @DisplayName("a recovered lease keeps its slot and says so")
    void recoveredKeepsSlot() {
      QueueRef q = initializedQueue();
      groupLimit(q, 1);
      addCommitted(q, 2, T0);
      leased(fetch(q, "w", T0));
      assertThat(bk().admit(q, "w", Map.of(1L, "g"), T0)).containsExactly(1L);
      Instant late = T0.plus(TTR);
      assertThat(fetch(q, "x", late))
          .isEqualTo(
              new Fetch.Leased(
                  new Lease("x", 1, late.plus(TTR), 2), false, true, Optional.of("g")));
      assertThat(index(fetch(q, "y", late))).isEqualTo(2);
      assertThat(bk().admit(q, "y", Map.of(2L, "g"), late)).as("x holds the slot").isEmpty();
      assertThat(bk().ack(q, "w", 1, Optional.empty())).as("taken over").isFalse();
      assertThat(bk().state(q).parked()).isEqualTo(1);
      assertThat(bk().ack(q, "x", 1, Optional.empty())).isTrue();
      assertThat(bk().state(q).parked()).isZero();
      assertThat(index(fetch(q, "z", late))).isEqualTo(2);
    }

    @Test
    @DisplayName("a batch reports the recovered leases and the slots they keep")
    void recoveredKeepsSlotInBatch() {
      QueueRef q = initializedQueue();
      groupLimit(q, 2);
      addCommitted(q, 3, T0);
      fetchBatch(q, "w", 3, T0);
      assertThat(bk().admit(q, "w", Map.of(1L, "g", 2L, "g"), T0))
          .containsExactlyInAnyOrder(1L, 2L);
      Instant late = T0.plus(TTR);
      FetchBatch b = fetchBatch(q, "x", 5, late);
      assertThat(indicesOf(b)).containsExactlyInAnyOrder(1L, 2L, 3L);
      assertThat(b.leases()).extracting(Lease::deliveries).containsOnly(2);
      assertThat(b.recovered()).containsExactlyInAnyOrder(1L, 2L, 3L);
      assertThat(b.groups()).isEqualTo(Map.of(1L, "g", 2L, "g"));
      long fourth = addCommitted(q, 1, late);
      assertThat(index(fetch(q, "y", late))).isEqualTo(fourth);
      assertThat(bk().admit(q, "y", Map.of(fourth, "g"), late)).isEmpty();
    }

    @Test
    @DisplayName("raising the limit, or removing it, unparks as many as now fit")
    void raisingLimitUnparks() {
      QueueRef q = initializedQueue();
      groupLimit(q, 1);
      addCommitted(q, 5, T0);
      for (String w : List.of("a", "b", "c", "d", "e")) {
        long i = index(fetch(q, w, T0));
        bk().admit(q, w, Map.of(i, "g"), T0);
      }
      assertThat(bk().state(q).parked()).isEqualTo(4);
      groupLimit(q, 3);
      BookkeeperState s = bk().state(q);
      assertThat(List.of(s.parked(), s.ready())).containsExactly(2L, 2L);
      groupLimit(q, 0);
      s = bk().state(q);
      assertThat(List.of(s.parked(), s.ready())).containsExactly(0L, 4L);
      for (long expected = 2; expected <= 5; expected++) {
        assertThat(fetch(q, "f" + expected, T0))
            .isEqualTo(
                new Fetch.Leased(new Lease("f" + expected, expected, T0.plus(TTR), 1), false));
      }
    }
  }

  /** The ways a lease that holds a group slot can end. */
  enum SlotEnding {
    /** {@link Bookkeeper#ack}. */
    ACK,
    /** {@link Bookkeeper#ackAll}. */
    ACK_ALL,
    /** {@link Bookkeeper#ackHeld}. */
    ACK_HELD,
    /** {@link Bookkeeper#release}. */
    RELEASE,
    /** {@link Bookkeeper#deadLetter}. */
    DEAD_LETTER,
    /** {@link Bookkeeper#expire}. */
    EXPIRE
  }

  @Nested
  @DisplayName("purge")
  class Purge {
    @Test
    @DisplayName("purge forgets everything: the queue is uninitialized, settings and pause gone")
    void forgetsEverything() {
      QueueRef q = initializedQueue();
      QueueRef other = initializedQueue();
      addCommitted(other, 1, T0);
      bk().configure(q, new QueueSettings(3, 1));
      addCommitted(q, 3, T0);
      addCommitted(q, Priority.URGENT, 1, T0);
      addDelayed(q, Priority.NORMAL, T0.plusSeconds(60), T0);
      leased(fetch(q, "w", T0));
      bk().ack(q, "w", U + 1, Optional.of(T0));
      leased(fetch(q, "x", T0));
      bk().deadLetter(q, "x", 1, Optional.empty(), T0);
      fetchBatch(q, "y", 1, T0);
      bk().admit(q, "y", Map.of(2L, "g"), T0);
      assertThat(bk().pause(q, true)).isTrue();
      BookkeeperState otherBefore = bk().state(other);

      bk().purge(q);

      assertThat(bk().state(q)).isEqualTo(BookkeeperState.UNINITIALIZED);
      assertThat(bk().allocate(q, 1, T0)).isZero();
      assertThat(bk().allocate(q, Priority.URGENT, 1, T0)).isZero();
      assertThat(fetch(q, "w", T0)).isEqualTo(Fetch.UNINITIALIZED);
      assertThat(bk().settings(q)).isEqualTo(QueueSettings.DEFAULT);
      assertThat(bk().initialize(q, 0, 1, 0)).isTrue();
      assertThat(bk().state(q)).isEqualTo(new BookkeeperState(0, 0, 0, 0, 1, true, List.of()));
      assertThat(bk().deadLetters(q, 10)).isEmpty();
      assertThat(bk().claimCompletions(q, T0.plusSeconds(3600), TTR, 10)).isEmpty();
      assertThat(bk().pause(q, false)).as("not paused").isFalse();
      assertThat(bk().allocate(q, 1, T0)).isEqualTo(1);
      assertThat(bk().state(other)).isEqualTo(otherBefore);
    }

    @Test
    @DisplayName("purge of a queue not initialized forgets its settings and paused flag")
    void uninitialized() {
      QueueRef q = TestQueues.fresh();
      bk().configure(q, new QueueSettings(1, 1));
      bk().pause(q, true);
      bk().purge(q);
      assertThat(bk().settings(q)).isEqualTo(QueueSettings.DEFAULT);
      assertThat(bk().pause(q, false)).isFalse();
      assertThat(bk().state(q)).isEqualTo(BookkeeperState.UNINITIALIZED);
    }
  }

  @Nested
  @DisplayName("signals")
  class SignalsKit {
    @Test
    @DisplayName("signals() is present exactly when the bookkeeper says it has signals")
    void presence() {
      assertThat(bk().signals().isPresent()).isEqualTo(hasSignals());
    }

    @Test
    @DisplayName("a commit with anything ready signals work; one of delayed indices only does not")
    void workOnCommit() throws Exception {
      QueueRef q = initializedQueue();
      withSignals(
          q,
          p -> {
            addDelayed(q, Priority.NORMAL, T0.plusSeconds(3600), T0);
            p.noWork("a commit of delayed indices only");
            addCommitted(q, Priority.HIGH, 2, T0);
            p.awaitWork("a commit");
            long first = bk().allocate(q, 1, T0);
            assertThat(bk().commit(q, first, 1)).isTrue();
            p.awaitWork("a commit without due times");
          });
    }

    @Test
    @DisplayName("a release with no delay signals work; one with a delay does not")
    void workOnRelease() throws Exception {
      QueueRef q = initializedQueue();
      addCommitted(q, 2, T0);
      leased(fetch(q, "w", T0));
      leased(fetch(q, "x", T0));
      withSignals(
          q,
          p -> {
            assertThat(bk().release(q, "w", 1, T0.plusSeconds(3600), T0)).isPresent();
            p.noWork("a release with a delay");
            assertThat(bk().release(q, "x", 2, T0, T0)).isPresent();
            p.awaitWork("a release with no delay");
          });
    }

    @Test
    @DisplayName("a dead letter signals its completion; a requeue signals work")
    void deadLetterAndRequeue() throws Exception {
      QueueRef q = initializedQueue();
      addCommitted(q, 1, T0);
      leased(fetch(q, "w", T0));
      withSignals(
          q,
          p -> {
            assertThat(bk().deadLetter(q, "w", 1, Optional.empty(), T0)).isPresent();
            assertThat(p.awaitDone(1)).containsExactly(1L);
            assertThat(bk().requeue(q, 1, T0)).isTrue();
            p.awaitWork("a requeue");
          });
    }

    @Test
    @DisplayName("resuming a paused queue signals work")
    void workOnResume() throws Exception {
      QueueRef q = initializedQueue();
      withSignals(
          q,
          p -> {
            assertThat(bk().pause(q, true)).isTrue();
            assertThat(bk().pause(q, false)).isTrue();
            p.awaitWork("resume");
          });
    }

    @Test
    @DisplayName("unparking signals work, whether a slot freed or the limit rose")
    void workOnUnpark() throws Exception {
      QueueRef q = initializedQueue();
      groupLimit(q, 1);
      addCommitted(q, 3, T0);
      for (String w : List.of("a", "b", "c")) {
        long i = index(fetch(q, w, T0));
        bk().admit(q, w, Map.of(i, "g"), T0);
      }
      assertThat(bk().state(q).parked()).isEqualTo(2);
      withSignals(
          q,
          p -> {
            assertThat(bk().ack(q, "a", 1, Optional.empty())).isTrue();
            assertThat(p.awaitDone(1)).containsExactly(1L);
            p.awaitWork("a freed slot");
            groupLimit(q, 3);
            p.awaitWork("a higher limit");
            assertThat(bk().state(q).parked()).isZero();
          });
    }

    @Test
    @DisplayName(
        "ack, ackAll and ackHeld signal each acknowledged index; expire and refusals do not")
    void doneOnAck() throws Exception {
      QueueRef q = initializedQueue();
      addCommitted(q, 6, T0);
      leased(fetch(q, "w", T0));
      fetchBatch(q, "b", 4, T0);
      leased(fetch(q, "v", T0));
      withSignals(
          q,
          p -> {
            assertThat(bk().ack(q, "other", 1, Optional.empty())).isFalse();
            assertThat(bk().expire(q, "b", List.of(5L))).containsExactly(5L);
            p.noDone("a refused ack and an expire");
            assertThat(bk().ack(q, "w", 1, Optional.empty())).isTrue();
            assertThat(p.awaitDone(1)).containsExactly(1L);
            assertThat(bk().ackAll(q, "b", List.of(2L, 3L, 9L), Optional.of(T0)))
                .containsExactlyInAnyOrder(2L, 3L);
            assertThat(p.awaitDone(2)).containsExactlyInAnyOrder(2L, 3L);
            assertThat(bk().ackHeld(q, "v")).hasValue(6);
            assertThat(p.awaitDone(1)).containsExactly(6L);
          });
    }

    @Test
    @DisplayName("signals reach only the queue's subscribers, and none after close")
    void subscriptions() throws Exception {
      QueueRef q = initializedQueue();
      QueueRef other = initializedQueue();
      withSignals(
          q,
          p -> {
            try (Probe elsewhere = new Probe(bk().signals().orElseThrow(), other)) {
              addCommitted(q, 1, T0);
              p.awaitWork("a commit");
              elsewhere.noWork("a commit in another queue");
            }
            p.close();
            addCommitted(q, 1, T0);
            p.noWork("a commit after close");
          });
    }
  }

  /** A signal test's body. */
  @FunctionalInterface
  interface SignalTest {
    /**
     * Runs the test.
     *
     * @param probe the queue's signals as they arrive
     * @throws Exception on failure
     */
    void run(Probe probe) throws Exception;
  }

  /**
   * Runs {@code body} with a probe on {@code q}'s signals, or, for a bookkeeper without signals,
   * checks that {@link Bookkeeper#signals()} is empty.
   */
  private void withSignals(QueueRef q, SignalTest body) throws Exception {
    Optional<Signals> signals = bk().signals();
    if (!hasSignals()) {
      assertThat(signals).as("a bookkeeper without signals answers empty").isEmpty();
      return;
    }
    assertThat(signals).isPresent();
    try (Probe p = new Probe(signals.get(), q)) {
      body.run(p);
    }
  }

  /** Records the signals of one queue as they arrive. */
  static final class Probe implements AutoCloseable {
    private final BlockingQueue<Boolean> work = new LinkedBlockingQueue<>();
    private final BlockingQueue<Long> done = new LinkedBlockingQueue<>();
    private final AutoCloseable workSubscription;
    private final AutoCloseable doneSubscription;
    private boolean closed;

    Probe(Signals signals, QueueRef queue) {
      workSubscription = signals.onWork(queue, () -> work.add(true));
      doneSubscription = signals.onCompletion(queue, done::add);
    }

    void awaitWork(String after) throws InterruptedException {
      assertThat(work.poll(SIGNAL_WAIT.toMillis(), TimeUnit.MILLISECONDS))
          .as("a work signal after %s", after)
          .isNotNull();
    }

    void noWork(String after) throws InterruptedException {
      assertThat(work.poll(SIGNAL_QUIET.toMillis(), TimeUnit.MILLISECONDS))
          .as("no work signal after %s", after)
          .isNull();
    }

    List<Long> awaitDone(int n) throws InterruptedException {
      List<Long> got = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        Long index = done.poll(SIGNAL_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(index).as("completion signal %d of %d, after %s", i + 1, n, got).isNotNull();
        got.add(index);
      }
      return got;
    }

    void noDone(String after) throws InterruptedException {
      assertThat(done.poll(SIGNAL_QUIET.toMillis(), TimeUnit.MILLISECONDS))
          .as("no completion signal after %s", after)
          .isNull();
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        try {
          workSubscription.close();
          doneSubscription.close();
        } catch (Exception e) {
          throw new AssertionError("closing a subscription failed", e);
        }
      }
    }
  }

  @Nested
  @DisplayName("concurrency")
  class Concurrency {
    @Test
    @DisplayName(
        "8 threads over lanes, delays and groups: each task done once, no group over limit")
    void mixed() throws Exception {
      QueueRef q = initializedQueue();
      int limit = 2;
      groupLimit(q, limit);
      Random random = new Random(7);
      Map<Long, String> groupOf = new HashMap<>();
      Set<Long> all = new HashSet<>();
      for (Priority lane : Priority.values()) {
        for (int block = 0; block < 8; block++) {
          int n = 10;
          long first = bk().allocate(q, lane, n, T0);
          Map<Long, Instant> due = new HashMap<>();
          for (long i = first; i < first + n; i++) {
            all.add(i);
            if (random.nextInt(3) == 0) {
              due.put(i, T0.plusMillis(1 + random.nextInt(400)));
            }
            int g = random.nextInt(5);
            if (g < 3) {
              groupOf.put(i, "g" + g);
            }
          }
          assertThat(bk().commit(q, first, n, due, T0)).isTrue();
        }
      }
      Duration ttr = Duration.ofHours(1); // no lease expires: the clock stops at T0 + 1 s
      long clockStop = T0.plusSeconds(1).toEpochMilli();
      long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      AtomicLong clock = new AtomicLong(T0.toEpochMilli());
      Set<Long> done = ConcurrentHashMap.newKeySet();
      Map<Long, AtomicInteger> leasesOf = new ConcurrentHashMap<>();
      Map<String, AtomicInteger> holding = new ConcurrentHashMap<>();
      List<String> problems = new java.util.concurrent.CopyOnWriteArrayList<>();
      ExecutorService pool = Executors.newFixedThreadPool(8);
      try {
        List<Future<?>> fs = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
          String w = "w" + t;
          int max = t % 2 == 0 ? 0 : 1 + t % 4; // 0: the single-task path
          fs.add(
              pool.submit(
                  () -> {
                    while (done.size() < all.size() && problems.isEmpty()) {
                      Instant now = Instant.ofEpochMilli(clock.get());
                      if (System.nanoTime() - giveUp > 0) {
                        problems.add("stuck with " + done.size() + " of " + all.size() + " done");
                        return null;
                      }
                      Map<Long, Optional<String>> got = new LinkedHashMap<>();
                      if (max == 0) {
                        if (bk().fetch(q, w, now, ttr, GRACE) instanceof Fetch.Leased l) {
                          got.put(l.lease().index(), l.group());
                        }
                      } else {
                        FetchBatch b = bk().fetchBatch(q, w, max, now, ttr, GRACE);
                        for (Lease l : b.leases()) {
                          got.put(l.index(), Optional.ofNullable(b.groups().get(l.index())));
                        }
                      }
                      if (got.isEmpty()) {
                        // the rest is delayed, parked, or leased by other threads
                        clock.updateAndGet(c -> Math.min(c + 10, clockStop));
                        Thread.yield();
                        continue;
                      }
                      Map<Long, String> toAdmit = new HashMap<>();
                      for (Map.Entry<Long, Optional<String>> e : got.entrySet()) {
                        leasesOf
                            .computeIfAbsent(e.getKey(), k -> new AtomicInteger())
                            .incrementAndGet();
                        if (e.getValue().isPresent()) {
                          problems.add(e.getKey() + " holds a slot before admission");
                        }
                        if (groupOf.containsKey(e.getKey())) {
                          toAdmit.put(e.getKey(), groupOf.get(e.getKey()));
                        }
                      }
                      Set<Long> admitted =
                          toAdmit.isEmpty() ? Set.of() : bk().admit(q, w, toAdmit, now);
                      List<Long> finished = new ArrayList<>();
                      List<AtomicInteger> slots = new ArrayList<>();
                      for (long index : got.keySet()) {
                        String g = groupOf.get(index);
                        if (g != null && !admitted.contains(index)) {
                          continue; // parked
                        }
                        if (g != null) {
                          AtomicInteger held = holding.computeIfAbsent(g, k -> new AtomicInteger());
                          slots.add(held);
                          if (held.incrementAndGet() > limit) {
                            problems.add("group " + g + " above its limit");
                          }
                        }
                        if (!done.add(index)) {
                          problems.add(index + " done twice");
                        }
                        finished.add(index);
                      }
                      Thread.yield();
                      slots.forEach(AtomicInteger::decrementAndGet);
                      Set<Long> acked = bk().ackAll(q, w, finished, Optional.empty());
                      if (!acked.equals(new HashSet<>(finished))) {
                        problems.add("acked " + acked + " of " + finished);
                      }
                    }
                    return null;
                  }));
        }
        for (Future<?> f : fs) {
          f.get(120, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }
      assertThat(problems).as("state %s", bk().state(q)).isEmpty();
      assertThat(done).isEqualTo(all);
      for (long i : all) {
        if (!groupOf.containsKey(i)) {
          assertThat(leasesOf.get(i)).as("leases of %d, which has no group", i).hasValue(1);
        }
      }
      assertThat(leasesOf.keySet()).isEqualTo(all);
      BookkeeperState s = bk().state(q);
      assertThat(s.leases()).isEmpty();
      assertThat(List.of(s.delayed(), s.ready(), s.parked(), s.dead())).containsOnly(0L);
      assertThat(s.fetched()).isEqualTo(s.allocated());
      for (BookkeeperState.LaneState lane : s.lanes().values()) {
        assertThat(lane.fetched()).isEqualTo(lane.allocated());
      }
      assertThat(s.lanes()).hasSize(4);
    }
  }

  @Nested
  @DisplayName("arguments")
  class Arguments {
    @Test
    @DisplayName("allocate in a lane takes 1 or more indices")
    void allocateCount() {
      QueueRef q = initializedQueue();
      assertThatThrownBy(() -> bk().allocate(q, Priority.HIGH, 0, T0))
          .isInstanceOfSatisfying(
              InvalidArgumentException.class, e -> assertThat(e.argument()).isEqualTo("count"));
      assertThat(bk().state(q).lanes()).isEmpty();
    }

    @Test
    @DisplayName(
        "initialize rejects lane starts outside their lane or out of order, changing nothing")
    void laneStarts() {
      QueueRef q = TestQueues.fresh();
      for (LaneStart bad :
          List.of(
              new LaneStart(Priority.HIGH, H + 5, H + 7, H + 5),
              new LaneStart(Priority.HIGH, H + 5, H + 1, H + 6),
              new LaneStart(Priority.URGENT, 5, 1, 0),
              new LaneStart(Priority.LOW, L + 5, L, L + 5))) {
        assertThatThrownBy(() -> bk().initialize(q, List.of(bad)))
            .as("%s", bad)
            .isInstanceOfSatisfying(
                InvalidArgumentException.class, e -> assertThat(e.argument()).isEqualTo("lanes"));
      }
      assertThatThrownBy(
              () ->
                  bk().initialize(
                          q,
                          List.of(LaneStart.empty(Priority.HIGH), LaneStart.empty(Priority.HIGH))))
          .as("a lane listed twice")
          .isInstanceOf(InvalidArgumentException.class);
      assertThat(bk().state(q)).isEqualTo(BookkeeperState.UNINITIALIZED);
      assertThat(bk().initialize(q, List.of(LaneStart.empty(Priority.HIGH)))).isTrue();
    }
  }

  @Test
  @DisplayName("queues do not share state")
  void isolation() {
    QueueRef a = initializedQueue();
    QueueRef b = initializedQueue();
    addCommitted(a, 3, T0);
    assertThat(bk().state(b)).isEqualTo(new BookkeeperState(0, 0, 0, 0, 1, true, List.of()));
    assertThat(fetch(b, "w", T0)).isInstanceOf(Fetch.Empty.class);
  }
}
