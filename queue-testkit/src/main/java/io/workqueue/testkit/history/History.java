package io.workqueue.testkit.history;

import io.workqueue.Completion;
import io.workqueue.InvalidArgumentException;
import io.workqueue.KeyUnavailableException;
import io.workqueue.WorkQueue;
import io.workqueue.spi.CompletionListener;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongFunction;

/**
 * The log of everything some queue instances did: every call through a {@link RecordingWorkQueue}
 * and every call of a {@linkplain #listener recording completion listener}, each with its timing by
 * {@link System#nanoTime()} and by the queues' clock. {@link HistoryChecker} judges it.
 *
 * <p>Thread-safe: any number of threads and queue instances record into one history. Entries are
 * numbered in the order they completed.
 */
public final class History {
  private final Clock clock;
  private final List<Operation> operations = new ArrayList<>();

  /**
   * An empty history.
   *
   * @param clock the clock the recorded queues read (their deadlines are in its time)
   */
  public History(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * The clock the history reads its queue times from.
   *
   * @return the clock
   */
  public Clock clock() {
    return clock;
  }

  /**
   * Wraps a queue instance so that every call on it is recorded here.
   *
   * @param queue the queue instance (a "node")
   * @param node a name for it, unique in this history
   * @return the recording queue
   */
  public RecordingWorkQueue record(WorkQueue queue, String node) {
    return new RecordingWorkQueue(queue, this, node);
  }

  /**
   * A completion listener that records every call and then does nothing else.
   *
   * @param node the name of the queue instance the listener belongs to
   * @return the listener, thread-safe
   */
  public CompletionListener listener(String node) {
    return listener(node, c -> {});
  }

  /**
   * A completion listener that records every call, then passes it on. When {@code downstream}
   * throws (an error included, e.g. one that simulates the death of the process), the call is
   * recorded as {@link Status#INDETERMINATE} (not heard) and the exception travels on to the queue,
   * which delivers the completion again later.
   *
   * @param node the name of the queue instance the listener belongs to
   * @param downstream the application's listener
   * @return the listener, thread-safe when {@code downstream} is
   */
  public CompletionListener listener(String node, CompletionListener downstream) {
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(downstream, "downstream");
    return completion -> {
      Stopwatch watch = start();
      try {
        downstream.onCompletion(completion);
      } catch (RuntimeException | Error e) {
        heard(node, completion, watch.stop(), Status.INDETERMINATE, Optional.of(describe(e)));
        throw e;
      }
      heard(node, completion, watch.stop(), Status.OK, Optional.empty());
    };
  }

  private void heard(
      String node, Completion c, Timing timing, Status status, Optional<String> error) {
    String thread = Thread.currentThread().getName();
    append(seq -> new Operation.Heard(seq, node, thread, c.queue(), timing, status, error, c));
  }

  /**
   * Appends an entry built with the next sequence number, e.g. the deliveries reported by a worker
   * process this JVM does not run.
   *
   * @param entry builds the entry from its sequence number
   * @param <T> the entry's type
   * @return the entry appended
   */
  public <T extends Operation> T append(LongFunction<T> entry) {
    synchronized (operations) {
      T op = entry.apply(operations.size() + 1L);
      operations.add(Objects.requireNonNull(op, "entry"));
      return op;
    }
  }

  /**
   * A copy of the entries so far, in the order they were recorded.
   *
   * @return the entries
   */
  public List<Operation> operations() {
    synchronized (operations) {
      return List.copyOf(operations);
    }
  }

  /**
   * How many entries there are.
   *
   * @return the count
   */
  public int size() {
    synchronized (operations) {
      return operations.size();
    }
  }

  /**
   * Starts timing a call: reads {@link System#nanoTime()} and the clock.
   *
   * @return the running stopwatch
   */
  public Stopwatch start() {
    return new Stopwatch(System.nanoTime(), clock.instant());
  }

  /** A call being timed; {@link #stop()} ends it. */
  public final class Stopwatch {
    private final long invokeNanos;
    private final java.time.Instant invokeTime;

    private Stopwatch(long invokeNanos, java.time.Instant invokeTime) {
      this.invokeNanos = invokeNanos;
      this.invokeTime = invokeTime;
    }

    /**
     * Ends the call.
     *
     * @return its timing
     */
    public Timing stop() {
      return new Timing(invokeNanos, System.nanoTime(), invokeTime, clock.instant());
    }
  }

  /**
   * How a call that threw ended: {@link Status#FAILED} for exceptions that promise nothing changed
   * ({@link InvalidArgumentException}, {@link KeyUnavailableException}), else {@link
   * Status#INDETERMINATE}.
   *
   * @param thrown what the call threw
   * @return the status
   */
  public static Status statusOf(Throwable thrown) {
    return thrown instanceof InvalidArgumentException || thrown instanceof KeyUnavailableException
        ? Status.FAILED
        : Status.INDETERMINATE;
  }

  static String describe(Throwable t) {
    String message = String.valueOf(t.getMessage());
    if (message.length() > 300) {
      message = message.substring(0, 300) + "...";
    }
    return t.getClass().getSimpleName() + ": " + message;
  }
}
