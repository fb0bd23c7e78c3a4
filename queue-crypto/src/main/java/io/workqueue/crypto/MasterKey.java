package io.workqueue.crypto;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.KmsClient;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.TinkProtoKeysetFormat;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import io.workqueue.InvalidArgumentException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;

/**
 * The key-encryption key that {@link TinkKeyProvider} encrypts every owner's keyset with before the
 * keyset reaches a {@link KeysetStore}. It comes from the host, in one of these ways:
 *
 * <ul>
 *   <li>{@link #fromKms(KmsClient, String)} or {@link #of(Aead, String)}: a key in a KMS or HSM;
 *       the key never enters this process. The production choice.
 *   <li>{@link #fromEnvironment(String)} / {@link #fromBase64Keyset(String)}: a Tink AEAD keyset in
 *       the clear, base64-encoded, for example injected by a secrets manager. The key lives in this
 *       process's memory and environment.
 *   <li>{@link #fromCleartextKeysetFile(Path)}: a Tink AEAD keyset in the clear as a JSON file.
 *       <b>For development only</b>: anyone who can read the file and the keyset store can read
 *       every task.
 *   <li>{@link #generateEphemeral()}: a random key that lives only in this object, for tests.
 * </ul>
 *
 * <p>Whoever holds the master key and a copy of the keyset store can open every owner's data,
 * except owners whose keysets were destroyed before the copy was made. Immutable and thread-safe;
 * {@link #toString()} shows the description, never key material.
 */
public final class MasterKey {
  private final Aead aead;
  private final String description;

  private MasterKey(Aead aead, String description) {
    this.aead = aead;
    this.description = description;
  }

  /**
   * A master key the host already has as a Tink {@link Aead}, for example from its own KMS client
   * or an HSM.
   *
   * @param aead the key-encryption cipher
   * @param description says in logs and messages which key this is (a key URI, an alias); never key
   *     material
   * @return the master key
   * @throws InvalidArgumentException when an argument is null
   */
  public static MasterKey of(Aead aead, String description) {
    if (aead == null) {
      throw new InvalidArgumentException("aead", "must not be null");
    }
    if (description == null) {
      throw new InvalidArgumentException("description", "must not be null");
    }
    return new MasterKey(aead, description);
  }

  /**
   * A master key held in a KMS (AWS KMS, Google Cloud KMS, HashiCorp Vault, ... through their Tink
   * extensions): every keyset is encrypted and decrypted by the KMS, once per owner and cache
   * expiry.
   *
   * @param client the host's KMS client, with its credentials
   * @param keyUri the key's URI, for example {@code aws-kms://arn:aws:kms:...}
   * @return the master key
   * @throws InvalidArgumentException when the client does not support the URI or cannot give a
   *     cipher for it
   */
  public static MasterKey fromKms(KmsClient client, String keyUri) {
    if (client == null) {
      throw new InvalidArgumentException("client", "must not be null");
    }
    if (keyUri == null || keyUri.isBlank()) {
      throw new InvalidArgumentException("keyUri", "must not be blank");
    }
    if (!client.doesSupport(keyUri)) {
      throw new InvalidArgumentException(
          "keyUri", "'" + keyUri + "' is not supported by the KMS client " + client);
    }
    try {
      return new MasterKey(client.getAead(keyUri), keyUri);
    } catch (GeneralSecurityException e) {
      throw new InvalidArgumentException(
          "keyUri", "the KMS client gives no cipher for '" + keyUri + "': " + e.getMessage(), e);
    }
  }

  /**
   * A master key from a Tink AEAD keyset in the clear, in Tink's JSON format (as written by {@code
   * tinkey create-keyset --key-template AES256_GCM --out-format json} or {@link
   * #writeNewCleartextKeysetFile(Path)}). <b>For development only</b>: the file holds the key in
   * the clear.
   *
   * @param file the JSON keyset file
   * @return the master key
   * @throws InvalidArgumentException when the file cannot be read or holds no AEAD keyset
   */
  public static MasterKey fromCleartextKeysetFile(Path file) {
    if (file == null) {
      throw new InvalidArgumentException("file", "must not be null");
    }
    String json;
    try {
      json = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new InvalidArgumentException(
          "file", "cannot read the master keyset file " + file + ": " + e, e);
    }
    return parse("file", json.getBytes(StandardCharsets.UTF_8), "cleartext keyset file " + file);
  }

  /**
   * A master key from an environment variable holding a Tink AEAD keyset in the clear, base64
   * encoded (binary or JSON keyset format).
   *
   * @param variable the variable's name
   * @return the master key
   * @throws InvalidArgumentException when the variable is unset or holds no AEAD keyset (the
   *     message names the variable, never its value)
   */
  public static MasterKey fromEnvironment(String variable) {
    return fromEnvironment(variable, System.getenv());
  }

