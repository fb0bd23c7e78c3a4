package io.workqueue.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.workqueue.Completion;
import io.workqueue.DeadLetter;
import io.workqueue.InvalidArgumentException;
import io.workqueue.KeyDestroyedException;
import io.workqueue.KeyUnavailableException;
import io.workqueue.Lease;
import io.workqueue.NewTask;
import io.workqueue.Outcome;
import io.workqueue.Priority;
import io.workqueue.QueueEvent;
import io.workqueue.QueueException;
import io.workqueue.QueueInfo;
import io.workqueue.QueueListener;
import io.workqueue.QueueRef;
import io.workqueue.QueueSettings;
import io.workqueue.Schedule;
import io.workqueue.ScheduleInfo;
import io.workqueue.TamperedDataException;
import io.workqueue.Task;
import io.workqueue.TaskHandle;
import io.workqueue.UnreadableTaskException;
import io.workqueue.WorkQueue;
import io.workqueue.spi.Bookkeeper;
import io.workqueue.spi.BookkeeperState;
import io.workqueue.spi.CompletionListener;
import io.workqueue.spi.DeadEntry;
import io.workqueue.spi.Fetch;
import io.workqueue.spi.FetchBatch;
import io.workqueue.spi.KeyProvider;
import io.workqueue.spi.LaneStart;
import io.workqueue.spi.PendingCompletion;
import io.workqueue.spi.QueueMark;
import io.workqueue.spi.Signals;
import io.workqueue.spi.StoredOutcome;
import io.workqueue.spi.StoredSchedule;
import io.workqueue.spi.StoredTask;
import io.workqueue.spi.TaskStore;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.LongSummaryStatistics;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The core behind {@link io.workqueue.WorkQueues#builder()}: validates, seals and opens, and
 * composes the task store, the bookkeeper and the key provider. Holds no queue state of its own, so
 * any number of instances on any number of nodes can share the same backends.
 */
public final class DefaultWorkQueue implements WorkQueue {
  private static final Logger log = LoggerFactory.getLogger(DefaultWorkQueue.class);

  /** Bound on bookkeeper round trips in one fetch (holes and expired rows are stepped over). */
  private static final int MAX_FETCH_STEPS = 64;

  private static final int COMPLETION_SWEEP_LIMIT = 100;

  /** How many indices apart the queue's progress is recorded in the task store. */
  static final long MARK_INTERVAL = 1000;

  private final TaskStore store;
  private final Bookkeeper bookkeeper;
  private final KeyProvider keys;
  private final Optional<CompletionListener> listener;
  private final Clock clock;
  private final Duration holeGrace;
  private final Duration completionRetryDelay;
  private final ConcurrentHashMap<QueueRef, Instant> lastCompletionSweep =
      new ConcurrentHashMap<>();
  private final List<QueueListener> queueListeners;
  private final boolean recordPlainOutcomes;
  private final Duration completionPollInterval;
  private final ConcurrentHashMap<QueueRef, CachedSettings> settingsCache =
      new ConcurrentHashMap<>();
  private final Object watcherLock = new Object();
  private volatile @Nullable CompletionWatcher watcher;
  private volatile boolean closed;

  /** A queue's settings as read at a time; reread after {@link #SETTINGS_TTL}. */
  private record CachedSettings(QueueSettings settings, Instant readAt) {}

  /** How long the settings read on the fetch path are reused. */
  private static final Duration SETTINGS_TTL = Duration.ofSeconds(1);

  /** The next tick of a cron schedule that never matches again. */
  private static final Instant NEVER = Instant.parse("9999-12-31T00:00:00Z");

  /**
   * Wires the core; use {@link io.workqueue.WorkQueues#builder()}.
   *
   * @param store the task store
   * @param bookkeeper the bookkeeper
   * @param keys the key provider
   * @param listener the completion listener, if any
   * @param clock the clock
   * @param holeGrace how long an allocated index may stay unwritten
   * @param completionRetryDelay how long a completion stays claimed before another try
   * @param queueListeners who hears of events
   * @param recordPlainOutcomes whether plain successes are stored as outcomes
   * @param completionPollInterval how often pending completion stages poll the store
   */
  public DefaultWorkQueue(
      TaskStore store,
      Bookkeeper bookkeeper,
      KeyProvider keys,
      Optional<CompletionListener> listener,
      Clock clock,
      Duration holeGrace,
      Duration completionRetryDelay,
      List<QueueListener> queueListeners,
      boolean recordPlainOutcomes,
      Duration completionPollInterval) {
    this.store = store;
    this.bookkeeper = bookkeeper;
    this.keys = keys;
    this.listener = listener;
    this.clock = clock;
    this.holeGrace = holeGrace;
    this.completionRetryDelay = completionRetryDelay;
    this.queueListeners = List.copyOf(queueListeners);
    this.recordPlainOutcomes = recordPlainOutcomes;
    this.completionPollInterval = completionPollInterval;
  }

  // ---------------------------------------------------------------------------------------- add

  @Override
  public long add(QueueRef queue, NewTask task) {
    Validation.notNull("task", task);
    return addAll(queue, List.of(task)).get(0);
  }

  @Override
  public List<Long> addAll(QueueRef queue, List<NewTask> tasks) {
    Validation.notNull("queue", queue);
    Validation.notNull("tasks", tasks);
    if (tasks.isEmpty() || tasks.size() > MAX_BATCH) {
      throw new InvalidArgumentException(
          "tasks", "must hold 1 to " + MAX_BATCH + " tasks, held " + tasks.size());
    }
    for (int i = 0; i < tasks.size(); i++) {
      if (tasks.get(i) == null) {
        throw new InvalidArgumentException("tasks", "element " + i + " is null");
      }
    }
    keys.requireKey(queue.owner());
    Instant now = clock.instant();
    int n = tasks.size();
    // One allocation and one commit per lane; the tasks keep their order within each lane.
    Map<Priority, List<Integer>> byLane = new EnumMap<>(Priority.class);
    for (int i = 0; i < n; i++) {
      byLane.computeIfAbsent(tasks.get(i).priority(), p -> new ArrayList<>()).add(i);
    }
    long[] indices = new long[n];
    Map<Priority, Long> firsts = new EnumMap<>(Priority.class);
    for (Map.Entry<Priority, List<Integer>> lane : byLane.entrySet()) {
      long first = allocate(queue, lane.getKey(), lane.getValue().size(), now);
      firsts.put(lane.getKey(), first);
      for (int k = 0; k < lane.getValue().size(); k++) {
        indices[lane.getValue().get(k)] = first + k;
      }
    }
    Map<Long, Instant> dueAt = new HashMap<>();
    try {
      List<StoredTask> rows = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        NewTask t = tasks.get(i);
        long index = indices[i];
        byte[] value = seal(queue, index, Field.VALUE, "", Json.bytes(t.value()));
        Optional<byte[]> token =
            t.token().map(tok -> seal(queue, index, Field.TOKEN, "", Json.bytes(tok)));
        Optional<Instant> notBefore = t.notBefore().or(() -> t.delay().map(now::plus));
        notBefore.filter(due -> due.isAfter(now)).ifPresent(due -> dueAt.put(index, due));
        rows.add(new StoredTask(index, value, token, now, notBefore, t.group(), t.maxDeliveries()));
      }
      store.put(queue, rows);
    } catch (RuntimeException e) {
      // Nothing of this add will be committed: skip its indices now rather than after the grace
      // period. Where even that fails, fetch resolves them as holes later.
      for (long index : indices) {
        try {
          bookkeeper.resolveHole(queue, index, false, now);
        } catch (RuntimeException again) {
          log.debug("could not skip index {} of {} after a failed add", index, queue, again);
        }
      }
      throw e;
    }
    for (Map.Entry<Priority, List<Integer>> lane : byLane.entrySet()) {
      long first = firsts.get(lane.getKey());
      int count = lane.getValue().size();
      Map<Long, Instant> due = new HashMap<>();
      for (long index = first; index < first + count; index++) {
        Instant at = dueAt.get(index);
        if (at != null) {
          due.put(index, at);
        }
      }
      boolean committed =
          due.isEmpty()
              ? bookkeeper.commit(queue, first, count)
              : bookkeeper.commit(queue, first, count, due, now);
      if (!committed) {
        throw new QueueException(
            "add to "
                + queue
                + " took longer than the hole grace period ("
                + holeGrace
                + "): index "
                + first
                + (count > 1 ? ".." + (first + count - 1) : "")
                + " was already skipped, so "
                + (count > 1 ? "those tasks were" : "that task was")
                + " not added"
                + (byLane.size() > 1 ? " (tasks of lanes committed before it were)" : "")
                + "; check the task store's latency");
      }
      if (lane.getKey() == Priority.NORMAL && crossesMark(first, first + count - 1)) {
        recordProgress(queue);
      }
    }
    List<Long> result = new ArrayList<>(n);
    for (long index : indices) {
      result.add(index);
    }
    emit(new QueueEvent.Added(queue, result, now));
    return result;
  }

  /** Allocates in a lane, initializing the queue first where the bookkeeper does not know it. */
  private long allocate(QueueRef queue, Priority lane, int count, Instant now) {
    for (int attempt = 0; attempt < 2; attempt++) {
      long first =
          lane == Priority.NORMAL
              ? bookkeeper.allocate(queue, count, now)
              : bookkeeper.allocate(queue, lane, count, now);
      if (first != 0) {
        return first;
      }
      if (attempt == 0) {
        initializeQueue(queue);
      }
    }
    throw new QueueException(
        "the bookkeeper of " + queue + " allocated nothing right after it was initialized");
  }

  // -------------------------------------------------------------------------------------- fetch

  @Override
  public Optional<Task> fetch(QueueRef queue, String worker) {
    return fetch(queue, worker, DEFAULT_TIME_TO_RECOVER);
  }

  @Override
  public Optional<Task> fetch(QueueRef queue, String worker, Duration timeToRecover) {
    Validation.notNull("queue", queue);
    Validation.workerId(worker);
    Validation.positiveDuration("timeToRecover", timeToRecover);
    Instant now = clock.instant();
    sweepCompletionsNowAndThen(queue, now);
    for (int step = 0; step < MAX_FETCH_STEPS; step++) {
      Fetch decision = bookkeeper.fetch(queue, worker, now, timeToRecover, holeGrace);
      if (decision instanceof Fetch.Empty) {
        return Optional.empty();
      }
      if (decision instanceof Fetch.Uninitialized) {
        initializeQueue(queue);
        continue;
      }
      if (decision instanceof Fetch.Hole hole) {
        resolveHole(queue, hole.index(), now);
        continue;
      }
      Fetch.Leased leased = (Fetch.Leased) decision;
      Lease lease = leased.lease();
      if (leased.fresh()
          && Priority.ofIndex(lease.index()) == Priority.NORMAL
          && crossesMark(lease.index(), lease.index())) {
        recordProgress(queue);
      }
      Optional<StoredTask> row = store.get(queue, lease.index());
      if (row.isEmpty()) {
        expire(queue, worker, List.of(lease.index()), now);
        continue;
      }
      if (!deliverable(queue, worker, lease, row.get(), leased.group().isPresent(), now)) {
        continue;
      }
      Task task;
      try {
        task = open(queue, row.get(), lease);
      } catch (TamperedDataException | KeyDestroyedException e) {
        // Lost for good: take it out of circulation. Other key failures (a wrong master key) can
        // be fixed, so they propagate and the lease returns the task after its deadline.
        retire(queue, worker, lease.index(), e, now);
        throw new UnreadableTaskException(queue, lease.index(), e);
      }
      emitFetched(queue, worker, lease, leased.recovered(), now);
      return Optional.of(task);
    }
    log.warn(
        "fetch on {} stepped over {} holes, expired rows, parked or dead-lettered tasks; try again",
        queue,
        MAX_FETCH_STEPS);
    return Optional.empty();
  }

  @Override
  public List<Task> fetchBatch(QueueRef queue, String worker, int max, Duration timeToRecover) {
    Validation.notNull("queue", queue);
    Validation.workerId(worker);
    if (max < 1 || max > MAX_BATCH) {
      throw new InvalidArgumentException("max", "must be 1 to " + MAX_BATCH + ", was " + max);
    }
    Validation.positiveDuration("timeToRecover", timeToRecover);
    Instant now = clock.instant();
    sweepCompletionsNowAndThen(queue, now);
    List<Lease> leases = new ArrayList<>();
    Set<Long> recovered = new HashSet<>();
    Set<Long> holdGroup = new HashSet<>();
    for (int step = 0; step < MAX_FETCH_STEPS && leases.size() < max; step++) {
      FetchBatch batch =
          bookkeeper.fetchBatch(queue, worker, max - leases.size(), now, timeToRecover, holeGrace);
      if (batch.uninitialized()) {
        initializeQueue(queue);
        continue;
      }
      leases.addAll(batch.leases());
      recovered.addAll(batch.recovered());
      holdGroup.addAll(batch.groups().keySet());
      if (batch.hole().isEmpty()) {
        break;
      }
      resolveHole(queue, batch.hole().getAsLong(), now);
    }
    if (leases.isEmpty()) {
      return List.of();
    }
    LongSummaryStatistics fresh =
        leases.stream()
            .filter(l -> l.deliveries() == 1 && Priority.ofIndex(l.index()) == Priority.NORMAL)
            .mapToLong(Lease::index)
            .summaryStatistics();
    if (fresh.getCount() > 0 && crossesMark(fresh.getMin(), fresh.getMax())) {
      recordProgress(queue);
    }
    Map<Long, StoredTask> rows = store.getAll(queue, leases.stream().map(Lease::index).toList());
    List<Long> expired = new ArrayList<>();
    Map<Long, String> toAdmit = new HashMap<>();
    List<Lease> kept = new ArrayList<>(leases.size());
    for (Lease lease : leases) {
      StoredTask row = rows.get(lease.index());
      if (row == null) {
        expired.add(lease.index());
      } else if (overLimit(queue, worker, lease, row, now)
          || notYetDue(queue, worker, lease, row)) {
        continue;
      } else {
        if (row.group().isPresent() && !holdGroup.contains(lease.index())) {
          toAdmit.put(lease.index(), row.group().get());
        }
        kept.add(lease);
      }
    }
    if (!expired.isEmpty()) {
      expire(queue, worker, expired, now);
    }
    Set<Long> admitted =
        toAdmit.isEmpty() ? Set.of() : bookkeeper.admit(queue, worker, toAdmit, now);
    List<Task> tasks = new ArrayList<>(kept.size());
    for (Lease lease : kept) {
      if (toAdmit.containsKey(lease.index()) && !admitted.contains(lease.index())) {
        continue; // parked in its group
      }
      try {
        tasks.add(open(queue, rows.get(lease.index()), lease));
        emitFetched(queue, worker, lease, recovered.contains(lease.index()), now);
      } catch (TamperedDataException | KeyDestroyedException e) {
        log.warn(
            "task {} of {} cannot be opened; taking it out of circulation",
            lease.index(),
            queue,
            e);
        retire(queue, worker, lease.index(), e, now);
      }
    }
    return tasks;
  }

  /**
   * Whether a leased task goes to its worker: not when it is over its delivery limit (then it is
   * dead-lettered), not yet due (given back until then), or its group is full (parked).
   */
  private boolean deliverable(
      QueueRef queue, String worker, Lease lease, StoredTask row, boolean holdsGroup, Instant now) {
    if (overLimit(queue, worker, lease, row, now) || notYetDue(queue, worker, lease, row)) {
      return false;
    }
    if (row.group().isPresent() && !holdsGroup) {
      return bookkeeper
          .admit(queue, worker, Map.of(lease.index(), row.group().get()), now)
          .contains(lease.index());
    }
    return true;
  }

  /**
   * A lease beyond the task's delivery limit (its earlier deliveries expired or were released)
   * sends the task to the dead letters instead of to this worker.
   */
  private boolean overLimit(
      QueueRef queue, String worker, Lease lease, StoredTask row, Instant now) {
    if (lease.deliveries() <= 1) {
      return false;
    }
    int max = maxDeliveries(queue, row);
    if (max == 0 || lease.deliveries() <= max) {
      return false;
    }
    ObjectNode error = Json.MAPPER.createObjectNode();
    error.put("type", "max-deliveries");
    error.put(
        "message",
        "delivered "
            + (lease.deliveries() - 1)
            + " times without acknowledgement (limit "
            + max
            + ")");
    deadLetter(queue, worker, lease.index(), error, now);
    return true;
  }

  /**
   * A task whose row says it is not due yet reached a worker only where the bookkeeper did not know
   * its delay (a hole kept after its writer died, bookkeeping rebuilt after lost Redis data): give
   * it back until then.
   */
  private boolean notYetDue(QueueRef queue, String worker, Lease lease, StoredTask row) {
    Instant now = clock.instant();
    if (row.notBefore().isEmpty() || !row.notBefore().get().isAfter(now)) {
      return false;
    }
    bookkeeper.release(queue, worker, lease.index(), row.notBefore().get(), now);
    return true;
  }

  private int maxDeliveries(QueueRef queue, StoredTask row) {
    return row.maxDeliveries() > 0 ? row.maxDeliveries() : cachedSettings(queue).maxDeliveries();
  }

  private QueueSettings cachedSettings(QueueRef queue) {
    Instant now = clock.instant();
    CachedSettings cached = settingsCache.get(queue);
    if (cached == null || !now.isBefore(cached.readAt().plus(SETTINGS_TTL))) {
      cached = new CachedSettings(bookkeeper.settings(queue), now);
      settingsCache.put(queue, cached);
    }
    return cached.settings();
  }

  private void emitFetched(
      QueueRef queue, String worker, Lease lease, boolean recovered, Instant now) {
    emit(
        recovered
            ? new QueueEvent.Recovered(queue, worker, lease.index(), lease.deliveries(), now)
            : new QueueEvent.Fetched(queue, worker, lease.index(), lease.deliveries(), now));
  }

  /** Leased indices whose row is gone (past the store's retention time, or dropped). */
  private void expire(QueueRef queue, String worker, List<Long> indices, Instant now) {
    log.warn(
        "task(s) {} of {} have no stored row (past the store's retention time, or dropped);"
            + " stepping over them as expired",
        indices,
        queue);
    for (long index : bookkeeper.expire(queue, worker, indices)) {
      emit(new QueueEvent.Expired(queue, index, now));
    }
  }

  private void resolveHole(QueueRef queue, long index, Instant now) {
    boolean written = store.get(queue, index).isPresent();
    bookkeeper.resolveHole(queue, index, written, now);
    log.warn(
        "index {} of {} stayed unwritten past the grace period {}; {}",
        index,
        queue,
        holeGrace,
        written ? "its row exists, delivering it" : "no row, skipping it");
  }

  private Task open(QueueRef queue, StoredTask row, Lease lease) {
    long index = row.index();
    JsonNode value = Json.parse(open(queue, index, Field.VALUE, "", row.value()));
    Optional<JsonNode> token =
        row.token().map(t -> Json.parse(open(queue, index, Field.TOKEN, "", t)));
    return new Task(
        queue, index, value, token, lease.deliveries(), row.enqueuedAt(), lease.deadline());
  }

  /**
   * Takes an unreadable task out of circulation with a failure outcome. Where the owner's keys are
   * gone the outcome cannot be sealed, so it is not persisted and the listener hears of it once,
   * best effort.
   */
  private void retire(QueueRef queue, String worker, long index, QueueException why, Instant now) {
    ObjectNode error = Json.MAPPER.createObjectNode();
    error.put("type", "unreadable");
    error.put("message", why.getMessage());
    Outcome failure = Outcome.failure(error);
    try {
      ackIndex(queue, worker, index, failure);
      return;
    } catch (KeyUnavailableException keysGone) {
      log.debug("cannot seal the failure outcome of task {} of {}", index, queue, keysGone);
    }
    boolean acked = bookkeeper.ack(queue, worker, index, Optional.empty());
    if (acked) {
      emit(new QueueEvent.Failed(queue, worker, index, now));
    }
    if (acked && listener.isPresent()) {
      try {
        listener
            .get()
            .onCompletion(new Completion(queue, index, worker, Optional.empty(), failure, now));
      } catch (RuntimeException e) {
        log.warn("completion listener failed for unreadable task {} of {}", index, queue, e);
      }
    }
  }

  // ---------------------------------------------------------------------------------------- ack

  @Override
  public boolean ack(QueueRef queue, String worker) {
    return ack(queue, worker, Outcome.success());
  }

  @Override
  public boolean ack(QueueRef queue, String worker, Outcome outcome) {
    Validation.notNull("queue", queue);
    Validation.workerId(worker);
    Validation.notNull("outcome", outcome);
    if (listener.isEmpty()
        && !recordPlainOutcomes
        && outcome instanceof Outcome.Success s
        && s.result().isEmpty()) {
      // Nothing to persist and nobody to tell: find and release the lease in one step.
      OptionalLong held = bookkeeper.ackHeld(queue, worker);
      if (held.isPresent()) {
        emit(new QueueEvent.Acked(queue, worker, held.getAsLong(), clock.instant()));
        return true;
      }
    } else {
      Optional<Lease> lease = bookkeeper.lease(queue, worker);
      if (lease.isPresent()) {
        return ackIndex(queue, worker, lease.get().index(), outcome);
      }
    }
    int batchLeases = bookkeeper.batchLeaseCount(queue, worker);
    if (batchLeases > 0) {
      throw new InvalidArgumentException(
          "index",
          "is required: worker '"
              + worker
              + "' holds no single-task lease in "
              + queue
              + " but "
              + batchLeases
              + " batch lease(s); acknowledge those by index");
    }
    return false;
  }

  @Override
  public boolean ack(QueueRef queue, String worker, long index, Outcome outcome) {
    Validation.notNull("queue", queue);
    Validation.workerId(worker);
    Validation.notNull("outcome", outcome);
    if (index < 1) {
      throw new InvalidArgumentException("index", "must be 1 or more, was " + index);
    }
    return ackIndex(queue, worker, index, outcome);
  }

  @Override
  public Set<Long> ackAll(QueueRef queue, String worker, Collection<Long> indices) {
    Validation.notNull("indices", indices);
    Map<Long, Outcome> outcomes = new LinkedHashMap<>();
    for (Long index : indices) {
      if (index == null) {
        throw new InvalidArgumentException("indices", "must not hold null");
      }
      if (outcomes.put(index, Outcome.success()) != null) {
        throw new InvalidArgumentException("indices", "holds " + index + " twice");
      }
    }
    return ackAll(queue, worker, outcomes, "indices");
  }

  @Override
  public Set<Long> ackAll(QueueRef queue, String worker, Map<Long, Outcome> outcomes) {
    Validation.notNull("outcomes", outcomes);
    for (Map.Entry<Long, Outcome> e : outcomes.entrySet()) {
      if (e.getKey() == null || e.getValue() == null) {
        throw new InvalidArgumentException("outcomes", "must not hold null keys or values");
      }
    }
    return ackAll(queue, worker, outcomes, "outcomes");
  }

  private Set<Long> ackAll(
      QueueRef queue, String worker, Map<Long, Outcome> outcomes, String argument) {
    Validation.notNull("queue", queue);
    Validation.workerId(worker);
    if (outcomes.isEmpty() || outcomes.size() > MAX_BATCH) {
      throw new InvalidArgumentException(
          argument, "must hold 1 to " + MAX_BATCH + " indices, held " + outcomes.size());
    }
    for (long index : outcomes.keySet()) {
      if (index < 1) {
        throw new InvalidArgumentException(argument, "holds " + index + "; indices are 1 or more");
      }
    }
    return acknowledge(queue, worker, outcomes);
  }

  private boolean ackIndex(QueueRef queue, String worker, long index, Outcome outcome) {
    return !acknowledge(queue, worker, Map.of(index, outcome)).isEmpty();
  }

  /**
   * The one ack path: persist the outcomes that carry anything (all of them where a listener
   * waits), then release the leases in one bookkeeper step, then deliver the completions. Outcomes
   * are keyed by worker, so a stale worker whose lease was taken over writes rows nobody reads.
   */
  private Set<Long> acknowledge(QueueRef queue, String worker, Map<Long, Outcome> outcomes) {
    Instant now = clock.instant();
    boolean track = listener.isPresent();
    List<StoredOutcome> rows = new ArrayList<>();
    for (Map.Entry<Long, Outcome> e : outcomes.entrySet()) {
      boolean plainSuccess = e.getValue() instanceof Outcome.Success s && s.result().isEmpty();
      if (track || recordPlainOutcomes || !plainSuccess) {
        byte[] sealed =
            seal(queue, e.getKey(), Field.OUTCOME, worker, Json.bytes(encode(e.getValue())));
        rows.add(new StoredOutcome(e.getKey(), worker, sealed, now));
      }
    }
    if (rows.size() == 1) {
      store.putOutcome(queue, rows.get(0));
    } else if (!rows.isEmpty()) {
      store.putOutcomes(queue, rows);
    }
    Optional<Instant> due = track ? Optional.of(now.plus(completionRetryDelay)) : Optional.empty();
    Set<Long> acked;
    if (outcomes.size() == 1) {
      long index = outcomes.keySet().iterator().next();
      acked = bookkeeper.ack(queue, worker, index, due) ? Set.of(index) : Set.of();
    } else {
      acked = bookkeeper.ackAll(queue, worker, outcomes.keySet(), due);
    }
    for (long index : acked) {
      emit(
          outcomes.get(index).isSuccess()
              ? new QueueEvent.Acked(queue, worker, index, now)
              : new QueueEvent.Failed(queue, worker, index, now));
    }
    if (track && !acked.isEmpty()) {
      List<Completion> done = new ArrayList<>(acked.size());
      for (long index : acked) {
        done.add(new Completion(queue, index, worker, Optional.empty(), outcomes.get(index), now));
      }
      deliver(queue, done);
    }
    return acked;
  }

  // -------------------------------------------------------------------------------- completions

  @Override
  public int deliverPendingCompletions(QueueRef queue) {
    Validation.notNull("queue", queue);
    if (listener.isEmpty()) {
      return 0;
    }
    Instant now = clock.instant();
    List<Completion> due = new ArrayList<>();
    List<PendingCompletion> unrecoverable = new ArrayList<>();
    for (PendingCompletion pending :
        bookkeeper.claimCompletions(queue, now, completionRetryDelay, COMPLETION_SWEEP_LIMIT)) {
      Optional<StoredOutcome> row = store.getOutcome(queue, pending.index(), pending.worker());
      if (row.isEmpty()) {
        log.warn(
            "outcome of task {} of {} by {} is gone (past the store's retention time);"
                + " its completion cannot be delivered",
            pending.index(),
            queue,
            pending.worker());
        unrecoverable.add(pending);
        continue;
      }
      try {
        byte[] plain =
            open(queue, pending.index(), Field.OUTCOME, pending.worker(), row.get().outcome());
        due.add(
            new Completion(
                queue,
                pending.index(),
                pending.worker(),
                Optional.empty(),
                decode(Json.parse(plain)),
                row.get().completedAt()));
      } catch (TamperedDataException | KeyDestroyedException e) {
        log.warn(
            "outcome of task {} of {} cannot be opened; dropping its completion",
            pending.index(),
            queue,
            e);
        unrecoverable.add(pending);
      } catch (KeyUnavailableException e) {
        log.warn(
            "outcome of task {} of {} cannot be opened now; its completion stays pending",
            pending.index(),
            queue,
            e);
      }
    }
    if (!unrecoverable.isEmpty()) {
      bookkeeper.completionsDelivered(queue, unrecoverable);
    }
    return due.isEmpty() ? 0 : deliver(queue, due);
  }

  private void sweepCompletionsNowAndThen(QueueRef queue, Instant now) {
    if (listener.isEmpty()) {
      return;
    }
    Instant last = lastCompletionSweep.get(queue);
    if (last != null && now.isBefore(last.plusSeconds(1))) {
      return;
    }
    boolean mine =
        last == null
            ? lastCompletionSweep.putIfAbsent(queue, now) == null
            : lastCompletionSweep.replace(queue, last, now);
    if (mine) {
      try {
        deliverPendingCompletions(queue);
      } catch (QueueException e) {
        log.warn("retrying pending completions of {} failed; will try again", queue, e);
      }
    }
  }

  /**
   * Hands completions (token still to be read) to the listener and confirms the ones it took.
   *
   * @return how many the listener took
   */
  private int deliver(QueueRef queue, List<Completion> completions) {
    Map<Long, StoredTask> rows =
        store.getAll(queue, completions.stream().map(Completion::index).toList());
    List<PendingCompletion> delivered = new ArrayList<>(completions.size());
    for (Completion c : completions) {
      Optional<JsonNode> token = Optional.empty();
      StoredTask row = rows.get(c.index());
      if (row != null && row.token().isPresent()) {
        try {
          token =
              Optional.of(Json.parse(open(queue, c.index(), Field.TOKEN, "", row.token().get())));
        } catch (TamperedDataException | KeyUnavailableException e) {
          log.warn(
              "token of task {} of {} cannot be opened; delivering without it", c.index(), queue);
        }
      }
      try {
        listener
            .orElseThrow()
            .onCompletion(
                new Completion(queue, c.index(), c.worker(), token, c.outcome(), c.completedAt()));
        delivered.add(new PendingCompletion(c.index(), c.worker()));
      } catch (RuntimeException e) {
        log.warn(
            "completion listener failed for task {} of {}; it will be delivered again",
            c.index(),
            queue,
            e);
      }
    }
    if (delivered.size() == 1) {
      bookkeeper.completionDelivered(queue, delivered.get(0));
    } else if (!delivered.isEmpty()) {
      bookkeeper.completionsDelivered(queue, delivered);
    }
    return delivered.size();
  }

  private static JsonNode encode(Outcome outcome) {
    ObjectNode node = Json.MAPPER.createObjectNode();
    if (outcome instanceof Outcome.Success s) {
      node.put("ok", true);
      s.result().ifPresent(r -> node.set("result", r));
    } else {
      node.put("ok", false);
      node.set("error", ((Outcome.Failure) outcome).error());
    }
    return node;
  }

  private static Outcome decode(JsonNode node) {
    if (node.path("ok").asBoolean()) {
      return node.has("result") ? Outcome.success(node.get("result")) : Outcome.success();
    }
    return Outcome.failure(node.get("error"));
  }

  // -------------------------------------------------------------------------------- info/rewind

  @Override
  public QueueInfo info(QueueRef queue) {
    Validation.notNull("queue", queue);
    BookkeeperState state = bookkeeper.state(queue);
    if (!state.initialized() && store.queueMark(queue).isPresent()) {
      initializeQueue(queue); // the queue exists, its bookkeeping was lost: rebuild it
      state = bookkeeper.state(queue);
    }
    long waiting = Math.max(0, state.committed() - state.fetched() - state.skippedAhead());
    Map<Priority, QueueInfo.LaneInfo> lanes = new EnumMap<>(Priority.class);
    for (Map.Entry<Priority, BookkeeperState.LaneState> e : state.lanes().entrySet()) {
      BookkeeperState.LaneState l = e.getValue();
      long laneWaiting = Math.max(0, l.committed() - l.fetched() - l.skippedAhead());
      lanes.put(e.getKey(), new QueueInfo.LaneInfo(l.allocated(), l.fetched(), laneWaiting));
      waiting += laneWaiting;
    }
    return new QueueInfo(
        queue,
        state.allocated(),
        state.fetched(),
        waiting + state.ready(),
        state.leases(),
        state.delayed(),
        state.dead(),
        state.expired(),
        state.parked(),
        state.paused(),
        lanes);
  }

  @Override
  public void rewind(QueueRef queue, long index) {
    Validation.notNull("queue", queue);
    Priority lane = Priority.ofIndex(index);
    boolean moved = bookkeeper.rewind(queue, index);
    if (!moved && !bookkeeper.state(queue).initialized()) {
      initializeQueue(queue);
      moved = bookkeeper.rewind(queue, index);
    }
    if (moved) {
      recordProgress(queue); // the lowest unfinished index went down
    } else {
      BookkeeperState state = bookkeeper.state(queue);
      long highest =
          lane == Priority.NORMAL
              ? state.allocated()
              : Optional.ofNullable(state.lanes().get(lane))
                  .map(BookkeeperState.LaneState::allocated)
                  .orElse(lane.base());
      throw new InvalidArgumentException(
          "index",
          "is "
              + index
              + " but the highest index assigned in "
              + queue
              + (lane == Priority.NORMAL ? "" : "'s lane " + lane)
              + " is "
              + highest);
    }
  }

  // --------------------------------------------------------------------------- leases by holder

  @Override
  public boolean extendLease(QueueRef queue, String worker, Duration extension) {
    Validation.notNull("queue", queue);
    Validation.workerId(worker);
    Validation.positiveDuration("extension", extension);
    Optional<Lease> lease = bookkeeper.lease(queue, worker);
    return lease.isPresent() && extend(queue, worker, lease.get().index(), extension);
  }

  @Override
  public boolean extendLease(QueueRef queue, String worker, long index, Duration extension) {
    Validation.notNull("queue", queue);
    Validation.workerId(worker);
    requireIndex("index", index);
    Validation.positiveDuration("extension", extension);
    return extend(queue, worker, index, extension);
  }

  private boolean extend(QueueRef queue, String worker, long index, Duration extension) {
    Instant now = clock.instant();
    Instant deadline = now.plus(extension);
    boolean extended = bookkeeper.extend(queue, worker, index, deadline);
    if (extended) {
      emit(new QueueEvent.LeaseExtended(queue, worker, index, deadline, now));
    }
    return extended;
  }

  @Override
  public boolean release(QueueRef queue, String worker, Duration delay) {
    Validation.notNull("queue", queue);
    Validation.workerId(worker);
    requireDelay(delay);
    Optional<Lease> lease = bookkeeper.lease(queue, worker);
    if (lease.isEmpty()) {
      requireNoBatchLeases(queue, worker, "release");
      return false;
    }
    return release(queue, worker, lease.get(), delay, null);
  }

  @Override
  public boolean release(
      QueueRef queue, String worker, long index, Duration delay, @Nullable Object error) {
    Validation.notNull("queue", queue);
    Validation.workerId(worker);
    requireIndex("index", index);
    requireDelay(delay);
    JsonNode errorNode = error == null ? null : ((Outcome.Failure) Outcome.failure(error)).error();
    Optional<Lease> lease =
        bookkeeper
            .lease(queue, worker)
            .filter(l -> l.index() == index)
            .or(() -> batchLease(queue, worker, index));
    return lease.isPresent() && release(queue, worker, lease.get(), delay, errorNode);
  }

  /** A batch lease of a worker, read from the queue's state (O(in-flight); release is rare). */
  private Optional<Lease> batchLease(QueueRef queue, String worker, long index) {
    return bookkeeper.state(queue).leases().stream()
        .filter(l -> l.index() == index && l.worker().equals(worker))
        .findFirst();
  }

  private boolean release(
      QueueRef queue, String worker, Lease lease, Duration delay, @Nullable JsonNode error) {
    Instant now = clock.instant();
    Optional<StoredTask> row = store.get(queue, lease.index());
    int max =
        row.map(r -> maxDeliveries(queue, r))
            .orElseGet(() -> cachedSettings(queue).maxDeliveries());
    if (max > 0 && lease.deliveries() >= max) {
      JsonNode why = error;
      if (why == null) {
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put("type", "released");
        node.put(
            "message", "released after " + lease.deliveries() + " deliveries (limit " + max + ")");
        why = node;
      }
      return deadLetter(queue, worker, lease.index(), why, now);
    }
    Instant dueAt = now.plus(delay);
    boolean released = bookkeeper.release(queue, worker, lease.index(), dueAt, now).isPresent();
    if (released) {
      emit(new QueueEvent.Released(queue, worker, lease.index(), dueAt, now));
    }
    return released;
  }

  /**
   * Sends a held lease's task to the dead letters: the failure outcome is persisted first (the dead
   * letter's last error), then the lease ends, then the completion goes to the listener.
   */
  private boolean deadLetter(
      QueueRef queue, String worker, long index, JsonNode error, Instant now) {
    Outcome failure = Outcome.failure(error);
    byte[] sealed = seal(queue, index, Field.OUTCOME, worker, Json.bytes(encode(failure)));
    store.putOutcome(queue, new StoredOutcome(index, worker, sealed, now));
    Optional<Instant> due =
        listener.isPresent() ? Optional.of(now.plus(completionRetryDelay)) : Optional.empty();
    Optional<DeadEntry> dead = bookkeeper.deadLetter(queue, worker, index, due, now);
    if (dead.isEmpty()) {
      return false;
    }
    log.warn(
        "task {} of {} went to the dead letters after {} deliveries: {}",
        index,
        queue,
        dead.get().deliveries(),
        error);
    emit(new QueueEvent.DeadLettered(queue, index, dead.get().deliveries(), now));
    if (listener.isPresent()) {
      deliver(queue, List.of(new Completion(queue, index, worker, Optional.empty(), failure, now)));
    }
    return true;
  }

  private void requireNoBatchLeases(QueueRef queue, String worker, String call) {
    int batchLeases = bookkeeper.batchLeaseCount(queue, worker);
    if (batchLeases > 0) {
      throw new InvalidArgumentException(
          "index",
          "is required: worker '"
              + worker
              + "' holds no single-task lease in "
              + queue
              + " but "
              + batchLeases
              + " batch lease(s); "
              + call
              + " those by index");
    }
  }

  private static void requireIndex(String argument, long index) {
    if (index < 1 || index >= Priority.values().length * Priority.LANE_SIZE) {
      throw new InvalidArgumentException(
          argument,
          "must be 1 to " + (Priority.values().length * Priority.LANE_SIZE - 1) + ", was " + index);
    }
  }

  private static void requireDelay(Duration delay) {
    if (delay == null || delay.isNegative() || delay.compareTo(NewTask.MAX_DELAY) > 0) {
      throw new InvalidArgumentException(
          "delay", "must be 0 to " + NewTask.MAX_DELAY + " (365 days), was " + delay);
    }
  }

  // ------------------------------------------------------------------------------ dead letters

  @Override
  public List<DeadLetter> deadLetters(QueueRef queue, int limit) {
    Validation.notNull("queue", queue);
    if (limit < 1 || limit > MAX_BATCH) {
      throw new InvalidArgumentException("limit", "must be 1 to " + MAX_BATCH + ", was " + limit);
    }
    List<DeadLetter> result = new ArrayList<>();
    for (DeadEntry e : bookkeeper.deadLetters(queue, limit)) {
      Optional<JsonNode> error = Optional.empty();
      try {
        error =
            readOutcome(queue, e.index(), e.worker())
                .filter(o -> o instanceof Outcome.Failure)
                .map(o -> ((Outcome.Failure) o).error());
      } catch (TamperedDataException | KeyUnavailableException unreadable) {
        log.debug(
            "last error of dead letter {} of {} cannot be read", e.index(), queue, unreadable);
      }
      result.add(new DeadLetter(e.index(), e.deliveries(), e.worker(), e.deadAt(), error));
    }
    return result;
  }

  @Override
  public boolean requeue(QueueRef queue, long index) {
    Validation.notNull("queue", queue);
    requireIndex("index", index);
    return bookkeeper.requeue(queue, index, clock.instant());
  }

  @Override
  public boolean discard(QueueRef queue, long index) {
    Validation.notNull("queue", queue);
    requireIndex("index", index);
    return bookkeeper.discard(queue, index);
  }

  // ------------------------------------------------------------------------ pause and settings

  @Override
  public boolean pause(QueueRef queue) {
    Validation.notNull("queue", queue);
    boolean changed = bookkeeper.pause(queue, true);
    if (changed) {
      emit(new QueueEvent.Paused(queue, clock.instant()));
    }
    return changed;
  }

  @Override
  public boolean resume(QueueRef queue) {
    Validation.notNull("queue", queue);
    boolean changed = bookkeeper.pause(queue, false);
    if (changed) {
      emit(new QueueEvent.Resumed(queue, clock.instant()));
    }
    return changed;
  }

  @Override
  public void configure(QueueRef queue, QueueSettings settings) {
    Validation.notNull("queue", queue);
    Validation.notNull("settings", settings);
    bookkeeper.configure(queue, settings);
    settingsCache.remove(queue);
  }

  @Override
  public QueueSettings settings(QueueRef queue) {
    Validation.notNull("queue", queue);
    return bookkeeper.settings(queue);
  }

  // ------------------------------------------------------------------------------ purge, queues

  @Override
  public void purge(QueueRef queue) {
    Validation.notNull("queue", queue);
    BookkeeperState state = bookkeeper.state(queue);
    Map<Priority, Long> highest = new EnumMap<>(Priority.class);
    if (state.initialized()) {
      if (state.allocated() > 0) {
        highest.put(Priority.NORMAL, state.allocated());
      }
      state.lanes().forEach((lane, l) -> highest.put(lane, l.allocated()));
    } else {
      for (Priority lane : Priority.values()) {
        store.highestIndex(queue, lane.base() + 1).ifPresent(h -> highest.put(lane, h));
      }
    }
    // The store first: while its rows go, the bookkeeper still serves the queue (fetch steps
    // over the missing rows); then the bookkeeping, so a later add starts a new queue.
    store.purge(queue, highest);
    bookkeeper.purge(queue);
    settingsCache.remove(queue);
    lastCompletionSweep.remove(queue);
    log.info("purged {}", queue);
    emit(new QueueEvent.Purged(queue, clock.instant()));
  }

  @Override
  public List<QueueRef> purge(String owner, Pattern services) {
    Validation.notNull("services", services);
    List<QueueRef> purged = new ArrayList<>();
    for (QueueRef queue : queues(owner)) {
      if (services.matcher(queue.service()).matches()) {
        purge(queue);
        purged.add(queue);
      }
    }
    return purged;
  }

  @Override
  public List<QueueRef> queues(String owner) {
    Validation.queueId("owner", owner);
    return store.services(owner).stream().map(service -> QueueRef.of(owner, service)).toList();
  }

  // --------------------------------------------------------------------------- repeating tasks

  @Override
  public Instant schedule(QueueRef queue, String scheduleId, Schedule schedule, NewTask template) {
    Validation.notNull("queue", queue);
    Validation.queueId("scheduleId", scheduleId);
    Validation.notNull("schedule", schedule);
    Validation.notNull("template", template);
    if (template.delay().isPresent() || template.notBefore().isPresent()) {
      throw new InvalidArgumentException(
          "template", "must have no delay and no notBefore: the schedule says when it runs");
    }
    keys.requireKey(queue.owner());
    Instant origin = clock.instant().truncatedTo(ChronoUnit.MILLIS);
    Instant first =
        schedule
            .nextAfter(origin, origin)
            .orElseThrow(
                () ->
                    new InvalidArgumentException(
                        "schedule", "never ticks after " + origin + ": " + schedule))
            .truncatedTo(ChronoUnit.MILLIS);
    ObjectNode json = Json.MAPPER.createObjectNode();
    json.set("value", template.value());
    template.token().ifPresent(t -> json.set("token", t));
    json.put("priority", template.priority().name());
    template.group().ifPresent(g -> json.put("group", g));
    json.put("maxDeliveries", template.maxDeliveries());
    byte[] sealed = seal(queue, 0, Field.SCHEDULE, scheduleId, Json.bytes(json));
    store.putSchedule(
        queue, new StoredSchedule(scheduleId, schedule.spec(), sealed, origin, first));
    return first;
  }

  @Override
  public boolean unschedule(QueueRef queue, String scheduleId) {
    Validation.notNull("queue", queue);
    Validation.queueId("scheduleId", scheduleId);
    return store.deleteSchedule(queue, scheduleId);
  }

  @Override
  public List<ScheduleInfo> schedules(QueueRef queue) {
    Validation.notNull("queue", queue);
    List<ScheduleInfo> result = new ArrayList<>();
    for (StoredSchedule s : store.schedules(queue)) {
      result.add(new ScheduleInfo(s.id(), Schedule.parse(s.spec()), s.nextTick()));
    }
    return result;
  }

  @Override
  public List<Long> runSchedules(QueueRef queue) {
    Validation.notNull("queue", queue);
    Instant now = clock.instant();
    List<Long> added = new ArrayList<>();
    for (StoredSchedule s : store.schedules(queue)) {
      if (s.nextTick().isAfter(now)) {
        continue;
      }
      NewTask task;
      Instant next;
      try {
        next =
            Schedule.parse(s.spec())
                .nextAfter(now, s.origin())
                .map(t -> t.truncatedTo(ChronoUnit.MILLIS))
                .orElse(NEVER);
        task = template(queue, s);
      } catch (QueueException e) {
        log.warn("schedule {} of {} cannot run; skipping it", s.id(), queue, e);
        continue;
      }
      // Exactly one node moves the tick (a conditional write); only that node adds the task.
      if (!store.advanceSchedule(queue, s.id(), s.nextTick(), next)) {
        continue;
      }
      long index;
      try {
        index = add(queue, task);
      } catch (RuntimeException e) {
        try {
          store.advanceSchedule(queue, s.id(), next, s.nextTick()); // give the tick back
        } catch (RuntimeException again) {
          log.warn("could not give tick {} of schedule {} back", s.nextTick(), s.id(), again);
        }
        throw e;
      }
      added.add(index);
      emit(new QueueEvent.ScheduledTick(queue, s.id(), s.nextTick(), index, now));
    }
    return added;
  }

  private NewTask template(QueueRef queue, StoredSchedule s) {
    JsonNode json = Json.parse(open(queue, 0, Field.SCHEDULE, s.id(), s.template()));
    NewTask task = NewTask.of(json.get("value"));
    if (json.has("token")) {
      task = task.token(json.get("token"));
    }
    task = task.priority(Priority.valueOf(json.path("priority").asText("NORMAL")));
    if (json.hasNonNull("group")) {
      task = task.group(json.get("group").asText());
    }
    int max = json.path("maxDeliveries").asInt(0);
    return max > 0 ? task.maxDeliveries(max) : task;
  }

  // -------------------------------------------------------------------------------- outcomes

  @Override
  public Optional<Outcome> outcome(QueueRef queue, long index) {
    Validation.notNull("queue", queue);
    requireIndex("index", index);
    List<StoredOutcome> rows = store.outcomes(queue, index);
    if (rows.isEmpty()) {
      return Optional.empty();
    }
    StoredOutcome first = rows.get(0);
    return Optional.of(
        decode(Json.parse(open(queue, index, Field.OUTCOME, first.worker(), first.outcome()))));
  }

  private Optional<Outcome> readOutcome(QueueRef queue, long index, String worker) {
    return store
        .getOutcome(queue, index, worker)
        .map(row -> decode(Json.parse(open(queue, index, Field.OUTCOME, worker, row.outcome()))));
  }

  @Override
  public TaskHandle submit(QueueRef queue, NewTask task) {
    long index = add(queue, task);
    return new TaskHandle(queue, index, watcher().watch(queue, index));
  }

  @Override
  public CompletionStage<Outcome> completion(QueueRef queue, long index) {
    Validation.notNull("queue", queue);
    requireIndex("index", index);
    return watcher().watch(queue, index);
  }

  private CompletionWatcher watcher() {
    CompletionWatcher w = watcher;
    if (w == null) {
      synchronized (watcherLock) {
        if (closed) {
          throw new QueueException("this WorkQueue is closed");
        }
        w = watcher;
        if (w == null) {
          w =
              new CompletionWatcher(
                  bookkeeper.signals(), (q, index) -> outcome(q, index), completionPollInterval);
          watcher = w;
        }
      }
    }
    return w;
  }

  @Override
  public AutoCloseable onWork(QueueRef queue, Runnable listener) {
    Validation.notNull("queue", queue);
    Validation.notNull("listener", listener);
    Optional<Signals> signals = bookkeeper.signals();
    if (signals.isEmpty()) {
      return () -> {};
    }
    return signals.get().onWork(queue, listener);
  }

  @Override
  public void close() {
    synchronized (watcherLock) {
      closed = true;
      CompletionWatcher w = watcher;
      watcher = null;
      if (w != null) {
        w.close();
      }
    }
  }

  // ------------------------------------------------------------------------------------ events

  private void emit(QueueEvent event) {
    for (QueueListener l : queueListeners) {
      try {
        l.onEvent(event);
      } catch (RuntimeException e) {
        log.warn("queue listener failed on {}", event, e);
      }
    }
  }

  // ----------------------------------------------------------------------------- initialization

  /**
   * Initializes a queue's bookkeeping from the task store: a new queue starts at index 1; a queue
   * whose bookkeeping was lost (its Redis data gone) continues above the highest index the store
   * holds, and the tasks that may be unfinished are delivered again. Safe to run on many nodes at
   * once: only the first initialization counts.
   */
  private void initializeQueue(QueueRef queue) {
    Optional<QueueMark> mark = store.queueMark(queue);
    boolean existed = mark.isPresent();
    if (mark.isEmpty()) {
      // Recorded before any index exists, so that a later loss of the bookkeeping is recognised.
      store.createQueueMark(queue);
      mark = store.queueMark(queue);
    }
    QueueMark m = mark.orElse(QueueMark.NEW);
    long found = store.highestIndex(queue, Math.max(1, m.allocated())).orElse(0);
    // A mark lags the truth by less than an interval unless its write failed: stay well above it,
    // so that no index that may have been handed out is ever handed out again as new.
    long taken = m.allocated() == 0 ? 0 : (m.allocated() / MARK_INTERVAL + 2) * MARK_INTERVAL;
    long allocated = Math.max(found, taken);
    long replayFrom = Math.max(1, Math.min(m.lowestUnfinished(), found + 1));
    List<LaneStart> lanes = new ArrayList<>();
    if (existed) {
      // The other lanes keep no mark: replay what the store still holds of them.
      for (Priority lane : Priority.values()) {
        if (lane != Priority.NORMAL) {
          OptionalLong highest = store.highestIndex(queue, lane.base() + 1);
          if (highest.isPresent()) {
            long h = highest.getAsLong();
            lanes.add(new LaneStart(lane, h, lane.base() + 1, h));
          }
        }
      }
    }
    boolean initialized;
    if (lanes.isEmpty()) {
      initialized = bookkeeper.initialize(queue, allocated, replayFrom, found);
    } else {
      lanes.add(0, new LaneStart(Priority.NORMAL, allocated, replayFrom, found));
      initialized = bookkeeper.initialize(queue, lanes);
    }
    if (initialized && (allocated > 0 || !lanes.isEmpty())) {
      log.warn(
          "the bookkeeping of {} was missing and was rebuilt from the task store: indices up to {}"
              + " are taken, {} to {} are delivered again",
          queue,
          allocated,
          replayFrom,
          found);
    }
  }

  /** Whether indices {@code first} to {@code last} include a multiple of {@link #MARK_INTERVAL}. */
  private static boolean crossesMark(long first, long last) {
    return last / MARK_INTERVAL > (first - 1) / MARK_INTERVAL;
  }

  /** Records the queue's progress in the task store, about once every {@link #MARK_INTERVAL}. */
  private void recordProgress(QueueRef queue) {
    try {
      BookkeeperState s = bookkeeper.state(queue);
      if (s.initialized()) {
        store.putQueueMark(queue, new QueueMark(s.allocated(), s.lowestUnfinished()));
      }
    } catch (QueueException e) {
      log.warn("could not record the progress of {}; will try again later", queue, e);
    }
  }

  // ------------------------------------------------------------------------------------ sealing

  /** Which field a ciphertext belongs to; part of its associated data. */
  private enum Field {
    VALUE,
    TOKEN,
    OUTCOME,
    SCHEDULE
  }

  private byte[] seal(QueueRef queue, long index, Field field, String worker, byte[] plaintext) {
    return keys.seal(queue.owner(), plaintext, associatedData(queue, index, field, worker));
  }

  private byte[] open(QueueRef queue, long index, Field field, String worker, byte[] sealed) {
    return keys.open(queue.owner(), sealed, associatedData(queue, index, field, worker));
  }

  /**
   * Binds a ciphertext to its owner, queue, index, field and (for outcomes) worker. '|' cannot
   * occur in any id, so the encoding is unambiguous.
   */
  static byte[] associatedData(QueueRef queue, long index, Field field, String worker) {
    String ad =
        "wq1|" + queue.owner() + "|" + queue.service() + "|" + index + "|" + field + "|" + worker;
    return ad.getBytes(StandardCharsets.UTF_8);
  }
}
