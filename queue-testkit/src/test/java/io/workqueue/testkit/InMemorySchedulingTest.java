package io.workqueue.testkit;

import io.workqueue.spi.Bookkeeper;
import io.workqueue.spi.TaskStore;

/** The scheduling features over the in-memory adapters. */
class InMemorySchedulingTest extends SchedulingContract {
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
