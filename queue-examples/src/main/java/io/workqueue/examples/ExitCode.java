package io.workqueue.examples;

import io.workqueue.BackendUnavailableException;
import io.workqueue.InvalidArgumentException;
import picocli.CommandLine;

/**
 * The exit codes of the demo and the CLI, for scripts. Anything else than these is a bug.
 *
 * <ul>
 *   <li>{@value #OK}: done.
 *   <li>{@value #NOT_FOUND}: nothing found (fetch found no task, ack found no lease, peek found no
 *       task, requeue or discard no such dead letter, unschedule no such schedule, pause, resume,
 *       configure or purge no such queue); nothing was changed. For the demo: tasks were lost.
 *   <li>{@value #BAD_ARGUMENTS}: bad arguments or settings (unknown option, malformed queue,
 *       duration or JSON, missing key settings, a purge or discard without {@code --yes}); nothing
 *       was changed.
 *   <li>{@value #BACKEND_UNAVAILABLE}: Cassandra or Redis could not be reached, refused or timed
 *       out.
 *   <li>{@value #FAILED}: the queue refused for another reason (the owner's key is missing or does
 *       not open, a stored task was tampered with) or an unexpected error.
 * </ul>
 */
final class ExitCode {
  static final int OK = 0;
  static final int NOT_FOUND = 1;
  static final int BAD_ARGUMENTS = 2;
  static final int BACKEND_UNAVAILABLE = 3;
  static final int FAILED = 4;

  private ExitCode() {}

  /** The exit code of a failure, looking through causes for the queue's typed exceptions. */
  static int of(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof CommandLine.ParameterException || t instanceof InvalidArgumentException) {
        return BAD_ARGUMENTS;
      }
      if (t instanceof BackendUnavailableException) {
        return BACKEND_UNAVAILABLE;
      }
    }
    return FAILED;
  }

  /**
   * The message to show for a failure: the queue's own messages say what to check already; other
   * exceptions get their type, since their message alone may be cryptic.
   */
  static String message(Throwable failure) {
    Throwable t = failure;
    if (t instanceof CommandLine.ExecutionException && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof io.workqueue.QueueException || t instanceof CommandLine.ParameterException) {
      return t.getMessage();
    }
    return t.getClass().getSimpleName() + ": " + t.getMessage();
  }
}
