package io.workqueue.crypto;

import static io.workqueue.crypto.TestKeys.bytes;
import static io.workqueue.crypto.TestKeys.keyId;
import static io.workqueue.crypto.TestKeys.owner;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.crypto.tink.KeysetHandle;
import io.workqueue.KeyUnavailableException;
import io.workqueue.spi.KeyProvider;
import io.workqueue.testkit.KeyProviderContract;
import io.workqueue.testkit.SettableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * {@link TinkKeyProvider} over one kind of {@link KeysetStore}: the testkit's {@link
 * KeyProviderContract}, then what several providers sharing one store (nodes of a cluster) must
 * see. Subclasses give store instances over one medium.
 */
abstract class TinkKeyProviderStoreTest extends KeyProviderContract {

  /** One master key per test class: what a cluster's nodes share. */
  protected final MasterKey masterKey = MasterKey.generateEphemeral();

  private TinkKeyProvider provider;
  private ExecutorService pool;

  /**
   * A new store instance over the medium of this test class (a new process would open one).
   *
   * @return the store
   */
  protected abstract KeysetStore newStore();

  @BeforeEach
  void startProvider() {
    provider = TinkKeyProvider.builder().masterKey(masterKey).keysetStore(newStore()).build();
    pool = Executors.newFixedThreadPool(4);
  }

  @AfterEach
  void stopPool() {
    pool.shutdownNow();
  }

  @Override
  protected KeyProvider keyProvider() {
    return provider;
  }

  private TinkKeyProvider.Builder node(KeysetStore store) {
    return TinkKeyProvider.builder().masterKey(masterKey).keysetStore(store);
  }

  @Test
  @DisplayName("a second provider over the same store opens what the first sealed")
  void secondProvider() {
    String o = owner();
    byte[] sealed = provider.seal(o, bytes("from node 1"), bytes("ad"));
    TinkKeyProvider other = node(newStore()).build();
    assertThat(other.open(o, sealed, bytes("ad"))).isEqualTo(bytes("from node 1"));
    byte[] back = other.seal(o, bytes("from node 2"), bytes("ad"));
    assertThat(provider.open(o, back, bytes("ad"))).isEqualTo(bytes("from node 2"));
    assertThat(keyId(back)).isEqualTo(keyId(sealed));
  }

  @Test
  @DisplayName("two providers creating the same owner at once end with one keyset both use")
  void concurrentCreate() throws Exception {
    for (int round = 0; round < 3; round++) {
      String o = owner();
      CyclicBarrier gate = new CyclicBarrier(2);
      ObservedKeysetStore s1 = new ObservedKeysetStore(newStore()).gateCreates(gate);
      ObservedKeysetStore s2 = new ObservedKeysetStore(newStore()).gateCreates(gate);
      TinkKeyProvider p1 = node(s1).build();
      TinkKeyProvider p2 = node(s2).build();
      Future<byte[]> f1 = pool.submit(() -> p1.seal(o, bytes("one"), bytes("ad")));
      Future<byte[]> f2 = pool.submit(() -> p2.seal(o, bytes("two"), bytes("ad")));
      byte[] c1 = f1.get(60, TimeUnit.SECONDS);
      byte[] c2 = f2.get(60, TimeUnit.SECONDS);

      // Both really raced (each saw no keyset and tried to create one); one adopted the other's.
      assertThat(s1.creates.get() + s2.creates.get()).isEqualTo(2);
      assertThat(s1.adopted.get() + s2.adopted.get()).isEqualTo(1);
      assertThat(keyId(c1)).isEqualTo(keyId(c2));
      assertThat(p2.open(o, c1, bytes("ad"))).isEqualTo(bytes("one"));
      assertThat(p1.open(o, c2, bytes("ad"))).isEqualTo(bytes("two"));
      TinkKeyProvider fresh = node(newStore()).build();
      assertThat(fresh.open(o, c1, bytes("ad"))).isEqualTo(bytes("one"));
      assertThat(fresh.open(o, c2, bytes("ad"))).isEqualTo(bytes("two"));
    }
  }

  @Test
  @DisplayName("a rotation on one node is opened at once by another that cached the old keyset")
  void rotationSeenElsewhere() {
    SettableClock clock = new SettableClock(Instant.parse("2030-01-01T00:00:00Z"));
    TinkKeyProvider n1 = node(newStore()).clock(clock).cacheExpiry(Duration.ofMinutes(1)).build();
    TinkKeyProvider n2 = node(newStore()).clock(clock).cacheExpiry(Duration.ofMinutes(1)).build();
    String o = owner();
    byte[] old = n2.seal(o, bytes("old"), bytes("ad"));
    n1.rotate(o);
    byte[] rotated = n1.seal(o, bytes("new"), bytes("ad"));
    assertThat(keyId(rotated)).isNotEqualTo(keyId(old));

    assertThat(n2.open(o, rotated, bytes("ad"))).isEqualTo(bytes("new"));
    assertThat(n2.open(o, old, bytes("ad"))).isEqualTo(bytes("old"));
    // Having read the store again, n2 seals with the new primary too.
    assertThat(keyId(n2.seal(o, bytes("x"), bytes("ad")))).isEqualTo(keyId(rotated));
  }

