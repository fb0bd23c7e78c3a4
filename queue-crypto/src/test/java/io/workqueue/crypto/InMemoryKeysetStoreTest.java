package io.workqueue.crypto;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;

@DisplayName("InMemoryKeysetStore")
class InMemoryKeysetStoreTest {

  @Nested
  @DisplayName("passes the keyset store contract")
  class Contract extends KeysetStoreContract {
    private final InMemoryKeysetStore store = new InMemoryKeysetStore();

    @Override
    protected KeysetStore store() {
      return store;
    }
  }

  @Nested
  @DisplayName("under TinkKeyProvider passes the key provider contract")
  class Provider extends TinkKeyProviderStoreTest {
    private final InMemoryKeysetStore store = new InMemoryKeysetStore();

    @Override
    protected KeysetStore newStore() {
      return store;
    }
  }
}
