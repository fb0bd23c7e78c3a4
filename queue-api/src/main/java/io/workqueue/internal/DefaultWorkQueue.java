package io.workqueue.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.workqueue.Completion;
import io.workqueue.InvalidArgumentException;
import io.workqueue.KeyDestroyedException;
import io.workqueue.KeyUnavailableException;
import io.workqueue.Lease;
import io.workqueue.NewTask;
import io.workqueue.Outcome;
import io.workqueue.QueueException;
import io.workqueue.QueueInfo;
import io.workqueue.QueueRef;
import io.workqueue.TamperedDataException;
import io.workqueue.Task;
import io.workqueue.UnreadableTaskException;
import io.workqueue.WorkQueue;
import io.workqueue.spi.Bookkeeper;
import io.workqueue.spi.BookkeeperState;
import io.workqueue.spi.CompletionListener;
import io.workqueue.spi.Fetch;
import io.workqueue.spi.FetchBatch;
import io.workqueue.spi.KeyProvider;
import io.workqueue.spi.PendingCompletion;
import io.workqueue.spi.QueueMark;
import io.workqueue.spi.StoredOutcome;
import io.workqueue.spi.StoredTask;
import io.workqueue.spi.TaskStore;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.LongSummaryStatistics;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
   */
  public DefaultWorkQueue(
      TaskStore store,
      Bookkeeper bookkeeper,
      KeyProvider keys,
      Optional<CompletionListener> listener,
      Clock clock,
      Duration holeGrace,
      Duration completionRetryDelay) {
    this.store = store;
    this.bookkeeper = bookkeeper;
    this.keys = keys;
    this.listener = listener;
    this.clock = clock;
    this.holeGrace = holeGrace;
    this.completionRetryDelay = completionRetryDelay;
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
    long first = bookkeeper.allocate(queue, n, now);
    if (first == 0) {
      initializeQueue(queue);
      first = bookkeeper.allocate(queue, n, now);
      if (first == 0) {
        throw new QueueException(
            "the bookkeeper of " + queue + " allocated nothing right after it was initialized");
      }
    }
    try {
      List<StoredTask> rows = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        NewTask t = tasks.get(i);
        long index = first + i;
        byte[] value = seal(queue, index, Field.VALUE, "", Json.bytes(t.value()));
        Optional<byte[]> token =
            t.token().map(tok -> seal(queue, index, Field.TOKEN, "", Json.bytes(tok)));
        rows.add(new StoredTask(index, value, token, now));
      }
      store.put(queue, rows);
    } catch (RuntimeException e) {
      // Nothing of this add will be committed: skip its indices now rather than after the grace
      // period. Where even that fails, fetch resolves them as holes later.
      for (int i = 0; i < n; i++) {
        try {
          bookkeeper.resolveHole(queue, first + i, false, now);
        } catch (RuntimeException again) {
          log.debug("could not skip index {} of {} after a failed add", first + i, queue, again);
        }
      }
      throw e;
    }
    if (!bookkeeper.commit(queue, first, n)) {
      throw new QueueException(
          "add to "
              + queue
              + " took longer than the hole grace period ("
              + holeGrace
              + "): index "
              + first
              + (n > 1 ? ".." + (first + n - 1) : "")
              + " was already skipped, so the task"
              + (n > 1 ? "s were" : " was")
              + " not added; check the task store's latency");
    }
    if (crossesMark(first, first + n - 1)) {
      recordProgress(queue);
    }
    List<Long> indices = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      indices.add(first + i);
    }
    return indices;
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
      Lease lease = ((Fetch.Leased) decision).lease();
      if (((Fetch.Leased) decision).fresh() && crossesMark(lease.index(), lease.index())) {
        recordProgress(queue);
      }
      Optional<StoredTask> row = store.get(queue, lease.index());
      if (row.isEmpty()) {
        acknowledgeExpired(queue, worker, List.of(lease.index()));
        continue;
      }
      try {
        return Optional.of(open(queue, row.get(), lease));
      } catch (TamperedDataException | KeyDestroyedException e) {
        // Lost for good: take it out of circulation. Other key failures (a wrong master key) can
        // be fixed, so they propagate and the lease returns the task after its deadline.
        retire(queue, worker, lease.index(), e, now);
        throw new UnreadableTaskException(queue, lease.index(), e);
      }
    }
    log.warn(
        "fetch on {} stepped over {} holes or expired rows; try again", queue, MAX_FETCH_STEPS);
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
    for (int step = 0; step < MAX_FETCH_STEPS && leases.size() < max; step++) {
      FetchBatch batch =
          bookkeeper.fetchBatch(queue, worker, max - leases.size(), now, timeToRecover, holeGrace);
      if (batch.uninitialized()) {
        initializeQueue(queue);
        continue;
      }
      leases.addAll(batch.leases());
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
            .filter(l -> l.deliveries() == 1)
            .mapToLong(Lease::index)
            .summaryStatistics();
    if (fresh.getCount() > 0 && crossesMark(fresh.getMin(), fresh.getMax())) {
      recordProgress(queue);
    }
    Map<Long, StoredTask> rows = store.getAll(queue, leases.stream().map(Lease::index).toList());
    List<Task> tasks = new ArrayList<>(leases.size());
    List<Long> expired = new ArrayList<>();
    for (Lease lease : leases) {
      StoredTask row = rows.get(lease.index());
      if (row == null) {
        expired.add(lease.index());
        continue;
      }
      try {
        tasks.add(open(queue, row, lease));
      } catch (TamperedDataException | KeyDestroyedException e) {
        log.warn(
            "task {} of {} cannot be opened; taking it out of circulation",
            lease.index(),
            queue,
            e);
        retire(queue, worker, lease.index(), e, now);
      }
    }
    if (!expired.isEmpty()) {
      acknowledgeExpired(queue, worker, expired);
    }
    return tasks;
  }

  /** Leased indices whose row is gone (past the store's retention time, or dropped). */
  private void acknowledgeExpired(QueueRef queue, String worker, List<Long> indices) {
    log.warn(
        "task(s) {} of {} have no stored row (past the store's retention time, or dropped);"
            + " acknowledging them as expired",
        indices,
        queue);
    bookkeeper.ackAll(queue, worker, indices, Optional.empty());
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
    if (bookkeeper.ack(queue, worker, index, Optional.empty()) && listener.isPresent()) {
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
    if (listener.isEmpty() && outcome instanceof Outcome.Success s && s.result().isEmpty()) {
      // Nothing to persist and nobody to tell: find and release the lease in one step.
      if (bookkeeper.ackHeld(queue, worker).isPresent()) {
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
      if (track || !plainSuccess) {
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
    return new QueueInfo(queue, state.allocated(), state.fetched(), waiting, state.leases());
  }

  @Override
  public void rewind(QueueRef queue, long index) {
    Validation.notNull("queue", queue);
    if (index < 0) {
      throw new InvalidArgumentException("index", "must be 0 or more, was " + index);
    }
    boolean moved = bookkeeper.rewind(queue, index);
    if (!moved && !bookkeeper.state(queue).initialized()) {
      initializeQueue(queue);
      moved = bookkeeper.rewind(queue, index);
    }
    if (moved) {
      recordProgress(queue); // the lowest unfinished index went down
    } else {
      throw new InvalidArgumentException(
          "index",
          "is "
              + index
              + " but the highest index assigned in "
              + queue
              + " is "
              + bookkeeper.state(queue).allocated());
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
    if (bookkeeper.initialize(queue, allocated, replayFrom, found) && allocated > 0) {
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
    OUTCOME
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
