package io.workqueue.crypto;

import static io.workqueue.crypto.TestKeys.bytes;
import static io.workqueue.crypto.TestKeys.keyId;
import static io.workqueue.crypto.TestKeys.owner;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.workqueue.BackendUnavailableException;
import io.workqueue.InvalidArgumentException;
import io.workqueue.KeyUnavailableException;
import io.workqueue.TamperedDataException;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayName("TinkKeyProvider")
class TinkKeyProviderTest {
  private final MasterKey masterKey = MasterKey.generateEphemeral();
  private final InMemoryKeysetStore memory = new InMemoryKeysetStore();
  private final ObservedKeysetStore store = new ObservedKeysetStore(memory);

  private TinkKeyProvider.Builder builder() {
    return TinkKeyProvider.builder().masterKey(masterKey).keysetStore(store);
  }

  @Nested
  @DisplayName("with creation on first use off")
  class CreationOff {
    private final TinkKeyProvider keys = builder().createOnFirstUse(false).build();

    @Test
    @DisplayName("an owner without keyset gets KeyUnavailableException and nothing is created")
    void refuses() {
      String o = owner();
      assertThatThrownBy(() -> keys.requireKey(o))
          .isInstanceOf(KeyUnavailableException.class)
          .hasMessageContaining(o)
          .hasMessageContaining("creation on first use is off")
          .satisfies(e -> assertThat(((KeyUnavailableException) e).owner()).isEqualTo(o));
      assertThatThrownBy(() -> keys.seal(o, bytes("x"), bytes("ad")))
          .isInstanceOf(KeyUnavailableException.class);
      assertThatThrownBy(() -> keys.rotate(o)).isInstanceOf(KeyUnavailableException.class);
      assertThat(memory.read(o)).isEmpty();
    }

    @Test
    @DisplayName("provision admits an owner once; a destroyed owner cannot be provisioned")
    void provision() {
      String o = owner();
      assertThat(keys.provision(o)).isTrue();
      assertThat(keys.provision(o)).isFalse();
      byte[] sealed = keys.seal(o, bytes("x"), bytes("ad"));
      assertThat(keys.open(o, sealed, bytes("ad"))).isEqualTo(bytes("x"));
      keys.destroy(o);
      assertThatThrownBy(() -> keys.provision(o)).isInstanceOf(KeyUnavailableException.class);
    }
  }

  @Nested
  @DisplayName("with creation on first use on")
  class CreationOn {
    private final TinkKeyProvider keys = builder().build();

    @Test
    @DisplayName("open never creates a keyset")
    void openDoesNotCreate() {
      String o = owner();
      assertThatThrownBy(() -> keys.open(o, new byte[40], bytes("ad")))
          .isInstanceOf(KeyUnavailableException.class)
          .hasMessageContaining("no keyset");
      assertThat(memory.read(o)).isEmpty();
    }

    @Test
    @DisplayName("rotate of an owner without keyset creates its first one")
    void rotateCreates() {
      String o = owner();
      keys.rotate(o);
      assertThat(memory.read(o)).isPresent();
      byte[] sealed = keys.seal(o, bytes("x"), bytes("ad"));
      assertThat(keys.open(o, sealed, bytes("ad"))).isEqualTo(bytes("x"));
    }

    @Test
    @DisplayName("destroy of an owner never seen leaves a tombstone")
    void destroyUnknown() {
      String o = owner();
      keys.destroy(o);
      assertThat(memory.read(o)).contains(StoredKeyset.destroyed());
      assertThatThrownBy(() -> keys.requireKey(o)).isInstanceOf(KeyUnavailableException.class);
    }
  }

  @Nested
  @DisplayName("caching")
  class Caching {
    @Test
    @DisplayName("the hot path reads no keyset: a cached owner seals and opens with the store down")
    void noIoWhenCached() {
      TinkKeyProvider keys = builder().build();
      String o = owner();
      byte[] first = keys.seal(o, bytes("x"), bytes("ad"));
      int reads = store.reads.get();
      store.down = true;
      for (int i = 0; i < 1000; i++) {
        byte[] s = keys.seal(o, bytes("v" + i), bytes("ad"));
        assertThat(keys.open(o, s, bytes("ad"))).isEqualTo(bytes("v" + i));
      }
      assertThat(keys.open(o, first, bytes("ad"))).isEqualTo(bytes("x"));
      assertThat(store.reads.get()).isEqualTo(reads);
    }

    @Test
    @DisplayName("a store that is down gives BackendUnavailableException for keyset-store")
    void storeDown() {
      TinkKeyProvider keys = builder().build();
      store.down = true;
      String o = owner();
      for (Runnable call :
          new Runnable[] {
            () -> keys.requireKey(o),
            () -> keys.seal(o, bytes("x"), bytes("ad")),
            () -> keys.open(o, new byte[30], bytes("ad")),
            () -> keys.rotate(o),
            () -> keys.destroy(o)
          }) {
        assertThatThrownBy(call::run)
            .isInstanceOf(BackendUnavailableException.class)
            .hasMessageContaining(o)
            .satisfies(
                e ->
                    assertThat(((BackendUnavailableException) e).backend())
                        .isEqualTo("keyset-store"));
      }
    }

