package io.workqueue;

/**
 * Root of every failure the queue reports. Unchecked, like the Cassandra driver's {@code
 * DriverException}: callers catch the typed subclasses they can act on and let the rest travel.
 *
 * <p>Subclasses: {@link InvalidArgumentException} (bad input, nothing was changed), {@link
 * BackendUnavailableException} (a store or bookkeeper could not be reached or timed out), {@link
 * TamperedDataException} (a stored task failed to open), {@link KeyUnavailableException} (no key
 * for an owner), {@link UnreadableTaskException} (a delivered task could not be opened and was
 * taken out of circulation).
 */
public class QueueException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates an exception with a message.
   *
   * @param message what went wrong and what to check
   */
  public QueueException(String message) {
    super(message);
  }

  /**
   * Creates an exception with a message and a cause.
   *
   * @param message what went wrong and what to check
   * @param cause the underlying failure
   */
  public QueueException(String message, Throwable cause) {
    super(message, cause);
  }
}
