package io.workqueue.testkit;

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
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link Bookkeeper} in memory: the reference semantics of the SPI, the one the Redis scripts
 * follow step for step. Thread-safe: each queue's state is guarded by its own monitor, so every
 * method is one atomic step, as one Lua script is on Redis. Not durable.
 */
public final class InMemoryBookkeeper implements Bookkeeper {

  private final Map<QueueRef, QueueState> queues = new ConcurrentHashMap<>();

  /** Creates an empty bookkeeper. */
  public InMemoryBookkeeper() {}

  private QueueState of(QueueRef queue) {
    return queues.computeIfAbsent(queue, q -> new QueueState());
  }

  /** One queue's bookkeeping; the fields mirror the Redis keys of the queue. */
  private static final class QueueState {
    boolean initialized;
    long allocated;
    long fetched;

    /** After a rebuild: indices up to this one are redeliveries (Redis: n.replay). */
    long replayUntil;

    /** After a rebuild: the pointer jumps from replayUntil to here (Redis: n.skip). */
    long skipUntil;

    /** Holes resolved as kept, so that their late commit succeeds (Redis: zset "kept"). */
    final Set<Long> kept = new HashSet<>();

    /** Allocated, not yet committed: index to allocation time (Redis: zset "pending"). */
    final TreeMap<Long, Instant> pending = new TreeMap<>();

    /** Holes resolved as skipped (Redis: zset "skipped"). */
    final TreeSet<Long> skipped = new TreeSet<>();

    /** Leases by index (Redis: hash "lease" plus zset "deadline"). */
    final TreeMap<Long, Lease> leases = new TreeMap<>();

    /** A worker's lease on the single-task path (Redis: hash "holder"). */
    final Map<String, Long> holder = new HashMap<>();

    /** Indices leased on the batch path (Redis: the lease value's mode flag). */
    final Set<Long> batchLeases = new HashSet<>();

    /** Batch leases per worker (Redis: hash "batch"). */
    final Map<String, Integer> batchCount = new HashMap<>();

    /** Leases an index to a worker, taking it over from any earlier holder. */
    Lease grant(String worker, long index, Instant deadline, int deliveries, boolean batch) {
      Lease old = leases.get(index);
      if (old != null && batchLeases.remove(index)) {
        batchCount.merge(old.worker(), -1, Integer::sum);
      }
      Lease lease = new Lease(worker, index, deadline, deliveries);
      leases.put(index, lease);
      if (batch) {
        batchLeases.add(index);
        batchCount.merge(worker, 1, Integer::sum);
        if (Long.valueOf(index).equals(holder.get(worker))) {
          holder.remove(worker); // its own single-task lease, recovered into a batch
        }
      } else {
        holder.put(worker, index);
      }
      return lease;
    }

    /** Releases a lease (after its holder acknowledged). */
    void release(Lease lease) {
      leases.remove(lease.index());
      if (batchLeases.remove(lease.index())) {
        batchCount.merge(lease.worker(), -1, Integer::sum);
      }
      if (Long.valueOf(lease.index()).equals(holder.get(lease.worker()))) {
        holder.remove(lease.worker());
      }
    }

    /** The expired lease with the earliest deadline (ties: lowest index). */
    Optional<Lease> earliestExpired(Instant now) {
      return leases.values().stream()
          .filter(l -> l.expiredAt(now))
          .min(Comparator.comparing(Lease::deadline).thenComparingLong(Lease::index));
    }

    /** Advances the pointer to the next committed index nobody holds, or returns 0. */
    long nextFresh() {
      long committed = committed();
      while (fetched < committed) {
        if (fetched >= replayUntil && fetched < skipUntil) {
          fetched = skipUntil; // indices a rebuild found no task for
          continue;
        }
        long index = ++fetched;
        // Skipped holes are stepped over; so, after a rewind, are indices still leased: each
        // index has at most one lease.
        if (!skipped.contains(index) && !leases.containsKey(index)) {
          return index;
        }
      }
      return 0;
    }

    /** The oldest pending index, when it blocks the pointer past the grace period. */
    Optional<Long> hole(Instant now, Duration grace) {
      if (pending.isEmpty()) {
        return Optional.empty();
      }
      Map.Entry<Long, Instant> oldest = pending.firstEntry();
      return now.isBefore(oldest.getValue().plus(grace))
          ? Optional.empty()
          : Optional.of(oldest.getKey());
    }

    /** Pending completions to due time (Redis: zset "completions"). */
    final Map<PendingCompletion, Instant> completions = new HashMap<>();