  static MasterKey fromEnvironment(String variable, Map<String, String> environment) {
    if (variable == null || variable.isBlank()) {
      throw new InvalidArgumentException("variable", "must not be blank");
    }
    String value = environment.get(variable);
    if (value == null || value.isBlank()) {
      throw new InvalidArgumentException(
          "variable", "the environment variable " + variable + " is not set");
    }
    return base64("variable", value, "environment variable " + variable);
  }

  /**
   * A master key from a Tink AEAD keyset in the clear, base64 encoded (binary or JSON keyset
   * format), for example read from a secrets manager.
   *
   * @param base64Keyset the encoded keyset
   * @return the master key
   * @throws InvalidArgumentException when the text is not base64 or holds no AEAD keyset (the
   *     message never repeats the text)
   */
  public static MasterKey fromBase64Keyset(String base64Keyset) {
    if (base64Keyset == null) {
      throw new InvalidArgumentException("base64Keyset", "must not be null");
    }
    return base64("base64Keyset", base64Keyset, "base64 keyset");
  }

  /**
   * A fresh random AES-256-GCM master key that exists only in this object: whatever a provider
   * seals under it cannot be opened once the object is gone. For tests and demos.
   *
   * @return the master key
   */
  public static MasterKey generateEphemeral() {
    TinkRegistration.ensure();
    try {
      KeysetHandle handle = KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM);
      return new MasterKey(aeadOf(handle), "ephemeral");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Tink cannot generate an AES-256-GCM key", e);
    }
  }

  /**
   * Writes a new random AES-256-GCM keyset in the clear to a new JSON file (readable by its owning
   * OS user only, where supported), for {@link #fromCleartextKeysetFile(Path)}. <b>For development
   * only.</b>
   *
   * @param file the file to create; must not exist
   * @return the master key in the file
   * @throws InvalidArgumentException when the file exists or cannot be written
   */
  public static MasterKey writeNewCleartextKeysetFile(Path file) {
    if (file == null) {
      throw new InvalidArgumentException("file", "must not be null");
    }
    TinkRegistration.ensure();
    try {
      KeysetHandle handle = KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM);
      String json =
          TinkJsonProtoKeysetFormat.serializeKeyset(handle, InsecureSecretKeyAccess.get());
      if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
        Files.createFile(
            file,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      } else {
        Files.createFile(file);
      }
      Files.writeString(file, json, StandardCharsets.UTF_8);
      return new MasterKey(aeadOf(handle), "cleartext keyset file " + file);
    } catch (IOException e) {
      throw new InvalidArgumentException("file", "cannot create " + file + ": " + e, e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Tink cannot generate an AES-256-GCM key", e);
    }
  }

  /**
   * The key-encryption cipher.
   *
   * @return the cipher
   */
  Aead aead() {
    return aead;
  }

  /**
   * Which key this is, for logs and messages.
   *
   * @return the description given or derived at creation; never key material
   */
  public String description() {
    return description;
  }

  @Override
  public String toString() {
    return "MasterKey[" + description + "]";
  }

  // ------------------------------------------------------------------------------------ parsing

  private static MasterKey base64(String argument, String text, String description) {
    byte[] bytes;
    try {
      bytes = Base64.getMimeDecoder().decode(text.strip());
    } catch (IllegalArgumentException e) {
      // The decoder's message quotes a character of the input: leave it out.
      throw new InvalidArgumentException(argument, "the " + description + " is not base64");
    }
    return parse(argument, bytes, description);
  }

  /** Parses a cleartext keyset in JSON (starts with '{') or binary format. */
  private static MasterKey parse(String argument, byte[] keyset, String description) {
    TinkRegistration.ensure();
    KeysetHandle handle;
    try {
      handle =
          startsWithBrace(keyset)
              ? TinkJsonProtoKeysetFormat.parseKeyset(
                  new String(keyset, StandardCharsets.UTF_8), InsecureSecretKeyAccess.get())
              : TinkProtoKeysetFormat.parseKeyset(keyset, InsecureSecretKeyAccess.get());
    } catch (GeneralSecurityException | RuntimeException e) {
      // Parser messages may quote parts of the input, which is key material: no cause, no detail.
      throw new InvalidArgumentException(argument, "the " + description + " is not a Tink keyset");
    }
    try {
      return new MasterKey(aeadOf(handle), description);
    } catch (GeneralSecurityException e) {
      throw new InvalidArgumentException(
          argument,
          "the "
              + description
              + " is not an AEAD keyset (use the key template AES256_GCM): "
              + e.getMessage());
    }
  }

  private static boolean startsWithBrace(byte[] bytes) {
    for (byte b : bytes) {
      if (!Character.isWhitespace(b)) {
        return b == '{';
      }
    }
    return false;
  }

  private static Aead aeadOf(KeysetHandle handle) throws GeneralSecurityException {
    TinkRegistration.ensure();
    return Objects.requireNonNull(handle.getPrimitive(RegistryConfiguration.get(), Aead.class));
  }
}
