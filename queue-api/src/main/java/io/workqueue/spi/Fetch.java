package io.workqueue.spi;

import io.workqueue.Lease;

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
   * @param fresh true for an index handed out for the first time, false for the worker's own lease
   *     returned again or an expired lease recovered from another worker
   */
  record Leased(Lease lease, boolean fresh) implements Fetch {}

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