    long committed() {
      return pending.isEmpty() ? allocated : pending.firstKey() - 1;
    }
  }

  @Override
  public long allocate(QueueRef queue, int count, Instant now) {
    if (count < 1) {
      throw new IllegalArgumentException("count must be 1 or more");
    }
    QueueState s = of(queue);
    synchronized (s) {
      if (!s.initialized) {
        return 0;
      }
      long first = s.allocated + 1;
      for (long i = first; i < first + count; i++) {
        s.pending.put(i, now);
      }
      s.allocated += count;
      return first;
    }
  }

  @Override
  public boolean initialize(QueueRef queue, long allocated, long replayFrom, long replayTo) {
    if (allocated < 0 || replayTo > allocated || replayFrom < 1 || replayFrom > replayTo + 1) {
      throw new IllegalArgumentException(
          "need 0 <= allocated, replayTo <= allocated, 1 <= replayFrom <= replayTo + 1; got "
              + allocated
              + ", "
              + replayFrom
              + ", "
              + replayTo);
    }
    QueueState s = of(queue);
    synchronized (s) {
      if (s.initialized) {
        return false;
      }
      s.initialized = true;
      s.allocated = allocated;
      s.fetched = replayFrom - 1;
      s.replayUntil = replayTo;
      s.skipUntil = allocated;
      return true;
    }
  }

  @Override
  public boolean commit(QueueRef queue, long first, int count) {
    QueueState s = of(queue);
    synchronized (s) {
      boolean all = true;
      for (long i = first; i < first + count; i++) {
        if (s.pending.remove(i) == null && !s.kept.contains(i)) {
          all = false; // skipped as a hole, or unknown after a rebuild
        }
      }
      return all;
    }
  }

  @Override
  public Fetch fetch(
      QueueRef queue, String worker, Instant now, Duration timeToRecover, Duration holeGrace) {
    QueueState s = of(queue);
    synchronized (s) {
      if (!s.initialized) {
        return Fetch.UNINITIALIZED;
      }
      Instant deadline = now.plus(timeToRecover);
      // 1. The worker's own lease on the single-task path, while it is not expired.
      Long held = s.holder.get(worker);
      if (held != null) {
        Lease lease = s.leases.get(held);
        if (lease == null || !lease.worker().equals(worker)) {
          s.holder.remove(worker); // acknowledged, or taken over by another worker
        } else if (!lease.expiredAt(now)) {
          return new Fetch.Leased(lease, false);
        }
      }
      // 2. The expired lease with the earliest deadline, to exactly this worker.
      Optional<Lease> expired = s.earliestExpired(now);
      if (expired.isPresent()) {
        Lease old = expired.get();
        return new Fetch.Leased(
            s.grant(worker, old.index(), deadline, old.deliveries() + 1, false), false);
      }
      // 3. The next committed index (a redelivery while replaying after a rebuild).
      long index = s.nextFresh();
      if (index > 0) {
        boolean replay = index <= s.replayUntil;
        return new Fetch.Leased(s.grant(worker, index, deadline, replay ? 2 : 1, false), !replay);
      }
      // 4. A pending index blocking the pointer for longer than the grace period.
      Optional<Long> hole = s.hole(now, holeGrace);
      if (hole.isPresent()) {
        return new Fetch.Hole(hole.get());
      }
      return Fetch.EMPTY;
    }
  }

  @Override
  public boolean resolveHole(QueueRef queue, long index, boolean keep, Instant now) {
    QueueState s = of(queue);
    synchronized (s) {
      if (s.pending.remove(index) == null) {
        return false;
      }
      if (keep) {
        s.kept.add(index);
      } else {
        s.skipped.add(index);
      }
      return true;
    }
  }

  @Override
  public Optional<Lease> lease(QueueRef queue, String worker) {
    QueueState s = of(queue);
    synchronized (s) {
      Long held = s.holder.get(worker);
      if (held == null) {
        return Optional.empty();
      }
      Lease lease = s.leases.get(held);
      return lease != null && lease.worker().equals(worker) ? Optional.of(lease) : Optional.empty();
    }
  }

  @Override
  public boolean ack(QueueRef queue, String worker, long index, Optional<Instant> completionDueAt) {
    return !ackAll(queue, worker, List.of(index), completionDueAt).isEmpty();
  }

