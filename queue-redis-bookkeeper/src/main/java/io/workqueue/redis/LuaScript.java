package io.workqueue.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * One Lua script of the bookkeeper, read from {@code src/main/resources/io/workqueue/redis}, with
 * its SHA-1 digest (the name Redis gives a loaded script, used by EVALSHA). Immutable.
 *
 * @param name the file's name without {@code .lua}
 * @param source the script
 * @param sha1 the lowercase hex SHA-1 of the source's UTF-8 bytes, as SCRIPT LOAD returns it
 */
record LuaScript(String name, String source, String sha1) {

  static final LuaScript ALLOCATE = load("allocate");
  static final LuaScript COMMIT = load("commit");
  static final LuaScript INITIALIZE = load("initialize");
  static final LuaScript FETCH = load("fetch");
  static final LuaScript FETCH_BATCH = load("fetch_batch");
  static final LuaScript RESOLVE_HOLE = load("resolve_hole");
  static final LuaScript LEASE = load("lease");
  static final LuaScript ACK = load("ack");
  static final LuaScript ACK_HELD = load("ack_held");
  static final LuaScript CLAIM_COMPLETIONS = load("claim_completions");
  static final LuaScript STATE = load("state");
  static final LuaScript REWIND = load("rewind");

  static LuaScript load(String name) {
    String resource = name + ".lua";
    try (InputStream in = LuaScript.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(
            "the Lua script io/workqueue/redis/" + resource + " is missing from the classpath");
      }
      String source = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return new LuaScript(name, source, sha1(source));
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
