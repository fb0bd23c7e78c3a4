package io.workqueue.testkit.history;

import io.workqueue.QueueRef;
import java.util.Objects;

/**
 * A violation of the queue's invariants found in a history.
 *
 * @param kind what was violated
 * @param queue the queue
 * @param index the task's index (0 when the anomaly is not about one index)
 * @param description what happened, with the workers, times and sequence numbers involved
 */
public record Anomaly(Kind kind, QueueRef queue, long index, String description) {

  /** Checks the fields. */
  public Anomaly {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(description, "description");
  }

  /** The invariants the checker knows. */
  public enum Kind {
    /** An add that returned its index was never delivered, not even by the final drain. */
    LOST,
    /** Two adds that returned got the same index in one queue. */
    DUPLICATE_INDEX,
    /**
     * A task was delivered to a second worker while the first worker's lease on it was neither
     * expired nor acknowledged.
     */
    OVERLAPPING_LEASES,
    /**
     * An ack returned true for a task whose lease had been handed to another worker before the ack
     * was called (design invariant 4: it must return false).
     */
    STALE_ACK,
    /** Two acks of one index returned true. */
    DOUBLE_ACK,
    /**
     * A task was delivered again although an ack of it had returned true before (the ack was
     * forgotten, as a bookkeeper that lost writes would).
     */
    FORGOTTEN_ACK,
    /**
     * A delivered task matches no add: its index and value belong to no add that returned, and its
     * value to no add whose outcome is unknown.
     */
    UNKNOWN_DELIVERY,
    /** An ack returned true, but the completion listener never returned for that completion. */
    COMPLETION_MISSING,
    /**
     * The completion listener got a token or an outcome other than the add's token and the ack's
     * outcome.
     */
    COMPLETION_MISMATCH
  }

  @Override
  public String toString() {
    return kind + " " + queue + (index > 0 ? " #" + index : "") + ": " + description;
  }
}
