package io.workqueue.crypto;

import com.github.benmanes.caffeine.cache.CacheLoader;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;
import com.github.benmanes.caffeine.cache.Ticker;
import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkProtoKeysetFormat;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import io.workqueue.BackendUnavailableException;
import io.workqueue.InvalidArgumentException;
import io.workqueue.KeyDestroyedException;
import io.workqueue.KeyUnavailableException;
import io.workqueue.QueueException;
import io.workqueue.TamperedDataException;
import io.workqueue.spi.KeyProvider;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link KeyProvider} on Google Tink: every owner has its own Tink keyset of AES-256-GCM keys
 * (96-bit random nonce, 128-bit tag, Tink's 5-byte key-id prefix), created on first use unless that
 * is turned off. Keysets are kept in a {@link KeysetStore}, encrypted under a {@link MasterKey}
 * with the owner as associated data, so a keyset copied to another owner's slot does not open.
 *
 * <pre>{@code
 * TinkKeyProvider keys = TinkKeyProvider.builder()
 *     .masterKey(MasterKey.fromKms(kmsClient, "aws-kms://arn:aws:kms:..."))
 *     .keysetStore(CassandraKeysetStore.builder().session(session).keyspace("wq").build())
 *     .build();
 * }</pre>
 *
 * <p><b>Caching.</b> Each owner's opened keyset is cached (at most {@link
 * Builder#maximumCachedOwners(long)} owners, each for at most {@link
 * Builder#cacheExpiry(Duration)}, default 5 minutes), so sealing and opening do no keyset I/O. An
 * owner in use is refreshed in the background once half the expiry has passed. Consequences for
 * several nodes sharing one store:
 *
 * <ul>
 *   <li>{@link #destroy(String)} takes effect at once on the node that calls it; other nodes may
 *       still seal and open for the owner until their cached entry expires: at most the cache
 *       expiry plus one keyset-store read after the destroy.
 *   <li>After {@link #rotate(String)} other nodes go on sealing with the previous primary key for
 *       up to the cache expiry (those ciphertexts stay readable). A ciphertext under a key that a
 *       node does not know yet makes it read the store again at once, so it opens everywhere.
 * </ul>
 *
 * <p><b>Errors.</b> A destroyed owner, an owner without keyset (creation off), or a keyset the
 * master key cannot open: {@link KeyUnavailableException} naming the owner. A failing keyset store:
 * {@link BackendUnavailableException} (backend {@value KeysetStore#BACKEND}). A ciphertext that
 * fails authentication: {@link TamperedDataException}. Bad arguments: {@link
 * InvalidArgumentException}. No message or log line carries key material or plaintext.
 *
 * <p>Thread-safe. Holds no resources: nothing to close.
 */
public final class TinkKeyProvider implements KeyProvider {
  private static final Logger log = LoggerFactory.getLogger(TinkKeyProvider.class);

  /** Associated data of an owner's keyset under the master key: binds the keyset to its owner. */
  private static final String KEYSET_AD = "wq1-keyset|";

  /** Tink's output prefix of a TINK-type key: this byte, then the 4-byte key id. */
  private static final byte TINK_PREFIX = 0x01;

  private static final int TINK_PREFIX_LENGTH = 5;
  private static final long NO_KEY_ID = -1L;
  private static final int MAX_ROTATE_ATTEMPTS = 16;
  private static final int MAX_OWNER_LENGTH = 100;
  private static final Pattern OWNER = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

  private final MasterKey masterKey;
  private final KeysetStore store;
  private final boolean createOnFirstUse;
  private final Duration cacheExpiry;
  private final long maximumCachedOwners;
  private final LoadingCache<String, OwnerKeys> cache;

  private TinkKeyProvider(Builder b) {
    TinkRegistration.ensure();
    this.masterKey = Objects.requireNonNull(b.masterKey);
    this.store = Objects.requireNonNull(b.keysetStore);
    this.createOnFirstUse = b.createOnFirstUse;
    this.cacheExpiry = b.cacheExpiry;
    this.maximumCachedOwners = b.maximumCachedOwners;
    Caffeine<Object, Object> caffeine =
        Caffeine.newBuilder().maximumSize(b.maximumCachedOwners).expireAfterWrite(b.cacheExpiry);
    Duration refresh = b.cacheExpiry.dividedBy(2);
    if (!refresh.isZero()) {
      caffeine.refreshAfterWrite(refresh);
    }
    if (b.clock != null) {
      Clock clock = b.clock;
      caffeine.ticker(ticker(clock));
    }
    this.cache = caffeine.build(new Loader());
  }

  /**
   * A builder; {@link Builder#masterKey(MasterKey)} and {@link Builder#keysetStore(KeysetStore)}
   * are required.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  // -------------------------------------------------------------------------------- KeyProvider

  /**
   * {@inheritDoc}
   *
   * <p>Creates the owner's keyset when it has none and creation on first use is on.
   *
   * @throws KeyUnavailableException when the owner was destroyed, has no keyset and creation is
   *     off, or the master key cannot open its keyset
   * @throws BackendUnavailableException when the keyset store fails
   */
  @Override
  public void requireKey(String owner) {
    keys(checkOwner(owner), createOnFirstUse);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Creates the owner's keyset when it has none and creation on first use is on. No I/O while
   * the owner's keyset is cached.
   *
   * @throws KeyUnavailableException when the owner was destroyed, has no keyset and creation is
   *     off, or the master key cannot open its keyset
   * @throws BackendUnavailableException when the keyset store fails
   */
  @Override
  public byte[] seal(String owner, byte[] plaintext, byte[] associatedData) {
    checkOwner(owner);
    notNull("plaintext", plaintext);
    notNull("associatedData", associatedData);
    Aead aead = keys(owner, createOnFirstUse).aead();
    try {
      return aead.encrypt(plaintext, associatedData);
    } catch (GeneralSecurityException e) {
      throw new QueueException("sealing for owner '" + owner + "' failed: " + e.getMessage(), e);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Never creates a keyset. Where the ciphertext names a key this node has not cached (rotated
   * on another node), reads the owner's keyset from the store once more before giving up.
   *
   * @throws TamperedDataException when the ciphertext or associated data do not match
   * @throws KeyUnavailableException when the owner was destroyed, has no keyset, or the master key
   *     cannot open its keyset
   * @throws BackendUnavailableException when the keyset store fails
   */
  @Override
  public byte[] open(String owner, byte[] ciphertext, byte[] associatedData) {
    checkOwner(owner);
    notNull("ciphertext", ciphertext);
    notNull("associatedData", associatedData);
    OwnerKeys keys = keys(owner, false);
    GeneralSecurityException failure;
    try {
      return keys.aead().decrypt(ciphertext, associatedData);
    } catch (GeneralSecurityException e) {
      failure = e;
    }
    long keyId = tinkKeyId(ciphertext);
    if (keyId != NO_KEY_ID && !keys.knows((int) keyId)) {
      OwnerKeys fresh = reloadNow(owner);
      if (fresh.knows((int) keyId)) {
        try {
          return fresh.aead().decrypt(ciphertext, associatedData);
        } catch (GeneralSecurityException e) {
          failure = e;
        }
      }
    }
    throw new TamperedDataException(
        "a ciphertext of owner '"
            + owner
            + "' failed to open: it was changed, moved from another owner, queue, index or field,"
            + " or sealed under a key the owner does not have",
        failure);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Persisted with a compare-and-set in the store, retried when another node changed the keyset
   * at the same time, so concurrent rotations never lose a key. The new primary key is used at once
   * on this node and within the cache expiry on others. An owner without keyset gets its first one
   * (when creation on first use is on).
   *
   * @throws KeyUnavailableException when the owner was destroyed, has no keyset and creation is
   *     off, or the master key cannot open its keyset
   * @throws BackendUnavailableException when the keyset store fails
   */
  @Override
  public void rotate(String owner) {
    checkOwner(owner);
    for (int attempt = 1; attempt <= MAX_ROTATE_ATTEMPTS; attempt++) {
      Optional<StoredKeyset> current = readStore(owner);
      if (current.isEmpty()) {
        if (!createOnFirstUse) {
          throw absent(owner);
        }
        if (create(owner).created()) {
          return;
        }
        continue;
      }
      if (current.get().isDestroyed()) {
        remember(owner, OwnerKeys.DESTROYED);
        throw destroyed(owner);
      }
      byte[] expected = current.get().encryptedKeyset().orElseThrow();
      KeysetHandle next;
      try {
        next =
            KeysetHandle.newBuilder(decrypt(owner, expected))
                .addEntry(
                    KeysetHandle.generateEntryFromParameters(PredefinedAeadParameters.AES256_GCM)
                        .withRandomId()
                        .makePrimary())
                .build();
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("Tink cannot add an AES-256-GCM key", e);
      }
      byte[] replacement = encrypt(owner, next);
      if (callStore(
          owner, "rotate the keyset", () -> store.replace(owner, expected, replacement))) {
        remember(owner, OwnerKeys.of(next));
        log.info(
            "rotated the keyset of owner {}: {} keys, primary key id {}",
            owner,
            next.size(),
            Integer.toUnsignedString(next.getPrimary().getId()));
        return;
      }
      log.debug("keyset of owner {} changed during rotation (attempt {})", owner, attempt);
    }
    throw new QueueException(
        "the keyset of owner '"
            + owner
            + "' changed concurrently "
            + MAX_ROTATE_ATTEMPTS
            + " times during rotation; try again");
  }

  /**
   * {@inheritDoc}
   *
   * <p>Replaces the owner's keyset in the store by a tombstone and caches that here, so the owner
   * never gets a new keyset by itself (not through {@link #provision(String)} either). Other nodes
   * notice within the cache expiry. Idempotent; also marks an owner that never had a keyset.
   *
   * @throws BackendUnavailableException when the keyset store fails (then nothing was destroyed for
   *     sure: call again)
   */
  @Override
  public void destroy(String owner) {
    checkOwner(owner);
    callStore(
        owner,
        "destroy the keyset",
        () -> {
          store.destroy(owner);
          return null;
        });
    cache.put(owner, OwnerKeys.DESTROYED);
    log.info("destroyed the keyset of owner {} (crypto-shredding)", owner);
  }

  // ----------------------------------------------------------------------------- beyond the SPI

  /**
   * Creates the owner's keyset if it has none, whether or not creation on first use is on: the way
   * to admit an owner when it is off.
   *
   * @param owner the owner
   * @return true when this call created the keyset, false when the owner already had one
   * @throws KeyUnavailableException when the owner was destroyed, or the master key cannot open its
   *     existing keyset
   * @throws BackendUnavailableException when the keyset store fails
   */
  public boolean provision(String owner) {
    checkOwner(owner);
    try {
      OwnerKeys keys = cache.get(owner);
      if (keys.destroyed()) {
        throw destroyed(owner);
      }
      return false;
    } catch (AbsentKeyset e) {
      return create(owner).created();
    }
  }

  /**
   * Whether new owners get a keyset on first use.
   *
   * @return the setting
   */
  public boolean createsOnFirstUse() {
    return createOnFirstUse;
  }

  /**
   * How long a cached keyset is used at most before the store is read again: the longest time a
   * destroy or rotation on another node goes unnoticed here (plus one store read).
   *
   * @return the cache expiry
   */
  public Duration cacheExpiry() {
    return cacheExpiry;
  }

  @Override
  public String toString() {
    return "TinkKeyProvider[store="
        + store
        + ", masterKey="
        + masterKey
        + ", createOnFirstUse="
        + createOnFirstUse
        + ", cacheExpiry="
        + cacheExpiry
        + ", maximumCachedOwners="
        + maximumCachedOwners
        + "]";
  }

  // ---------------------------------------------------------------------------------- internals

  /** An owner's opened keyset, or the tombstone of a destroyed owner. Immutable. */
  private record OwnerKeys(@Nullable Aead nullableAead, int[] sortedKeyIds) {
    static final OwnerKeys DESTROYED = new OwnerKeys(null, new int[0]);

    static OwnerKeys of(KeysetHandle handle) {
      int[] ids = new int[handle.size()];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = handle.getAt(i).getId();
      }
      Arrays.sort(ids);
      try {
        return new OwnerKeys(handle.getPrimitive(RegistryConfiguration.get(), Aead.class), ids);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("Tink gives no AEAD for an AES-256-GCM keyset", e);
      }
    }

    boolean destroyed() {
      return nullableAead == null;
    }

    Aead aead() {
      if (nullableAead == null) {
        throw new IllegalStateException("a destroyed owner has no cipher");
      }
      return nullableAead;
    }

    boolean knows(int keyId) {
      return Arrays.binarySearch(sortedKeyIds, keyId) >= 0;
    }
  }

  /** The result of {@link #create(String)}: the keys and whether this call's keyset won. */
  private record Creation(OwnerKeys keys, boolean created) {}

  /** Thrown by the loader when the store has no record: the caller decides whether to create. */
  private static final class AbsentKeyset extends RuntimeException {
    private static final long serialVersionUID = 1L;
    static final AbsentKeyset INSTANCE = new AbsentKeyset();

    private AbsentKeyset() {
      super("no keyset", null, false, false);
    }
  }

  /** Loads an owner's keyset from the store into the cache; never creates one. */
  private final class Loader implements CacheLoader<String, OwnerKeys> {
    @Override
    public OwnerKeys load(String owner) {
      return decode(owner, readStore(owner).orElseThrow(() -> AbsentKeyset.INSTANCE));
    }

    @Override
    public @Nullable OwnerKeys reload(String owner, OwnerKeys old) {
      try {
        return load(owner);
      } catch (AbsentKeyset e) {
        return null; // the record vanished from the store (removed by hand): drop the entry
      }
    }
  }

  private OwnerKeys keys(String owner, boolean create) {
    OwnerKeys keys;
    try {
      keys = cache.get(owner);
    } catch (AbsentKeyset e) {
      if (!create) {
        throw absent(owner);
      }
      keys = create(owner).keys();
    }
    if (keys.destroyed()) {
      throw destroyed(owner);
    }
    return keys;
  }

  /** Creates a keyset unless the store has a record; adopts the record that won. */
  private Creation create(String owner) {
    KeysetHandle fresh;
    try {
      fresh = KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Tink cannot generate an AES-256-GCM key", e);
    }
    byte[] encrypted = encrypt(owner, fresh);
    StoredKeyset winner =
        callStore(owner, "create a keyset", () -> store.createIfAbsent(owner, encrypted));
    boolean created = winner.holds(encrypted);
    OwnerKeys keys = remember(owner, created ? OwnerKeys.of(fresh) : decode(owner, winner));
    if (keys.destroyed()) {
      throw destroyed(owner);
    }
    if (created) {
      log.info("created a keyset for owner {}", owner);
    } else {
      log.debug("adopted the keyset another provider created for owner {}", owner);
    }
    return new Creation(keys, created);
  }

  /** Reads the store now, bypassing the cache, and caches what it holds. */
  private OwnerKeys reloadNow(String owner) {
    OwnerKeys keys =
        remember(owner, decode(owner, readStore(owner).orElseThrow(() -> absent(owner))));
    if (keys.destroyed()) {
      throw destroyed(owner);
    }
    return keys;
  }

  /**
   * Caches an owner's keys, except over a cached tombstone: a tombstone is final, so a slower
   * creation or rotation racing with {@link #destroy(String)} must not bring the keys back here.
   */
  private OwnerKeys remember(String owner, OwnerKeys keys) {
    return cache.asMap().merge(owner, keys, (old, neu) -> old.destroyed() ? old : neu);
  }

  private OwnerKeys decode(String owner, StoredKeyset record) {
    if (record.isDestroyed()) {
      return OwnerKeys.DESTROYED;
    }
    return OwnerKeys.of(decrypt(owner, record.encryptedKeyset().orElseThrow()));
  }

  private KeysetHandle decrypt(String owner, byte[] encrypted) {
    try {
      return TinkProtoKeysetFormat.parseEncryptedKeyset(
          encrypted, masterKey.aead(), keysetAd(owner));
    } catch (GeneralSecurityException | RuntimeException e) {
      if (e instanceof QueueException q) {
        throw q;
      }
      throw new KeyUnavailableException(
          owner,
          "the master key cannot open the keyset of owner '"
              + owner
              + "'; check the master key ("
              + masterKey.description()
              + ") and that the keyset store holds this owner's keyset unchanged",
          e);
    }
  }

  private byte[] encrypt(String owner, KeysetHandle handle) {
    try {
      return TinkProtoKeysetFormat.serializeEncryptedKeyset(
          handle, masterKey.aead(), keysetAd(owner));
    } catch (GeneralSecurityException | RuntimeException e) {
      if (e instanceof QueueException q) {
        throw q;
      }
      throw new KeyUnavailableException(
          owner,
          "the master key cannot encrypt a keyset of owner '"
              + owner
              + "'; check the master key ("
              + masterKey.description()
              + ")",
          e);
    }
  }

  private static byte[] keysetAd(String owner) {
    return (KEYSET_AD + owner).getBytes(StandardCharsets.UTF_8);
  }

  private Optional<StoredKeyset> readStore(String owner) {
    return callStore(owner, "read the keyset", () -> store.read(owner));
  }

  /** Runs a store call; anything but a queue exception becomes "keyset store unavailable". */
  private <T> T callStore(String owner, String what, Supplier<T> call) {
    try {
      return call.get();
    } catch (QueueException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new BackendUnavailableException(
          KeysetStore.BACKEND, store + " failed to " + what + " of owner '" + owner + "': " + e, e);
    }
  }

  /** The key id in a Tink-prefixed ciphertext, or {@link #NO_KEY_ID} without such prefix. */
  private static long tinkKeyId(byte[] ciphertext) {
    if (ciphertext.length < TINK_PREFIX_LENGTH || ciphertext[0] != TINK_PREFIX) {
      return NO_KEY_ID;
    }
    return Integer.toUnsignedLong(
        ((ciphertext[1] & 0xff) << 24)
            | ((ciphertext[2] & 0xff) << 16)
            | ((ciphertext[3] & 0xff) << 8)
            | (ciphertext[4] & 0xff));
  }

  private KeyUnavailableException absent(String owner) {
    return new KeyUnavailableException(
        owner,
        createOnFirstUse
            ? "has no keyset yet, so nothing sealed for it can be opened"
            : "has no keyset and creation on first use is off; create it with"
                + " TinkKeyProvider.provision",
        null);
  }

  private static KeyUnavailableException destroyed(String owner) {
    return new KeyDestroyedException(owner);
  }

  private static String checkOwner(@Nullable String owner) {
    if (owner == null) {
      throw new InvalidArgumentException("owner", "must not be null");
    }
    if (owner.isEmpty() || owner.length() > MAX_OWNER_LENGTH || !OWNER.matcher(owner).matches()) {
      throw new InvalidArgumentException(
          "owner",
          "must be 1 to "
              + MAX_OWNER_LENGTH
              + " ASCII letters, digits, '.', '_' or '-', starting with a letter or digit");
    }
    return owner;
  }

  private static void notNull(String argument, byte @Nullable [] bytes) {
    if (bytes == null) {
      throw new InvalidArgumentException(argument, "must not be null");
    }
  }

  /** Caffeine's time source from a clock, for tests that move time instead of waiting. */
  private static Ticker ticker(Clock clock) {
    return () -> {
      Instant now = clock.instant();
      return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    };
  }

  // ------------------------------------------------------------------------------------ builder

  /**
   * Settings of a {@link TinkKeyProvider}. Not thread-safe; {@link #build()} checks every setting
   * and names the one that is wrong.
   */
  public static final class Builder {
    private @Nullable MasterKey masterKey;
    private @Nullable KeysetStore keysetStore;
    private boolean createOnFirstUse = true;
    private Duration cacheExpiry = Duration.ofMinutes(5);
    private long maximumCachedOwners = 10_000;
    private @Nullable Clock clock;

    private Builder() {}

    /**
     * The key-encryption key for the owners' keysets. Required.
     *
     * @param masterKey the master key
     * @return this builder
     */
    public Builder masterKey(MasterKey masterKey) {
      this.masterKey = masterKey;
      return this;
    }

    /**
     * Where the owners' encrypted keysets and tombstones live. Required. The provider does not own
     * it (closes nothing).
     *
     * @param keysetStore the store
     * @return this builder
     */
    public Builder keysetStore(KeysetStore keysetStore) {
      this.keysetStore = keysetStore;
      return this;
    }

    /**
     * Whether an owner without keyset gets one on its first {@code requireKey}, {@code seal} or
     * {@code rotate} (default true). When false, owners are admitted with {@link
     * TinkKeyProvider#provision(String)} and others get {@link KeyUnavailableException}.
     *
     * @param createOnFirstUse the setting
     * @return this builder
     */
    public Builder createOnFirstUse(boolean createOnFirstUse) {
      this.createOnFirstUse = createOnFirstUse;
      return this;
    }

    /**
     * How long an owner's keyset is used from the cache at most before the store is read again
     * (default 5 minutes; refreshed in the background after half of it). Bounds how long a destroy
     * or rotation on another node goes unnoticed here; shorter means more store reads.
     *
     * @param cacheExpiry a positive duration
     * @return this builder
     */
    public Builder cacheExpiry(Duration cacheExpiry) {
      this.cacheExpiry = cacheExpiry;
      return this;
    }

    /**
     * How many owners' keysets are cached at most (default 10,000); the least used go first.
     *
     * @param maximumCachedOwners at least 1
     * @return this builder
     */
    public Builder maximumCachedOwners(long maximumCachedOwners) {
      this.maximumCachedOwners = maximumCachedOwners;
      return this;
    }

    /**
     * The time source of the cache expiry (default: the JVM's monotonic clock). Tests pass a
     * settable clock to move time instead of waiting.
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    /**
     * Builds the provider.
     *
     * @return the provider
     * @throws InvalidArgumentException naming the first missing or invalid setting
     */
    public TinkKeyProvider build() {
      if (masterKey == null) {
        throw new InvalidArgumentException(
            "masterKey",
            "is required: MasterKey.fromKms, fromEnvironment or, for development,"
                + " fromCleartextKeysetFile");
      }
      if (keysetStore == null) {
        throw new InvalidArgumentException(
            "keysetStore",
            "is required: DirectoryKeysetStore, CassandraKeysetStore or, for tests,"
                + " InMemoryKeysetStore");
      }
      if (cacheExpiry == null || cacheExpiry.isNegative() || cacheExpiry.isZero()) {
        throw new InvalidArgumentException(
            "cacheExpiry", "must be a positive duration, was " + cacheExpiry);
      }
      if (maximumCachedOwners < 1) {
        throw new InvalidArgumentException(
            "maximumCachedOwners", "must be at least 1, was " + maximumCachedOwners);
      }
      return new TinkKeyProvider(this);
    }
  }
}
