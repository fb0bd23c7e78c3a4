package io.workqueue.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.workqueue.Lease;
import io.workqueue.QueueRef;
import io.workqueue.spi.Bookkeeper;
import io.workqueue.spi.BookkeeperState;
import io.workqueue.spi.Fetch;
import io.workqueue.spi.FetchBatch;
import io.workqueue.spi.PendingCompletion;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link Bookkeeper} passes: index allocation and commit, holes, leases and
 * their recovery, completions, rewind, atomicity under concurrency. Time is passed in, so the tests
 * move it by hand. Each test uses its own queues; one shared bookkeeper is fine.
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
          .isEqualTo(new Fetch.Leased(new Lease("w2", 1, later.plusSeconds(30), 2), false));
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
