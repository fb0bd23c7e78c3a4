package io.workqueue.redis;

import io.workqueue.QueueRef;
import java.util.List;

/**
 * The Redis keys of one queue. All share the hash tag {@code {owner/service}}, so they live in one
 * cluster slot and one Lua script may touch them together. The set of keys is fixed: no key is
 * named after a group, a worker or an index, so {@link #all()} is every key a queue can have.
 * Immutable.
 *
 * @param n hash with the fields {@code init} (present once the queue is initialized), {@code
 *     allocated}, {@code fetched}, and after a rebuild {@code replay} (indices up to it are
 *     redeliveries) and {@code skip} (the pointer jumps from {@code replay} to it): the counters of
 *     the {@code NORMAL} lane; {@code allocated:L}, {@code fetched:L}, {@code replay:L}, {@code
 *     skip:L} the same for lane number {@code L} 1 to 4, present once the lane is used; {@code
 *     paused} (present while paused), {@code maxDeliveries} and {@code groupLimit} (present when
 *     not 0), {@code expired} (how many leases {@code expire} released). The flags and settings may
 *     exist before {@code init}
 * @param pending zset of allocated, uncommitted indices: score = index, member = {@code
 *     "<index>|<allocation ms>"}
 * @param skipped zset of holes resolved as skipped: member = index, score = when (ms)
 * @param kept zset of holes resolved as kept (their row existed): member = index, score = when
 *     (ms); a late commit of one succeeds
 * @param lease hash index to {@code "<worker>|<deadline ms>|<deliveries>|<s or b>"}, followed by
 *     {@code "|<group>"} when the lease holds a slot of that concurrency group: the holder, the
 *     deadline, the deliveries so far, and whether it is a single-task or a batch lease
 * @param deadline zset of leases: member = index zero-padded to 16 digits, score = deadline ms
 * @param holder hash worker to the index of its lease on the single-task path
 * @param batch hash worker to how many batch leases it holds (workers with none have no field)
 * @param completions zset of pending completions: member = {@code "<padded index>|<worker>"}, score
 *     = when they may be claimed (ms)
 * @param delayed zset of indices waiting for their due time: member = padded index, score = due ms
 * @param ready zset of indices due again (after a delay or a release, requeued, unparked), served
 *     before their lane's fresh indices: member = index, score = index
 * @param info hash index to {@code "w|<stored deliveries>"} for a delayed or ready index, {@code
 *     "p|<stored deliveries>|<group>"} for a parked one, {@code "x|<deliveries>|<worker>"} for a
 *     dead letter: the one place the pointer looks to know an index is set aside
 * @param aside zset of every index in {@code info}: member = index, score = index (the lowest
 *     unfinished index in O(log n))
 * @param parked zset of parked indices, all with score 0: member = {@code "<group>|<padded
 *     index>"}, so a group's lowest parked index is the first of its lexicographic range
 * @param dead zset of dead letters: member = padded index, score = when it died (ms)
 * @param slots hash group to how many leases hold one of its slots (groups with none have no field)
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
    String completions,
    String delayed,
    String ready,
    String info,
    String aside,
    String parked,
    String dead,
    String slots) {

  /**
   * The keys of a queue under a prefix.
   *
   * @param prefix the key prefix, for example {@code wq}
   * @param queue the queue; its ids hold no braces, so the hash tag is exactly {@code
   *     {owner/service}}
   * @return the keys
   */
  static QueueKeys of(String prefix, QueueRef queue) {
    String base = base(prefix, queue);
    return new QueueKeys(
        base + "n",
        base + "pending",
        base + "skipped",
        base + "kept",
        base + "lease",
        base + "deadline",
        base + "holder",
        base + "batch",
        base + "completions",
        base + "delayed",
        base + "ready",
        base + "info",
        base + "aside",
        base + "parked",
        base + "dead",
        base + "slots");
  }

  /**
   * What every key and channel of a queue starts with: {@code <prefix>:{owner/service}:}. The
   * scripts publish on this plus {@code work} and {@code done}.
   *
   * @param prefix the key prefix
   * @param queue the queue
   * @return the common start
   */
  static String base(String prefix, QueueRef queue) {
    return prefix + ":{" + queue.owner() + "/" + queue.service() + "}:";
  }

  /**
   * Every key, in the order the scripts that take all of them expect ({@code queueKeys} in {@code
   * prelude.lua}).
   */
  List<String> all() {
    return List.of(
        n,
        pending,
        skipped,
        kept,
        lease,
        deadline,
        holder,
        batch,
        completions,
        delayed,
        ready,
        info,
        aside,
        parked,
        dead,
        slots);
  }
}
