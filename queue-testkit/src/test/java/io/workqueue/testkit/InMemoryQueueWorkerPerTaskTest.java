package io.workqueue.testkit;

import io.workqueue.spi.Bookkeeper;
import io.workqueue.spi.TaskStore;

/** The worker runtime on its per-task path ({@code batchSize(1)}) over the in-memory adapters. */
class InMemoryQueueWorkerPerTaskTest extends QueueWorkerContract {
  private static final InMemoryTaskStore STORE = new InMemoryTaskStore();
  private static final InMemoryBookkeeper BOOKKEEPER = new InMemoryBookkeeper();

  @Override
  protected TaskStore taskStore() {
    return STORE;
  }

  @Override
  protected Bookkeeper bookkeeper() {
    return BOOKKEEPER;
  }

  @Override
  protected int batchSize() {
    return 1;
  }
}
