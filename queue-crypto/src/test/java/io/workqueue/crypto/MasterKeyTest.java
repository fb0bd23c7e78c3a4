package io.workqueue.crypto;

import static io.workqueue.crypto.TestKeys.bytes;
import static io.workqueue.crypto.TestKeys.owner;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.KmsClient;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.TinkProtoKeysetFormat;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import com.google.crypto.tink.mac.MacConfig;
import com.google.crypto.tink.mac.PredefinedMacParameters;
import io.workqueue.InvalidArgumentException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("MasterKey")
class MasterKeyTest {
  @TempDir Path dir;

  private static KeysetHandle aeadKeyset() throws Exception {
    TinkRegistration.ensure();
    return KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM);
  }

  /** Seals with one master key and opens with another over the same store. */
  private static void sameKey(MasterKey a, MasterKey b) {
    InMemoryKeysetStore store = new InMemoryKeysetStore();
    String o = owner();
    byte[] sealed =
        TinkKeyProvider.builder()
            .masterKey(a)
            .keysetStore(store)
            .build()
            .seal(o, bytes("x"), bytes("ad"));
    byte[] opened =
        TinkKeyProvider.builder()
            .masterKey(b)
            .keysetStore(store)
            .build()
            .open(o, sealed, bytes("ad"));
    assertThat(opened).isEqualTo(bytes("x"));
  }

  @Test
  @DisplayName("a new cleartext keyset file is private to its user and reads back as the same key")
  void cleartextFile() throws Exception {
    Path file = dir.resolve("master.json");
    MasterKey written = MasterKey.writeNewCleartextKeysetFile(file);
    MasterKey read = MasterKey.fromCleartextKeysetFile(file);
    sameKey(written, read);
    assertThat(Files.readString(file)).contains("\"primaryKeyId\"");
    if (dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
          .isEqualTo("rw-------");
    }
    assertThatThrownBy(() -> MasterKey.writeNewCleartextKeysetFile(file))
        .isInstanceOf(InvalidArgumentException.class);
    assertThat(read.toString()).contains(file.toString()).doesNotContain("keyData");
  }

  @Test
  @DisplayName("a missing or unparsable keyset file is rejected naming the argument")
  void badFile() throws Exception {
    assertThatThrownBy(() -> MasterKey.fromCleartextKeysetFile(dir.resolve("missing.json")))
        .isInstanceOf(InvalidArgumentException.class)
        .hasMessageStartingWith("file");
    Path junk = Files.writeString(dir.resolve("junk.json"), "{\"not\": \"a keyset\"}");
    assertThatThrownBy(() -> MasterKey.fromCleartextKeysetFile(junk))
        .isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("not a Tink keyset");
  }

  @Test
  @DisplayName("a base64 keyset in binary or JSON form gives the same key")
  void base64() throws Exception {
    KeysetHandle handle = aeadKeyset();
    String binary =
        Base64.getEncoder()
            .encodeToString(
                TinkProtoKeysetFormat.serializeKeyset(handle, InsecureSecretKeyAccess.get()));
    String json =
        Base64.getEncoder()
            .encodeToString(
                TinkJsonProtoKeysetFormat.serializeKeyset(handle, InsecureSecretKeyAccess.get())
                    .getBytes(StandardCharsets.UTF_8));
    MasterKey fromBinary = MasterKey.fromBase64Keyset(binary);
    sameKey(fromBinary, MasterKey.fromBase64Keyset(json));
    sameKey(fromBinary, MasterKey.fromEnvironment("WQ_MASTER", Map.of("WQ_MASTER", binary)));
    assertThat(fromBinary.toString()).doesNotContain(binary.substring(0, 16));
  }

  @Test
  @DisplayName("bad base64 or an unset variable is rejected without repeating the value")
  void badBase64() {
    assertThatThrownBy(() -> MasterKey.fromBase64Keyset("secret-but-not-base64!!"))
        .isInstanceOf(InvalidArgumentException.class)
        .hasMessageNotContaining("secret");
    String notAKeyset = Base64.getEncoder().encodeToString(bytes("secret-stuff-not-a-keyset"));
    assertThatThrownBy(() -> MasterKey.fromBase64Keyset(notAKeyset))
        .isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("not a Tink keyset")
        .hasMessageNotContaining(notAKeyset);
    assertThatThrownBy(() -> MasterKey.fromEnvironment("WQ_MASTER", Map.of()))
        .isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("WQ_MASTER is not set");
    assertThatThrownBy(() -> MasterKey.fromEnvironment("WORKQUEUE_TEST_SURELY_UNSET_4711"))
        .isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("WORKQUEUE_TEST_SURELY_UNSET_4711");
  }

  @Test
  @DisplayName("a keyset of another primitive (MAC) is rejected")
  void notAead() throws Exception {
    MacConfig.register();
    KeysetHandle mac = KeysetHandle.generateNew(PredefinedMacParameters.HMAC_SHA256_256BITTAG);
    String encoded =
        Base64.getEncoder()
            .encodeToString(
                TinkProtoKeysetFormat.serializeKeyset(mac, InsecureSecretKeyAccess.get()));
    assertThatThrownBy(() -> MasterKey.fromBase64Keyset(encoded))
        .isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("not an AEAD keyset");
  }

  @Test
  @DisplayName("a KMS client gives the master key for the URIs it supports")
  void kms() throws Exception {
    Aead inKms = aeadKeyset().getPrimitive(RegistryConfiguration.get(), Aead.class);
    KmsClient client =
        new KmsClient() {
          @Override
          public boolean doesSupport(String keyUri) {
            return keyUri.startsWith("fake-kms://");
          }

          @Override
          public KmsClient withCredentials(String credentialPath) {
            return this;
          }

          @Override
          public KmsClient withDefaultCredentials() {
            return this;
          }

          @Override
          public Aead getAead(String keyUri) {
            return inKms;
          }
        };
    MasterKey key = MasterKey.fromKms(client, "fake-kms://key-1");
    assertThat(key.description()).isEqualTo("fake-kms://key-1");
    sameKey(key, MasterKey.of(inKms, "same key, other wrapper"));
    assertThatThrownBy(() -> MasterKey.fromKms(client, "aws-kms://other"))
        .isInstanceOf(InvalidArgumentException.class)
        .hasMessageStartingWith("keyUri");
  }

  @Test
  @DisplayName("two ephemeral keys differ")
  void ephemeral() {
    assertThatThrownBy(() -> sameKey(MasterKey.generateEphemeral(), MasterKey.generateEphemeral()))
        .isInstanceOf(io.workqueue.KeyUnavailableException.class);
  }
}
