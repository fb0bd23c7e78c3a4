package io.workqueue;

import io.workqueue.internal.Validation;

/**
 * Names one queue: an owner (the tenant whose key seals the queue's tasks) and a service id (the
 * queue's name within the owner). Immutable and thread-safe.
 *
 * <p>Both ids are 1 to 100 ASCII characters: letters, digits, {@code .}, {@code _} and {@code -},
 * starting with a letter or digit. They appear in Redis keys and Cassandra partition keys, which is
 * why braces, slashes, colons, whitespace and non-ASCII are rejected.
 *
 * @param owner the tenant
 * @param service the queue's name within the tenant
 */
public record QueueRef(String owner, String service) {

  /**
   * Validates the ids.
   *
   * @throws InvalidArgumentException naming {@code owner} or {@code service} when an id is null,
   *     blank, too long or has characters outside the allowed set
   */
  public QueueRef {
    Validation.queueId("owner", owner);
    Validation.queueId("service", service);
  }

  /**
   * Names a queue.
   *
   * @param owner the tenant
   * @param service the queue's name within the tenant
   * @return the reference
   * @throws InvalidArgumentException when an id is not allowed
   */
  public static QueueRef of(String owner, String service) {
    return new QueueRef(owner, service);
  }

  @Override
  public String toString() {
    return owner + "/" + service;
  }
}
