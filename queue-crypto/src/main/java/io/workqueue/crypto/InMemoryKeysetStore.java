package io.workqueue.crypto;

import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * A {@link KeysetStore} in a map: for tests and for processes whose keys may die with them (every
 * ciphertext sealed by a provider over this store becomes unreadable when the process ends).
 * Thread-safe; all writes are atomic per owner.
 */
public final class InMemoryKeysetStore implements KeysetStore {
  private final ConcurrentMap<String, StoredKeyset> records = new ConcurrentHashMap<>();

  /** Creates an empty store. */
  public InMemoryKeysetStore() {}

  @Override
  public Optional<StoredKeyset> read(String owner) {
    return Optional.ofNullable(records.get(owner));
  }

  @Override
  public StoredKeyset createIfAbsent(String owner, byte[] encryptedKeyset) {
    StoredKeyset mine = StoredKeyset.live(encryptedKeyset);
    StoredKeyset existing = records.putIfAbsent(owner, mine);
    return existing == null ? mine : existing;
  }

  @Override
  public boolean replace(String owner, byte[] expected, byte[] replacement) {
    StoredKeyset next = StoredKeyset.live(replacement);
    boolean[] replaced = {false};
    records.computeIfPresent(
        owner,
        (o, current) -> {
          if (current.holds(expected)) {
            replaced[0] = true;
            return next;
          }
          return current;
        });
    return replaced[0];
  }

  @Override
  public void destroy(String owner) {
    Objects.requireNonNull(owner, "owner");
    records.put(owner, StoredKeyset.destroyed());
  }

  /**
   * How many owners the store holds a record for, tombstones included.
   *
   * @return the number of owners
   */
  public int size() {
    return records.size();
  }

  @Override
  public String toString() {
    return "InMemoryKeysetStore[" + records.size() + " owners]";
  }
}
