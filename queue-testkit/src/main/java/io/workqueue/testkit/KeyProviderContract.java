package io.workqueue.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.workqueue.KeyDestroyedException;
import io.workqueue.TamperedDataException;
import io.workqueue.spi.KeyProvider;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link KeyProvider} passes. The provider under test creates owner keys on
 * first use. Each test uses fresh owners.
 */
public abstract class KeyProviderContract {

  /**
   * The provider under test, creating keys on first use.
   *
   * @return the provider
   */
  protected abstract KeyProvider keyProvider();

  private static String owner() {
    return "owner-" + UUID.randomUUID().toString().substring(0, 12);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  @DisplayName("a sealed payload opens with the same owner and associated data")
  void roundTrip() {
    String o = owner();
    keyProvider().requireKey(o);
    byte[] sealed = keyProvider().seal(o, bytes("secret-marker-42"), bytes("ad"));
    assertThat(new String(sealed, StandardCharsets.ISO_8859_1)).doesNotContain("secret-marker-42");
    assertThat(keyProvider().open(o, sealed, bytes("ad"))).isEqualTo(bytes("secret-marker-42"));
  }

  @Test
  @DisplayName("sealing the same payload twice gives different ciphertexts")
  void randomized() {
    String o = owner();
    byte[] a = keyProvider().seal(o, bytes("x"), bytes("ad"));
    byte[] b = keyProvider().seal(o, bytes("x"), bytes("ad"));
    assertThat(a).isNotEqualTo(b);
  }

  @Test
  @DisplayName("other associated data fails to open with TamperedDataException")
  void wrongAssociatedData() {
    String o = owner();
    byte[] sealed = keyProvider().seal(o, bytes("x"), bytes("ad-1"));
    assertThatThrownBy(() -> keyProvider().open(o, sealed, bytes("ad-2")))
        .isInstanceOf(TamperedDataException.class);
  }

  @Test
  @DisplayName("another owner cannot open a ciphertext")
  void ownerIsolation() {
    String a = owner();
    String b = owner();
    keyProvider().requireKey(b);
    byte[] sealed = keyProvider().seal(a, bytes("x"), bytes("ad"));
    assertThatThrownBy(() -> keyProvider().open(b, sealed, bytes("ad")))
        .isInstanceOf(TamperedDataException.class);
  }

  @Test
  @DisplayName("a flipped bit fails to open with TamperedDataException")
  void flippedBit() {
    String o = owner();
    byte[] sealed = keyProvider().seal(o, bytes("payload"), bytes("ad"));
    for (int i : new int[] {0, sealed.length / 2, sealed.length - 1}) {
      byte[] bad = Arrays.copyOf(sealed, sealed.length);
      bad[i] ^= 0x01;
      assertThatThrownBy(() -> keyProvider().open(o, bad, bytes("ad")))
          .as("bit flipped at %d", i)
          .isInstanceOf(TamperedDataException.class);
    }
    assertThatThrownBy(() -> keyProvider().open(o, new byte[3], bytes("ad")))
        .isInstanceOf(TamperedDataException.class);
  }

  @Test
  @DisplayName("after rotation old ciphertexts still open and new ones open too")
  void rotation() {
    String o = owner();
    byte[] before = keyProvider().seal(o, bytes("old"), bytes("ad"));
    keyProvider().rotate(o);
    byte[] after = keyProvider().seal(o, bytes("new"), bytes("ad"));
    assertThat(keyProvider().open(o, before, bytes("ad"))).isEqualTo(bytes("old"));
    assertThat(keyProvider().open(o, after, bytes("ad"))).isEqualTo(bytes("new"));
  }

  @Test
  @DisplayName("after destroy nothing of that owner opens or seals, and other owners go on")
  void destroy() {
    String o = owner();
    String other = owner();
    byte[] sealed = keyProvider().seal(o, bytes("x"), bytes("ad"));
    byte[] kept = keyProvider().seal(other, bytes("y"), bytes("ad"));
    keyProvider().destroy(o);
    assertThatThrownBy(() -> keyProvider().open(o, sealed, bytes("ad")))
        .isInstanceOf(KeyDestroyedException.class)
        .hasMessageContaining(o);
    assertThatThrownBy(() -> keyProvider().seal(o, bytes("x"), bytes("ad")))
        .isInstanceOf(KeyDestroyedException.class);
    assertThatThrownBy(() -> keyProvider().requireKey(o)).isInstanceOf(KeyDestroyedException.class);
    assertThat(keyProvider().open(other, kept, bytes("ad"))).isEqualTo(bytes("y"));
  }

  @Test
  @DisplayName("many threads seal and open at once for shared and separate owners")
  void concurrent() throws Exception {
    String shared = owner();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        String own = owner();
        fs.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 200; i++) {
                    for (String o : List.of(shared, own)) {
                      byte[] p = bytes(o + i);
                      byte[] s = keyProvider().seal(o, p, bytes("ad" + i));
                      assertThat(keyProvider().open(o, s, bytes("ad" + i))).isEqualTo(p);
                    }
                  }
                }));
      }
      for (Future<?> f : fs) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
