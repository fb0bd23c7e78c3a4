package io.workqueue;

/**
 * A fetched task could not be opened (its ciphertext was tampered with, or its owner's keys were
 * destroyed). The queue has already taken the task out of circulation, recording a failure outcome,
 * so the next fetch moves on; the exception tells the caller which index was affected.
 */
public class UnreadableTaskException extends QueueException {
  private static final long serialVersionUID = 1L;

  private final QueueRef queue;
  private final long index;

  /**
   * Creates the exception.
   *
   * @param queue the queue of the task
   * @param index the task's index
   * @param cause why it could not be opened ({@link TamperedDataException} or {@link
   *     KeyUnavailableException})
   */
  public UnreadableTaskException(QueueRef queue, long index, QueueException cause) {
    super(
        "task "
            + index
            + " of "
            + queue
            + " cannot be opened and was taken out of circulation: "
            + cause.getMessage(),
        cause);
    this.queue = queue;
    this.index = index;
  }

  /**
   * The queue of the unreadable task.
   *
   * @return the queue
   */
  public QueueRef queue() {
    return queue;
  }

  /**
   * The index of the unreadable task.
   *
   * @return the index
   */
  public long index() {
    return index;
  }
}
