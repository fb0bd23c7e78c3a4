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
 * @param notBefore the earliest delivery time, if the task was added with a delay (plain metadata)
 * @param group the task's concurrency group, if any (plain metadata)
 * @param maxDeliveries the task's own delivery limit, 0 when the queue's applies
 */
public record StoredTask(
    long index,
    byte[] value,
    Optional<byte[]> token,
    Instant enqueuedAt,
    Optional<Instant> notBefore,
    Optional<String> group,
    int maxDeliveries) {
  /** Checks the components. */
  public StoredTask {
    Objects.requireNonNull(value, "value");
    Objects.requireNonNull(token, "token");
    Objects.requireNonNull(enqueuedAt, "enqueuedAt");
    Objects.requireNonNull(notBefore, "notBefore");
    Objects.requireNonNull(group, "group");
  }

  /**
   * A task with no scheduling metadata.
   *
   * @param index the index
   * @param value the sealed value
   * @param token the sealed token
   * @param enqueuedAt when it was added
   */
  public StoredTask(long index, byte[] value, Optional<byte[]> token, Instant enqueuedAt) {
    this(index, value, token, enqueuedAt, Optional.empty(), Optional.empty(), 0);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof StoredTask t
        && t.index == index
        && Arrays.equals(t.value, value)
        && t.token.isPresent() == token.isPresent()
        && (token.isEmpty() || Arrays.equals(t.token.get(), token.get()))
        && t.enqueuedAt.equals(enqueuedAt)
        && t.notBefore.equals(notBefore)
        && t.group.equals(group)
        && t.maxDeliveries == maxDeliveries;
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
