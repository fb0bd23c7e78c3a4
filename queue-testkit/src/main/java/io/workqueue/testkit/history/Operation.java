package io.workqueue.testkit.history;

import io.workqueue.NewTask;
import io.workqueue.Outcome;
import io.workqueue.QueueRef;
import io.workqueue.Task;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * One entry of a {@link History}: a call on a queue, or a call of the completion listener. Every
 * entry has a sequence number (the order it was recorded in), the node (queue instance) and thread
 * it ran on, its queue, its timing and how it ended. Immutable.
 */
public sealed interface Operation
    permits Operation.Add, Operation.Fetch, Operation.Ack, Operation.Call, Operation.Heard {

  /**
   * The order in which the entry was recorded (its completion), from 1.
   *
   * @return the sequence number
   */
  long seq();

  /**
   * The name of the queue instance (or process) that made the call.
   *
   * @return the node's name
   */
  String node();

  /**
   * The thread that made the call.
   *
   * @return the thread's name
   */
  String thread();

  /**
   * The queue the call was about.
   *
   * @return the queue
   */
  QueueRef queue();

  /**
   * When the call ran.
   *
   * @return the timing
   */
  Timing timing();

  /**
   * How the call ended.
   *
   * @return the status
   */
  Status status();

  /**
   * The exception the call threw, as {@code class: message}.
   *
   * @return the error, empty when the call returned
   */
  Optional<String> error();

  /**
   * An {@code add} or {@code addAll}.
   *
   * @param seq as {@link Operation#seq()}
   * @param node as {@link Operation#node()}
   * @param thread as {@link Operation#thread()}
   * @param queue as {@link Operation#queue()}
   * @param timing as {@link Operation#timing()}
   * @param status as {@link Operation#status()}
   * @param error as {@link Operation#error()}
   * @param tasks the tasks given, in order
   * @param indices the indices returned, in the same order; empty unless {@link Status#OK}
   */
  record Add(
      long seq,
      String node,
      String thread,
      QueueRef queue,
      Timing timing,
      Status status,
      Optional<String> error,
      List<NewTask> tasks,
      List<Long> indices)
      implements Operation {
    /** Copies the lists. */
    public Add {
      tasks = List.copyOf(tasks);
      indices = List.copyOf(indices);
      Objects.requireNonNull(error, "error");
    }
  }

  /**
   * A {@code fetch} or {@code fetchBatch}.
   *
   * @param seq as {@link Operation#seq()}
   * @param node as {@link Operation#node()}
   * @param thread as {@link Operation#thread()}
   * @param queue as {@link Operation#queue()}
   * @param timing as {@link Operation#timing()}
   * @param status as {@link Operation#status()}
   * @param error as {@link Operation#error()}
   * @param worker the worker
   * @param timeToRecover the time to recover asked for
   * @param batch true for {@code fetchBatch}
   * @param tasks the tasks handed out (empty when there were none or the call threw)
   */
  record Fetch(
      long seq,
      String node,
      String thread,
      QueueRef queue,
      Timing timing,
      Status status,
      Optional<String> error,
      String worker,
      Duration timeToRecover,
      boolean batch,
      List<Task> tasks)
      implements Operation {
    /** Copies the list. */
    public Fetch {
      tasks = List.copyOf(tasks);
      Objects.requireNonNull(error, "error");
    }
  }

  /**
   * An {@code ack} or {@code ackAll}.
   *
   * @param seq as {@link Operation#seq()}
   * @param node as {@link Operation#node()}
   * @param thread as {@link Operation#thread()}
   * @param queue as {@link Operation#queue()}
   * @param timing as {@link Operation#timing()}
   * @param status as {@link Operation#status()}
   * @param error as {@link Operation#error()}
   * @param worker the worker
   * @param outcomes the outcome given per index; for {@code ack(queue, worker)} without an index,
   *     the index is the one the worker's last {@code fetch} returned (empty when unknown)
   * @param indexGiven false for {@code ack(queue, worker)}, whose index the recorder inferred
   * @param acknowledged the indices the call reported as acknowledged (for {@code ack}: the index,
   *     when it returned true)
   * @param unattributed true when {@code ack(queue, worker)} returned true but the recorder did not
   *     know which index the worker held
   */
  record Ack(
      long seq,
      String node,
      String thread,
      QueueRef queue,
      Timing timing,
      Status status,
      Optional<String> error,
      String worker,
      Map<Long, Outcome> outcomes,
      boolean indexGiven,
      Set<Long> acknowledged,
      boolean unattributed)
      implements Operation {
    /** Copies the collections. */
    public Ack {
      outcomes = Map.copyOf(outcomes);
      acknowledged = Set.copyOf(acknowledged);
      Objects.requireNonNull(error, "error");
    }
  }

  /**
   * Any other call: {@code info}, {@code rewind}, {@code deliverPendingCompletions}.
   *
   * @param seq as {@link Operation#seq()}
   * @param node as {@link Operation#node()}
   * @param thread as {@link Operation#thread()}
   * @param queue as {@link Operation#queue()}
   * @param timing as {@link Operation#timing()}
   * @param status as {@link Operation#status()}
   * @param error as {@link Operation#error()}
   * @param method the method's name
   * @param argument the index given to {@code rewind}, else 0
   * @param result the count {@code deliverPendingCompletions} returned, else 0
   */
  record Call(
      long seq,
      String node,
      String thread,
      QueueRef queue,
      Timing timing,
      Status status,
      Optional<String> error,
      String method,
      long argument,
      long result)
      implements Operation {
    /** Checks the fields. */
    public Call {
      Objects.requireNonNull(error, "error");
      Objects.requireNonNull(method, "method");
    }
  }

  /**
   * A call of the completion listener.
   *
   * @param seq as {@link Operation#seq()}
   * @param node as {@link Operation#node()}
   * @param thread as {@link Operation#thread()}
   * @param queue as {@link Operation#queue()}
   * @param timing as {@link Operation#timing()}
   * @param status {@link Status#OK} when the listener returned, {@link Status#INDETERMINATE} when
   *     it threw (the queue delivers the completion again later)
   * @param error as {@link Operation#error()}
   * @param completion what the listener was given
   */
  record Heard(
      long seq,
      String node,
      String thread,
      QueueRef queue,
      Timing timing,
      Status status,
      Optional<String> error,
      io.workqueue.Completion completion)
      implements Operation {
    /** Checks the fields. */
    public Heard {
      Objects.requireNonNull(error, "error");
      Objects.requireNonNull(completion, "completion");
    }
  }
}
