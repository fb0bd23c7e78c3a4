package io.workqueue.crypto;

import io.workqueue.BackendUnavailableException;
import io.workqueue.InvalidArgumentException;
import io.workqueue.KeyUnavailableException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link KeysetStore} in a directory of files, one per owner: {@code <owner>.keyset}, where each
 * upper-case letter of the owner is written as {@code '+'} and its lower-case form, so that owners
 * differing in case stay apart on case-insensitive file systems ({@code Acme} becomes {@code
 * +acme.keyset}).
 *
 * <p>A file holds a 6-byte header ({@code "WQKS"}, format version 1, state: live or destroyed)
 * followed by the keyset encrypted under the master key; a tombstone has no keyset. Files are
 * written whole to a temporary file in the same directory, flushed to disk and moved over the old
 * one atomically, so a reader sees the old file or the new one, never a torn one. Every change
 * holds a lock on the file {@code .lock} in the directory (and a lock within this JVM), so several
 * processes may share the directory on a local file system; network file systems are only as safe
 * as their file locks. New files are readable by their owning OS user only, where the file system
 * supports POSIX permissions.
 *
 * <p>Destroying an owner replaces its file with a tombstone, which unlinks the old file. The file
 * system may keep the old blocks until they are reused, and backups keep what they copied: anyone
 * holding such a copy and the master key can still open the owner's data. Thread-safe.
 */
public final class DirectoryKeysetStore implements KeysetStore {
  private static final Logger log = LoggerFactory.getLogger(DirectoryKeysetStore.class);

  private static final byte[] MAGIC = "WQKS".getBytes(StandardCharsets.US_ASCII);
  private static final byte VERSION = 1;
  private static final byte LIVE = 0;
  private static final byte DESTROYED = 1;
  private static final int HEADER = MAGIC.length + 2;
  private static final String SUFFIX = ".keyset";
  private static final Pattern OWNER = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");

  /**
   * One lock per directory for the whole JVM. A file lock belongs to the JVM, not to a channel: a
   * second store instance over the same directory locking it again would fail rather than wait.
   */
  private static final ConcurrentMap<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();

  private final Path directory;
  private final Path lockFile;
  private final ReentrantLock jvmLock;

  private DirectoryKeysetStore(Path directory) {
    this.directory = directory;
    this.lockFile = directory.resolve(".lock");
    this.jvmLock = JVM_LOCKS.computeIfAbsent(directory, d -> new ReentrantLock());
  }

