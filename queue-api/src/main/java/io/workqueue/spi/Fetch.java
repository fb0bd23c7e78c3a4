package io.workqueue.spi;

import io.workqueue.Lease;
import java.util.Optional;

/** What {@link Bookkeeper#fetch} decided. */
public sealed interface Fetch {

  /** Nothing to hand out now. */
  record Empty() implements Fetch {}

  /**
   * The bookkeeper holds no state for the queue: a new queue, or one whose bookkeeping was lost.
   * The caller initializes it ({@link Bookkeeper#initialize}) and fetches again.
   */
  record Uninitialized() implements Fetch {}

  /**
   * A lease for the worker.
   *
   * @param lease the lease (its deliveries count includes this one)
   * @param fresh true for an index handed out for the first time by its lane's fetch pointer, false
   *     for the worker's own lease returned again, an expired lease recovered from another worker,
   *     a replay, or a task that came back through the ready set (due after a delay or a release,
   *     requeued, or unparked)
   * @param recovered true when the lease was taken over from another worker whose lease expired
   * @param group the concurrency group whose slot the lease already holds ({@link
   *     Bookkeeper#admit}); empty when it holds none, and the caller admits it if its task has a
   *     group
   */
  record Leased(Lease lease, boolean fresh, boolean recovered, Optional<String> group)
      implements Fetch {
    /**
     * A lease that was not recovered and holds no group slot.
     *
     * @param lease the lease
     * @param fresh as above
     */
    public Leased(Lease lease, boolean fresh) {
      this(lease, fresh, false, Optional.empty());
    }
  }

  /**
   * The next index is allocated but was not committed within the grace period: its writer may have
   * died. The caller checks the store and calls {@link Bookkeeper#resolveHole}, then fetches again.
   *
   * @param index the suspect index
   */
  record Hole(long index) implements Fetch {}

  /** The shared empty result. */
  Fetch EMPTY = new Empty();

  /** The shared uninitialized result. */
  Fetch UNINITIALIZED = new Uninitialized();
}
