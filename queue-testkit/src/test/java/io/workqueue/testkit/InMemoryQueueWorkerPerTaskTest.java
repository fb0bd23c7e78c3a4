package io.workqueue.testkit;

/** The worker runtime on its per-task path ({@code batchSize(1)}) over the in-memory adapters. */
class InMemoryQueueWorkerPerTaskTest extends InMemoryQueueWorkerTest {
  @Override
  protected int batchSize() {
    return 1;
  }
}
