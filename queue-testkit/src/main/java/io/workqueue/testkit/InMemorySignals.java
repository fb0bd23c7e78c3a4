package io.workqueue.testkit;

import io.workqueue.QueueRef;
import io.workqueue.spi.Signals;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Signals} within one process, as {@link InMemoryBookkeeper#signals()} has them: a publish
 * calls every subscriber of the queue directly, on the publishing thread. The bookkeeper publishes
 * after its step is applied and outside its lock, so a subscriber may call the bookkeeper. A
 * subscriber that throws is logged and does not keep the others from being called. Thread-safe.
 */
public final class InMemorySignals implements Signals {
  private static final Logger LOG = LoggerFactory.getLogger(InMemorySignals.class);

  private final Map<QueueRef, List<Runnable>> work = new ConcurrentHashMap<>();
  private final Map<QueueRef, List<LongConsumer>> completions = new ConcurrentHashMap<>();

  /** Creates signals with no subscribers. */
  public InMemorySignals() {}

  @Override
  public AutoCloseable onWork(QueueRef queue, Runnable listener) {
    Objects.requireNonNull(queue, "queue");
    Objects.requireNonNull(listener, "listener");
    return subscribe(work, queue, listener);
  }

  @Override
  public AutoCloseable onCompletion(QueueRef queue, LongConsumer listener) {
    Objects.requireNonNull(queue, "queue");
    Objects.requireNonNull(listener, "listener");
    return subscribe(completions, queue, listener);
  }

  /**
   * Tells the queue's work subscribers that work may have become ready.
   *
   * @param queue the queue
   */
  public void publishWork(QueueRef queue) {
    for (Runnable listener : work.getOrDefault(queue, List.of())) {
      try {
        listener.run();
      } catch (RuntimeException e) {
        LOG.warn("A work subscriber of {} failed", queue, e);
      }
    }
  }

  /**
   * Tells the queue's completion subscribers that an index was acknowledged or dead-lettered.
   *
   * @param queue the queue
   * @param index the index
   */
  public void publishCompletion(QueueRef queue, long index) {
    for (LongConsumer listener : completions.getOrDefault(queue, List.of())) {
      try {
        listener.accept(index);
      } catch (RuntimeException e) {
        LOG.warn("A completion subscriber of {} failed on index {}", queue, index, e);
      }
    }
  }

  private static <T> AutoCloseable subscribe(
      Map<QueueRef, List<T>> subscribers, QueueRef queue, T listener) {
    // compute, not computeIfAbsent + add: a close emptying the list at the same time removes it
    subscribers.compute(
        queue,
        (q, list) -> {
          List<T> l = list == null ? new CopyOnWriteArrayList<>() : list;
          l.add(listener);
          return l;
        });
    AtomicBoolean open = new AtomicBoolean(true);
    return () -> {
      if (open.getAndSet(false)) { // closing twice is harmless
        subscribers.computeIfPresent(
            queue,
            (q, list) -> {
              list.remove(listener); // one subscription: the same listener may be there twice
              return list.isEmpty() ? null : list;
            });
      }
    };
  }
}
