package io.workqueue;

/**
 * An argument of a call was rejected. The message names the argument and says what is allowed; a
 * call that throws this changed nothing.
 */
public class InvalidArgumentException extends QueueException {
  private static final long serialVersionUID = 1L;

  private final String argument;

  /**
   * Creates the exception.
   *
   * @param argument the name of the rejected argument, as in the method's signature
   * @param message what was wrong and what is allowed
   */
  public InvalidArgumentException(String argument, String message) {
    super(argument + ": " + message);
    this.argument = argument;
  }

  /**
   * Creates the exception with a cause (for example a Jackson mapping error).
   *
   * @param argument the name of the rejected argument
   * @param message what was wrong and what is allowed
   * @param cause the underlying failure
   */
  public InvalidArgumentException(String argument, String message, Throwable cause) {
    super(argument + ": " + message, cause);
    this.argument = argument;
  }

  /**
   * The name of the rejected argument.
   *
   * @return the argument's name, for example {@code "owner"} or {@code "timeToRecover"}
   */
  public String argument() {
    return argument;
  }
}
