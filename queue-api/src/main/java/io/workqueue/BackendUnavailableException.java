package io.workqueue;

/**
 * A backend (the task store, the bookkeeper or the key provider) could not be reached, refused the
 * request or timed out. The message says which backend and what to check. The queue's state is as
 * before the call, except where the method's contract says otherwise (an {@code add} that fails
 * after its index was allocated leaves a hole that the queue resolves by itself).
 */
public class BackendUnavailableException extends QueueException {
  private static final long serialVersionUID = 1L;

  private final String backend;

  /**
   * Creates the exception.
   *
   * @param backend a short name of the backend, for example {@code "cassandra"} or {@code "redis"}
   * @param message what failed and what to check
   * @param cause the driver's exception
   */
  public BackendUnavailableException(String backend, String message, Throwable cause) {
    super(backend + ": " + message, cause);
    this.backend = backend;
  }

  /**
   * Which backend failed.
   *
   * @return the backend's short name
   */
  public String backend() {
    return backend;
  }
}
