package io.workqueue.crypto;

import static io.workqueue.crypto.TestKeys.bytes;
import static io.workqueue.crypto.TestKeys.owner;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.workqueue.BackendUnavailableException;
import io.workqueue.InvalidArgumentException;
import io.workqueue.KeyUnavailableException;
import io.workqueue.TamperedDataException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("DirectoryKeysetStore")
class DirectoryKeysetStoreTest {

  @Nested
  @DisplayName("passes the keyset store contract")
  class Contract extends KeysetStoreContract {
    @TempDir Path dir;
    private DirectoryKeysetStore store;
    private DirectoryKeysetStore other;

    @BeforeEach
    void open() {
      store = DirectoryKeysetStore.of(dir);
      other = DirectoryKeysetStore.of(dir);
    }

    @Override
    protected KeysetStore store() {
      return store;
    }

    @Override
    protected KeysetStore otherStore() {
      return other;
    }
  }

  @Nested
  @DisplayName("under TinkKeyProvider passes the key provider contract")
  class Provider extends TinkKeyProviderStoreTest {
    @TempDir Path dir;

    @Override
    protected KeysetStore newStore() {
      return DirectoryKeysetStore.of(dir);
    }
  }

  @Nested
  @DisplayName("on disk")
  class OnDisk {
    @TempDir Path dir;
    private final MasterKey masterKey = MasterKey.generateEphemeral();

    private TinkKeyProvider provider() {
      return TinkKeyProvider.builder()
          .masterKey(masterKey)
          .keysetStore(DirectoryKeysetStore.of(dir))
          .build();
    }

    @Test
    @DisplayName("keeps one file per owner, owners differing in case apart, no temporary files")
    void files() throws Exception {
      DirectoryKeysetStore store = DirectoryKeysetStore.of(dir);
      assertThat(store.fileOf("Acme").getFileName().toString()).isEqualTo("+acme.keyset");
      assertThat(store.fileOf("acme.eu_1").getFileName().toString()).isEqualTo("acme.eu_1.keyset");
      TinkKeyProvider p = provider();
      byte[] upper = p.seal("Acme", bytes("upper"), bytes("ad"));
      byte[] lower = p.seal("acme", bytes("lower"), bytes("ad"));
      p.rotate("acme");
      assertThatThrownBy(() -> p.open("acme", upper, bytes("ad")))
          .isInstanceOf(TamperedDataException.class);
      assertThat(p.open("acme", lower, bytes("ad"))).isEqualTo(bytes("lower"));
      try (Stream<Path> files = Files.list(dir)) {
        assertThat(files.map(f -> f.getFileName().toString()).sorted().toList())
            .containsExactly("+acme.keyset", ".lock", "acme.keyset");
      }
      if (dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
        assertThat(
                PosixFilePermissions.toString(Files.getPosixFilePermissions(store.fileOf("acme"))))
            .isEqualTo("rw-------");
      }
    }

    @Test
    @DisplayName("rejects owner ids that could leave the directory")
    void badOwner() {
      DirectoryKeysetStore store = DirectoryKeysetStore.of(dir);
      for (String bad : List.of("../x", "a/b", ".hidden", "", "a b")) {
        assertThatThrownBy(() -> store.read(bad))
            .as(bad)
            .isInstanceOf(InvalidArgumentException.class);
      }
    }

    @Test
    @DisplayName("keys and tombstones survive a restart")
    void restart() {
      String kept = owner();
      String shredded = owner();
      TinkKeyProvider before = provider();
      byte[] sealed = before.seal(kept, bytes("kept"), bytes("ad"));
      byte[] gone = before.seal(shredded, bytes("gone"), bytes("ad"));
      before.destroy(shredded);

      TinkKeyProvider after = provider();
      assertThat(after.open(kept, sealed, bytes("ad"))).isEqualTo(bytes("kept"));
      assertThatThrownBy(() -> after.open(shredded, gone, bytes("ad")))
          .isInstanceOf(KeyUnavailableException.class);
      assertThatThrownBy(() -> after.seal(shredded, bytes("again"), bytes("ad")))
          .isInstanceOf(KeyUnavailableException.class);
    }

    @Test
    @DisplayName("a corrupt keyset file gives KeyUnavailableException naming the owner")
    void corruptKeyset() throws Exception {
      String o = owner();
      byte[] sealed = provider().seal(o, bytes("x"), bytes("ad"));
      Path file = DirectoryKeysetStore.of(dir).fileOf(o);
      byte[] content = Files.readAllBytes(file);
      content[content.length - 3] ^= 0x40;
      Files.write(file, content);
      assertThatThrownBy(() -> provider().open(o, sealed, bytes("ad")))
          .isInstanceOf(KeyUnavailableException.class)
          .hasMessageContaining("master key cannot open the keyset of owner '" + o + "'");
      // Nothing silently replaced the damaged keyset.
      assertThat(Files.readAllBytes(file)).isEqualTo(content);
    }

    @Test
    @DisplayName("a file with a damaged header or cut short is reported as corrupt")
    void corruptHeader() throws Exception {
      String o = owner();
      provider().requireKey(o);
      Path file = DirectoryKeysetStore.of(dir).fileOf(o);
      byte[] content = Files.readAllBytes(file);
      content[0] = 'X';
      Files.write(file, content);
      assertThatThrownBy(() -> provider().requireKey(o))
          .isInstanceOf(KeyUnavailableException.class)
          .hasMessageContaining(o)
          .hasMessageContaining("corrupt");
      Files.write(file, new byte[0]);
      assertThatThrownBy(() -> provider().requireKey(o))
          .isInstanceOf(KeyUnavailableException.class)
          .hasMessageContaining("corrupt");
    }

    @Test
    @DisplayName("a directory that is gone gives BackendUnavailableException for keyset-store")
    void directoryGone() throws Exception {
      Path sub = dir.resolve("keys");
      DirectoryKeysetStore store = DirectoryKeysetStore.of(sub);
      TinkKeyProvider p = TinkKeyProvider.builder().masterKey(masterKey).keysetStore(store).build();
      Files.delete(sub); // still empty: nothing was written yet
      Files.writeString(sub, "not a directory any more");
      assertThatThrownBy(() -> p.seal(owner(), bytes("x"), bytes("ad")))
          .isInstanceOf(BackendUnavailableException.class)
          .satisfies(
              e ->
                  assertThat(((BackendUnavailableException) e).backend())
                      .isEqualTo("keyset-store"));
    }
  }
}
