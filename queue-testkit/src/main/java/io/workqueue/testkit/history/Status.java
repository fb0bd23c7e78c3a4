package io.workqueue.testkit.history;

/** How a recorded call ended, in Jepsen's terms (ok, fail, info). */
public enum Status {
  /** The call returned: its effect happened, as its result says. */
  OK,
  /**
   * The call threw an exception that promises nothing was changed (an {@link
   * io.workqueue.InvalidArgumentException} or a {@link io.workqueue.KeyUnavailableException}).
   */
  FAILED,
  /**
   * The call threw anything else (a backend failure, a timeout, an error): its effect may or may
   * not have happened. An add that ended so may or may not be delivered.
   */
  INDETERMINATE
}
