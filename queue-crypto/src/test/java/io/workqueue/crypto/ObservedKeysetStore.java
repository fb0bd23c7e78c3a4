package io.workqueue.crypto;

import java.util.Optional;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A decorator for tests: counts calls, can be switched "down" (every call throws), and can hold
 * every {@code createIfAbsent} until a number of creators have arrived, so that they all race with
 * none of them having written yet.
 */
final class ObservedKeysetStore implements KeysetStore {
  final KeysetStore delegate;
  final AtomicInteger reads = new AtomicInteger();
  final AtomicInteger creates = new AtomicInteger();
  final AtomicInteger adopted = new AtomicInteger();
  volatile boolean down;
  private volatile CyclicBarrier createGate;

  ObservedKeysetStore(KeysetStore delegate) {
    this.delegate = delegate;
  }

  /** Holds each createIfAbsent until {@code parties} callers (of any sharing this gate) arrived. */
  ObservedKeysetStore gateCreates(CyclicBarrier gate) {
    this.createGate = gate;
    return this;
  }

  private void check() {
    if (down) {
      throw new IllegalStateException("simulated outage: disk unplugged");
    }
  }

  @Override
  public Optional<StoredKeyset> read(String owner) {
    check();
    reads.incrementAndGet();
    return delegate.read(owner);
  }

  @Override
  public StoredKeyset createIfAbsent(String owner, byte[] encryptedKeyset) {
    check();
    CyclicBarrier gate = createGate;
    if (gate != null) {
      try {
        gate.await(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new IllegalStateException("create gate broken", e);
      }
    }
    creates.incrementAndGet();
    StoredKeyset r = delegate.createIfAbsent(owner, encryptedKeyset);
    if (!r.holds(encryptedKeyset)) {
      adopted.incrementAndGet();
    }
    return r;
  }

  @Override
  public boolean replace(String owner, byte[] expected, byte[] replacement) {
    check();
    return delegate.replace(owner, expected, replacement);
  }

  @Override
  public void destroy(String owner) {
    check();
    delegate.destroy(owner);
  }

  @Override
  public String toString() {
    return "Observed" + delegate;
  }
}
