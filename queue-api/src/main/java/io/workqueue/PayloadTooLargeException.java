package io.workqueue;

/** A value, token or result is larger than the documented limit once mapped to JSON. */
public class PayloadTooLargeException extends InvalidArgumentException {
  private static final long serialVersionUID = 1L;

  private final int size;
  private final int limit;

  /**
   * Creates the exception.
   *
   * @param argument the rejected argument (value, token, result or error)
   * @param size its size in bytes as JSON
   * @param limit the limit in bytes
   */
  public PayloadTooLargeException(String argument, int size, int limit) {
    super(argument, "is " + size + " bytes as JSON; at most " + limit + " bytes are allowed");
    this.size = size;
    this.limit = limit;
  }

  /**
   * The rejected payload's size.
   *
   * @return size in bytes as UTF-8 JSON
   */
  public int size() {
    return size;
  }

  /**
   * The limit that was exceeded.
   *
   * @return limit in bytes
   */
  public int limit() {
    return limit;
  }
}
