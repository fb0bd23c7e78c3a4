package io.workqueue.it;

import io.workqueue.spi.Bookkeeper;
import io.workqueue.spi.KeyProvider;
import io.workqueue.spi.TaskStore;
import io.workqueue.testkit.QueueWorkerContract;

/**
 * The worker runtime on its batch path (the default) over real Cassandra and Redis (signals by
 * Redis pub/sub), Tink keys.
 */
class CassandraRedisQueueWorkerTest extends QueueWorkerContract {
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
}
