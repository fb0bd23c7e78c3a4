package io.workqueue.it;

import io.workqueue.spi.Bookkeeper;
import io.workqueue.spi.KeyProvider;
import io.workqueue.spi.TaskStore;
import io.workqueue.testkit.QueueWorkerContract;

/**
 * The worker runtime on its per-task path ({@code batchSize(1)}) over real Cassandra and Redis
 * (signals by Redis pub/sub), Tink keys; the servers are shared with the other tests.
 */
class CassandraRedisQueueWorkerPerTaskTest extends QueueWorkerContract {
  @Override
  protected TaskStore taskStore() {
    return RealServers.store();
  }

  @Override
  protected Bookkeeper bookkeeper() {
    return RealServers.bookkeeper();
  }

  @Override
  protected KeyProvider keyProvider() {
    return RealServers.tink();
  }

  @Override
  protected int slowness() {
    return 3;
  }

  @Override
  protected int batchSize() {
    return 1;
  }
}
