package io.workqueue.testkit.history;

import io.workqueue.Lease;
import io.workqueue.QueueRef;
import io.workqueue.spi.Bookkeeper;
import io.workqueue.spi.Fetch;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/** Bookkeepers broken on purpose, to prove the checker rejects what they do. */
final class BrokenBookkeepers {
  private BrokenBookkeepers() {}

  /**
   * Acknowledges any lease of the index, whoever holds it: a worker whose lease was taken over
   * still succeeds (the origin's unchecked-ownership defect).
   */
  static final class AckIgnoresOwner extends ForwardingBookkeeper {
    AckIgnoresOwner(Bookkeeper delegate) {
      super(delegate);
    }

    @Override
    public boolean ack(
        QueueRef queue, String worker, long index, Optional<Instant> completionDueAt) {
      return !ackAll(queue, worker, java.util.List.of(index), completionDueAt).isEmpty();
    }

    @Override
    public Set<Long> ackAll(
        QueueRef queue, String worker, Collection<Long> indices, Optional<Instant> due) {
      Set<Long> acked = new LinkedHashSet<>();
      for (long index : indices) {
        Optional<Lease> held =
            delegate.state(queue).leases().stream().filter(l -> l.index() == index).findFirst();
        if (held.isPresent()
            && !delegate.ackAll(queue, held.get().worker(), Set.of(index), due).isEmpty()) {
          acked.add(index);
        }
      }
      return acked;
    }
  }

  /**
   * Now and then hands a task that another worker holds, unexpired, to the fetching worker as well
   * (the origin's unchecked lightweight-transaction defect).
   */
  static final class FetchSharesLeases extends ForwardingBookkeeper {
    FetchSharesLeases(Bookkeeper delegate) {
      super(delegate);
    }

    @Override
    public Fetch fetch(
        QueueRef queue, String worker, Instant now, Duration timeToRecover, Duration holeGrace) {
      if (ThreadLocalRandom.current().nextInt(4) == 0) {
        Optional<Lease> other =
            delegate.state(queue).leases().stream()
                .filter(l -> !l.worker().equals(worker) && !l.expiredAt(now))
                .findAny();
        if (other.isPresent()) {
          Lease l = other.get();
          return new Fetch.Leased(
              new Lease(worker, l.index(), now.plus(timeToRecover), l.deliveries() + 1), false);
        }
      }
      return delegate.fetch(queue, worker, now, timeToRecover, holeGrace);
    }
  }
}