    @Test
    @DisplayName("an owner evicted from a full cache is read again and still opens")
    void bounded() {
      TinkKeyProvider keys =
          builder().maximumCachedOwners(1).cacheExpiry(Duration.ofHours(1)).build();
      String[] owners = {owner(), owner(), owner()};
      byte[][] sealed = new byte[owners.length][];
      for (int i = 0; i < owners.length; i++) {
        sealed[i] = keys.seal(owners[i], bytes("v" + i), bytes("ad"));
      }
      for (int round = 0; round < 3; round++) {
        for (int i = 0; i < owners.length; i++) {
          assertThat(keys.open(owners[i], sealed[i], bytes("ad"))).isEqualTo(bytes("v" + i));
        }
      }
    }
  }

  @Nested
  @DisplayName("bindings")
  class Bindings {
    private final TinkKeyProvider keys = builder().build();

    @Test
    @DisplayName("a keyset moved to another owner's slot does not open there")
    void keysetSwap() {
      String a = owner();
      String b = owner();
      keys.requireKey(a);
      byte[] keysetOfA = memory.read(a).orElseThrow().encryptedKeyset().orElseThrow();
      memory.createIfAbsent(b, keysetOfA);
      assertThatThrownBy(() -> keys.seal(b, bytes("x"), bytes("ad")))
          .isInstanceOf(KeyUnavailableException.class)
          .hasMessageContaining("master key cannot open the keyset of owner '" + b + "'");
    }

    @Test
    @DisplayName("no message carries the plaintext")
    void noPlaintextInMessages() {
      String o = owner();
      byte[] sealed = keys.seal(o, bytes("top-secret-value-7"), bytes("ad"));
      byte[] bad = Arrays.copyOf(sealed, sealed.length);
      bad[bad.length - 1] ^= 1;
      assertThatThrownBy(() -> keys.open(o, bad, bytes("ad")))
          .isInstanceOf(TamperedDataException.class)
          .hasMessageContaining(o)
          .satisfies(e -> assertThat(String.valueOf(e)).doesNotContain("top-secret-value-7"));
    }

    @Test
    @DisplayName("rotation gives a new primary key and keeps the old ones")
    void rotation() throws Exception {
      String o = owner();
      byte[] before = keys.seal(o, bytes("a"), bytes("ad"));
      keys.rotate(o);
      byte[] after = keys.seal(o, bytes("b"), bytes("ad"));
      assertThat(keyId(after)).isNotEqualTo(keyId(before));
      var handle =
          TestKeys.openStored(
              masterKey, o, memory.read(o).orElseThrow().encryptedKeyset().orElseThrow());
      assertThat(handle.size()).isEqualTo(2);
      assertThat(handle.getPrimary().getId()).isEqualTo(keyId(after));
    }
  }

  @Nested
  @DisplayName("arguments")
  class Arguments {
    private final TinkKeyProvider keys = builder().build();

    @Test
    @DisplayName("bad owners and null bytes are rejected naming the argument")
    void rejected() {
      assertThatThrownBy(() -> keys.seal(null, bytes("x"), bytes("ad")))
          .isInstanceOf(InvalidArgumentException.class)
          .satisfies(e -> assertThat(((InvalidArgumentException) e).argument()).isEqualTo("owner"));
      assertThatThrownBy(() -> keys.requireKey("has space"))
          .isInstanceOf(InvalidArgumentException.class);
      assertThatThrownBy(() -> keys.requireKey("x".repeat(101)))
          .isInstanceOf(InvalidArgumentException.class);
      assertThatThrownBy(() -> keys.seal(owner(), null, bytes("ad")))
          .isInstanceOf(InvalidArgumentException.class)
          .satisfies(
              e -> assertThat(((InvalidArgumentException) e).argument()).isEqualTo("plaintext"));
      assertThatThrownBy(() -> keys.open(owner(), bytes("x"), null))
          .isInstanceOf(InvalidArgumentException.class)
          .satisfies(
              e ->
                  assertThat(((InvalidArgumentException) e).argument())
                      .isEqualTo("associatedData"));
    }

    @Test
    @DisplayName("the builder names the missing or invalid setting")
    void builderChecks() {
      assertThatThrownBy(() -> TinkKeyProvider.builder().keysetStore(store).build())
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageStartingWith("masterKey");
      assertThatThrownBy(() -> TinkKeyProvider.builder().masterKey(masterKey).build())
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageStartingWith("keysetStore");
      assertThatThrownBy(() -> builder().cacheExpiry(Duration.ZERO).build())
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageStartingWith("cacheExpiry");
      assertThatThrownBy(() -> builder().maximumCachedOwners(0).build())
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageStartingWith("maximumCachedOwners");
      TinkKeyProvider keys = builder().cacheExpiry(Duration.ofSeconds(30)).build();
      assertThat(keys.cacheExpiry()).isEqualTo(Duration.ofSeconds(30));
      assertThat(keys.createsOnFirstUse()).isTrue();
      assertThat(keys.toString()).contains("ephemeral").contains("PT30S");
    }
  }
}
