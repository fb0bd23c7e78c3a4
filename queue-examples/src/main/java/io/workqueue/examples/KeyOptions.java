package io.workqueue.examples;

import io.workqueue.InvalidArgumentException;
import io.workqueue.crypto.DirectoryKeysetStore;
import io.workqueue.crypto.MasterKey;
import io.workqueue.crypto.TinkKeyProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * Which keys seal and open the tasks: the same flags (and environment variables) for the demo and
 * the CLI, so that the CLI opens what the demo sealed when both are given the same settings.
 *
 * <p>Each owner's Tink keyset lives in a file of a keyset directory ({@link DirectoryKeysetStore}),
 * sealed under a master key that comes from a cleartext Tink keyset file ({@code
 * --master-key-file}, for development) or from an environment variable holding the keyset base64
 * encoded ({@value Environment#MASTER_KEY} unless {@code --master-key-env} names another). Without
 * any of these, there are no persistent keys: the demo then uses an ephemeral master key and
 * in-memory keysets, and the CLI refuses commands that seal or open tasks.
 */
final class KeyOptions {
  @Option(
      names = "--keyset-dir",
      paramLabel = "DIR",
      scope = ScopeType.INHERIT,
      description =
          "Directory of the owners' keysets, sealed under the master key (env "
              + Environment.KEYSET_DIR
              + ").")
  Path keysetDir;

  @Option(
      names = "--master-key-file",
      paramLabel = "FILE",
      scope = ScopeType.INHERIT,
      description =
          "Master key: a cleartext Tink AEAD keyset in JSON, for development (env "
              + Environment.MASTER_KEY_FILE
              + "; make one with 'new-master-key').")
  Path masterKeyFile;

  @Option(
      names = "--master-key-env",
      paramLabel = "VARIABLE",
      scope = ScopeType.INHERIT,
      description =
          "Master key: the environment variable holding a base64 Tink AEAD keyset (default "
              + Environment.MASTER_KEY
              + ", used when set).")
  String masterKeyEnv;

  /**
   * The key provider these settings describe.
   *
   * @param env the environment, for the master key variable
   * @param createOnFirstUse whether an owner without keyset gets one (for adds)
   * @return the provider, or empty when no key setting was given at all
   * @throws InvalidArgumentException when the settings are incomplete or do not hold a key
   */
  Optional<TinkKeyProvider> keyProvider(Environment env, boolean createOnFirstUse) {
    Optional<MasterKey> master = masterKey(env);
    if (keysetDir == null && master.isEmpty()) {
      return Optional.empty();
    }
    if (keysetDir == null) {
      throw new InvalidArgumentException(
          "--keyset-dir",
          "a master key was given but no keyset directory: add --keyset-dir DIR (env "
              + Environment.KEYSET_DIR
              + ")");
    }
    if (master.isEmpty()) {
      throw new InvalidArgumentException(
          "--master-key-file",
          "the keyset directory "
              + keysetDir
              + " needs the master key its keysets are sealed with: add --master-key-file FILE"
              + " (env "
              + Environment.MASTER_KEY_FILE
              + ") or set "
              + Environment.MASTER_KEY
              + " to the base64 keyset");
    }
    return Optional.of(
        TinkKeyProvider.builder()
            .masterKey(master.get())
            .keysetStore(DirectoryKeysetStore.of(keysetDir))
            .createOnFirstUse(createOnFirstUse)
            .build());
  }

  private Optional<MasterKey> masterKey(Environment env) {
    if (masterKeyFile != null) {
      if (!Files.isRegularFile(masterKeyFile)) {
        throw new InvalidArgumentException(
            "--master-key-file",
            masterKeyFile
                + " does not exist: create one with 'java -jar workqueue-cli.jar new-master-key "
                + masterKeyFile
                + "' (development only)");
      }
      return Optional.of(MasterKey.fromCleartextKeysetFile(masterKeyFile));
    }
    String variable = masterKeyEnv != null ? masterKeyEnv : Environment.MASTER_KEY;
    String value = env.get(variable);
    if (value == null) {
      if (masterKeyEnv != null) {
        throw new InvalidArgumentException(
            "--master-key-env", "the environment variable " + variable + " is not set");
      }
      return Optional.empty();
    }
    try {
      return Optional.of(MasterKey.fromBase64Keyset(value));
    } catch (InvalidArgumentException e) {
      // The library's message never repeats the value; name the variable instead of the argument.
      throw new InvalidArgumentException(
          "--master-key-env",
          "the environment variable " + variable + " holds no base64 Tink AEAD keyset");
    }
  }

  /** Says which keys are configured, never key material. */
  String describe() {
    String master =
        masterKeyFile != null
            ? "master key file " + masterKeyFile
            : "master key from $" + (masterKeyEnv != null ? masterKeyEnv : Environment.MASTER_KEY);
    return "keysets in " + keysetDir + ", " + master;
  }
}
