package io.workqueue.it;

import io.workqueue.spi.Bookkeeper;
import io.workqueue.spi.KeyProvider;
import io.workqueue.spi.TaskStore;
import io.workqueue.testkit.WorkQueueContract;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;

/** The whole queue's contract over real Cassandra and Redis, with two key providers. */
class CassandraRedisContractsTest {

  @Nested
  @DisplayName("WorkQueue on Cassandra + Redis, in-memory keys")
  class InMemoryKeys extends WorkQueueContract {
    @Override
    protected TaskStore taskStore() {
      return RealServers.store();
    }

    @Override
    protected Bookkeeper bookkeeper() {
      return RealServers.bookkeeper();
    }

    @Override
    protected Bookkeeper emptyBookkeeper() {
      return RealServers.emptyBookkeeper();
    }
  }

  @Nested
  @DisplayName("WorkQueue on Cassandra + Redis, Tink keys stored in Cassandra")
  class TinkKeys extends WorkQueueContract {
    @Override
    protected TaskStore taskStore() {
      return RealServers.store();
    }

    @Override
    protected Bookkeeper bookkeeper() {
      return RealServers.bookkeeper();
    }

    @Override
    protected Bookkeeper emptyBookkeeper() {
      return RealServers.emptyBookkeeper();
    }

    @Override
    protected KeyProvider keyProvider() {
      return RealServers.tink();
    }
  }
}
