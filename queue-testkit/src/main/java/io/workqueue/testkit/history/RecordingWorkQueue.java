package io.workqueue.testkit.history;

import io.workqueue.DeadLetter;
import io.workqueue.NewTask;
import io.workqueue.Outcome;
import io.workqueue.QueueInfo;
import io.workqueue.QueueRef;
import io.workqueue.QueueSettings;
import io.workqueue.Schedule;
import io.workqueue.ScheduleInfo;
import io.workqueue.Task;
import io.workqueue.TaskHandle;
import io.workqueue.WorkQueue;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * A {@link WorkQueue} that delegates every call to another and records it, with its arguments,
 * result or exception and timing, in a {@link History}. Thread-safe as the delegate is.
 *
 * <p>{@code ack(queue, worker)} does not say which index it acknowledged; the recorder takes the
 * index the worker's last {@code fetch} on that queue through this instance returned. Use one
 * thread per worker id (as real workers do) for that inference to hold; acknowledging by index is
 * always exact.
 */
public final class RecordingWorkQueue implements WorkQueue {
  private final WorkQueue delegate;
  private final History history;
  private final String node;

  /** The index of each worker's single-task lease, as its last fetch here returned it. */
  private final Map<WorkerKey, Long> singleLease = new ConcurrentHashMap<>();

  private record WorkerKey(QueueRef queue, String worker) {}

