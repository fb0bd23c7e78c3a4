package io.workqueue.spi;

import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * One task as a {@link TaskStore} holds it: sealed bytes only, never plaintext.
 *
 * @param index the task's index in its queue
 * @param value the sealed value
 * @param token the sealed token, if the task has one
 * @param enqueuedAt when the task was added
 */
public record StoredTask(long index, byte[] value, Optional<byte[]> token, Instant enqueuedAt) {
  /** Checks the components. */
  public StoredTask {
    Objects.requireNonNull(value, "value");
    Objects.requireNonNull(token, "token");
    Objects.requireNonNull(enqueuedAt, "enqueuedAt");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof StoredTask t
        && t.index == index
        && Arrays.equals(t.value, value)
        && t.token.isPresent() == token.isPresent()
        && (token.isEmpty() || Arrays.equals(t.token.get(), token.get()))
        && t.enqueuedAt.equals(enqueuedAt);
  }

  @Override
  public int hashCode() {
    return Objects.hash(index, Arrays.hashCode(value), enqueuedAt);
  }

  @Override
  public String toString() {
    return "StoredTask[" + index + ", " + value.length + " bytes]";
  }
}
