package io.workqueue.it;

import io.workqueue.spi.Bookkeeper;
import io.workqueue.spi.TaskStore;
import io.workqueue.testkit.SchedulingContract;

/** The scheduling features over real Cassandra and Redis. */
class CassandraRedisSchedulingTest extends SchedulingContract {
  @Override
  protected TaskStore taskStore() {
    return RealServers.store();
  }

  @Override
  protected Bookkeeper bookkeeper() {
    return RealServers.bookkeeper();
  }
}
