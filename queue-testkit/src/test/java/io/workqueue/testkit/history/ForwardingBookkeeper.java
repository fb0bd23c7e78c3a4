package io.workqueue.testkit.history;

import io.workqueue.Lease;
import io.workqueue.QueueRef;
import io.workqueue.spi.Bookkeeper;
import io.workqueue.spi.BookkeeperState;
import io.workqueue.spi.Fetch;
import io.workqueue.spi.FetchBatch;
import io.workqueue.spi.PendingCompletion;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/** A bookkeeper that passes every step on; subclasses break one step on purpose. */
abstract class ForwardingBookkeeper implements Bookkeeper {
  protected final Bookkeeper delegate;

  ForwardingBookkeeper(Bookkeeper delegate) {
    this.delegate = delegate;
  }

  @Override
  public long allocate(QueueRef queue, int count, Instant now) {
    return delegate.allocate(queue, count, now);
  }

  @Override
  public boolean initialize(QueueRef queue, long allocated, long replayFrom, long replayTo) {
    return delegate.initialize(queue, allocated, replayFrom, replayTo);
  }

  @Override
  public boolean commit(QueueRef queue, long first, int count) {
    return delegate.commit(queue, first, count);
  }

  @Override
  public Fetch fetch(
      QueueRef queue, String worker, Instant now, Duration timeToRecover, Duration holeGrace) {
    return delegate.fetch(queue, worker, now, timeToRecover, holeGrace);
  }

  @Override
  public boolean resolveHole(QueueRef queue, long index, boolean keep, Instant now) {
    return delegate.resolveHole(queue, index, keep, now);
  }

  @Override
  public Optional<Lease> lease(QueueRef queue, String worker) {
    return delegate.lease(queue, worker);
  }

  @Override
  public boolean ack(QueueRef queue, String worker, long index, Optional<Instant> completionDueAt) {
    return delegate.ack(queue, worker, index, completionDueAt);
  }

  @Override
  public OptionalLong ackHeld(QueueRef queue, String worker) {
    return delegate.ackHeld(queue, worker);
  }

  @Override
  public FetchBatch fetchBatch(
      QueueRef queue,
      String worker,
      int max,
      Instant now,
      Duration timeToRecover,
      Duration holeGrace) {
    return delegate.fetchBatch(queue, worker, max, now, timeToRecover, holeGrace);
  }

  @Override
  public Set<Long> ackAll(
      QueueRef queue, String worker, Collection<Long> indices, Optional<Instant> completionDueAt) {
    return delegate.ackAll(queue, worker, indices, completionDueAt);
  }

  @Override
  public int batchLeaseCount(QueueRef queue, String worker) {
    return delegate.batchLeaseCount(queue, worker);
  }

  @Override
  public List<PendingCompletion> claimCompletions(
      QueueRef queue, Instant now, Duration claimFor, int limit) {
    return delegate.claimCompletions(queue, now, claimFor, limit);
  }

  @Override
  public void completionDelivered(QueueRef queue, PendingCompletion completion) {
    delegate.completionDelivered(queue, completion);
  }

  @Override
  public void completionsDelivered(QueueRef queue, Collection<PendingCompletion> completions) {
    delegate.completionsDelivered(queue, completions);
  }

  @Override
  public BookkeeperState state(QueueRef queue) {
    return delegate.state(queue);
  }

  @Override
  public boolean rewind(QueueRef queue, long fetched) {
    return delegate.rewind(queue, fetched);
  }

  @Override
  public long allocate(QueueRef queue, io.workqueue.Priority lane, int count, Instant now) {
    return delegate.allocate(queue, lane, count, now);
  }

  @Override
  public boolean commit(
      QueueRef queue, long first, int count, java.util.Map<Long, Instant> dueAt, Instant now) {
    return delegate.commit(queue, first, count, dueAt, now);
  }

  @Override
  public boolean initialize(QueueRef queue, java.util.List<io.workqueue.spi.LaneStart> lanes) {
    return delegate.initialize(queue, lanes);
  }

  @Override
  public java.util.Set<Long> admit(
      QueueRef queue, String worker, java.util.Map<Long, String> groups, Instant now) {
    return delegate.admit(queue, worker, groups, now);
  }

  @Override
  public boolean extend(QueueRef queue, String worker, long index, Instant deadline) {
    return delegate.extend(queue, worker, index, deadline);
  }

  @Override
  public java.util.Optional<io.workqueue.Lease> release(
      QueueRef queue, String worker, long index, Instant dueAt, Instant now) {
    return delegate.release(queue, worker, index, dueAt, now);
  }

  @Override
  public java.util.Optional<io.workqueue.spi.DeadEntry> deadLetter(
      QueueRef queue,
      String worker,
      long index,
      java.util.Optional<Instant> completionDueAt,
      Instant now) {
    return delegate.deadLetter(queue, worker, index, completionDueAt, now);
  }

  @Override
  public java.util.List<io.workqueue.spi.DeadEntry> deadLetters(QueueRef queue, int limit) {
    return delegate.deadLetters(queue, limit);
  }

  @Override
  public boolean requeue(QueueRef queue, long index, Instant now) {
    return delegate.requeue(queue, index, now);
  }

  @Override
  public boolean discard(QueueRef queue, long index) {
    return delegate.discard(queue, index);
  }

  @Override
  public java.util.Set<Long> expire(
      QueueRef queue, String worker, java.util.Collection<Long> indices) {
    return delegate.expire(queue, worker, indices);
  }

  @Override
  public boolean pause(QueueRef queue, boolean paused) {
    return delegate.pause(queue, paused);
  }

  @Override
  public void configure(QueueRef queue, io.workqueue.QueueSettings settings) {
    delegate.configure(queue, settings);
  }

  @Override
  public io.workqueue.QueueSettings settings(QueueRef queue) {
    return delegate.settings(queue);
  }

  @Override
  public void purge(QueueRef queue) {
    delegate.purge(queue);
  }

  @Override
  public java.util.Optional<io.workqueue.spi.Signals> signals() {
    return delegate.signals();
  }
}
