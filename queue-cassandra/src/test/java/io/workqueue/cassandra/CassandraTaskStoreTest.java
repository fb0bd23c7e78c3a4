package io.workqueue.cassandra;

import io.workqueue.spi.TaskStore;
import io.workqueue.testkit.TaskStoreContract;
import org.junit.jupiter.api.DisplayName;

@DisplayName("CassandraTaskStore passes the TaskStore contract against a real Cassandra node")
class CassandraTaskStoreTest extends TaskStoreContract {
  @Override
  protected TaskStore store() {
    return TestCassandra.store();
  }
}
