package io.workqueue.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * One Lua script of the bookkeeper, read from {@code src/main/resources/io/workqueue/redis}, with
 * its SHA-1 digest (the name Redis gives a loaded script, used by EVALSHA). Every script's source
 * is {@code prelude.lua} (functions shared by all scripts: numbers, keys, lease and info values,
 * signals), then {@code pointer.lua} (the lanes and their fetch pointers) for fetch, fetch_batch
 * and state, or {@code moves.lua} (ending leases, moving indices, group slots) for the scripts that
 * end leases or move indices, then the script's own file, so each stays one self-contained chunk.
 * The parts are split because a script creates its functions again on every call. Immutable.
 *
 * @param name the file's name without {@code .lua}
 * @param source the prelude, the parts the script needs, and the script
 * @param sha1 the lowercase hex SHA-1 of the source's UTF-8 bytes, as SCRIPT LOAD returns it
 */
record LuaScript(String name, String source, String sha1) {

  /** The shared prelude, put in front of every script. */
  static final String PRELUDE = read("prelude");

  /** The fetch pointers, put after the prelude in front of the scripts that walk them. */
  static final String POINTER = read("pointer");

  /** Ending leases and moving indices, after the prelude in front of the scripts that do. */
  static final String MOVES = read("moves");

  static final LuaScript ALLOCATE = load("allocate");
  static final LuaScript COMMIT = load("commit");
  static final LuaScript INITIALIZE = load("initialize");
  static final LuaScript FETCH = load("fetch", POINTER);
  static final LuaScript FETCH_BATCH = load("fetch_batch", POINTER);
  static final LuaScript RESOLVE_HOLE = load("resolve_hole");
  static final LuaScript LEASE = load("lease");
  static final LuaScript ACK = load("ack", MOVES);
  static final LuaScript ACK_HELD = load("ack_held", MOVES);
  static final LuaScript CLAIM_COMPLETIONS = load("claim_completions");
  static final LuaScript STATE = load("state", POINTER);
  static final LuaScript REWIND = load("rewind");
  static final LuaScript ADMIT = load("admit", MOVES);
  static final LuaScript EXTEND = load("extend");
  static final LuaScript RELEASE = load("release", MOVES);
  static final LuaScript DEAD_LETTER = load("dead_letter", MOVES);
  static final LuaScript DEAD_LETTERS = load("dead_letters");
  static final LuaScript REQUEUE = load("requeue", MOVES);
  static final LuaScript DISCARD = load("discard");
  static final LuaScript PAUSE = load("pause");
  static final LuaScript CONFIGURE = load("configure", MOVES);
  static final LuaScript PURGE = load("purge");

  /** Every script, for tests and tools. */
  static final List<LuaScript> ALL =
      List.of(
          ALLOCATE,
          COMMIT,
          INITIALIZE,
          FETCH,
          FETCH_BATCH,
          RESOLVE_HOLE,
          LEASE,
          ACK,
          ACK_HELD,
          CLAIM_COMPLETIONS,
          STATE,
          REWIND,
          ADMIT,
          EXTEND,
          RELEASE,
          DEAD_LETTER,
          DEAD_LETTERS,
          REQUEUE,
          DISCARD,
          PAUSE,
          CONFIGURE,
          PURGE);

  /**
   * Loads a script: the prelude, then the given parts, then the script's own file.
   *
   * @param name the file's name without {@code .lua}
   * @param parts {@link #POINTER} and {@link #MOVES}, as the script needs them
   */
  static LuaScript load(String name, String... parts) {
    StringBuilder source = new StringBuilder(PRELUDE).append('\n');
    for (String part : parts) {
      source.append(part).append('\n');
    }
    String text = source.append(read(name)).toString();
    return new LuaScript(name, text, sha1(text));
  }

  /** The text of one file under {@code io/workqueue/redis}. */
  static String read(String name) {
    String resource = name + ".lua";
    try (InputStream in = LuaScript.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(
            "the Lua script io/workqueue/redis/" + resource + " is missing from the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the Lua script " + resource, e);
    }
  }

  static String sha1(String source) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-1");
      return HexFormat.of().formatHex(digest.digest(source.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no SHA-1", e);
    }
  }

  @Override
  public String toString() {
    return name + ".lua";
  }
}
