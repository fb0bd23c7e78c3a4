package io.workqueue.crypto;

import static io.workqueue.crypto.TestKeys.bytes;
import static io.workqueue.crypto.TestKeys.owner;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * What every {@link KeysetStore} promises, run against each implementation. Works on raw bytes: the
 * store never interprets them.
 */
abstract class KeysetStoreContract {

  /** The store under test; the same instance on every call of one test. */
  protected abstract KeysetStore store();

  /**
   * A second store instance over the same medium (another process or node would hold one), for the
   * races. Defaults to the same instance.
   */
  protected KeysetStore otherStore() {
    return store();
  }

  @Nested
  @DisplayName("createIfAbsent")
  class Create {
    @Test
    @DisplayName("an unknown owner reads as empty")
    void unknownOwner() {
      assertThat(store().read(owner())).isEmpty();
    }

    @Test
    @DisplayName("the first keyset is stored and returned")
    void first() {
      String o = owner();
      StoredKeyset r = store().createIfAbsent(o, bytes("keyset-1"));
      assertThat(r.holds(bytes("keyset-1"))).isTrue();
      assertThat(store().read(o)).contains(StoredKeyset.live(bytes("keyset-1")));
    }

    @Test
    @DisplayName("a second keyset never replaces the first; the caller gets the first back")
    void secondLoses() {
      String o = owner();
      store().createIfAbsent(o, bytes("keyset-1"));
      StoredKeyset r = otherStore().createIfAbsent(o, bytes("keyset-2"));
      assertThat(r).isEqualTo(StoredKeyset.live(bytes("keyset-1")));
      assertThat(store().read(o)).contains(StoredKeyset.live(bytes("keyset-1")));
    }

    @Test
    @DisplayName("a tombstone is never replaced by a new keyset")
    void tombstoneWins() {
      String o = owner();
      store().createIfAbsent(o, bytes("keyset-1"));
      store().destroy(o);
      StoredKeyset r = otherStore().createIfAbsent(o, bytes("keyset-2"));
      assertThat(r.isDestroyed()).isTrue();
      assertThat(store().read(o)).contains(StoredKeyset.destroyed());
    }

    @Test
    @DisplayName("creators racing on two store instances all get the one winner's keyset")
    void race() throws Exception {
      ExecutorService pool = Executors.newFixedThreadPool(6);
      try {
        for (int round = 0; round < 5; round++) {
          String o = owner();
          CyclicBarrier start = new CyclicBarrier(6);
          List<Future<StoredKeyset>> results = new ArrayList<>();
          for (int t = 0; t < 6; t++) {
            KeysetStore s = t % 2 == 0 ? store() : otherStore();
            byte[] mine = bytes("keyset-" + t);
            results.add(
                pool.submit(
                    () -> {
                      start.await(10, TimeUnit.SECONDS);
                      return s.createIfAbsent(o, mine);
                    }));
          }
          Set<StoredKeyset> seen = new HashSet<>();
          for (Future<StoredKeyset> f : results) {
            seen.add(f.get(60, TimeUnit.SECONDS));
          }
          assertThat(seen).hasSize(1);
          assertThat(store().read(o)).contains(seen.iterator().next());
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Nested
  @DisplayName("replace")
  class Replace {
    @Test
    @DisplayName("replaces when the expected keyset is current")
    void current() {
      String o = owner();
      store().createIfAbsent(o, bytes("v1"));
      assertThat(otherStore().replace(o, bytes("v1"), bytes("v2"))).isTrue();
      assertThat(store().read(o)).contains(StoredKeyset.live(bytes("v2")));
    }

    @Test
    @DisplayName("refuses a stale expectation and leaves the keyset alone")
    void stale() {
      String o = owner();
      store().createIfAbsent(o, bytes("v1"));
      store().replace(o, bytes("v1"), bytes("v2"));
      assertThat(otherStore().replace(o, bytes("v1"), bytes("v3"))).isFalse();
      assertThat(store().read(o)).contains(StoredKeyset.live(bytes("v2")));
    }

    @Test
    @DisplayName("refuses an absent owner and creates nothing")
    void absent() {
      String o = owner();
      assertThat(store().replace(o, bytes("v1"), bytes("v2"))).isFalse();
      assertThat(store().read(o)).isEmpty();
    }

    @Test
    @DisplayName("never overwrites a tombstone")
    void tombstone() {
      String o = owner();
      store().createIfAbsent(o, bytes("v1"));
      store().destroy(o);
      assertThat(otherStore().replace(o, bytes("v1"), bytes("v2"))).isFalse();
      assertThat(store().read(o)).contains(StoredKeyset.destroyed());
    }

    @Test
    @DisplayName("concurrent read-modify-replace loops lose no update")
    void noLostUpdate() throws Exception {
      String o = owner();
      store().createIfAbsent(o, new byte[] {0});
      int threads = 4;
      int perThread = 5;
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        List<Future<?>> fs = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          KeysetStore s = t % 2 == 0 ? store() : otherStore();
          byte mark = (byte) (t + 1);
          fs.add(
              pool.submit(
                  () -> {
                    for (int i = 0; i < perThread; i++) {
                      while (true) {
                        byte[] cur = s.read(o).orElseThrow().encryptedKeyset().orElseThrow();
                        byte[] next = Arrays.copyOf(cur, cur.length + 1);
                        next[cur.length] = mark;
                        if (s.replace(o, cur, next)) {
                          break;
                        }
                      }
                    }
                    return null;
                  }));
        }
        for (Future<?> f : fs) {
          f.get(120, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }
      byte[] end = store().read(o).orElseThrow().encryptedKeyset().orElseThrow();
      assertThat(end).hasSize(1 + threads * perThread);
      for (int t = 1; t <= threads; t++) {
        int count = 0;
        for (byte b : end) {
          count += b == t ? 1 : 0;
        }
        assertThat(count).as("updates of thread %d", t).isEqualTo(perThread);
      }
    }
  }

  @Nested
  @DisplayName("destroy")
  class Destroy {
    @Test
    @DisplayName("replaces the keyset by a tombstone that holds no keyset bytes")
    void live() {
      String o = owner();
      store().createIfAbsent(o, bytes("keyset-1"));
      otherStore().destroy(o);
      StoredKeyset r = store().read(o).orElseThrow();
      assertThat(r.isDestroyed()).isTrue();
      assertThat(r.encryptedKeyset()).isEmpty();
    }

    @Test
    @DisplayName("leaves a tombstone for an owner never seen, and is idempotent")
    void unknownAndTwice() {
      String o = owner();
      store().destroy(o);
      store().destroy(o);
      assertThat(store().read(o)).contains(StoredKeyset.destroyed());
    }

    @Test
    @DisplayName("leaves other owners alone")
    void others() {
      String a = owner();
      String b = owner();
      store().createIfAbsent(a, bytes("a"));
      store().createIfAbsent(b, bytes("b"));
      store().destroy(a);
      assertThat(store().read(b)).contains(StoredKeyset.live(bytes("b")));
    }
  }
}
