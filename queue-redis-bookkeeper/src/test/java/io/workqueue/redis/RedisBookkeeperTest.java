package io.workqueue.redis;

import io.workqueue.spi.Bookkeeper;
import io.workqueue.testkit.BookkeeperContract;
import org.junit.jupiter.api.DisplayName;

/** The bookkeeper contract, run against a real redis-server (with AOF) on a free port. */
@DisplayName("RedisBookkeeper passes the bookkeeper contract")
class RedisBookkeeperTest extends BookkeeperContract {
  @Override
  protected Bookkeeper bookkeeper() {
    return SharedRedis.bookkeeper();
  }
}
