package io.workqueue.testkit;

import io.workqueue.KeyDestroyedException;
import io.workqueue.KeyUnavailableException;
import io.workqueue.TamperedDataException;
import io.workqueue.spi.KeyProvider;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * A {@link KeyProvider} in memory that really encrypts: AES-256-GCM from the JDK, a fresh 96-bit
 * nonce per seal, one key list per owner created on first use. Ciphertext layout: 1-byte key id,
 * 12-byte nonce, ciphertext with tag. Supports rotation and destruction. Thread-safe; keys live
 * only as long as the instance.
 */
public final class InMemoryKeyProvider implements KeyProvider {
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;

  private final SecureRandom random = new SecureRandom();
  private final Map<String, List<SecretKey>> keys = new ConcurrentHashMap<>();
  private final Set<String> destroyed = ConcurrentHashMap.newKeySet();
  private final boolean createOnFirstUse;

  /** A provider that creates an owner's key on first use. */
  public InMemoryKeyProvider() {
    this(true);
  }

  /**
   * A provider.
   *
   * @param createOnFirstUse whether a missing owner key is created (else {@link
   *     KeyUnavailableException})
   */
  public InMemoryKeyProvider(boolean createOnFirstUse) {
    this.createOnFirstUse = createOnFirstUse;
  }

  private List<SecretKey> keysOf(String owner) {
    if (destroyed.contains(owner)) {
      throw new KeyDestroyedException(owner);
    }
    List<SecretKey> list = keys.get(owner);
    if (list != null) {
      return list;
    }
    if (!createOnFirstUse) {
      throw new KeyUnavailableException(owner, "has no key and creation on first use is off", null);
    }
    return keys.computeIfAbsent(owner, o -> new ArrayList<>(List.of(newKey())));
  }

  private SecretKey newKey() {
    try {
      KeyGenerator g = KeyGenerator.getInstance("AES");
      g.init(256, random);
      return g.generateKey();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-256 is not available in this JDK", e);
    }
  }

  @Override
  public void requireKey(String owner) {
    keysOf(owner);
  }

  @Override
  public byte[] seal(String owner, byte[] plaintext, byte[] associatedData) {
    List<SecretKey> list = keysOf(owner);
    int keyId;
    SecretKey key;
    synchronized (list) {
      keyId = list.size() - 1;
      key = list.get(keyId);
    }
    byte[] nonce = new byte[NONCE_BYTES];
    random.nextBytes(nonce);
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      c.updateAAD(associatedData);
      byte[] ct = c.doFinal(plaintext);
      return ByteBuffer.allocate(1 + NONCE_BYTES + ct.length)
          .put((byte) keyId)
          .put(nonce)
          .put(ct)
          .array();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM failed", e);
    }
  }

  @Override
  public byte[] open(String owner, byte[] ciphertext, byte[] associatedData) {
    List<SecretKey> list = keysOf(owner);
    if (ciphertext.length < 1 + NONCE_BYTES + TAG_BITS / 8) {
      throw new TamperedDataException("ciphertext of owner '" + owner + "' is too short", null);
    }
    int keyId = ciphertext[0] & 0xff;
    SecretKey key;
    synchronized (list) {
      if (keyId >= list.size()) {
        throw new TamperedDataException(
            "ciphertext of owner '" + owner + "' names a key the owner does not have", null);
      }
      key = list.get(keyId);
    }
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, ciphertext, 1, NONCE_BYTES));
      c.updateAAD(associatedData);
      return c.doFinal(ciphertext, 1 + NONCE_BYTES, ciphertext.length - 1 - NONCE_BYTES);
    } catch (AEADBadTagException e) {
      throw new TamperedDataException(
          "ciphertext of owner '" + owner + "' failed authentication (changed or moved)", e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM failed", e);
    }
  }

  @Override
  public void rotate(String owner) {
    List<SecretKey> list = keysOf(owner);
    synchronized (list) {
      if (list.size() >= 255) {
        throw new IllegalStateException("owner '" + owner + "' has 255 keys, the in-memory limit");
      }
      list.add(newKey());
    }
  }

  @Override
  public void destroy(String owner) {
    destroyed.add(owner);
    keys.remove(owner);
  }
}
