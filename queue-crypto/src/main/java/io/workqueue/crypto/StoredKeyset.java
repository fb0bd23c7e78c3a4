package io.workqueue.crypto;

import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * What a {@link KeysetStore} holds for one owner: either the owner's keyset, encrypted under the
 * master key, or a tombstone left by crypto-shredding. Immutable and thread-safe; the bytes are
 * copied in and out.
 */
public final class StoredKeyset {
  private static final StoredKeyset DESTROYED = new StoredKeyset(null);

  private final byte @Nullable [] encryptedKeyset;

  private StoredKeyset(byte @Nullable [] encryptedKeyset) {
    this.encryptedKeyset = encryptedKeyset;
  }

  /**
   * A live keyset.
   *
   * @param encryptedKeyset the keyset as encrypted under the master key; not empty
   * @return the record
   * @throws IllegalArgumentException when the bytes are empty
   */
  public static StoredKeyset live(byte[] encryptedKeyset) {
    Objects.requireNonNull(encryptedKeyset, "encryptedKeyset");
    if (encryptedKeyset.length == 0) {
      throw new IllegalArgumentException("encryptedKeyset must not be empty");
    }
    return new StoredKeyset(encryptedKeyset.clone());
  }

  /**
   * The tombstone of an owner whose keys were destroyed.
   *
   * @return the tombstone
   */
  public static StoredKeyset destroyed() {
    return DESTROYED;
  }

  /**
   * Whether this is a tombstone.
   *
   * @return true when the owner's keys were destroyed
   */
  public boolean isDestroyed() {
    return encryptedKeyset == null;
  }

  /**
   * The encrypted keyset.
   *
   * @return a copy of the bytes, or empty for a tombstone
   */
  public Optional<byte[]> encryptedKeyset() {
    return encryptedKeyset == null ? Optional.empty() : Optional.of(encryptedKeyset.clone());
  }

  /**
   * Whether this record holds exactly these encrypted bytes.
   *
   * @param bytes the bytes to compare with
   * @return true for a live record with equal bytes
   */
  public boolean holds(byte[] bytes) {
    return encryptedKeyset != null && Arrays.equals(encryptedKeyset, bytes);
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof StoredKeyset other && Arrays.equals(encryptedKeyset, other.encryptedKeyset);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(encryptedKeyset);
  }

  /** Never shows the bytes, only their length. */
  @Override
  public String toString() {
    return isDestroyed()
        ? "StoredKeyset[destroyed]"
        : "StoredKeyset[live, " + encryptedKeyset.length + " bytes]";
  }
}
