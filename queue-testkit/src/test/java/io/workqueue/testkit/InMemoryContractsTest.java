package io.workqueue.testkit;

import io.workqueue.spi.Bookkeeper;
import io.workqueue.spi.KeyProvider;
import io.workqueue.spi.TaskStore;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;

/** The in-memory implementations pass every contract kit. */
class InMemoryContractsTest {
  private static final InMemoryTaskStore STORE = new InMemoryTaskStore();
  private static final InMemoryBookkeeper BOOKKEEPER = new InMemoryBookkeeper();
  private static final InMemoryKeyProvider KEYS = new InMemoryKeyProvider();

  @Nested
  @DisplayName("InMemoryTaskStore")
  class Store extends TaskStoreContract {
    @Override
    protected TaskStore store() {
      return STORE;
    }
  }

  @Nested
  @DisplayName("InMemoryBookkeeper")
  class Keeper extends BookkeeperContract {
    @Override
    protected Bookkeeper bookkeeper() {
      return BOOKKEEPER;
    }
  }

  @Nested
  @DisplayName("InMemoryKeyProvider")
  class Keys extends KeyProviderContract {
    @Override
    protected KeyProvider keyProvider() {
      return KEYS;
    }
  }

  @Nested
  @DisplayName("WorkQueue over in-memory adapters")
  class Queue extends WorkQueueContract {
    @Override
    protected TaskStore taskStore() {
      return STORE;
    }

    @Override
    protected Bookkeeper bookkeeper() {
      return BOOKKEEPER;
    }

    @Override
    protected Bookkeeper emptyBookkeeper() {
      return new InMemoryBookkeeper();
    }
  }
}
