package io.workqueue.testkit;

import io.workqueue.spi.Bookkeeper;
import io.workqueue.spi.TaskStore;

/** The worker runtime on its batch path (the default) over the in-memory adapters. */
class InMemoryQueueWorkerTest extends QueueWorkerContract {
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
}
