package io.workqueue.redis;

import io.workqueue.testservers.RedisServer;
import java.util.Map;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.util.SafeEncoder;

/** The shared test Redis of this JVM, one bookkeeper on it, and an admin client for checks. */
final class SharedRedis {
  private static RedisBookkeeper bookkeeper;
  private static JedisPooled admin;

  private SharedRedis() {}

  static RedisServer server() {
    return RedisServer.shared();
  }

  /** A bookkeeper that owns its client; it lives as long as the JVM. */
  static synchronized RedisBookkeeper bookkeeper() {
    if (bookkeeper == null) {
      bookkeeper = RedisBookkeeper.connect(server().host(), server().port());
    }
    return bookkeeper;
  }

  /** A separate client for INFO, SCRIPT FLUSH and looking at keys. */
  static synchronized JedisPooled admin() {
    if (admin == null) {
      admin = new JedisPooled(new HostAndPort(server().host(), server().port()));
    }
    return admin;
  }

  /** A field of INFO, as a number. */
  static long info(UnifiedJedis client, String section, String field) {
    Object reply = client.sendCommand(Protocol.Command.INFO, section);
    for (String line : SafeEncoder.encode((byte[]) reply).split("\r?\n")) {
      if (line.startsWith(field + ":")) {
        return Long.parseLong(line.substring(field.length() + 1).trim());
      }
    }
    throw new IllegalStateException("INFO " + section + " has no " + field);
  }

  /** All hash fields of a key, for assertions on the storage layout. */
  static Map<String, String> hash(String key) {
    return admin().hgetAll(key);
  }
}