  @Test
  @DisplayName("another node seals with the old primary until its cache expires, then the new one")
  void rotationPrimaryAfterExpiry() {
    SettableClock clock = new SettableClock(Instant.parse("2030-01-01T00:00:00Z"));
    TinkKeyProvider n1 = node(newStore()).clock(clock).cacheExpiry(Duration.ofMinutes(1)).build();
    TinkKeyProvider n2 = node(newStore()).clock(clock).cacheExpiry(Duration.ofMinutes(1)).build();
    String o = owner();
    int first = keyId(n2.seal(o, bytes("a"), bytes("ad")));
    n1.rotate(o);
    int second = keyId(n1.seal(o, bytes("b"), bytes("ad")));
    assertThat(keyId(n2.seal(o, bytes("c"), bytes("ad")))).isEqualTo(first);
    clock.advance(Duration.ofSeconds(61));
    assertThat(keyId(n2.seal(o, bytes("d"), bytes("ad")))).isEqualTo(second);
  }

  @Test
  @DisplayName("a destroy on one node reaches another within the cache expiry, never later")
  void destroyWindow() {
    SettableClock clock = new SettableClock(Instant.parse("2030-01-01T00:00:00Z"));
    TinkKeyProvider n1 = node(newStore()).clock(clock).cacheExpiry(Duration.ofMinutes(1)).build();
    TinkKeyProvider n2 = node(newStore()).clock(clock).cacheExpiry(Duration.ofMinutes(1)).build();
    String o = owner();
    byte[] sealed = n1.seal(o, bytes("x"), bytes("ad"));
    assertThat(n2.open(o, sealed, bytes("ad"))).isEqualTo(bytes("x"));

    n1.destroy(o);
    assertThatThrownBy(() -> n1.open(o, sealed, bytes("ad")))
        .isInstanceOf(KeyUnavailableException.class);
    // The documented window: n2 still has the keyset cached.
    assertThat(n2.open(o, sealed, bytes("ad"))).isEqualTo(bytes("x"));
    clock.advance(Duration.ofSeconds(61));
    assertThatThrownBy(() -> n2.open(o, sealed, bytes("ad")))
        .isInstanceOf(KeyUnavailableException.class)
        .hasMessageContaining(o)
        .hasMessageContaining("destroyed");
    assertThatThrownBy(() -> n2.seal(o, bytes("y"), bytes("ad")))
        .isInstanceOf(KeyUnavailableException.class);
    // A new node does not get a fresh key for the owner either: the tombstone stays.
    TinkKeyProvider n3 = node(newStore()).build();
    assertThatThrownBy(() -> n3.requireKey(o)).isInstanceOf(KeyUnavailableException.class);
    assertThatThrownBy(() -> n3.rotate(o)).isInstanceOf(KeyUnavailableException.class);
    assertThatThrownBy(() -> n3.provision(o)).isInstanceOf(KeyUnavailableException.class);
  }

  @Test
  @DisplayName("concurrent rotations on two nodes lose no key: every ciphertext still opens")
  void concurrentRotations() throws Exception {
    String o = owner();
    provider.requireKey(o);
    TinkKeyProvider n1 = node(newStore()).build();
    TinkKeyProvider n2 = node(newStore()).build();
    List<Future<List<byte[]>>> fs = new ArrayList<>();
    for (TinkKeyProvider n : List.of(n1, n2)) {
      fs.add(
          pool.submit(
              () -> {
                List<byte[]> sealed = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                  n.rotate(o);
                  sealed.add(n.seal(o, bytes("v" + i), bytes("ad" + i)));
                }
                return sealed;
              }));
    }
    List<byte[]> all = new ArrayList<>();
    for (Future<List<byte[]>> f : fs) {
      all.addAll(f.get(120, TimeUnit.SECONDS));
    }
    TinkKeyProvider fresh = node(newStore()).build();
    for (int i = 0; i < all.size(); i++) {
      int k = i % 4;
      assertThat(fresh.open(o, all.get(i), bytes("ad" + k))).isEqualTo(bytes("v" + k));
    }
    KeysetHandle stored =
        TestKeys.openStored(
            masterKey, o, newStore().read(o).orElseThrow().encryptedKeyset().orElseThrow());
    assertThat(stored.size()).isEqualTo(1 + 8);
  }

  @Test
  @DisplayName("a wrong master key cannot open the keyset, and does not replace it")
  void wrongMasterKey() {
    String o = owner();
    byte[] sealed = provider.seal(o, bytes("x"), bytes("ad"));
    byte[] storedBefore = newStore().read(o).orElseThrow().encryptedKeyset().orElseThrow();
    TinkKeyProvider wrong =
        TinkKeyProvider.builder()
            .masterKey(MasterKey.generateEphemeral())
            .keysetStore(newStore())
            .build();
    assertThatThrownBy(() -> wrong.open(o, sealed, bytes("ad")))
        .isInstanceOf(KeyUnavailableException.class)
        .hasMessageContaining("master key cannot open the keyset of owner '" + o + "'")
        .hasMessageContaining("check the master key");
    assertThatThrownBy(() -> wrong.seal(o, bytes("y"), bytes("ad")))
        .isInstanceOf(KeyUnavailableException.class);
    assertThatThrownBy(() -> wrong.rotate(o)).isInstanceOf(KeyUnavailableException.class);
    assertThat(newStore().read(o).orElseThrow().holds(storedBefore)).isTrue();
    assertThat(provider.open(o, sealed, bytes("ad"))).isEqualTo(bytes("x"));
  }

  @Test
  @DisplayName("the store holds no raw key bytes, only the keyset encrypted under the master key")
  void encryptedAtRest() throws Exception {
    String o = owner();
    provider.rotate(o);
    provider.rotate(o);
    byte[] atRest = newStore().read(o).orElseThrow().encryptedKeyset().orElseThrow();
    List<byte[]> keys = TestKeys.rawKeys(TestKeys.openStored(masterKey, o, atRest));
    assertThat(keys).hasSize(2);
    for (byte[] key : keys) {
      assertThat(key).hasSize(32);
      assertThat(TestKeys.contains(atRest, key)).isFalse();
    }
  }
}
