package io.workqueue.spi;

import io.workqueue.KeyUnavailableException;
import io.workqueue.TamperedDataException;

/**
 * Seals and opens payloads with an owner's key (an AEAD cipher). The associated data binds a
 * ciphertext to its owner, queue, index and field, so a ciphertext moved anywhere else fails to
 * open.
 *
 * <p>Implementations are thread-safe and keep keys cached, so sealing does no I/O on the hot path.
 * The contract kit is {@code io.workqueue.testkit.KeyProviderContract}.
 */
public interface KeyProvider {

  /**
   * Makes sure the owner has a key to seal with, creating one where the provider creates keys on
   * first use. The core calls this before it allocates indices, so an add for an owner without a
   * key changes nothing.
   *
   * @param owner the owner
   * @throws KeyUnavailableException when the owner has no usable key
   */
  void requireKey(String owner);

  /**
   * Encrypts with the owner's primary key.
   *
   * @param owner the owner
   * @param plaintext the bytes to seal
   * @param associatedData bound to the ciphertext, not stored in it
   * @return the ciphertext
   * @throws KeyUnavailableException when the owner has no usable key
   */
  byte[] seal(String owner, byte[] plaintext, byte[] associatedData);

  /**
   * Decrypts with any of the owner's keys.
   *
   * @param owner the owner
   * @param ciphertext the sealed bytes
   * @param associatedData the data given when sealing
   * @return the plaintext
   * @throws TamperedDataException when the ciphertext or associated data do not match
   * @throws KeyUnavailableException when the owner's keys are gone (destroyed) or unreachable
   */
  byte[] open(String owner, byte[] ciphertext, byte[] associatedData);

  /**
   * Adds a new primary key for the owner: new seals use it, older ciphertexts still open.
   *
   * @param owner the owner
   */
  void rotate(String owner);

  /**
   * Destroys every key of the owner (crypto-shredding): afterwards nothing sealed for the owner
   * opens, for anyone, and the owner gets no new key by itself.
   *
   * @param owner the owner
   */
  void destroy(String owner);
}
