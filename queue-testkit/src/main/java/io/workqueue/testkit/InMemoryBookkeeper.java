package io.workqueue.testkit;

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
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link Bookkeeper} in memory: the reference semantics of the SPI, the one the Redis scripts
 * follow step for step. Thread-safe: each queue's state is guarded by its own monitor, so every
 * method is one atomic step, as one Lua script is on Redis. Its {@link #signals()} are in-process
 * calls made after the step, outside the monitor. Not durable.
 */
public final class InMemoryBookkeeper implements Bookkeeper {

  /** The lanes in the order fetch serves them: {@link Priority}'s declaration order. */
  private static final List<Priority> SERVICE_ORDER = List.of(Priority.values());

  /** One past the last index of the last lane. */
  private static final long INDEX_END = SERVICE_ORDER.size() * Priority.LANE_SIZE;

  private final Map<QueueRef, QueueState> queues = new ConcurrentHashMap<>();
  private final InMemorySignals signals = new InMemorySignals();

  /** Creates an empty bookkeeper. */
  public InMemoryBookkeeper() {}

  private QueueState of(QueueRef queue) {
    Objects.requireNonNull(queue, "queue");
    return queues.computeIfAbsent(queue, q -> new QueueState());
  }

  // ------------------------------------------------------------------ state

  /** One lane's counters (Redis: the lane's fields of the queue's counter hash). */
  private static final class Lane {
    final Priority priority;
    long allocated;
    long fetched;

    /** After a rebuild: indices up to this one are redeliveries (Redis: n.replay). */
    long replayUntil;

    /** After a rebuild: the pointer jumps from replayUntil to here (Redis: n.skip). */
    long skipUntil;

    Lane(LaneStart start) {
      this.priority = start.lane();
      this.allocated = start.allocated();
      this.fetched = start.replayFrom() - 1;
      this.replayUntil = start.replayTo();
      this.skipUntil = start.allocated();
    }

    long base() {
      return priority.base();
    }

    /** One past the lane's last index. */
    long end() {
      return priority.base() + Priority.LANE_SIZE;
    }
  }

  /** A delayed index in due order. */
  private record Due(Instant dueAt, long index) {}

  private static final Comparator<Due> DUE_ORDER =
      Comparator.comparing(Due::dueAt).thenComparingLong(Due::index);

  private static final Comparator<DeadEntry> DEAD_ORDER =
      Comparator.comparing(DeadEntry::deadAt).thenComparingLong(DeadEntry::index);

  /** One queue's bookkeeping; the fields mirror the Redis keys of the queue. */
  private static final class QueueState {
    // -- kept for a queue not initialized too, until purge

    /** The settings; DEFAULT when never configured. */
    QueueSettings settings = QueueSettings.DEFAULT;

    /** Whether fetching is paused. */
    boolean paused;

    // -- the bookkeeping proper

    boolean initialized;

    /** Every lane's counters, once initialized. */
    final Map<Priority, Lane> lanes = new EnumMap<>(Priority.class);

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

    /** Pending completions to due time (Redis: zset "completions"). */
    final Map<PendingCompletion, Instant> completions = new HashMap<>();

    /** Delayed indices to due time (Redis: zset "delayed"), and the same in due order. */
    final TreeMap<Long, Instant> delayed = new TreeMap<>();

    final TreeSet<Due> dueOrder = new TreeSet<>(DUE_ORDER);

    /** Indices due again, served before their lane's pointer (Redis: zset "ready"). */
    final TreeSet<Long> ready = new TreeSet<>();

    /**
     * Delivery counts of delayed, ready and parked indices: the next lease counts one more (Redis:
     * hash "dlv"). Absent means 0.
     */
    final Map<Long, Integer> stored = new HashMap<>();

    /** Dead letters by index, and the same oldest first (Redis: hash "dead" plus zset). */
    final TreeMap<Long, DeadEntry> dead = new TreeMap<>();

    final TreeSet<DeadEntry> deadOrder = new TreeSet<>(DEAD_ORDER);

    /** The group whose slot a lease holds, by leased index (Redis: hash "slot"). */
    final Map<Long, String> slotOf = new HashMap<>();

    /** Slots held per group (Redis: hash "slots"). */
    final Map<String, Integer> slots = new HashMap<>();

    /** Parked indices per group, lowest first (Redis: one zset per group). */
    final Map<String, TreeSet<Long>> parked = new HashMap<>();

    /** The group each parked index waits in (Redis: hash "parkedin"). */
    final TreeMap<Long, String> parkedIn = new TreeMap<>();

    /** Indices acknowledged by expire. */
    long expired;

    /** Forgets everything, settings and the paused flag included. */
    void purge() {
      settings = QueueSettings.DEFAULT;
      paused = false;
      initialized = false;
      lanes.clear();
      kept.clear();
      pending.clear();
      skipped.clear();
      leases.clear();
      holder.clear();
      batchLeases.clear();
      batchCount.clear();
      completions.clear();
      delayed.clear();
      dueOrder.clear();
      ready.clear();
      stored.clear();
      dead.clear();
      deadOrder.clear();
      slotOf.clear();
      slots.clear();
      parked.clear();
      parkedIn.clear();
      expired = 0;
    }

    Lane lane(Priority p) {
      return lanes.get(p);
    }

    /** The highest index of the lane below which every index is committed or skipped. */
    long committed(Lane lane) {
      Long first = pending.ceilingKey(lane.base() + 1);
      return first != null && first < lane.end() ? first - 1 : lane.allocated;
    }

    /** The lane's lowest ready index, or null. */
    Long lowestReady(Lane lane) {
      Long r = ready.ceiling(lane.base() + 1);
      return r != null && r < lane.end() ? r : null;
    }

    /** The lane's lowest pending index when it is older than the grace period, or 0. */
    long hole(Lane lane, Instant now, Duration grace) {
      Map.Entry<Long, Instant> first = pending.ceilingEntry(lane.base() + 1);
      if (first == null || first.getKey() >= lane.end()) {
        return 0;
      }
      return now.isBefore(first.getValue().plus(grace)) ? 0 : first.getKey();
    }

    /** Whether {@code worker}'s record is on the lease (taken over leases are not). */
    Lease heldBy(String worker, long index) {
      Lease lease = leases.get(index);
      return lease != null && lease.worker().equals(worker) ? lease : null;
    }

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

    /** Removes a lease and its holder entries; its group slot, if any, stays. */
    void drop(Lease lease) {
      leases.remove(lease.index());
      if (batchLeases.remove(lease.index())) {
        batchCount.merge(lease.worker(), -1, Integer::sum);
      }
      if (Long.valueOf(lease.index()).equals(holder.get(lease.worker()))) {
        holder.remove(lease.worker());
      }
    }

    /** Ends a lease: drops it and frees its group slot, unparking one index if one fits now. */
    void end(Lease lease, Outbox out) {
      drop(lease);
      String group = slotOf.remove(lease.index());
      if (group != null) {
        int left = slots.merge(group, -1, Integer::sum);
        if (left <= 0) {
          slots.remove(group);
        }
        if (fits(group)) {
          unpark(group, 1, out);
        }
      }
    }

    /** Whether the group has room for one more lease. */
    boolean fits(String group) {
      int limit = settings.groupLimit();
      return limit == 0 || slots.getOrDefault(group, 0) < limit;
    }

    /** Moves up to {@code n} of the group's lowest parked indices to the ready set. */
    void unpark(String group, int n, Outbox out) {
      TreeSet<Long> waiting = parked.get(group);
      for (int i = 0; i < n && waiting != null && !waiting.isEmpty(); i++) {
        long index = waiting.pollFirst();
        parkedIn.remove(index);
        ready.add(index); // its stored delivery count stays
        out.work = true;
      }
      if (waiting != null && waiting.isEmpty()) {
        parked.remove(group);
      }
    }

    void park(long index, String group, int deliveries) {
      parked.computeIfAbsent(group, g -> new TreeSet<>()).add(index);
      parkedIn.put(index, group);
      stored.put(index, deliveries);
    }

    void delay(long index, Instant dueAt, int deliveries) {
      delayed.put(index, dueAt);
      dueOrder.add(new Due(dueAt, index));
      stored.put(index, deliveries);
    }

    void makeReady(long index, int deliveries, Outbox out) {
      ready.add(index);
      stored.put(index, deliveries);
      out.work = true;
    }

    /** Moves every delayed index due at {@code now} to the ready set. */
    void promote(Instant now) {
      while (!dueOrder.isEmpty() && !dueOrder.first().dueAt().isAfter(now)) {
        Due due = dueOrder.pollFirst();
        delayed.remove(due.index());
        ready.add(due.index());
      }
    }

    /** The expired lease with the earliest deadline (ties: lowest index). */
    Optional<Lease> earliestExpired(Instant now) {
      return leases.values().stream()
          .filter(l -> l.expiredAt(now))
          .min(Comparator.comparing(Lease::deadline).thenComparingLong(Lease::index));
    }

    /**
     * What a lane offers next, in index order between its lowest ready index and its pointer,
     * taking the offered index out of the ready or delayed set and moving the pointer as it steps.
     */
    Offer next(Lane lane, Instant now, Duration grace) {
      while (true) {
        long committed = committed(lane);
        if (lane.fetched < committed
            && lane.fetched >= lane.replayUntil
            && lane.fetched < lane.skipUntil) {
          lane.fetched = lane.skipUntil; // indices a rebuild found no task for
          continue;
        }
        long pointer = lane.fetched + 1;
        Long readyIndex = lowestReady(lane);
        if (readyIndex != null && readyIndex < pointer) {
          ready.remove(readyIndex);
          return new Offer.Take(readyIndex, nextDeliveryAndForget(readyIndex), false);
        }
        if (lane.fetched >= committed) {
          long hole = hole(lane, now, grace);
          return hole > 0 ? new Offer.HoleAt(hole) : Offer.NOTHING;
        }
        lane.fetched = pointer;
        boolean replay = pointer <= lane.replayUntil;
        if (skipped.contains(pointer)) {
          continue;
        }
        Instant dueAt = delayed.get(pointer);
        if (dueAt != null) {
          if (dueAt.isAfter(now)) {
            continue; // it comes back through the ready set once due
          }
          delayed.remove(pointer);
          dueOrder.remove(new Due(dueAt, pointer));
          return new Offer.Take(pointer, nextDeliveryAndForget(pointer), !replay);
        }
        if (ready.remove(pointer)) {
          return new Offer.Take(pointer, nextDeliveryAndForget(pointer), !replay);
        }
        // After a rewind: an index leased, dead or parked is stepped over; each index has at most
        // one lease and one place.
        if (leases.containsKey(pointer)
            || dead.containsKey(pointer)
            || parkedIn.containsKey(pointer)) {
          continue;
        }
        return new Offer.Take(pointer, replay ? 2 : 1, !replay);
      }
    }

    /**
     * The delivery count of the next lease of an index leaving the ready or delayed set (its stored
     * count + 1), forgetting the stored count.
     */
    int nextDeliveryAndForget(long index) {
      Integer count = stored.remove(index);
      return (count == null ? 0 : count) + 1;
    }
  }

  /** What a lane offers a fetch. */
  private sealed interface Offer {
    /** Nothing now: the lane is empty or waits for a young pending index. */
    Offer NOTHING = new Nothing();

    /** An index to lease. */
    record Take(long index, int deliveries, boolean fresh) implements Offer {}

    /** A pending index older than the grace period blocks the lane. */
    record HoleAt(long index) implements Offer {}

    /** See {@link #NOTHING}. */
    record Nothing() implements Offer {}
  }

  /** The signals a step collected under the monitor, published after it. */
  private static final class Outbox {
    boolean work;
    final List<Long> done = new ArrayList<>();

    void publish(InMemorySignals signals, QueueRef queue) {
      if (work) {
        signals.publishWork(queue);
      }
      for (long index : done) {
        signals.publishCompletion(queue, index);
      }
    }
  }

  // ------------------------------------------------------------------ arguments

  private static void checkCount(String argument, long count, long min) {
    if (count < min) {
      throw new InvalidArgumentException(argument, "must be " + min + " or more, was " + count);
    }
  }

  /**
   * Checks a lane start.
   *
   * @param argument the argument to name: {@code lanes} for the list form, else null to name the
   *     component
   */
  private static void checkStart(LaneStart start, String argument) {
    Priority lane = start.lane();
    long base = lane.base();
    long last = base + Priority.LANE_SIZE - 1;
    String problem = null;
    String component = null;
    if (start.allocated() < base || start.allocated() > last) {
      component = "allocated";
      problem = "must be " + base + " to " + last + " in lane " + lane;
    } else if (start.replayTo() > start.allocated()) {
      component = "replayTo";
      problem = "must be at most allocated (" + start.allocated() + ")";
    } else if (start.replayFrom() < base + 1 || start.replayFrom() > start.replayTo() + 1) {
      component = "replayFrom";
      problem = "must be " + (base + 1) + " to replayTo + 1 (" + (start.replayTo() + 1) + ")";
    }
    if (problem != null) {
      throw new InvalidArgumentException(
          argument == null ? component : argument,
          (argument == null ? "" : component + " of " + lane + " ") + problem + "; was " + start);
    }
  }

  // ------------------------------------------------------------------ allocation and commit

  @Override
  public long allocate(QueueRef queue, int count, Instant now) {
    return allocate(queue, Priority.NORMAL, count, now);
  }

  @Override
  public long allocate(QueueRef queue, Priority lane, int count, Instant now) {
    Objects.requireNonNull(lane, "lane");
    Objects.requireNonNull(now, "now");
    checkCount("count", count, 1);
    QueueState s = of(queue);
    synchronized (s) {
      if (!s.initialized) {
        return 0;
      }
      Lane l = s.lane(lane);
      long left = l.end() - 1 - l.allocated;
      if (count > left) {
        throw new InvalidArgumentException(
            "count", "lane " + lane + " has " + left + " indices left, asked for " + count);
      }
      long first = l.allocated + 1;
      for (long i = first; i < first + count; i++) {
        s.pending.put(i, now);
      }
      l.allocated += count;
      return first;
    }
  }

  @Override
  public boolean initialize(QueueRef queue, long allocated, long replayFrom, long replayTo) {
    LaneStart start = new LaneStart(Priority.NORMAL, allocated, replayFrom, replayTo);
    checkStart(start, null);
    return start(queue, List.of(start));
  }

  @Override
  public boolean initialize(QueueRef queue, List<LaneStart> lanes) {
    Objects.requireNonNull(lanes, "lanes");
    Set<Priority> seen = EnumSet.noneOf(Priority.class);
    for (LaneStart start : lanes) {
      Objects.requireNonNull(start, "lanes");
      checkStart(start, "lanes");
      if (!seen.add(start.lane())) {
        throw new InvalidArgumentException(
            "lanes", "lists lane " + start.lane() + " more than once: " + lanes);
      }
    }
    return start(queue, lanes);
  }

  private boolean start(QueueRef queue, List<LaneStart> starts) {
    QueueState s = of(queue);
    synchronized (s) {
      if (s.initialized) {
        return false;
      }
      for (Priority p : SERVICE_ORDER) {
        s.lanes.put(p, new Lane(LaneStart.empty(p)));
      }
      for (LaneStart start : starts) {
        s.lanes.put(start.lane(), new Lane(start));
      }
      s.initialized = true;
      return true;
    }
  }

  @Override
  public boolean commit(QueueRef queue, long first, int count) {
    return commit(queue, first, count, Map.of(), Instant.EPOCH);
  }

  @Override
  public boolean commit(
      QueueRef queue, long first, int count, Map<Long, Instant> dueAt, Instant now) {
    Objects.requireNonNull(dueAt, "dueAt");
    Objects.requireNonNull(now, "now");
    checkCount("count", count, 0);
    for (Map.Entry<Long, Instant> e : dueAt.entrySet()) {
      Objects.requireNonNull(e.getValue(), "dueAt");
      if (e.getKey() < first || e.getKey() >= first + count) {
        throw new InvalidArgumentException(
            "dueAt",
            "holds index "
                + e.getKey()
                + " outside the range "
                + first
                + " to "
                + (first + count - 1));
      }
    }
    QueueState s = of(queue);
    Outbox out = new Outbox();
    boolean all = true;
    synchronized (s) {
      for (long i = first; i < first + count; i++) {
        if (s.pending.remove(i) != null) {
          Instant due = dueAt.get(i);
          if (due != null && due.isAfter(now)) {
            s.delay(i, due, 0);
          } else {
            out.work = true;
          }
        } else if (!s.kept.contains(i)) {
          all = false; // skipped as a hole, or unknown after a rebuild
        }
      }
    }
    out.publish(signals, queue);
    return all;
  }

  // ------------------------------------------------------------------ fetching

  @Override
  public Fetch fetch(
      QueueRef queue, String worker, Instant now, Duration timeToRecover, Duration holeGrace) {
    Objects.requireNonNull(worker, "worker");
    QueueState s = of(queue);
    synchronized (s) {
      if (!s.initialized) {
        return Fetch.UNINITIALIZED;
      }
      if (s.paused) {
        return Fetch.EMPTY;
      }
      Instant deadline = now.plus(timeToRecover);
      // The worker's own lease on the single-task path, while it is not expired.
      Long held = s.holder.get(worker);
      if (held != null) {
        Lease lease = s.leases.get(held);
        if (lease == null || !lease.worker().equals(worker)) {
          s.holder.remove(worker); // acknowledged, or taken over by another worker
        } else if (!lease.expiredAt(now)) {
          return new Fetch.Leased(lease, false, false, Optional.ofNullable(s.slotOf.get(held)));
        }
      }
      // The expired lease with the earliest deadline, to exactly this worker; it keeps its slot.
      Optional<Lease> expired = s.earliestExpired(now);
      if (expired.isPresent()) {
        Lease old = expired.get();
        Lease lease = s.grant(worker, old.index(), deadline, old.deliveries() + 1, false);
        return new Fetch.Leased(lease, false, true, Optional.ofNullable(s.slotOf.get(old.index())));
      }
      s.promote(now);
      for (Priority p : SERVICE_ORDER) {
        Offer offer = s.next(s.lane(p), now, holeGrace);
        if (offer instanceof Offer.Take take) {
          Lease lease = s.grant(worker, take.index(), deadline, take.deliveries(), false);
          return new Fetch.Leased(lease, take.fresh());
        }
        if (offer instanceof Offer.HoleAt hole) {
          return new Fetch.Hole(hole.index());
        }
      }
      return Fetch.EMPTY;
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
    Objects.requireNonNull(worker, "worker");
    checkCount("max", max, 1);
    QueueState s = of(queue);
    synchronized (s) {
      if (!s.initialized) {
        return FetchBatch.UNINITIALIZED;
      }
      if (s.paused) {
        return new FetchBatch(List.of(), OptionalLong.empty());
      }
      Instant deadline = now.plus(timeToRecover);
      List<Lease> granted = new ArrayList<>();
      Set<Long> recovered = new HashSet<>();
      Map<Long, String> groups = new HashMap<>();
      while (granted.size() < max) {
        Optional<Lease> expired = s.earliestExpired(now);
        if (expired.isEmpty()) {
          break;
        }
        Lease old = expired.get();
        granted.add(s.grant(worker, old.index(), deadline, old.deliveries() + 1, true));
        recovered.add(old.index());
        String group = s.slotOf.get(old.index());
        if (group != null) {
          groups.put(old.index(), group);
        }
      }
      s.promote(now);
      OptionalLong hole = OptionalLong.empty();
      lanes:
      for (Priority p : SERVICE_ORDER) {
        Lane lane = s.lane(p);
        while (granted.size() < max) {
          Offer offer = s.next(lane, now, holeGrace);
          if (offer instanceof Offer.Take take) {
            granted.add(s.grant(worker, take.index(), deadline, take.deliveries(), true));
          } else if (offer instanceof Offer.HoleAt h) {
            hole = OptionalLong.of(h.index());
            break lanes;
          } else {
            break;
          }
        }
      }
      return new FetchBatch(granted, hole, false, recovered, groups);
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
      return held == null ? Optional.empty() : Optional.ofNullable(s.heldBy(worker, held));
    }
  }

  // ------------------------------------------------------------------ ending leases

  @Override
  public boolean ack(QueueRef queue, String worker, long index, Optional<Instant> completionDueAt) {
    return !ackAll(queue, worker, List.of(index), completionDueAt).isEmpty();
  }

  @Override
  public OptionalLong ackHeld(QueueRef queue, String worker) {
    QueueState s = of(queue);
    Outbox out = new Outbox();
    OptionalLong acked = OptionalLong.empty();
    synchronized (s) {
      Long held = s.holder.remove(worker);
      Lease lease = held == null ? null : s.heldBy(worker, held);
      if (lease != null && !s.batchLeases.contains(held)) {
        s.end(lease, out);
        out.done.add(held);
        acked = OptionalLong.of(held);
      }
    }
    out.publish(signals, queue);
    return acked;
  }

  @Override
  public Set<Long> ackAll(
      QueueRef queue, String worker, Collection<Long> indices, Optional<Instant> completionDueAt) {
    Objects.requireNonNull(completionDueAt, "completionDueAt");
    QueueState s = of(queue);
    Outbox out = new Outbox();
    Set<Long> acked = new LinkedHashSet<>();
    synchronized (s) {
      for (long index : indices) {
        Lease lease = s.heldBy(worker, index);
        if (lease == null) {
          continue;
        }
        s.end(lease, out);
        completionDueAt.ifPresent(
            due -> s.completions.put(new PendingCompletion(index, worker), due));
        out.done.add(index);
        acked.add(index);
      }
    }
    out.publish(signals, queue);
    return acked;
  }

  @Override
  public int batchLeaseCount(QueueRef queue, String worker) {
    QueueState s = of(queue);
    synchronized (s) {
      return s.batchCount.getOrDefault(worker, 0);
    }
  }

  @Override
  public Set<Long> admit(QueueRef queue, String worker, Map<Long, String> groups, Instant now) {
    Objects.requireNonNull(worker, "worker");
    Objects.requireNonNull(groups, "groups");
    for (Map.Entry<Long, String> e : groups.entrySet()) {
      if (e.getValue() == null || e.getValue().isEmpty()) {
        throw new InvalidArgumentException(
            "groups", "names no group for index " + e.getKey() + "; a group name is not empty");
      }
    }
    QueueState s = of(queue);
    Set<Long> admitted = new LinkedHashSet<>();
    synchronized (s) {
      int limit = s.settings.groupLimit();
      for (Map.Entry<Long, String> e : new TreeMap<>(groups).entrySet()) {
        long index = e.getKey();
        String group = e.getValue();
        Lease lease = s.heldBy(worker, index);
        if (lease == null) {
          continue;
        }
        if (s.slotOf.containsKey(index)) {
          admitted.add(index); // holds a slot already (a recovered lease)
          continue;
        }
        int count = s.slots.getOrDefault(group, 0);
        if (limit == 0 || count < limit) {
          s.slotOf.put(index, group);
          s.slots.put(group, count + 1);
          admitted.add(index);
        } else {
          s.drop(lease);
          s.park(index, group, lease.deliveries() - 1);
        }
      }
    }
    return admitted;
  }

  @Override
  public boolean extend(QueueRef queue, String worker, long index, Instant deadline) {
    Objects.requireNonNull(deadline, "deadline");
    QueueState s = of(queue);
    synchronized (s) {
      Lease lease = s.heldBy(worker, index);
      if (lease == null) {
        return false;
      }
      s.leases.put(index, new Lease(worker, index, deadline, lease.deliveries()));
      return true;
    }
  }

  @Override
  public Optional<Lease> release(
      QueueRef queue, String worker, long index, Instant dueAt, Instant now) {
    Objects.requireNonNull(dueAt, "dueAt");
    Objects.requireNonNull(now, "now");
    QueueState s = of(queue);
    Outbox out = new Outbox();
    Lease lease;
    synchronized (s) {
      lease = s.heldBy(worker, index);
      if (lease != null) {
        s.end(lease, out);
        if (dueAt.isAfter(now)) {
          s.delay(index, dueAt, lease.deliveries());
        } else {
          s.makeReady(index, lease.deliveries(), out);
        }
      }
    }
    out.publish(signals, queue);
    return Optional.ofNullable(lease);
  }

  @Override
  public Optional<DeadEntry> deadLetter(
      QueueRef queue, String worker, long index, Optional<Instant> completionDueAt, Instant now) {
    Objects.requireNonNull(completionDueAt, "completionDueAt");
    Objects.requireNonNull(now, "now");
    QueueState s = of(queue);
    Outbox out = new Outbox();
    DeadEntry entry = null;
    synchronized (s) {
      Lease lease = s.heldBy(worker, index);
      if (lease != null) {
        s.end(lease, out);
        entry = new DeadEntry(index, lease.deliveries(), worker, now);
        s.dead.put(index, entry);
        s.deadOrder.add(entry);
        completionDueAt.ifPresent(
            due -> s.completions.put(new PendingCompletion(index, worker), due));
        out.done.add(index);
      }
    }
    out.publish(signals, queue);
    return Optional.ofNullable(entry);
  }

  @Override
  public List<DeadEntry> deadLetters(QueueRef queue, int limit) {
    checkCount("limit", limit, 0);
    QueueState s = of(queue);
    synchronized (s) {
      return s.deadOrder.stream().limit(limit).toList();
    }
  }

  @Override
  public boolean requeue(QueueRef queue, long index, Instant now) {
    QueueState s = of(queue);
    Outbox out = new Outbox();
    boolean requeued = false;
    synchronized (s) {
      DeadEntry entry = s.dead.remove(index);
      if (entry != null) {
        s.deadOrder.remove(entry);
        s.makeReady(index, 0, out);
        requeued = true;
      }
    }
    out.publish(signals, queue);
    return requeued;
  }

  @Override
  public boolean discard(QueueRef queue, long index) {
    QueueState s = of(queue);
    synchronized (s) {
      DeadEntry entry = s.dead.remove(index);
      if (entry == null) {
        return false;
      }
      s.deadOrder.remove(entry);
      return true;
    }
  }

  @Override
  public Set<Long> expire(QueueRef queue, String worker, Collection<Long> indices) {
    QueueState s = of(queue);
    Outbox out = new Outbox();
    Set<Long> released = new LinkedHashSet<>();
    synchronized (s) {
      for (long index : indices) {
        Lease lease = s.heldBy(worker, index);
        if (lease != null) {
          s.end(lease, out);
          released.add(index);
        }
      }
      s.expired += released.size();
    }
    out.publish(signals, queue);
    return released;
  }

  // ------------------------------------------------------------------ completions

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

  // ------------------------------------------------------------------ state, pointer, settings

  @Override
  public BookkeeperState state(QueueRef queue) {
    QueueState s = of(queue);
    synchronized (s) {
      if (!s.initialized) {
        return BookkeeperState.uninitialized(s.paused);
      }
      Map<Priority, BookkeeperState.LaneState> lanes = new LinkedHashMap<>();
      for (Lane lane : s.lanes.values()) {
        if (lane.priority != Priority.NORMAL && lane.allocated > lane.base()) {
          lanes.put(lane.priority, laneState(s, lane));
        }
      }
      Lane normal = s.lane(Priority.NORMAL);
      BookkeeperState.LaneState n = laneState(s, normal);
      long end = normal.end();
      long lowest = normal.fetched + 1;
      lowest = Math.min(lowest, lowestIn(s.leases.navigableKeySet(), end));
      lowest = Math.min(lowest, lowestIn(s.delayed.navigableKeySet(), end));
      lowest = Math.min(lowest, lowestIn(s.ready, end));
      lowest = Math.min(lowest, lowestIn(s.parkedIn.navigableKeySet(), end));
      lowest = Math.min(lowest, lowestIn(s.dead.navigableKeySet(), end));
      for (PendingCompletion c : s.completions.keySet()) {
        if (c.index() < end) {
          lowest = Math.min(lowest, c.index());
        }
      }
      return new BookkeeperState(
          n.allocated(),
          n.committed(),
          n.fetched(),
          n.skippedAhead(),
          lowest,
          true,
          new ArrayList<>(s.leases.values()),
          s.delayed.size(),
          s.ready.size(),
          s.dead.size(),
          s.parkedIn.size(),
          s.expired,
          s.paused,
          lanes);
    }
  }

  private static BookkeeperState.LaneState laneState(QueueState s, Lane lane) {
    long committed = s.committed(lane);
    long skippedAhead =
        lane.fetched >= committed
            ? 0
            : s.skipped.subSet(lane.fetched, false, committed, true).size();
    return new BookkeeperState.LaneState(lane.allocated, committed, lane.fetched, skippedAhead);
  }

  /** The lowest index of a sorted set if it is below {@code end}, else Long.MAX_VALUE. */
  private static long lowestIn(NavigableSet<Long> set, long end) {
    return set.isEmpty() || set.first() >= end ? Long.MAX_VALUE : set.first();
  }

  @Override
  public boolean rewind(QueueRef queue, long fetched) {
    if (fetched < 0 || fetched >= INDEX_END) {
      return false; // above every lane's allocated
    }
    QueueState s = of(queue);
    synchronized (s) {
      if (!s.initialized) {
        return false;
      }
      Lane lane = s.lane(Priority.ofIndex(fetched));
      if (fetched > lane.allocated) {
        return false;
      }
      lane.fetched = fetched;
      return true;
    }
  }

  @Override
  public boolean pause(QueueRef queue, boolean paused) {
    QueueState s = of(queue);
    Outbox out = new Outbox();
    boolean changed;
    synchronized (s) {
      changed = s.paused != paused;
      s.paused = paused;
      out.work = changed && !paused;
    }
    out.publish(signals, queue);
    return changed;
  }

  @Override
  public void configure(QueueRef queue, QueueSettings settings) {
    Objects.requireNonNull(settings, "settings");
    QueueState s = of(queue);
    Outbox out = new Outbox();
    synchronized (s) {
      int before = s.settings.groupLimit();
      int limit = settings.groupLimit();
      s.settings = settings;
      boolean raised = before != 0 && (limit == 0 || limit > before);
      for (String group : raised ? new ArrayList<>(s.parked.keySet()) : List.<String>of()) {
        int room = limit == 0 ? Integer.MAX_VALUE : limit - s.slots.getOrDefault(group, 0);
        if (room > 0) {
          s.unpark(group, room, out);
        }
      }
    }
    out.publish(signals, queue);
  }

  @Override
  public QueueSettings settings(QueueRef queue) {
    QueueState s = of(queue);
    synchronized (s) {
      return s.settings;
    }
  }

  @Override
  public void purge(QueueRef queue) {
    QueueState s = of(queue);
    synchronized (s) {
      s.purge();
    }
  }

  /**
   * In-process signals: subscribers are called on the thread whose step published, after the step
   * and outside the queue's monitor.
   *
   * @return the signals, always present
   */
  @Override
  public Optional<Signals> signals() {
    return Optional.of(signals);
  }
}