  /**
   * Wraps a queue instance; {@link History#record(WorkQueue, String)} is the short form.
   *
   * @param delegate the queue instance
   * @param history where to record
   * @param node the instance's name in the history
   */
  public RecordingWorkQueue(WorkQueue delegate, History history, String node) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
    this.history = Objects.requireNonNull(history, "history");
    this.node = Objects.requireNonNull(node, "node");
  }

  /**
   * The name of this instance in the history.
   *
   * @return the node's name
   */
  public String node() {
    return node;
  }

  /**
   * The history this instance records into.
   *
   * @return the history
   */
  public History history() {
    return history;
  }

  /**
   * The wrapped queue instance.
   *
   * @return the delegate
   */
  public WorkQueue delegate() {
    return delegate;
  }

  // ---------------------------------------------------------------------------------------- add

  @Override
  public long add(QueueRef queue, NewTask task) {
    List<NewTask> tasks = task == null ? List.of() : List.of(task);
    History.Stopwatch watch = history.start();
    long index;
    try {
      index = delegate.add(queue, task);
    } catch (Throwable t) {
      recordAdd(queue, watch.stop(), t, tasks, List.of());
      throw t;
    }
    recordAdd(queue, watch.stop(), null, tasks, List.of(index));
    return index;
  }

  @Override
  public List<Long> addAll(QueueRef queue, List<NewTask> tasks) {
    List<NewTask> given = withoutNulls(tasks);
    History.Stopwatch watch = history.start();
    List<Long> indices;
    try {
      indices = delegate.addAll(queue, tasks);
    } catch (Throwable t) {
      recordAdd(queue, watch.stop(), t, given, List.of());
      throw t;
    }
    recordAdd(queue, watch.stop(), null, given, indices);
    return indices;
  }

  private void recordAdd(
      QueueRef queue, Timing timing, Throwable thrown, List<NewTask> tasks, List<Long> indices) {
    String thread = Thread.currentThread().getName();
    history.append(
        seq ->
            new Operation.Add(
                seq,
                node,
                thread,
                queue,
                timing,
                thrown == null ? Status.OK : History.statusOf(thrown),
                error(thrown),
                tasks,
                indices));
  }

  // -------------------------------------------------------------------------------------- fetch

  @Override
  public Optional<Task> fetch(QueueRef queue, String worker) {
    History.Stopwatch watch = history.start();
    Optional<Task> task;
    try {
      task = delegate.fetch(queue, worker);
    } catch (Throwable t) {
      fetched(queue, worker, DEFAULT_TIME_TO_RECOVER, watch.stop(), t, Optional.empty());
      throw t;
    }
    fetched(queue, worker, DEFAULT_TIME_TO_RECOVER, watch.stop(), null, task);
    return task;
  }

  @Override
  public Optional<Task> fetch(QueueRef queue, String worker, Duration timeToRecover) {
    History.Stopwatch watch = history.start();
    Optional<Task> task;
    try {
      task = delegate.fetch(queue, worker, timeToRecover);
    } catch (Throwable t) {
      fetched(queue, worker, timeToRecover, watch.stop(), t, Optional.empty());
      throw t;
    }
    fetched(queue, worker, timeToRecover, watch.stop(), null, task);
    return task;
  }

  private void fetched(
      QueueRef queue,
      String worker,
      Duration timeToRecover,
      Timing timing,
      Throwable thrown,
      Optional<Task> task) {
    if (queue != null && worker != null) {
      WorkerKey key = new WorkerKey(queue, worker);
      if (task.isPresent()) {
        singleLease.put(key, task.get().index());
      } else {
        singleLease.remove(key); // holds none, or unknown after a failure
      }
    }
    recordFetch(queue, worker, timeToRecover, false, timing, thrown, task.stream().toList());
  }

  @Override
  public List<Task> fetchBatch(QueueRef queue, String worker, int max, Duration timeToRecover) {
    History.Stopwatch watch = history.start();
    List<Task> tasks;
    try {
      tasks = delegate.fetchBatch(queue, worker, max, timeToRecover);
    } catch (Throwable t) {
      recordFetch(queue, worker, timeToRecover, true, watch.stop(), t, List.of());
      throw t;
    }
    recordFetch(queue, worker, timeToRecover, true, watch.stop(), null, tasks);
    return tasks;
  }

  private void recordFetch(
      QueueRef queue,
      String worker,
      Duration timeToRecover,
      boolean batch,
      Timing timing,
      Throwable thrown,
      List<Task> tasks) {
    String thread = Thread.currentThread().getName();
    history.append(
        seq ->
            new Operation.Fetch(
                seq,
                node,
                thread,
                queue,
                timing,
                thrown == null ? Status.OK : History.statusOf(thrown),
                error(thrown),
                worker,
                timeToRecover,
                batch,
                tasks));
  }

  // ---------------------------------------------------------------------------------------- ack

  @Override
  public boolean ack(QueueRef queue, String worker) {
    return ackSingle(queue, worker, Outcome.success(), true);
  }

  @Override
  public boolean ack(QueueRef queue, String worker, Outcome outcome) {
    return ackSingle(queue, worker, outcome, false);
  }

  private boolean ackSingle(QueueRef queue, String worker, Outcome outcome, boolean plain) {
    WorkerKey key = queue == null || worker == null ? null : new WorkerKey(queue, worker);
    Long inferred = key == null ? null : singleLease.get(key);
    Map<Long, Outcome> outcomes = new HashMap<>();
    if (inferred != null && outcome != null) {
      outcomes.put(inferred, outcome);
    }
    History.Stopwatch watch = history.start();
    boolean acked;
    try {
      acked = plain ? delegate.ack(queue, worker) : delegate.ack(queue, worker, outcome);
    } catch (Throwable t) {
      recordAck(queue, worker, watch.stop(), t, outcomes, false, Set.of(), false);
      throw t;
    }
    if (key != null) {
      singleLease.remove(key, inferred); // acknowledged now, or held none
    }
    Set<Long> done = acked && inferred != null ? Set.of(inferred) : Set.of();
    recordAck(queue, worker, watch.stop(), null, outcomes, false, done, acked && inferred == null);
    return acked;
  }

  @Override
  public boolean ack(QueueRef queue, String worker, long index, Outcome outcome) {
    Map<Long, Outcome> outcomes = outcome == null ? Map.of() : Map.of(index, outcome);
    History.Stopwatch watch = history.start();
    boolean acked;
    try {
      acked = delegate.ack(queue, worker, index, outcome);
    } catch (Throwable t) {
      recordAck(queue, worker, watch.stop(), t, outcomes, true, Set.of(), false);
      throw t;
    }
    if (queue != null && worker != null) {
      singleLease.remove(new WorkerKey(queue, worker), index);
    }
    recordAck(
        queue, worker, watch.stop(), null, outcomes, true, acked ? Set.of(index) : Set.of(), false);
    return acked;
  }

  @Override
  public Set<Long> ackAll(QueueRef queue, String worker, Collection<Long> indices) {
    Map<Long, Outcome> outcomes = new HashMap<>();
    for (Long index : withoutNulls(indices)) {
      outcomes.put(index, Outcome.success());
    }
    History.Stopwatch watch = history.start();
    Set<Long> acked;
    try {
      acked = delegate.ackAll(queue, worker, indices);
    } catch (Throwable t) {
      recordAck(queue, worker, watch.stop(), t, outcomes, true, Set.of(), false);
      throw t;
    }
    forgetSingle(queue, worker, acked);
    recordAck(queue, worker, watch.stop(), null, outcomes, true, acked, false);
    return acked;
  }

  @Override
  public Set<Long> ackAll(QueueRef queue, String worker, Map<Long, Outcome> outcomes) {
    Map<Long, Outcome> given = new HashMap<>();
    if (outcomes != null) {
      outcomes.forEach(
          (index, outcome) -> {
            if (index != null && outcome != null) {
              given.put(index, outcome);
            }
          });
    }
    History.Stopwatch watch = history.start();
    Set<Long> acked;
    try {
      acked = delegate.ackAll(queue, worker, outcomes);
    } catch (Throwable t) {
      recordAck(queue, worker, watch.stop(), t, given, true, Set.of(), false);
      throw t;
    }
    forgetSingle(queue, worker, acked);
    recordAck(queue, worker, watch.stop(), null, given, true, acked, false);
    return acked;
  }

  private void forgetSingle(QueueRef queue, String worker, Set<Long> acked) {
    if (queue != null && worker != null) {
      WorkerKey key = new WorkerKey(queue, worker);
      Long held = singleLease.get(key);
      if (held != null && acked.contains(held)) {
        singleLease.remove(key, held);
      }
    }
  }

  private void recordAck(
      QueueRef queue,
      String worker,
      Timing timing,
      Throwable thrown,
      Map<Long, Outcome> outcomes,
      boolean indexGiven,
      Set<Long> acknowledged,
      boolean unattributed) {
    String thread = Thread.currentThread().getName();
    history.append(
        seq ->
            new Operation.Ack(
                seq,
                node,
                thread,
                queue,
                timing,
                thrown == null ? Status.OK : History.statusOf(thrown),
                error(thrown),
                worker,
                outcomes,
                indexGiven,
                acknowledged,
                unattributed));
  }

  // ------------------------------------------------------------------------------------- others

  @Override
  public QueueInfo info(QueueRef queue) {
    History.Stopwatch watch = history.start();
    QueueInfo info;
    try {
      info = delegate.info(queue);
    } catch (Throwable t) {
      recordCall(queue, "info", 0, 0, watch.stop(), t);
      throw t;
    }
    recordCall(queue, "info", 0, 0, watch.stop(), null);
    return info;
  }

  @Override
  public void rewind(QueueRef queue, long index) {
    History.Stopwatch watch = history.start();
    try {
      delegate.rewind(queue, index);
    } catch (Throwable t) {
      recordCall(queue, "rewind", index, 0, watch.stop(), t);
      throw t;
    }
    recordCall(queue, "rewind", index, 0, watch.stop(), null);
  }

  @Override
  public int deliverPendingCompletions(QueueRef queue) {
    History.Stopwatch watch = history.start();
    int delivered;
    try {
      delivered = delegate.deliverPendingCompletions(queue);
    } catch (Throwable t) {
      recordCall(queue, "deliverPendingCompletions", 0, 0, watch.stop(), t);
      throw t;
    }
    recordCall(queue, "deliverPendingCompletions", 0, delivered, watch.stop(), null);
    return delivered;
  }

  private void recordCall(
      QueueRef queue, String method, long argument, long result, Timing timing, Throwable thrown) {
    String thread = Thread.currentThread().getName();
    history.append(
        seq ->
            new Operation.Call(
                seq,
                node,
                thread,
                queue,
                timing,
                thrown == null ? Status.OK : History.statusOf(thrown),
                error(thrown),
                method,
                argument,
                result));
  }

  private static Optional<String> error(Throwable thrown) {
    return thrown == null ? Optional.empty() : Optional.of(History.describe(thrown));
  }

  private static <T> List<T> withoutNulls(Collection<T> items) {
    List<T> list = new ArrayList<>();
    if (items != null) {
      for (T item : items) {
        if (item != null) {
          list.add(item);
        }
      }
    }
    return list;
  }

  @Override
  public String toString() {
    return "RecordingWorkQueue[" + node + ": " + delegate + "]";
  }

  // ------------------------------------------------- not recorded: delegated as they are

  @Override
  public boolean extendLease(QueueRef queue, String worker, Duration extension) {
    return delegate.extendLease(queue, worker, extension);
  }

  @Override
  public boolean extendLease(QueueRef queue, String worker, long index, Duration extension) {
    return delegate.extendLease(queue, worker, index, extension);
  }

  @Override
  public boolean release(QueueRef queue, String worker, Duration delay) {
    return delegate.release(queue, worker, delay);
  }

  @Override
  public boolean release(QueueRef queue, String worker, long index, Duration delay, Object error) {
    return delegate.release(queue, worker, index, delay, error);
  }

  @Override
  public List<DeadLetter> deadLetters(QueueRef queue, int limit) {
    return delegate.deadLetters(queue, limit);
  }

  @Override
  public boolean requeue(QueueRef queue, long index) {
    return delegate.requeue(queue, index);
  }

  @Override
  public boolean discard(QueueRef queue, long index) {
    return delegate.discard(queue, index);
  }

  @Override
  public boolean pause(QueueRef queue) {
    return delegate.pause(queue);
  }

  @Override
  public boolean resume(QueueRef queue) {
    return delegate.resume(queue);
  }

  @Override
  public void configure(QueueRef queue, QueueSettings settings) {
    delegate.configure(queue, settings);
  }

  @Override
  public QueueSettings settings(QueueRef queue) {
    return delegate.settings(queue);
  }

  @Override
  public void purge(QueueRef queue) {
    delegate.purge(queue);
  }

  @Override
  public List<QueueRef> purge(String owner, Pattern services) {
    return delegate.purge(owner, services);
  }

  @Override
  public List<QueueRef> queues(String owner) {
    return delegate.queues(owner);
  }

  @Override
  public Instant schedule(QueueRef queue, String scheduleId, Schedule schedule, NewTask template) {
    return delegate.schedule(queue, scheduleId, schedule, template);
  }

  @Override
  public boolean unschedule(QueueRef queue, String scheduleId) {
    return delegate.unschedule(queue, scheduleId);
  }

  @Override
  public List<ScheduleInfo> schedules(QueueRef queue) {
    return delegate.schedules(queue);
  }

  @Override
  public List<Long> runSchedules(QueueRef queue) {
    return delegate.runSchedules(queue);
  }

  @Override
  public Optional<Outcome> outcome(QueueRef queue, long index) {
    return delegate.outcome(queue, index);
  }

  @Override
  public TaskHandle submit(QueueRef queue, NewTask task) {
    return delegate.submit(queue, task);
  }

  @Override
  public CompletionStage<Outcome> completion(QueueRef queue, long index) {
    return delegate.completion(queue, index);
  }

  @Override
  public void close() {
    delegate.close();
  }

  @Override
  public AutoCloseable onWork(QueueRef queue, Runnable listener) {
    return delegate.onWork(queue, listener);
  }
}
