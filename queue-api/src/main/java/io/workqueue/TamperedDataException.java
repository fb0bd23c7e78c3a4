package io.workqueue;

/**
 * A sealed payload failed authentication when opened: it was changed, or moved from another owner,
 * queue, index or field. Never carries key material or plaintext.
 */
public class TamperedDataException extends QueueException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message which owner and slot failed to open
   * @param cause the cipher's exception, if any
   */
  public TamperedDataException(String message, Throwable cause) {
    super(message, cause);
  }
}
