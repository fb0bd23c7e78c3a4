package io.workqueue.spi;

import io.workqueue.Lease;
import java.util.List;
import java.util.OptionalLong;

/**
 * What {@link Bookkeeper#fetchBatch} handed out.
 *
 * @param leases the new batch leases, expired ones recovered first (earliest deadline first), then
 *     fresh indices in index order
 * @param hole when the batch came up short because a pending index older than the grace period
 *     blocks the pointer: that index, for the caller to resolve with {@link Bookkeeper#resolveHole}
 *     before fetching again
 */
public record FetchBatch(List<Lease> leases, OptionalLong hole) {
  /** Copies the list. */
  public FetchBatch {
    leases = List.copyOf(leases);
  }
}
