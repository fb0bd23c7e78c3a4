package io.workqueue;

/**
 * The owner's keys were destroyed on purpose (crypto-shredding): nothing sealed for the owner can
 * be opened again, by anyone, and nothing new can be sealed. A fetch that meets such a task takes
 * it out of circulation ({@link UnreadableTaskException}); other reasons for a missing key (a wrong
 * master key, a keyset store pointed elsewhere) leave the task in place, since they can be fixed.
 */
public class KeyDestroyedException extends KeyUnavailableException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param owner the owner whose keys were destroyed
   */
  public KeyDestroyedException(String owner) {
    super(
        owner,
        "its keys were destroyed (crypto-shredding); nothing of it can be sealed or opened",
        null);
  }
}
