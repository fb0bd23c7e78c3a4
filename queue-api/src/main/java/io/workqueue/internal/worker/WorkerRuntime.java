package io.workqueue.internal.worker;

import io.workqueue.BackendUnavailableException;
import io.workqueue.Outcome;
import io.workqueue.QueueException;
import io.workqueue.QueueRef;
import io.workqueue.QueueWorker;
import io.workqueue.Task;
import io.workqueue.UnreadableTaskException;
import io.workqueue.WorkQueue;
import io.workqueue.internal.worker.Execution.State;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine behind {@link QueueWorker}: slot threads that fetch and run handlers, a timer that
 * extends leases, enforces the handler time limit, wakes slots for released tasks coming due and
 * runs schedules, and the shutdown sequence. Thread-safe.
 *
 * <p>On the per-task path (batch size 1) each slot fetches with its own worker id on the
 * single-task path, so it holds at most one lease per queue, and runs one task at a time: the
 * worker holds at most {@code concurrency} leases. An idle slot waits for the queue's work signal
 * ({@link WorkQueue#onWork}), or for the poll interval where no signal comes.
 *
 * <p>On the batch path one fetcher thread leases with {@link WorkQueue#fetchBatch} under the one
 * worker id {@code <workerId>:b} into a {@link TaskBuffer} (at most the free slots plus a prefetch
 * sized to what the slots start soon), the slots take from the buffer, and an {@link AckBatcher}
 * acknowledges the outcomes in groups with {@link WorkQueue#ackAll(QueueRef, String, Map)}.
 * Releases (retries, shutdown) stay one by one, by index. The timer extends the leases of buffered
 * tasks as well as those of running handlers. An idle fetcher waits for the work signal or the poll
 * interval.
 */
public final class WorkerRuntime {
  private static final Logger log = LoggerFactory.getLogger(QueueWorker.class);

  /** How many times an ack or release is tried when the backend fails. */
  private static final int FINISH_ATTEMPTS = 3;

  /** How long {@code close} waits for acks already under way once the grace period is over. */
  private static final Duration FINISHING_WAIT = Duration.ofSeconds(30);

  /** How long after a released task's due time its worker looks for it again. */
  private static final long DUE_MARGIN_MILLIS = 10;

  /** How long {@code close} waits for the fetcher to return from a fetch under way. */
  private static final Duration FETCHER_WAIT = Duration.ofSeconds(10);

  /** The longest error message kept in a failure outcome or dead letter. */
  private static final int MAX_ERROR_MESSAGE = 8_000;

  /** How often the same recurring failure is logged at WARN (the others go to DEBUG). */
  private static final long WARN_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

  private enum Lifecycle {
    NEW,
    RUNNING,
    DRAINING,
    ABANDONING,
    CLOSED
  }

  private final WorkerConfig cfg;
  private final WorkQueue wq;
  private final WakeSignal wake = new WakeSignal();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final Set<Execution> running = new LinkedHashSet<>();
  private final List<Thread> slots = new ArrayList<>();
  private final List<AutoCloseable> subscriptions = new ArrayList<>();
  private final Map<String, Long> lastWarned = new ConcurrentHashMap<>();
  private final AtomicLong permits = new AtomicLong();
  private final AtomicLong succeeded = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong retried = new AtomicLong();
  private final AtomicLong abandoned = new AtomicLong();
  private final boolean batched;
  private final String batchId;

  /** Batch path: running executions by queue and index, guarded by lock. */
  private final Map<String, Execution> runningByKey = new HashMap<>();

  /** Handlers running now (batch path: tells the acker whether more outcomes are coming). */
  private final AtomicInteger inHandler = new AtomicInteger();

  private final TaskBuffer buffer;
  private final AckBatcher acker;
  private Thread fetcher;
  private volatile Lifecycle lifecycle = Lifecycle.NEW;
  private long ended; // executions ended, guarded by lock
  private ScheduledThreadPoolExecutor timer;
  private ScheduledFuture<?> scheduleRunner;
  private CompletableFuture<Boolean> closing;

  /**
   * Creates a worker that does nothing until started.
   *
   * @param cfg the checked settings
   */
  public WorkerRuntime(WorkerConfig cfg) {
    this.cfg = cfg;
    this.wq = cfg.workQueue();
    this.batched = cfg.batched();
    this.batchId = cfg.workerId() + WorkerConfig.BATCH_SUFFIX;
    if (batched) {
      this.buffer = new TaskBuffer(cfg.concurrency(), cfg.batchSize());
      this.acker = new AckBatcher(this::ackGroup, () -> inHandler.get() > 0 || buffer.hasWaiting());
    } else {
      this.buffer = null;
      this.acker = null;
    }
  }

  // ------------------------------------------------------------------------------ lifecycle

  /**
   * Starts the slots, the signal subscriptions and the schedule runner; does nothing when running.
   *
   * @throws QueueException when the worker is closing or closed, or ran with {@link #runFor}
   */
  public void start() {
    lock.lock();
    try {
      if (lifecycle == Lifecycle.RUNNING && permits.get() == Long.MAX_VALUE) {
        log.debug("worker {} is already running", cfg.workerId());
        return;
      }
      startLocked(Long.MAX_VALUE);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Runs until {@code countLimit} tasks were handled or {@code timeLimit} passed, then closes with
   * the shutdown grace period.
   *
   * @param countLimit how many tasks to lease at most
   * @param timeLimit how long to run at most
   * @return the counts of this run
   */
  public QueueWorker.Stats runFor(long countLimit, Duration timeLimit) {
    long deadline = System.nanoTime() + timeLimit.toNanos();
    boolean interrupted = false;
    lock.lock();
    try {
      startLocked(countLimit);
      while (ended < countLimit && lifecycle == Lifecycle.RUNNING) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        try {
          changed.awaitNanos(left);
        } catch (InterruptedException e) {
          interrupted = true;
          break;
        }
      }
    } finally {
      lock.unlock();
    }
    close(cfg.shutdownGrace());
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    return stats();
  }

  private void startLocked(long permitCount) {
    if (lifecycle != Lifecycle.NEW) {
      throw new QueueException(
          "worker "
              + cfg.workerId()
              + " cannot start: it is "
              + (lifecycle == Lifecycle.RUNNING ? "already running" : "closed")
              + "; build a new worker");
    }
    permits.set(permitCount);
    timer =
        new ScheduledThreadPoolExecutor(
            2,
            r -> {
              Thread t = new Thread(r, "workqueue-worker-" + cfg.workerId() + "-timer");
              t.setDaemon(true);
              return t;
            });
    timer.setRemoveOnCancelPolicy(true);
    for (QueueRef q : cfg.queues()) {
      try {
        subscriptions.add(wq.onWork(q, wake::wake));
      } catch (RuntimeException e) {
        log.warn(
            "worker {}: no work signal for {} ({}); idle slots poll every {}",
            cfg.workerId(),
            q,
            e.toString(),
            cfg.pollInterval());
      }
    }
    lifecycle = Lifecycle.RUNNING;
    for (int n = 0; n < cfg.concurrency(); n++) {
      String id = cfg.workerId() + ":" + n;
      int first = n % cfg.queues().size();
      Thread t =
          cfg.threadFactory().newThread(batched ? this::runBatchSlot : () -> runSlot(id, first));
      if (t == null) {
        lifecycle = Lifecycle.CLOSED;
        closing = CompletableFuture.completedFuture(true);
        wake.wake();
        timer.shutdownNow();
        subscriptions.forEach(WorkerRuntime::closeQuietly);
        throw new QueueException(
            "worker " + cfg.workerId() + ": the thread factory returned no thread for slot " + n);
      }
      t.setName("workqueue-worker-" + id);
      slots.add(t);
    }
    slots.forEach(Thread::start);
    if (batched) {
      acker.start("workqueue-worker-" + cfg.workerId() + "-acks");
      fetcher = new Thread(this::runFetcher, "workqueue-worker-" + batchId + "-fetcher");
      fetcher.setDaemon(true);
      fetcher.start();
      long tick = Math.max(1, cfg.extendEvery().toMillis() / 2);
      timer.scheduleWithFixedDelay(this::extendBuffered, tick, tick, TimeUnit.MILLISECONDS);
    }
    if (cfg.runSchedules()) {
      scheduleRunner = timer.scheduleWithFixedDelay(this::runSchedules, 0, 1, TimeUnit.SECONDS);
    }
    log.info(
        "worker {} started: {} slot(s) on {}, time to recover {}, {}",
        cfg.workerId(),
        cfg.concurrency(),
        cfg.queues(),
        cfg.timeToRecover(),
        batched ? "batches of up to " + cfg.batchSize() + " as " + batchId : "one task per fetch");
  }

  /**
   * Stops fetching, lets running handlers finish within {@code grace}, then interrupts the rest and
   * releases their tasks for other workers at once. Idempotent: a later call waits for the first
   * and returns its result.
   *
   * @param grace how long running handlers may take
   * @return true when every handler finished within the grace period
   */
  public boolean close(Duration grace) {
    CompletableFuture<Boolean> result;
    Lifecycle before;
    lock.lock();
    try {
      if (closing != null) {
        log.debug(
            "worker {} is already closed or closing; close() again does nothing", cfg.workerId());
        result = closing;
        before = null;
      } else {
        closing = new CompletableFuture<>();
        result = closing;
        before = lifecycle;
        lifecycle = before == Lifecycle.NEW ? Lifecycle.CLOSED : Lifecycle.DRAINING;
      }
    } finally {
      lock.unlock();
    }
    if (before == null) {
      return result.join();
    }
    if (before == Lifecycle.NEW) {
      log.info("worker {} closed before it started", cfg.workerId());
      result.complete(true);
      return true;
    }
    try {
      result.complete(shutDown(grace));
    } catch (RuntimeException | Error e) {
      result.completeExceptionally(e);
      throw e;
    }
    return result.join();
  }

  private boolean shutDown(Duration grace) {
    wake.wake();
    if (scheduleRunner != null) {
      scheduleRunner.cancel(false);
    }
    subscriptions.forEach(WorkerRuntime::closeQuietly);
    if (batched) {
      releaseBuffered(buffer.close(), "the worker closed before it started");
    }
    // the grace is the running handlers': it starts once the buffered tasks are given back
    long deadline = System.nanoTime() + grace.toNanos();
    int waiting;
    lock.lock();
    try {
      waiting = running.size();
    } finally {
      lock.unlock();
    }
    log.info(
        "worker {} closing: fetching stopped, {} running handler(s) have {} to finish",
        cfg.workerId(),
        waiting,
        grace);
    boolean interrupted = false;
    List<Execution> left = new ArrayList<>();
    lock.lock();
    try {
      while (!running.isEmpty()) {
        long wait = deadline - System.nanoTime();
        if (wait <= 0 || interrupted) {
          break;
        }
        try {
          changed.awaitNanos(wait);
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      lifecycle = Lifecycle.ABANDONING;
      for (Execution ex : running) {
        if (ex.move(State.RUNNING, State.TIMED_OUT, State.ABANDONED)) {
          ex.stopWatching();
          left.add(ex);
        }
      }
    } finally {
      lock.unlock();
    }
    for (Execution ex : left) {
      abandoned.incrementAndGet();
      boolean released =
          release(ex, Duration.ZERO, error("WorkerClosed", "the worker closed before it finished"));
      log.warn(
          "worker {}: the handler of {} did not finish within the grace period of {}: interrupted,"
              + " task {}",
          cfg.workerId(),
          ex.describe(),
          grace,
          released ? "released for another worker" : "left to its lease deadline");
    }
    lock.lock();
    try {
      long finishDeadline = System.nanoTime() + FINISHING_WAIT.toNanos();
      while (running.stream().anyMatch(ex -> ex.state() == State.FINISHING)) {
        long wait = finishDeadline - System.nanoTime();
        if (wait <= 0) {
          break;
        }
        try {
          changed.awaitNanos(wait);
        } catch (InterruptedException e) {
          interrupted = true;
          break;
        }
      }
    } finally {
      lock.unlock();
    }
    if (batched) {
      try {
        fetcher.join(FETCHER_WAIT.toMillis());
      } catch (InterruptedException e) {
        interrupted = true;
      }
      if (fetcher.isAlive()) {
        log.warn(
            "worker {}: the fetcher is still inside a fetch after {}; what it leases is released"
                + " when the fetch returns",
            cfg.workerId(),
            FETCHER_WAIT);
      }
      if (!acker.stop(FINISHING_WAIT)) {
        log.error(
            "worker {}: acknowledging the last outcomes took over {}; their tasks are delivered"
                + " again after their leases",
            cfg.workerId(),
            FINISHING_WAIT);
      }
    }
    lock.lock();
    try {
      lifecycle = Lifecycle.CLOSED;
    } finally {
      lock.unlock();
    }
    timer.shutdownNow();
    for (Thread t : slots) {
      try {
        t.join(left.isEmpty() ? 1000 : 100);
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    long alive = slots.stream().filter(Thread::isAlive).count();
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    QueueWorker.Stats s = stats();
    if (alive > 0) {
      log.warn(
          "worker {} closed; {} slot thread(s) still run handlers that ignore interrupts",
          cfg.workerId(),
          alive);
    }
    log.info(
        "worker {} closed: {} succeeded, {} failed, {} retried, {} abandoned",
        cfg.workerId(),
        s.succeeded(),
        s.failed(),
        s.retried(),
        s.abandoned());
    return left.isEmpty();
  }

  /**
   * The worker's counts so far.
   *
   * @return the counts
   */
  public QueueWorker.Stats stats() {
    return new QueueWorker.Stats(succeeded.get(), failed.get(), retried.get(), abandoned.get());
  }

  /**
   * Whether the worker fetches: started and not closing.
   *
   * @return true while running
   */
  public boolean isRunning() {
    return lifecycle == Lifecycle.RUNNING;
  }

  private static void closeQuietly(AutoCloseable subscription) {
    try {
      subscription.close();
    } catch (Exception e) {
      log.debug("closing a work subscription failed", e);
    }
  }

  // ------------------------------------------------------------------------------ slots

  private void runSlot(String id, int firstQueue) {
    List<QueueRef> queues = cfg.queues();
    int cursor = firstQueue;
    int failures = 0;
    while (lifecycle == Lifecycle.RUNNING) {
      long seen = wake.generation();
      if (lifecycle != Lifecycle.RUNNING) {
        break; // close() woke us between the check above and reading the generation
      }
      if (!takePermit()) {
        break;
      }
      boolean progress = false;
      boolean failedRound = false;
      Execution ex = null;
      for (int i = 0; i < queues.size() && ex == null; i++) {
        int at = (cursor + i) % queues.size();
        QueueRef q = queues.get(at);
        try {
          Optional<Task> task = wq.fetch(q, id, cfg.timeToRecover());
          if (task.isPresent()) {
            ex = new Execution(id, q, task.get(), Thread.currentThread());
            cursor = (at + 1) % queues.size();
          }
        } catch (UnreadableTaskException e) {
          progress = true;
          log.warn("worker {}: stepped over a task that cannot be opened: {}", id, e.getMessage());
        } catch (RuntimeException e) {
          failedRound = true;
          warnNowAndThen("fetch " + q, "worker {}: fetching from {} failed; backing off", id, q, e);
        }
      }
      if (ex != null) {
        failures = 0;
        execute(ex, cfg.extendEvery().toMillis());
        continue;
      }
      returnPermit();
      if (failedRound) {
        failures = Math.min(failures + 1, 10);
        long backoff = Math.min(cfg.pollInterval().toMillis(), 50L << failures);
        wake.await(seen, Duration.ofMillis(Math.max(1, backoff)));
      } else if (!progress) {
        failures = 0;
        wake.await(seen, cfg.pollInterval());
      }
    }
  }

  // ------------------------------------------------------------------------------ batch path

  /** The batch fetcher: leases into the buffer while there is room, waits for work otherwise. */
  private void runFetcher() {
    List<QueueRef> queues = cfg.queues();
    int cursor = 0;
    int failures = 0;
    while (lifecycle == Lifecycle.RUNNING) {
      int room = buffer.awaitRoom(cfg.pollInterval());
      if (room <= 0) {
        continue;
      }
      long seen = wake.generation();
      if (lifecycle != Lifecycle.RUNNING) {
        break; // close() woke us between the check above and reading the generation
      }
      int asked = takePermits(room);
      if (asked == 0) {
        break; // the count limit of runFor is reached
      }
      int got = 0;
      boolean progress = false;
      boolean failedRound = false;
      boolean hadWork = buffer.hasWork();
      // stops at close: what the other queues would lease now would only be released again
      for (int i = 0; i < queues.size() && got < asked && lifecycle == Lifecycle.RUNNING; i++) {
        int at = (cursor + i) % queues.size();
        QueueRef q = queues.get(at);
        try {
          List<Task> tasks = wq.fetchBatch(q, batchId, asked - got, cfg.timeToRecover());
          if (i == 0) {
            buffer.fetched(hadWork, tasks.size() == asked);
          }
          if (!tasks.isEmpty()) {
            got += tasks.size();
            cursor = (at + 1) % queues.size();
            accept(q, tasks);
          }
        } catch (UnreadableTaskException e) {
          progress = true;
          log.warn(
              "worker {}: stepped over a task that cannot be opened: {}", batchId, e.getMessage());
        } catch (RuntimeException e) {
          failedRound = true;
          warnNowAndThen(
              "fetch " + q, "worker {}: fetching from {} failed; backing off", batchId, q, e);
        }
      }
      returnPermits(asked - got);
      if (got > 0 || progress) {
        // more may be waiting: look again (an empty look then waits for the signal)
        failures = 0;
      } else if (failedRound) {
        failures = Math.min(failures + 1, 10);
        long backoff = Math.min(cfg.pollInterval().toMillis(), 50L << failures);
        wake.await(seen, Duration.ofMillis(Math.max(1, backoff)));
      } else {
        failures = 0;
        wake.await(seen, cfg.pollInterval());
      }
    }
  }

  /** Puts fetched tasks into the buffer; releases them when the worker is closing. */
  private void accept(QueueRef q, List<Task> tasks) {
    long now = System.nanoTime();
    List<TaskBuffer.Leased> leased = new ArrayList<>(tasks.size());
    List<Execution> superseded = new ArrayList<>();
    lock.lock();
    try {
      for (Task t : tasks) {
        leased.add(new TaskBuffer.Leased(q, t, now));
        Execution old = runningByKey.get(TaskBuffer.Leased.key(q, t.index()));
        if (old != null) {
          superseded.add(old);
        }
      }
    } finally {
      lock.unlock();
    }
    superseded.forEach(this::lostToSelf);
    TaskBuffer.Offered offered = buffer.offer(leased);
    // a duplicate used a permit of runFor's count limit but will not run twice: give it back
    returnPermits(offered.duplicates());
    if (!offered.refused().isEmpty()) {
      releaseBuffered(offered.refused(), "the worker closed before it started");
    }
  }

  /**
   * A running handler's lease expired and this worker's fetcher leased the task again: the handler
   * is interrupted and its result discarded, as when another worker takes a lease over.
   */
  private void lostToSelf(Execution old) {
    if (old.move(State.RUNNING, State.TIMED_OUT, State.LOST)) {
      old.stopWatching();
      log.warn(
          "worker {}: the lease on {} ran out while its handler ran and the task was leased again;"
              + " interrupting the handler, its result is discarded",
          cfg.workerId(),
          old.describe());
    }
  }

  private static String key(Execution ex) {
    return TaskBuffer.Leased.key(ex.queue, ex.task.index());
  }

  /** A slot on the batch path: takes tasks from the buffer until it closes. */
  private void runBatchSlot() {
    while (true) {
      TaskBuffer.Leased t = buffer.take();
      if (t == null) {
        return;
      }
      try {
        long age = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t.leasedAt);
        execute(
            new Execution(batchId, t.queue, t.task, Thread.currentThread()),
            cfg.extendEvery().toMillis() - age);
      } catch (RuntimeException e) {
        log.error("worker {}: running task {} of {} failed", batchId, t.task.index(), t.queue, e);
      } finally {
        buffer.done();
      }
    }
  }

  /** The timer's job on the batch path: extends the leases of tasks waiting in the buffer. */
  private void extendBuffered() {
    long half = TimeUnit.MILLISECONDS.toNanos(Math.max(1, cfg.extendEvery().toMillis() / 2));
    for (TaskBuffer.Leased t : buffer.snapshot()) {
      if (lifecycle != Lifecycle.RUNNING) {
        return;
      }
      long now = System.nanoTime();
      if (now - t.leasedAt < half) {
        continue;
      }
      try {
        if (wq.extendLease(t.queue, batchId, t.task.index(), cfg.timeToRecover())) {
          t.leasedAt = now;
        } else if (buffer.remove(t)) {
          log.warn(
              "worker {}: lost the lease on task {} of {} before it started (taken over by another"
                  + " worker); dropped it",
              batchId,
              t.task.index(),
              t.queue);
          lock.lock();
          try {
            ended++; // it counts against a runFor count limit: it was leased
            changed.signalAll();
          } finally {
            lock.unlock();
          }
        }
      } catch (RuntimeException e) {
        warnNowAndThen(
            "extend " + batchId,
            "worker {}: extending the lease on a buffered task of {} failed; trying again",
            batchId,
            t.queue,
            e);
      }
    }
  }

  /** Releases buffered tasks that never started, at once; they are not counted in the stats. */
  private void releaseBuffered(List<TaskBuffer.Leased> left, String why) {
    if (left.isEmpty()) {
      return;
    }
    int released = 0;
    for (TaskBuffer.Leased t : left) {
      if (release(
          t.queue,
          batchId,
          t.task.index(),
          "task " + t.task.index() + " of " + t.queue + " (worker " + batchId + ")",
          Duration.ZERO,
          error("WorkerClosed", why))) {
        released++;
      }
    }
    log.info(
        "worker {}: released {} of {} buffered task(s) that had not started{}",
        cfg.workerId(),
        released,
        left.size(),
        released < left.size() ? "; the rest go to other workers after their leases" : "");
  }

  /** The acker's flush of one queue's group: ackAll in chunks, then the counts. */
  private void ackGroup(QueueRef q, List<AckBatcher.Pending> group) {
    int from = 0;
    while (from < group.size()) {
      Map<Long, Outcome> outcomes = new LinkedHashMap<>();
      List<AckBatcher.Pending> chunk = new ArrayList<>();
      while (from < group.size()
          && chunk.size() < WorkQueue.MAX_BATCH
          && !outcomes.containsKey(group.get(from).ex().task.index())) {
        AckBatcher.Pending p = group.get(from++);
        outcomes.put(p.ex().task.index(), p.outcome());
        chunk.add(p);
      }
      try {
        ackChunk(q, outcomes, chunk);
      } catch (RuntimeException e) {
        log.error("worker {}: acknowledging {} tasks of {} failed", batchId, chunk.size(), q, e);
        abandoned.addAndGet(chunk.size());
      }
    }
  }

  private void ackChunk(QueueRef q, Map<Long, Outcome> outcomes, List<AckBatcher.Pending> chunk) {
    Set<Long> acked;
    for (int attempt = 1; ; attempt++) {
      try {
        acked = wq.ackAll(q, batchId, outcomes);
        break;
      } catch (BackendUnavailableException e) {
        if (attempt >= FINISH_ATTEMPTS || !pauseBeforeRetry(attempt)) {
          log.error(
              "worker {}: acknowledging {} tasks of {} failed {} times; they are delivered again"
                  + " after their leases",
              batchId,
              chunk.size(),
              q,
              attempt,
              e);
          abandoned.addAndGet(chunk.size());
          return;
        }
      } catch (RuntimeException e) {
        // one outcome the queue refuses must not sink the others: ack them one by one
        log.warn(
            "worker {}: acknowledging {} tasks of {} together failed ({}); acknowledging them one"
                + " by one",
            batchId,
            chunk.size(),
            q,
            e.toString());
        for (AckBatcher.Pending p : chunk) {
          count(p, ack(p.ex(), p.outcome()));
        }
        return;
      }
    }
    for (AckBatcher.Pending p : chunk) {
      boolean held = acked.contains(p.ex().task.index());
      if (!held) {
        log.warn(
            "worker {}: the ack of {} came too late: its lease was taken over by another worker",
            cfg.workerId(),
            p.ex().describe());
      }
      count(p, held);
    }
  }

  private void count(AckBatcher.Pending p, boolean acked) {
    if (acked) {
      (p.outcome().isSuccess() ? succeeded : failed).incrementAndGet();
    } else {
      abandoned.incrementAndGet();
    }
  }

  private int takePermits(int wanted) {
    while (true) {
      long p = permits.get();
      if (p <= 0) {
        return 0;
      }
      if (p == Long.MAX_VALUE) {
        return wanted;
      }
      long k = Math.min(wanted, p);
      if (permits.compareAndSet(p, p - k)) {
        return (int) k;
      }
    }
  }

  private void returnPermits(int unused) {
    if (unused > 0) {
      permits.updateAndGet(p -> p == Long.MAX_VALUE ? p : p + unused);
    }
  }

  // ------------------------------------------------------------------------------ per-task permits

  private boolean takePermit() {
    while (true) {
      long p = permits.get();
      if (p <= 0) {
        return false;
      }
      if (p == Long.MAX_VALUE || permits.compareAndSet(p, p - 1)) {
        return true;
      }
    }
  }

  private void returnPermit() {
    // Long.MAX_VALUE stands for "no limit" and is never counted down (nor up: it would overflow)
    permits.updateAndGet(p -> p == Long.MAX_VALUE ? p : p + 1);
  }

  /**
   * Runs the handler on a leased task and ends it: acknowledged (batch path: handed to the acker),
   * released for a retry, or discarded when the lease was lost.
   *
   * @param ex the execution
   * @param firstExtension how long until the first lease extension, in ms (a buffered task's lease
   *     may have been set a while ago)
   */
  private void execute(Execution ex, long firstExtension) {
    boolean tooLate;
    Execution replaced = null;
    lock.lock();
    try {
      tooLate = lifecycle.compareTo(Lifecycle.ABANDONING) >= 0;
      if (tooLate) {
        ended++;
        changed.signalAll();
      } else {
        running.add(ex);
        if (batched) {
          replaced = runningByKey.put(key(ex), ex);
        }
      }
    } finally {
      lock.unlock();
    }
    if (replaced != null) {
      lostToSelf(replaced);
    }
    if (tooLate) {
      abandoned.incrementAndGet();
      release(ex, Duration.ZERO, error("WorkerClosed", "the worker closed before it started"));
      return;
    }
    State before = State.FINISHING;
    try {
      watch(ex, firstExtension);
      Object result = null;
      Throwable failure = null;
      inHandler.incrementAndGet();
      try {
        result = cfg.handler().handle(ex.task);
      } catch (Throwable t) {
        failure = t;
      } finally {
        inHandler.decrementAndGet();
      }
      ex.stopWatching();
      before = ex.handlerReturned();
      switch (before) {
        case RUNNING -> finish(ex, result, failure);
        case TIMED_OUT -> {
          Throwable cause =
              new QueueException(
                  "handler ran past the maximum handler time of " + cfg.maxHandlerTime());
          log.warn(
              "worker {}: the interrupted handler of {} returned; retrying the task",
              cfg.workerId(),
              ex.describe());
          retryOrFail(ex, cause);
        }
        case LOST ->
            log.warn(
                "worker {}: discarded the result of {}: its lease was taken over by another"
                    + " worker",
                cfg.workerId(),
                ex.describe());
        default ->
            log.debug(
                "worker {}: the handler of {} returned after the task was released",
                cfg.workerId(),
                ex.describe());
      }
    } catch (RuntimeException e) {
      log.error("worker {}: finishing {} failed", cfg.workerId(), ex.describe(), e);
    } finally {
      lock.lock();
      try {
        running.remove(ex);
        if (batched) {
          runningByKey.remove(key(ex), ex);
        }
        ended++;
        changed.signalAll();
      } finally {
        lock.unlock();
      }
      if (before == State.LOST) {
        abandoned.incrementAndGet();
      }
    }
  }

  private void watch(Execution ex, long firstExtension) {
    long every = Math.max(1, cfg.extendEvery().toMillis());
    long first = Math.max(1, Math.min(every, firstExtension));
    try {
      ex.watch(
          timer.scheduleWithFixedDelay(() -> extend(ex), first, every, TimeUnit.MILLISECONDS),
          timer.schedule(
              () -> timeOut(ex), cfg.maxHandlerTime().toMillis(), TimeUnit.MILLISECONDS));
    } catch (RejectedExecutionException e) {
      log.debug("worker {}: timer stopped; {} runs unwatched", cfg.workerId(), ex.describe());
    }
  }

  // ------------------------------------------------------------------------------ outcomes

  private void finish(Execution ex, Object result, Throwable failure) {
    if (failure != null) {
      retryOrFail(ex, failure);
      return;
    }
    Outcome outcome;
    if (result instanceof Outcome o) {
      outcome = o;
    } else {
      try {
        outcome = Outcome.success(result);
      } catch (QueueException e) {
        log.error(
            "worker {}: the handler of {} returned a value that cannot be an outcome ({});"
                + " the task fails without a retry",
            cfg.workerId(),
            ex.describe(),
            e.getMessage());
        outcome = Outcome.failure(error(e));
      }
    }
    complete(ex, outcome);
  }

  /** Acknowledges a task with its outcome and counts it; on the batch path via the acker. */
  private void complete(Execution ex, Outcome outcome) {
    if (batched) {
      acker.add(ex, outcome);
      return;
    }
    if (ack(ex, outcome)) {
      (outcome.isSuccess() ? succeeded : failed).incrementAndGet();
    } else {
      abandoned.incrementAndGet();
    }
  }

  private void retryOrFail(Execution ex, Throwable failure) {
    if (failure instanceof VirtualMachineError) {
      log.error("worker {}: the handler of {} hit {}", cfg.workerId(), ex.describe(), failure);
    }
    if (!cfg.retryPolicy().retries(failure)) {
      log.warn(
          "worker {}: the handler of {} failed; not retried, the task fails",
          cfg.workerId(),
          ex.describe(),
          failure);
      complete(ex, Outcome.failure(error(failure)));
      return;
    }
    Duration delay = cfg.retryPolicy().delayAfter(ex.task.deliveries());
    log.warn(
        "worker {}: the handler of {} failed on delivery {}; released for a retry in {}"
            + " (dead-lettered instead at the queue's delivery limit)",
        cfg.workerId(),
        ex.describe(),
        ex.task.deliveries(),
        delay,
        failure);
    if (release(ex, delay, error(failure))) {
      retried.incrementAndGet();
      if (!delay.isZero()) {
        try {
          // a little after the due time, so the wake-up never finds the task not yet due
          timer.schedule(wake::wake, delay.toMillis() + DUE_MARGIN_MILLIS, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
          // closing: nobody waits for it
        }
      }
    } else {
      abandoned.incrementAndGet();
    }
  }

  private boolean ack(Execution ex, Outcome outcome) {
    for (int attempt = 1; ; attempt++) {
      try {
        boolean held = wq.ack(ex.queue, ex.worker, ex.task.index(), outcome);
        if (!held) {
          log.warn(
              "worker {}: the ack of {} came too late: its lease was taken over by another worker",
              cfg.workerId(),
              ex.describe());
        }
        return held;
      } catch (BackendUnavailableException e) {
        if (attempt >= FINISH_ATTEMPTS || !pauseBeforeRetry(attempt)) {
          log.error(
              "worker {}: acknowledging {} failed {} times; it is delivered again after its lease",
              cfg.workerId(),
              ex.describe(),
              attempt,
              e);
          return false;
        }
      } catch (RuntimeException e) {
        log.error("worker {}: acknowledging {} failed", cfg.workerId(), ex.describe(), e);
        return false;
      }
    }
  }

  private boolean release(Execution ex, Duration delay, Map<String, String> error) {
    return release(ex.queue, ex.worker, ex.task.index(), ex.describe(), delay, error);
  }

  private boolean release(
      QueueRef queue,
      String worker,
      long index,
      String describe,
      Duration delay,
      Map<String, String> error) {
    for (int attempt = 1; ; attempt++) {
      try {
        return wq.release(queue, worker, index, delay, error);
      } catch (BackendUnavailableException e) {
        if (attempt >= FINISH_ATTEMPTS || !pauseBeforeRetry(attempt)) {
          log.error(
              "worker {}: releasing {} failed {} times; it is delivered again after its lease",
              cfg.workerId(),
              describe,
              attempt,
              e);
          return false;
        }
      } catch (RuntimeException e) {
        log.error("worker {}: releasing {} failed", cfg.workerId(), describe, e);
        return false;
      }
    }
  }

  private static boolean pauseBeforeRetry(int attempt) {
    try {
      Thread.sleep(100L * attempt * attempt);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** An error as the dead letters and failure outcomes show it: type and (bounded) message. */
  static Map<String, String> error(Throwable t) {
    return error(t.getClass().getName(), String.valueOf(t.getMessage()));
  }

  private static Map<String, String> error(String type, String message) {
    Map<String, String> e = new LinkedHashMap<>();
    e.put("type", type);
    e.put(
        "message",
        message.length() > MAX_ERROR_MESSAGE
            ? message.substring(0, MAX_ERROR_MESSAGE) + "..."
            : message);
    return e;
  }

  // ------------------------------------------------------------------------------ the timer

  private void extend(Execution ex) {
    if (ex.state() != State.RUNNING) {
      return;
    }
    try {
      if (!wq.extendLease(ex.queue, ex.worker, ex.task.index(), cfg.timeToRecover())) {
        if (ex.move(State.RUNNING, State.RUNNING, State.LOST)) {
          ex.stopWatching();
          log.warn(
              "worker {}: lost the lease on {} while its handler ran (taken over by another"
                  + " worker); interrupting the handler",
              cfg.workerId(),
              ex.describe());
        }
      }
    } catch (RuntimeException e) {
      warnNowAndThen(
          "extend " + ex.worker,
          "worker {}: extending the lease on {} failed; trying again",
          cfg.workerId(),
          ex.describe(),
          e);
    }
  }

  private void timeOut(Execution ex) {
    if (!ex.move(State.RUNNING, State.RUNNING, State.TIMED_OUT)) {
      return;
    }
    ex.stopExtending();
    log.warn(
        "worker {}: the handler of {} ran past the maximum handler time of {}: interrupted, its"
            + " lease no longer extended",
        cfg.workerId(),
        ex.describe(),
        cfg.maxHandlerTime());
    try {
      timer.schedule(
          () -> {
            if (!ex.hasReturned() && ex.state() == State.TIMED_OUT) {
              log.error(
                  "worker {}: the handler of {} ignores its interrupt; its slot stays busy until it"
                      + " returns, and the task goes to another worker after its lease deadline",
                  cfg.workerId(),
                  ex.describe());
            }
          },
          cfg.timeToRecover().toMillis(),
          TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // closing
    }
  }

  private void runSchedules() {
    for (QueueRef q : cfg.queues()) {
      if (lifecycle != Lifecycle.RUNNING) {
        return;
      }
      try {
        wq.runSchedules(q);
      } catch (RuntimeException e) {
        warnNowAndThen(
            "schedules " + q,
            "worker {}: running the schedules of {} failed",
            cfg.workerId(),
            q,
            e);
      }
    }
  }

  private void warnNowAndThen(String what, String format, Object a, Object b, Exception e) {
    long now = System.nanoTime();
    Long last = lastWarned.get(what);
    if (last == null || now - last > WARN_EVERY_NANOS) {
      lastWarned.put(what, now);
      log.warn(format + " (repeats are logged at DEBUG for a minute)", a, b, e);
    } else {
      log.debug(format, a, b, e);
    }
  }
}