  @Override
  public OptionalLong ackHeld(QueueRef queue, String worker) {
    QueueState s = of(queue);
    synchronized (s) {
      Long held = s.holder.remove(worker);
      Lease lease = held == null ? null : s.leases.get(held);
      if (lease == null || !lease.worker().equals(worker) || s.batchLeases.contains(held)) {
        return OptionalLong.empty();
      }
      s.release(lease);
      return OptionalLong.of(held);
    }
  }

  @Override
  public FetchBatch fetchBatch(
      QueueRef queue,
      String worker,
      int max,
      Instant now,
      Duration timeToRecover,
      Duration holeGrace) {
    if (max < 1) {
      throw new IllegalArgumentException("max must be 1 or more");
    }
    QueueState s = of(queue);
    synchronized (s) {
      if (!s.initialized) {
        return FetchBatch.UNINITIALIZED;
      }
      Instant deadline = now.plus(timeToRecover);
      List<Lease> granted = new ArrayList<>();
      while (granted.size() < max) {
        Optional<Lease> expired = s.earliestExpired(now);
        if (expired.isEmpty()) {
          break;
        }
        Lease old = expired.get();
        granted.add(s.grant(worker, old.index(), deadline, old.deliveries() + 1, true));
      }
      while (granted.size() < max) {
        long index = s.nextFresh();
        if (index == 0) {
          break;
        }
        granted.add(s.grant(worker, index, deadline, index <= s.replayUntil ? 2 : 1, true));
      }
      OptionalLong hole = OptionalLong.empty();
      if (granted.size() < max) {
        Optional<Long> h = s.hole(now, holeGrace);
        if (h.isPresent()) {
          hole = OptionalLong.of(h.get());
        }
      }
      return new FetchBatch(granted, hole);
    }
  }

  @Override
  public Set<Long> ackAll(
      QueueRef queue, String worker, Collection<Long> indices, Optional<Instant> completionDueAt) {
    QueueState s = of(queue);
    synchronized (s) {
      Set<Long> acked = new LinkedHashSet<>();
      for (long index : indices) {
        Lease lease = s.leases.get(index);
        if (lease == null || !lease.worker().equals(worker)) {
          continue;
        }
        s.release(lease);
        completionDueAt.ifPresent(
            due -> s.completions.put(new PendingCompletion(index, worker), due));
        acked.add(index);
      }
      return acked;
    }
  }

  @Override
  public int batchLeaseCount(QueueRef queue, String worker) {
    QueueState s = of(queue);
    synchronized (s) {
      return s.batchCount.getOrDefault(worker, 0);
    }
  }

  @Override
  public List<PendingCompletion> claimCompletions(
      QueueRef queue, Instant now, Duration claimFor, int limit) {
    QueueState s = of(queue);
    synchronized (s) {
      List<PendingCompletion> due =
          s.completions.entrySet().stream()
              .filter(e -> !e.getValue().isAfter(now))
              .sorted(
                  Map.Entry.<PendingCompletion, Instant>comparingByValue()
                      .thenComparing(e -> e.getKey().index())
                      .thenComparing(e -> e.getKey().worker()))
              .limit(limit)
              .map(Map.Entry::getKey)
              .toList();
      due.forEach(c -> s.completions.put(c, now.plus(claimFor)));
      return due;
    }
  }

  @Override
  public void completionDelivered(QueueRef queue, PendingCompletion completion) {
    QueueState s = of(queue);
    synchronized (s) {
      s.completions.remove(completion);
    }
  }

  @Override
  public BookkeeperState state(QueueRef queue) {
    QueueState s = of(queue);
    synchronized (s) {
      if (!s.initialized) {
        return BookkeeperState.UNINITIALIZED;
      }
      long committed = s.committed();
      long skippedAhead =
          s.fetched >= committed ? 0 : s.skipped.subSet(s.fetched, false, committed, true).size();
      long lowest = s.fetched + 1;
      if (!s.leases.isEmpty()) {
        lowest = Math.min(lowest, s.leases.firstKey());
      }
      for (PendingCompletion c : s.completions.keySet()) {
        lowest = Math.min(lowest, c.index());
      }
      return new BookkeeperState(
          s.allocated,
          committed,
          s.fetched,
          skippedAhead,
          lowest,
          true,
          new ArrayList<>(s.leases.values()));
    }
  }

  @Override
  public boolean rewind(QueueRef queue, long fetched) {
    QueueState s = of(queue);
    synchronized (s) {
      if (!s.initialized || fetched < 0 || fetched > s.allocated) {
        return false;
      }
      s.fetched = fetched;
      return true;
    }
  }
}
