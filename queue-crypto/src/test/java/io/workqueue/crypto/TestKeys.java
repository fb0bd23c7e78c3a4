package io.workqueue.crypto;

import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.TinkProtoKeysetFormat;
import com.google.crypto.tink.aead.AesGcmKey;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Small helpers of the tests: fresh owners, bytes, and a look inside stored keysets. */
final class TestKeys {
  private TestKeys() {}

  static String owner() {
    return "owner-" + UUID.randomUUID().toString().substring(0, 12);
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** The Tink key id in a ciphertext's 5-byte prefix. */
  static int keyId(byte[] ciphertext) {
    return ((ciphertext[1] & 0xff) << 24)
        | ((ciphertext[2] & 0xff) << 16)
        | ((ciphertext[3] & 0xff) << 8)
        | (ciphertext[4] & 0xff);
  }

  /** Opens a stored keyset with the master key, as the provider does. */
  static KeysetHandle openStored(MasterKey masterKey, String owner, byte[] encrypted)
      throws GeneralSecurityException {
    return TinkProtoKeysetFormat.parseEncryptedKeyset(
        encrypted, masterKey.aead(), ("wq1-keyset|" + owner).getBytes(StandardCharsets.UTF_8));
  }

  /** The raw AES key bytes of every key in a keyset. */
  static List<byte[]> rawKeys(KeysetHandle handle) {
    List<byte[]> keys = new ArrayList<>();
    for (int i = 0; i < handle.size(); i++) {
      AesGcmKey key = (AesGcmKey) handle.getAt(i).getKey();
      keys.add(key.getKeyBytes().toByteArray(InsecureSecretKeyAccess.get()));
    }
    return keys;
  }

  /** Whether {@code haystack} contains {@code needle} as a contiguous run. */
  static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
