package io.workqueue.it;

/**
 * The worker runtime on its per-task path ({@code batchSize(1)}) over real Cassandra and Redis
 * (signals by Redis pub/sub), Tink keys; the servers are shared with the other tests.
 */
class CassandraRedisQueueWorkerPerTaskTest extends CassandraRedisQueueWorkerTest {
  @Override
  protected int batchSize() {
    return 1;
  }
}
