package io.workqueue.redis;

import io.workqueue.QueueRef;
import java.util.List;

/**
 * The Redis keys of one queue. All share the hash tag {@code {owner/service}}, so they live in one
 * cluster slot and one Lua script may touch them together. Immutable.
 *
 * @param n hash with the fields {@code init} (present once the queue is initialized), {@code
 *     allocated}, {@code fetched}, and after a rebuild {@code replay} (indices up to it are
 *     redeliveries) and {@code skip} (the pointer jumps from {@code replay} to it)
 * @param pending zset of allocated, uncommitted indices: score = index, member = {@code
 *     "<index>|<allocation ms>"}
 * @param skipped zset of holes resolved as skipped: member = index, score = when (ms)
 * @param kept zset of holes resolved as kept (their row existed): member = index, score = when
 *     (ms); a late commit of one succeeds
 * @param lease hash index to {@code "<worker>|<deadline ms>|<deliveries>|<s or b>"}: the holder,
 *     the deadline, the deliveries so far, and whether it is a single-task or a batch lease
 * @param deadline zset of leases: member = index zero-padded to 16 digits, score = deadline ms
 * @param holder hash worker to the index of its lease on the single-task path
 * @param batch hash worker to how many batch leases it holds (workers with none have no field)
 * @param completions zset of pending completions: member = {@code "<padded index>|<worker>"}, score
 *     = when they may be claimed (ms)
 */
record QueueKeys(
    String n,
    String pending,
    String skipped,
    String kept,
    String lease,
    String deadline,
    String holder,
    String batch,
    String completions) {

  /**
   * The keys of a queue under a prefix.
   *
   * @param prefix the key prefix, for example {@code wq}
   * @param queue the queue; its ids hold no braces, so the hash tag is exactly {@code
   *     {owner/service}}
   * @return the keys
   */
  static QueueKeys of(String prefix, QueueRef queue) {
    String base = prefix + ":{" + queue.owner() + "/" + queue.service() + "}:";
    return new QueueKeys(
        base + "n",
        base + "pending",
        base + "skipped",
        base + "kept",
        base + "lease",
        base + "deadline",
        base + "holder",
        base + "batch",
        base + "completions");
  }

  /** Every key, for tests and tools. */
  List<String> all() {
    return List.of(n, pending, skipped, kept, lease, deadline, holder, batch, completions);
  }
}
