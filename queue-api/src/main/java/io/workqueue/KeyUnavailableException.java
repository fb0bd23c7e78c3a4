package io.workqueue;

/**
 * No usable key exists for an owner: the owner has no keyset and automatic creation is off, the
 * owner's keys were destroyed (crypto-shredding), or the master key cannot open the keyset. The
 * message names the owner, never key material.
 */
public class KeyUnavailableException extends QueueException {
  private static final long serialVersionUID = 1L;

  private final String owner;

  /**
   * Creates the exception.
   *
   * @param owner the owner whose key is unavailable
   * @param message why
   * @param cause the underlying failure, if any
   */
  public KeyUnavailableException(String owner, String message, Throwable cause) {
    super("owner '" + owner + "': " + message, cause);
    this.owner = owner;
  }

  /**
   * The owner whose key is unavailable.
   *
   * @return the owner id
   */
  public String owner() {
    return owner;
  }
}