  /**
   * A store in this directory, created (with its parents) if missing.
   *
   * @param directory the directory; its files are this store's only
   * @return the store
   * @throws InvalidArgumentException when the path is null or not a directory
   * @throws BackendUnavailableException when the directory cannot be created
   */
  public static DirectoryKeysetStore of(Path directory) {
    if (directory == null) {
      throw new InvalidArgumentException("directory", "must not be null");
    }
    Path dir = directory.toAbsolutePath().normalize();
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new InvalidArgumentException("directory", dir + " exists and is not a directory");
    }
    try {
      Files.createDirectories(dir);
      // The real path, so that two spellings of one directory share the JVM lock.
      return new DirectoryKeysetStore(dir.toRealPath());
    } catch (IOException e) {
      throw new BackendUnavailableException(
          BACKEND, "cannot create the keyset directory " + dir + ": " + e, e);
    }
  }

  /**
   * The directory.
   *
   * @return the absolute directory path
   */
  public Path directory() {
    return directory;
  }

  /**
   * The file that holds an owner's keyset or tombstone.
   *
   * @param owner the owner
   * @return the path (the file may not exist)
   * @throws InvalidArgumentException when the owner id is not a valid owner id
   */
  public Path fileOf(String owner) {
    if (owner == null || !OWNER.matcher(owner).matches()) {
      throw new InvalidArgumentException(
          "owner",
          "must be 1 to 100 ASCII letters, digits, '.', '_' or '-', starting with a letter or"
              + " digit");
    }
    StringBuilder name = new StringBuilder(owner.length() + 8);
    for (int i = 0; i < owner.length(); i++) {
      char c = owner.charAt(i);
      if (c >= 'A' && c <= 'Z') {
        name.append('+').append((char) (c + ('a' - 'A')));
      } else {
        name.append(c);
      }
    }
    return directory.resolve(name.append(SUFFIX).toString());
  }

  @Override
  public Optional<StoredKeyset> read(String owner) {
    Path file = fileOf(owner);
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw unavailable("cannot read " + file, e);
    }
    return Optional.of(decode(owner, file, bytes));
  }

  @Override
  public StoredKeyset createIfAbsent(String owner, byte[] encryptedKeyset) {
    Path file = fileOf(owner);
    StoredKeyset mine = StoredKeyset.live(encryptedKeyset);
    return locked(
        () -> {
          Optional<StoredKeyset> existing = read(owner);
          if (existing.isPresent()) {
            return existing.get();
          }
          write(file, encode(mine));
          return mine;
        });
  }

  @Override
  public boolean replace(String owner, byte[] expected, byte[] replacement) {
    Path file = fileOf(owner);
    StoredKeyset next = StoredKeyset.live(replacement);
    return locked(
        () -> {
          Optional<StoredKeyset> current = read(owner);
          if (current.isEmpty() || !current.get().holds(expected)) {
            return false;
          }
          write(file, encode(next));
          return true;
        });
  }

  @Override
  public void destroy(String owner) {
    Path file = fileOf(owner);
    locked(
        () -> {
          write(file, encode(StoredKeyset.destroyed()));
          return null;
        });
  }

  @Override
  public String toString() {
    return "DirectoryKeysetStore[" + directory + "]";
  }

  // ---------------------------------------------------------------------------------- file format

  private static byte[] encode(StoredKeyset record) {
    byte[] keyset = record.encryptedKeyset().orElse(new byte[0]);
    return ByteBuffer.allocate(HEADER + keyset.length)
        .put(MAGIC)
        .put(VERSION)
        .put(record.isDestroyed() ? DESTROYED : LIVE)
        .put(keyset)
        .array();
  }

  private static StoredKeyset decode(String owner, Path file, byte[] bytes) {
    if (bytes.length < HEADER
        || !Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)
        || bytes[MAGIC.length] != VERSION) {
      throw corrupt(owner, file, "it does not start with a keyset file header of version 1");
    }
    byte state = bytes[MAGIC.length + 1];
    if (state == DESTROYED) {
      return StoredKeyset.destroyed();
    }
    if (state != LIVE || bytes.length == HEADER) {
      throw corrupt(owner, file, "its header is damaged or its keyset is missing");
    }
    return StoredKeyset.live(Arrays.copyOfRange(bytes, HEADER, bytes.length));
  }

  private static KeyUnavailableException corrupt(String owner, Path file, String why) {
    return new KeyUnavailableException(
        owner,
        "the keyset file " + file + " is corrupt (" + why + "); restore it from a backup",
        null);
  }

  // --------------------------------------------------------------------------------- file writes

  private interface Change<T> {
    T run() throws IOException;
  }

  /** Runs a change under the JVM lock and the directory's file lock. */
  private <T> T locked(Change<T> change) {
    jvmLock.lock();
    try (FileChannel channel =
        FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      // Released when the channel closes.
      channel.lock();
      return change.run();
    } catch (IOException e) {
      throw unavailable("cannot change keysets in " + directory, e);
    } finally {
      jvmLock.unlock();
    }
  }

  private void write(Path file, byte[] content) throws IOException {
    Path tmp =
        directory.resolve(
            "."
                + file.getFileName()
                + "."
                + Long.toHexString(ThreadLocalRandom.current().nextLong()));
    try {
      try (FileChannel out =
          FileChannel.open(
              tmp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), ownerOnly())) {
        ByteBuffer buffer = ByteBuffer.wrap(content);
        while (buffer.hasRemaining()) {
          out.write(buffer);
        }
        out.force(true);
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
    syncDirectory();
  }

  private FileAttribute<?>[] ownerOnly() {
    if (!directory.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      return new FileAttribute<?>[0];
    }
    Set<PosixFilePermission> rw = PosixFilePermissions.fromString("rw-------");
    return new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(rw)};
  }

  /** Makes the rename durable; not every platform can open a directory, which is fine. */
  private void syncDirectory() {
    try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
      dir.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      log.trace("cannot sync directory {}", directory, e);
    }
  }

  private BackendUnavailableException unavailable(String what, IOException e) {
    String hint =
        e instanceof AccessDeniedException || e instanceof FileAlreadyExistsException
            ? "check the permissions of " + directory
            : "check the directory " + directory + " and its file system";
    return new BackendUnavailableException(BACKEND, what + " (" + e + "); " + hint, e);
  }
}
