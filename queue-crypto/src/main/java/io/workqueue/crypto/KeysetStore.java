package io.workqueue.crypto;

import io.workqueue.BackendUnavailableException;
import java.util.Optional;

/**
 * Where {@link TinkKeyProvider} keeps each owner's keyset, encrypted under the master key, and the
 * tombstones of destroyed owners. A store never sees key material in the clear.
 *
 * <p>Every write is conditional, so that several providers (threads, processes, nodes) sharing one
 * store never lose a key: two creators of the same owner's keyset agree on one winner, two
 * rotations of the same keyset do not overwrite each other, and nothing overwrites a tombstone.
 *
 * <p>Implementations are thread-safe. They report an unreachable or failing medium with {@link
 * BackendUnavailableException} (backend {@value #BACKEND}); the provider wraps any other unchecked
 * exception the same way. Owner ids reach a store already checked by the provider: 1 to 100 ASCII
 * letters, digits, {@code '.'}, {@code '_'} and {@code '-'}, starting with a letter or digit.
 */
public interface KeysetStore {

  /** The backend name in {@link BackendUnavailableException}s about keyset stores. */
  String BACKEND = "keyset-store";

  /**
   * Reads the owner's record.
   *
   * @param owner the owner
   * @return the keyset or tombstone, or empty when the store has never heard of the owner
   * @throws BackendUnavailableException when the store cannot be read
   */
  Optional<StoredKeyset> read(String owner);

  /**
   * Stores a first keyset for the owner unless the store already holds a record for it (a keyset or
   * a tombstone). Atomic: of several concurrent callers exactly one wins, and all of them get the
   * winner's record back.
   *
   * @param owner the owner
   * @param encryptedKeyset the new keyset, encrypted under the master key
   * @return the record the store holds afterwards: {@code encryptedKeyset} when this call won, else
   *     the existing keyset or tombstone (never overwritten)
   * @throws BackendUnavailableException when the store cannot be written
   */
  StoredKeyset createIfAbsent(String owner, byte[] encryptedKeyset);

  /**
   * Replaces the owner's keyset if it still is {@code expected} (compare and set), as rotation
   * does. Never replaces a tombstone.
   *
   * @param owner the owner
   * @param expected the encrypted keyset the caller read and changed
   * @param replacement the new encrypted keyset
   * @return true when replaced; false when the stored record is no longer {@code expected} (changed
   *     by someone else, destroyed, or absent); the caller then reads again
   * @throws BackendUnavailableException when the store cannot be written
   */
  boolean replace(String owner, byte[] expected, byte[] replacement);

  /**
   * Deletes the owner's keyset and leaves a tombstone, so that the owner never silently gets a new
   * keyset. Idempotent; also leaves a tombstone for an owner the store has never heard of.
   *
   * <p>How completely the old bytes disappear depends on the medium (file system blocks,
   * Cassandra's compaction, backups): see each implementation.
   *
   * @param owner the owner
   * @throws BackendUnavailableException when the store cannot be written
   */
  void destroy(String owner);
}
