package io.workqueue;

import io.workqueue.internal.DefaultWorkQueue;
import io.workqueue.internal.Validation;
import io.workqueue.spi.Bookkeeper;
import io.workqueue.spi.CompletionListener;
import io.workqueue.spi.KeyProvider;
import io.workqueue.spi.TaskStore;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Entry point: {@code WorkQueues.builder().taskStore(..).bookkeeper(..).keyProvider(..).build()}.
 */
public final class WorkQueues {
  private WorkQueues() {}

  /**
   * Starts a builder.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Wires a {@link WorkQueue} from its adapters. Not thread-safe; the built queue is. The queue
   * does not own the adapters: closing their clients is the host's business.
   */
  public static final class Builder {
    private TaskStore taskStore;
    private Bookkeeper bookkeeper;
    private KeyProvider keyProvider;
    private CompletionListener completionListener;
    private Clock clock = Clock.systemUTC();
    private Duration holeGracePeriod = Duration.ofSeconds(10);
    private Duration completionRetryDelay = Duration.ofSeconds(5);
    private final List<QueueListener> queueListeners = new ArrayList<>();
    private boolean recordPlainOutcomes = true;
    private Duration completionPollInterval = Duration.ofSeconds(1);

    private Builder() {}

    /**
     * Sets where sealed tasks live (required).
     *
     * @param taskStore the store
     * @return this builder
     */
    public Builder taskStore(TaskStore taskStore) {
      this.taskStore = required("taskStore", taskStore);
      return this;
    }

    /**
     * Sets where indices, pointers and leases live (required).
     *
     * @param bookkeeper the bookkeeper
     * @return this builder
     */
    public Builder bookkeeper(Bookkeeper bookkeeper) {
      this.bookkeeper = required("bookkeeper", bookkeeper);
      return this;
    }

    /**
     * Sets who seals and opens tasks (required).
     *
     * @param keyProvider the key provider
     * @return this builder
     */
    public Builder keyProvider(KeyProvider keyProvider) {
      this.keyProvider = required("keyProvider", keyProvider);
      return this;
    }

    /**
     * Sets who hears of every acknowledged task (optional).
     *
     * @param listener the listener
     * @return this builder
     */
    public Builder completionListener(CompletionListener listener) {
      this.completionListener = required("completionListener", listener);
      return this;
    }

    /**
     * Sets the clock for deadlines and timestamps (optional; default: system UTC). All nodes
     * sharing a queue must have clocks within a small fraction of the shortest time to recover.
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = required("clock", clock);
      return this;
    }

    /**
     * Sets how long an allocated index may stay unwritten before fetch treats it as a hole left by
     * a writer that died (optional; default 10 s). It must exceed the task store's write timeout:
     * an add slower than this fails rather than being delivered.
     *
     * @param grace the grace period, 1 ms to 1 day
     * @return this builder
     */
    public Builder holeGracePeriod(Duration grace) {
      this.holeGracePeriod = Validation.positiveDuration("holeGracePeriod", grace);
      return this;
    }

    /**
     * Sets how long after an ack an undelivered completion is retried (optional; default 5 s). The
     * acknowledging node delivers at once; this is the wait before another node (or a later sweep)
     * tries again after a listener failed or its process died.
     *
     * @param delay the delay, 1 ms to 1 day
     * @return this builder
     */
    public Builder completionRetryDelay(Duration delay) {
      this.completionRetryDelay = Validation.positiveDuration("completionRetryDelay", delay);
      return this;
    }

    /**
     * Adds a listener for the queue's {@linkplain QueueEvent events} (optional; any number).
     *
     * @param listener the listener
     * @return this builder
     */
    public Builder queueListener(QueueListener listener) {
      queueListeners.add(required("queueListener", listener));
      return this;
    }

    /**
     * Sets whether an ack with a plain success (no result) is stored as an outcome (optional;
     * default true). Stored outcomes are what {@link WorkQueue#outcome}, {@link WorkQueue#submit}
     * and {@link WorkQueue#completion} read; without them those see only results and failures. Not
     * storing them saves one store write per ack where no completion listener is set.
     *
     * @param record whether to store plain successes
     * @return this builder
     */
    public Builder recordPlainOutcomes(boolean record) {
      this.recordPlainOutcomes = record;
      return this;
    }

    /**
     * Sets how often a pending {@link WorkQueue#completion} is read from the store as the fallback
     * for a lost signal (optional; default 1 s).
     *
     * @param interval 1 ms to 1 day
     * @return this builder
     */
    public Builder completionPollInterval(Duration interval) {
      this.completionPollInterval = Validation.positiveDuration("completionPollInterval", interval);
      return this;
    }

    /**
     * Builds the queue.
     *
     * @return the queue
     * @throws InvalidArgumentException naming the first required adapter that was not set
     */
    public WorkQueue build() {
      required("taskStore", taskStore);
      required("bookkeeper", bookkeeper);
      required("keyProvider", keyProvider);
      return new DefaultWorkQueue(
          taskStore,
          bookkeeper,
          keyProvider,
          Optional.ofNullable(completionListener),
          clock,
          holeGracePeriod,
          completionRetryDelay,
          queueListeners,
          recordPlainOutcomes,
          completionPollInterval);
    }

    private static <T> T required(String setting, T value) {
      if (value == null) {
        throw new InvalidArgumentException(setting, "is required and must not be null");
      }
      return value;
    }
  }
}
